//! Branch events and their check-in codes, on the host's side. An event is
//! written into the branch's events document through the sync endpoint's
//! own path, as a secretary's device would write it; the code's secret seed
//! stays in the database, and the host's page asks for the current code.

use crate::storage::{EventSeed, Member, SharedStore, StoreError};
use crate::sync::{Peer, SyncError, SyncService};
use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc};
use rand::RngCore;
use std::sync::Arc;
use vanguard_shared::documents::edit::{put_event, EditError};
use vanguard_shared::documents::{DocId, EventEntry};
use vanguard_shared::event_code::{seed_from_bytes, CodeKey};
use vanguard_shared::ledger::Kind;
use vanguard_shared::sync::Replica;

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("只有本支部的书记或组织委员可以主持活动")]
    Forbidden,
    #[error("活动不存在或没有签到码")]
    UnknownEvent,
    #[error("签到尚未开始或已经结束")]
    NotOpen,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An event as a secretary enters it.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub kind: Kind,
    pub title: String,
    pub start: DateTime<FixedOffset>,
    pub end: Option<DateTime<FixedOffset>>,
    pub place: Option<String>,
    /// Members check in with a rotating code the host shows.
    pub with_code: bool,
}

/// The code the host's phone shows now, and until when.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShownCode {
    pub event_id: String,
    pub code: String,
    pub valid_until: DateTime<FixedOffset>,
}

/// Check-in opens this long before the start; a code-less end closes it
/// this long after.
const OPENS_BEFORE: i64 = 30;
const DEFAULT_LENGTH_HOURS: i64 = 3;
/// The device id the server's own writes use in the audit log.
const HOST_PEER: &str = "server-event-host";
/// Enough rounds for receiving the root and sending one change.
const MAX_ROUNDS: usize = 8;

fn hosts(member: &Member, branch_id: &str) -> bool {
    member.org_id == branch_id && crate::sync::access::officer(member)
}

pub struct EventHost {
    store: SharedStore,
    sync: Arc<SyncService>,
}

impl EventHost {
    pub fn new(store: SharedStore, sync: Arc<SyncService>) -> Self {
        EventHost { store, sync }
    }

    /// Creates an event in the host's branch; answers it as members will read it.
    pub async fn create(&self, host: &Member, draft: EventDraft) -> Result<EventEntry, EventError> {
        let branch = host.org_id.clone();
        if !hosts(host, &branch) {
            return Err(EventError::Forbidden);
        }
        let title = draft.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(EventError::Invalid("活动名称应为 1–200 字".into()));
        }
        if draft.end.is_some_and(|end| end < draft.start) {
            return Err(EventError::Invalid("结束时间不能早于开始时间".into()));
        }
        let event_id = uuid::Uuid::new_v4().to_string();
        let code_key = if draft.with_code {
            let mut bytes = [0u8; 8];
            rand::thread_rng().fill_bytes(&mut bytes);
            let seed = seed_from_bytes(bytes);
            let opens = draft.start - Duration::minutes(OPENS_BEFORE);
            let closes = draft
                .end
                .unwrap_or(draft.start + Duration::hours(DEFAULT_LENGTH_HOURS));
            let key = CodeKey::new(&event_id, seed, opens, closes).encode();
            // The seed first: a seed without its event is never shown, an
            // event without its seed could never be checked in to.
            self.store
                .put_event_seed(&EventSeed {
                    event_id: event_id.clone(),
                    branch_id: branch.clone(),
                    seed,
                    code_key: key.clone(),
                    created_at: crate::auth::now_secs(),
                })
                .await?;
            Some(key)
        } else {
            None
        };
        let event = EventEntry {
            event_id,
            kind: draft.kind,
            title,
            start: draft.start,
            end: draft.end,
            place: draft.place.filter(|p| !p.trim().is_empty()),
            geofence: None,
            code_key,
            cancelled: false,
        };
        let doc = DocId::events(&branch, draft.start.year());
        self.sync
            .ensure_documents(std::slice::from_ref(&doc))
            .await?;
        self.write_as_device(host, doc, |d| put_event(d, &event))
            .await?;
        Ok(event)
    }

    /// Receives the document, applies the edit, and sends it, through the
    /// same exchange and checks every client's sync goes through.
    async fn write_as_device(
        &self,
        member: &Member,
        doc: DocId,
        edit: impl FnOnce(&mut automerge::Automerge) -> Result<(), EditError>,
    ) -> Result<(), EventError> {
        let peer = Peer {
            member,
            peer_id: HOST_PEER,
        };
        let mut replica = Replica::empty(doc.clone());
        let name = doc.to_string();
        let mut edit = Some(edit);
        for _ in 0..MAX_ROUNDS {
            if replica.has_root() {
                if let Some(edit) = edit.take() {
                    edit(&mut replica.doc).map_err(|e| EventError::Invalid(e.to_string()))?;
                }
            }
            let body = replica.outgoing().unwrap_or_default();
            match self.sync.sync(&peer, &name, &body).await? {
                Some(reply) => replica
                    .incoming(&reply)
                    .map_err(|e| EventError::Invalid(e.to_string()))?,
                None if edit.is_none() => return Ok(()),
                None => replica.settled(),
            }
        }
        Err(EventError::Invalid("活动未能写入".into()))
    }

    /// The code the host shows now.
    pub async fn current_code(
        &self,
        viewer: &Member,
        event_id: &str,
    ) -> Result<ShownCode, EventError> {
        let seed = self
            .store
            .event_seed(event_id)
            .await?
            .ok_or(EventError::UnknownEvent)?;
        if !hosts(viewer, &seed.branch_id) {
            return Err(EventError::Forbidden);
        }
        let key = CodeKey::parse(&seed.code_key).map_err(|_| EventError::UnknownEvent)?;
        let now = Utc::now().fixed_offset();
        let code = key
            .code_at(event_id, seed.seed, now)
            .ok_or(EventError::NotOpen)?;
        let window_end = key.opens + (key.window_at(now) + 1) * key.window_secs;
        let valid_until = DateTime::from_timestamp(window_end, 0)
            .unwrap_or_default()
            .fixed_offset();
        Ok(ShownCode {
            event_id: event_id.to_string(),
            code,
            valid_until,
        })
    }
}
