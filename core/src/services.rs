//! Every service, started once and shared by both doors: the JSON API's
//! handlers and the pages' server functions hold a [`Services`] and call the
//! same handle (`services.ledgers().branch_ledger(…)`), whose function asks
//! `policy` whether the caller may.

use crate::accounts::roster::Rosters;
use crate::accounts::Directory;
use crate::attendance::Attendance;
use crate::audit_trail::AuditTrail;
use crate::auth::{Auth, AuthConfig, AuthError};
use crate::caller::Caller;
use crate::committee::Committee;
use crate::error::ServiceError;
use crate::events::EventHost;
use crate::export_jobs::ExportJobs;
use crate::exports::Exports;
use crate::ledger::{FactsCache, Ledgers};
use crate::rate::{Heavy, HeavyRates};
use crate::records::Records;
use crate::review::Reviews;
use crate::rulebooks::Rulebooks;
use crate::storage::{Member, Store, StoreError};
use crate::sync::access::{self, Access};
use crate::sync::{compaction, SyncConfig, SyncService};
use crate::year_end::YearEnd;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use vanguard_shared::documents::DocId;

#[derive(Debug, Clone, Default)]
pub struct ServicesConfig {
    pub auth: AuthConfig,
    pub sync: SyncConfig,
    pub heavy: HeavyRates,
    /// The address members reach this server at (`https://dj.example.cn`),
    /// for links printed and shown as QR codes; never taken from a request.
    pub public_url: String,
}

#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub auth: Arc<Auth>,
    pub sync: Arc<SyncService>,
    pub events: Arc<EventHost>,
    /// What ledgers are computed from, kept while current.
    facts: Arc<FactsCache>,
    heavy: Arc<Heavy>,
    public_url: Arc<str>,
}

/// The services' background work, run for as long as the server serves.
pub struct Background {
    compaction: mpsc::UnboundedReceiver<String>,
}

impl Background {
    /// Starts the work; it ends when the handle is aborted.
    pub fn spawn(self, services: &Services) -> tokio::task::JoinHandle<()> {
        tokio::spawn(compaction::run(services.sync.clone(), self.compaction))
    }
}

impl Services {
    pub fn start(store: Store, config: ServicesConfig) -> (Services, Background) {
        let (sync, compaction) = SyncService::new(store.clone(), config.sync);
        let sync = Arc::new(sync);
        let services = Services {
            events: Arc::new(EventHost::new(store.clone(), sync.clone())),
            auth: Arc::new(Auth::new(store.clone(), config.auth)),
            sync,
            store,
            facts: Arc::default(),
            heavy: Arc::new(Heavy::new(config.heavy)),
            public_url: config.public_url.trim_end_matches('/').into(),
        };
        (services, Background { compaction })
    }

    /// The organisation tree and its members, as the caller may see them.
    pub fn directory(&self) -> Directory<'_> {
        Directory::new(&self.store)
    }

    /// The roster: adding, changing and importing members.
    pub fn roster(&self) -> Rosters<'_> {
        Rosters::new(&self.store)
    }

    /// Review queues and decisions.
    pub fn reviews(&self) -> Reviews<'_> {
        Reviews::new(&self.store, &self.sync)
    }

    /// Events' attendance sheets.
    pub fn attendance(&self) -> Attendance<'_> {
        Attendance::new(&self.store, &self.sync)
    }

    /// Members' records.
    pub fn records(&self) -> Records<'_> {
        Records::new(&self.store)
    }

    /// Branch tables and members' sheets.
    pub fn ledgers(&self) -> Ledgers<'_> {
        Ledgers::new(&self.store, &self.facts)
    }

    /// Organisations' rulebooks: reading, previewing, publishing.
    pub fn rulebooks(&self) -> Rulebooks<'_> {
        Rulebooks::new(&self.store, &self.facts)
    }

    /// A branch's year-end: job side, evaluation, lock, notice, 六化.
    pub fn year_end(&self) -> YearEnd<'_> {
        YearEnd::new(&self.store, &self.facts)
    }

    /// The committee's view of its branches.
    pub fn committee(&self) -> Committee<'_> {
        Committee::new(&self.store, &self.facts)
    }

    /// Ledgers as files.
    pub fn exports(&self) -> Exports<'_> {
        Exports::new(&self.store, &self.facts)
    }

    /// Exports run in the background.
    pub fn export_jobs(&self) -> ExportJobs<'_> {
        ExportJobs::new(&self.store, &self.facts)
    }

    /// The audit trail.
    pub fn audit_trail(&self) -> AuditTrail<'_> {
        AuditTrail::new(&self.store)
    }

    /// Lets one heavy request of `member_id` from `address` in (ledgers,
    /// sheets, the queue, previews, evaluations, exports), or refuses it
    /// with how long to wait.
    pub fn admit_heavy(&self, member_id: &str, address: IpAddr) -> Result<(), ServiceError> {
        self.heavy
            .admit(member_id, address)
            .map_err(ServiceError::RateLimited)
    }

    /// The address members reach this server at, without a trailing `/`.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The caller whose session `token` is.
    pub async fn caller(&self, token: &str) -> Result<Caller, AuthError> {
        let (member, must_change_password) = self.auth.authenticate(token).await?;
        Ok(Caller {
            member,
            token: token.to_string(),
            must_change_password,
        })
    }

    /// Every document `member` may sync for `year`, with their access,
    /// created where missing: what a client keeps in sync.
    /// Documents are made only for the current year and the next (December
    /// plans January); another year lists those that already hold
    /// something, so asking about 2040 stores nothing.
    pub async fn documents_of(
        &self,
        member: &Member,
        year: i32,
    ) -> Result<Vec<(DocId, Access)>, StoreError> {
        let docs = access::documents_for(&self.store, member, year).await?;
        let current = vanguard_shared::year::current(chrono::Utc::now());
        if year == current || year == current + 1 {
            let ids: Vec<DocId> = docs.iter().map(|(id, _)| id.clone()).collect();
            self.sync.ensure_documents(&ids).await?;
            return Ok(docs);
        }
        let names: Vec<String> = docs.iter().map(|(id, _)| id.to_string()).collect();
        let existing: std::collections::BTreeSet<String> = self
            .store
            .documents()
            .existing(&names)
            .await?
            .into_iter()
            .collect();
        Ok(docs
            .into_iter()
            .filter(|(id, _)| existing.contains(&id.to_string()))
            .collect())
    }
}
