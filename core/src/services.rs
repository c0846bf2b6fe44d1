//! Every service, started once and shared by both doors: the JSON API's
//! handlers and the pages' server functions hold a [`Services`] and call the
//! same functions, which check the caller's permission.

use crate::accounts::Directory;
use crate::auth::{Auth, AuthConfig, AuthError};
use crate::caller::Caller;
use crate::events::EventHost;
use crate::storage::{Member, Store, StoreError};
use crate::sync::access::{self, Access};
use crate::sync::{compaction, SyncConfig, SyncService};
use std::sync::Arc;
use tokio::sync::mpsc;
use vanguard_shared::documents::DocId;

#[derive(Debug, Clone, Default)]
pub struct ServicesConfig {
    pub auth: AuthConfig,
    pub sync: SyncConfig,
}

#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub auth: Arc<Auth>,
    pub sync: Arc<SyncService>,
    pub events: Arc<EventHost>,
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
        };
        (services, Background { compaction })
    }

    /// The organisation tree and its members, as the caller may see them.
    pub fn directory(&self) -> Directory<'_> {
        Directory::new(&self.store)
    }

    /// Review queues and decisions.
    pub fn reviews(&self) -> crate::review::Reviews<'_> {
        crate::review::Reviews::new(&self.store, &self.sync)
    }

    /// Events' attendance sheets.
    pub fn attendance(&self) -> crate::attendance::Attendance<'_> {
        crate::attendance::Attendance::new(&self.store, &self.sync)
    }

    /// The caller whose session `token` is.
    pub async fn caller(&self, token: &str) -> Result<Caller, AuthError> {
        let member = self.auth.authenticate(token).await?;
        Ok(Caller {
            member,
            token: token.to_string(),
        })
    }

    /// Every document `member` may sync for `year`, with their access,
    /// created where missing: what a client keeps in sync.
    pub async fn documents_of(
        &self,
        member: &Member,
        year: i32,
    ) -> Result<Vec<(DocId, Access)>, StoreError> {
        let docs = access::documents_for(&self.store, member, year).await?;
        let ids: Vec<DocId> = docs.iter().map(|(id, _)| id.clone()).collect();
        self.sync.ensure_documents(&ids).await?;
        Ok(docs)
    }
}
