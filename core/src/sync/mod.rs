//! The document gate: every write to a document, a phone's synced change or
//! the server's own edit on a secretary's behalf, is authorized, validated
//! against the schema, committed with its materialized rows and its audit
//! line, and only then becomes the document others read (docs/sync.md).
//!
//! One sync request is one Automerge sync message for one document (or a
//! batch of them). [`SyncService::sync`] only decides which path serves it:
//!
//! | file | job |
//! |---|---|
//! | `request.rs` | decoding a request, the peer's stored state |
//! | `read.rs` | a message without changes, answered with no write lock |
//! | `hot_write.rs` | changes applied to the cached document, stored by the group committer |
//! | `locked_write.rs` | everything else, under the document's lock |
//! | `edit.rs` | the server's own edits, through the same checks and commit |
//! | `actors.rs` | which member each Automerge actor belongs to |
//! | `access.rs` | who may read and write which document |
//! | `hot.rs`, `states.rs`, `committer.rs`, `compaction.rs`, `rebuild.rs` | the cache, sync states, group commit, compaction, rebuild |

pub mod access;
mod actors;
pub mod committer;
pub mod compaction;
mod edit;
pub mod hot;
mod hot_write;
mod locked_write;
mod read;
pub mod rebuild;
mod request;
pub mod states;

use crate::storage::{Member, NewDocument, PendingCommit, Store, StoreError};
use hot::Slot;
use request::Request;
use std::collections::BTreeSet;
use tokio::sync::mpsc;
use vanguard_shared::documents::{create_root, DocId, EditError, SchemaError};
use vanguard_shared::sync::batch;
use vanguard_shared::sync::exchange::{Applied, ExchangeError};

pub use edit::EDIT_DEVICE;
pub use request::PeerKey;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("文档不存在")]
    UnknownDocument,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Schema(#[from] SchemaError),
    /// A server-side edit could not be made (an entry it names is missing).
    #[error("{0}")]
    Edit(#[from] EditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ExchangeError> for SyncError {
    fn from(err: ExchangeError) -> Self {
        match err {
            ExchangeError::Malformed(m) => SyncError::Malformed(format!("不是有效的同步消息：{m}")),
            ExchangeError::Schema(e) => SyncError::Schema(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Documents kept in memory.
    pub hot_capacity: usize,
    /// Stored changes after which a document is compacted.
    pub compact_after: i64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            body_limit: 4 * 1024 * 1024,
            hot_capacity: 4096,
            compact_after: 32,
        }
    }
}

/// Who is syncing, from which device.
pub struct Peer<'a> {
    pub member: &'a Member,
    /// The client's device id: 1–64 of `[A-Za-z0-9_-]`.
    pub peer_id: &'a str,
}

/// The server's answer to one message: its next message, or `None` when
/// the client is up to date (HTTP 204).
pub type Reply = Option<Vec<u8>>;

pub struct SyncService {
    store: Store,
    hot: hot::HotDocs,
    committer: committer::Committer,
    actors: actors::ActorBook,
    config: SyncConfig,
    compactor: mpsc::UnboundedSender<String>,
    states: std::sync::Arc<states::SyncStates>,
}

/// What an accepted message or edit stores.
fn pending(
    id: &DocId,
    member_id: &str,
    device: &str,
    expected_seq: i64,
    applied: Applied,
) -> PendingCommit {
    PendingCommit {
        id: id.clone(),
        expected_seq,
        member_id: member_id.to_string(),
        peer_id: device.to_string(),
        change: applied.change_bytes(),
        change_hashes: applied
            .changes
            .iter()
            .map(|c| c.hash().to_string())
            .collect(),
        entries: applied.entries,
        at: now(),
    }
}

fn now() -> i64 {
    crate::auth::now_secs()
}

impl SyncService {
    /// The service and the receiving end of its compaction queue, which
    /// `compaction::run` drains.
    pub fn new(store: Store, config: SyncConfig) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (compactor, queue) = mpsc::unbounded_channel();
        let service = SyncService {
            hot: hot::HotDocs::new(config.hot_capacity),
            committer: committer::Committer::start(store.clone()),
            states: states::SyncStates::start(store.clone()),
            actors: actors::ActorBook::default(),
            store,
            config,
            compactor,
        };
        (service, queue)
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn slot(&self, id: &str) -> Slot {
        self.hot.slot(id)
    }

    /// Creates the roots of documents that do not exist yet. Every process
    /// creates byte-identical roots, so a race is harmless.
    pub async fn ensure_documents(&self, ids: &[DocId]) -> Result<(), StoreError> {
        let names: Vec<String> = ids.iter().map(DocId::to_string).collect();
        let existing: BTreeSet<String> = self
            .store
            .documents()
            .existing(&names)
            .await?
            .into_iter()
            .collect();
        let at = now();
        let missing: Vec<NewDocument> = ids
            .iter()
            .filter(|id| !existing.contains(&id.to_string()))
            .map(|id| NewDocument {
                id: id.clone(),
                snapshot: create_root(id).save(),
                at,
            })
            .collect();
        if !missing.is_empty() {
            self.store.documents().create(&missing).await?;
        }
        Ok(())
    }

    /// One sync message for one document: the read path for a message
    /// without changes, the hot write when the cached copy and the actors
    /// allow it, the locked write otherwise (and whenever the hot write
    /// must be redone).
    pub async fn sync(
        &self,
        peer: &Peer<'_>,
        doc_id: &str,
        body: &[u8],
    ) -> Result<Reply, SyncError> {
        let id: DocId = doc_id.parse().map_err(|_| SyncError::UnknownDocument)?;
        let name = id.to_string();
        // Decoded first to know whether this writes; a bad body is reported
        // after the document and access checks.
        let decoded = request::decode(body);
        let writes = request::writes(&decoded);
        let slot = self.slot(&name);
        let mut hot = slot.lock().await;
        // A write to a cached document needs no head now: it is read under
        // the lock. A read must see what other processes stored.
        let head = match writes && hot.is_some() {
            true => None,
            false => Some(
                self.store
                    .documents()
                    .head(&name)
                    .await?
                    .ok_or(SyncError::UnknownDocument)?,
            ),
        };
        let access = access::access(&self.store, peer.member, &id)
            .await?
            .ok_or_else(|| SyncError::Forbidden("无权访问此文档".into()))?;
        let message = decoded?;
        let request = Request::new(self, id, name, peer, &hot).await?;
        if let (false, Some(head)) = (writes, head) {
            return self.read(&mut hot, head, request, message).await;
        }
        if let Some(message) = message.as_ref().filter(|_| writes) {
            if self.may_write_hot(&hot, access, message, peer.member) {
                if let hot_write::HotOutcome::Answered(reply) =
                    self.write_hot(&mut hot, &request, message).await?
                {
                    return Ok(reply);
                }
            }
        }
        self.write_locked(&mut hot, access, request, message).await
    }

    /// Keeps a peer's new sync state with the cached document, and has it
    /// stored (`states`) when it differs from the one it replaces.
    fn keep_state(&self, request: &Request<'_, '_>, doc: &mut hot::HotDoc, state: Vec<u8>) {
        if request.stored_state.as_deref() != Some(state.as_slice()) {
            self.states
                .put(&request.name, &request.key, state.clone(), now());
        }
        doc.states.insert(request.key.clone(), state);
    }

    /// Has the document compacted by the background task.
    fn compact_soon(&self, name: &str) {
        // The queue outlives requests; a closed one means shutdown.
        let _ = self.compactor.send(name.to_string());
    }

    /// A batch: each document is synced on its own, so one refused message
    /// does not hold back the others. A database failure ends the batch.
    pub async fn sync_batch(
        &self,
        peer: &Peer<'_>,
        body: &[u8],
    ) -> Result<Vec<(String, Result<Reply, SyncError>)>, SyncError> {
        let messages =
            batch::decode_request(body).map_err(|e| SyncError::Malformed(e.to_string()))?;
        let mut results = Vec::with_capacity(messages.len());
        for (doc_id, message) in messages {
            match self.sync(peer, &doc_id, &message).await {
                Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
                result => results.push((doc_id, result)),
            }
        }
        Ok(results)
    }
}
