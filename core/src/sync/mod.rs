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
//! | `limits.rs` | what a message may carry, checked before any work on it |
//! | `integrity.rs` | what the server decides and never takes from a client |
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
pub mod integrity;
pub mod limits;
mod locked_write;
mod read;
pub mod rebuild;
mod request;
pub mod states;

use crate::rate::{Limiter, Rate};
use crate::storage::{Member, NewDocument, PendingCommit, Store, StoreError, Verdicts};
use hot::Slot;
use limits::{Checked, LimitError, MessageLimits};
use request::Request;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use vanguard_shared::documents::{create_root, DocId, EditError, SchemaError};
use vanguard_shared::sync::batch;
use vanguard_shared::sync::exchange::{Applied, ExchangeError};

pub use edit::EDIT_DEVICE;
pub use states::PeerKey;

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
    /// A message beyond what one may carry (`limits`).
    #[error("{0}")]
    Limit(#[from] LimitError),
    /// A batch, or what the document would grow to, beyond its bound.
    #[error("{0}")]
    TooLarge(String),
    /// Too many requests from this member or address for now.
    #[error("同步过于频繁，请 {} 秒后再试", .0.as_secs())]
    Throttled(Duration),
    /// This batch's answer is full: the document follows in the next round.
    #[error("本次同步的应答已满，其余文档请继续同步")]
    Busy,
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

/// Devices' sync states a cached document keeps in memory.
const MAX_HOT_STATES: usize = 512;

/// How much sync accepts, and how often (docs/sync.md, "Limits").
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Documents kept in memory.
    pub hot_capacity: usize,
    /// Stored changes after which a document is compacted.
    pub compact_after: i64,
    /// What one message may carry.
    pub message: MessageLimits,
    /// Documents in one batch request.
    pub max_frames: usize,
    /// Bytes of one batch's answer; documents past it are answered 503 and
    /// follow in the client's next round.
    pub max_answer_bytes: usize,
    /// Bytes one document may take in storage.
    pub document_quota: u64,
    /// Records one member's document may hold in a year (docs/sync.md,
    /// "Limits"): the busiest real member writes a few hundred.
    pub records_per_year: usize,
    /// Sync requests per member, and per address.
    pub rate_per_member: Rate,
    pub rate_per_address: Rate,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            body_limit: 4 * 1024 * 1024,
            hot_capacity: 4096,
            compact_after: 32,
            message: MessageLimits::default(),
            // A secretary's device keeps two documents per member of a
            // branch of a few hundred.
            max_frames: 1024,
            max_answer_bytes: 16 * 1024 * 1024,
            // A member-year of 1,000 records is under 100 KiB compacted.
            document_quota: 16 * 1024 * 1024,
            records_per_year: 2000,
            // 120 a minute after a burst of 240: a phone polls once a
            // minute and after each check-in.
            rate_per_member: Rate {
                burst: 240.0,
                per_second: 2.0,
            },
            // 6,000 a minute after a burst of 3,000: a branch office's
            // members may share one address.
            rate_per_address: Rate {
                burst: 3000.0,
                per_second: 100.0,
            },
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

/// The answers to a batch: each document's id with its own answer.
pub type BatchReply = Vec<(String, Result<Reply, SyncError>)>;

pub struct SyncService {
    store: Store,
    hot: hot::HotDocs,
    committer: committer::Committer,
    actors: actors::ActorBook,
    config: SyncConfig,
    compactor: mpsc::UnboundedSender<String>,
    states: std::sync::Arc<states::SyncStates>,
    by_member: Limiter<String>,
    by_address: Limiter<IpAddr>,
}

/// What an accepted message or edit stores.
fn pending(
    id: &DocId,
    member_id: &str,
    device: &str,
    expected_seq: i64,
    applied: Applied,
    verdicts: Verdicts,
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
        verdicts,
        at: now(),
        note: None,
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
            by_member: Limiter::new(config.rate_per_member),
            by_address: Limiter::new(config.rate_per_address),
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

    /// Lets one sync request in, or says how long this member or address
    /// must wait: before the body is even read.
    pub fn admit(&self, member_id: &str, address: IpAddr) -> Result<(), SyncError> {
        let now = Instant::now();
        self.by_member
            .take(&member_id.to_string(), now)
            .and_then(|()| self.by_address.take(&address, now))
            .map_err(SyncError::Throttled)
    }

    /// One sync message for one document: the read path for a message
    /// without changes, the hot write when the cached copy and the actors
    /// allow it, the locked write otherwise (and whenever the hot write
    /// must be redone). The message's limits are checked on its own bytes
    /// before any of them.
    #[tracing::instrument(level = "debug", skip_all, fields(caller = %peer.member.id, device = %peer.peer_id, doc_id = %doc_id))]
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
        if !writes {
            // A read always has its head (above).
            let head = head.ok_or(SyncError::UnknownDocument)?;
            return self.read(&mut hot, head, request, message).await;
        }
        // A write is a message with changes.
        let Some(message) = message else {
            return Err(SyncError::Malformed("同步消息为空".into()));
        };
        let checked = limits::check(message.changes.iter(), &self.config.message)?;
        if self.may_write_hot(&hot, access, &message, peer.member) {
            if let Some(doc) = hot.as_ref() {
                self.fits(doc, &checked)?;
            }
            if let hot_write::HotOutcome::Answered(reply) =
                self.write_hot(&mut hot, &request, &message).await?
            {
                return Ok(reply);
            }
        }
        self.write_locked(&mut hot, access, request, message, &checked)
            .await
    }

    /// Whether a checked message fits the document it is for: no object
    /// nested too deep, and the document within its quota.
    fn fits(&self, doc: &hot::HotDoc, checked: &Checked) -> Result<(), SyncError> {
        limits::check_new(&doc.doc, checked, &self.config.message)?;
        limits::check_depth(&doc.doc, checked, &self.config.message)?;
        if doc.bytes + checked.bytes > self.config.document_quota {
            return Err(SyncError::TooLarge(format!(
                "文档已达存储上限（{} MiB），不能再写入",
                self.config.document_quota / (1024 * 1024)
            )));
        }
        Ok(())
    }

    /// Keeps a peer's new sync state with the cached document, and has it
    /// stored (`states`) when it differs from the one it replaces.
    fn keep_state(&self, request: &Request<'_, '_>, doc: &mut hot::HotDoc, state: Vec<u8>) {
        if request.stored_state.as_deref() != Some(state.as_slice()) {
            self.states
                .put(&request.name, &request.key, state.clone(), now());
        }
        // A cached document keeps a bounded number of devices' states in
        // memory; the others are read back from storage when they return.
        if doc.states.len() >= MAX_HOT_STATES && !doc.states.contains_key(&request.key) {
            doc.states.clear();
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
    /// At most `max_frames` documents (counted before anything is allocated
    /// for them), and answers up to `max_answer_bytes`: the documents past
    /// that are answered `Busy` and come in the client's next round.
    #[tracing::instrument(level = "debug", skip_all, fields(caller = %peer.member.id, device = %peer.peer_id))]
    pub async fn sync_batch(&self, peer: &Peer<'_>, body: &[u8]) -> Result<BatchReply, SyncError> {
        let malformed = |e: batch::FrameError| SyncError::Malformed(e.to_string());
        let max = self.config.max_frames;
        if batch::count_request(body, max).map_err(malformed)? > max {
            return Err(SyncError::TooLarge(format!("一次同步最多 {max} 个文档")));
        }
        let messages = batch::decode_request(body).map_err(malformed)?;
        let mut answered = 0usize;
        let mut results = Vec::with_capacity(messages.len());
        for (doc_id, message) in messages {
            if answered >= self.config.max_answer_bytes {
                results.push((doc_id, Err(SyncError::Busy)));
                continue;
            }
            match self.sync(peer, &doc_id, &message).await {
                Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
                result => {
                    answered += match &result {
                        Ok(Some(reply)) => reply.len(),
                        _ => 0,
                    };
                    results.push((doc_id, result));
                }
            }
        }
        Ok(results)
    }
}
