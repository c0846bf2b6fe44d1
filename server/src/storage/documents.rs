//! What the store keeps of each Automerge document, and the locked
//! transaction a writer holds while it applies a change.

use super::StoreError;
use async_trait::async_trait;
use vanguard_shared::documents::{DocId, Entry};

/// A document to create: its id and its root, saved.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: DocId,
    pub snapshot: Vec<u8>,
    pub at: i64,
}

/// Where a document's stored history stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocHead {
    /// The sequence number of the last stored change (0: only the snapshot).
    pub seq: i64,
    /// The snapshot includes every change up to here.
    pub snapshot_seq: i64,
}

/// A document as stored: the compacted save plus the changes after it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub head: DocHead,
    pub snapshot: Vec<u8>,
    /// `(seq, incremental save)`, in order.
    pub changes: Vec<(i64, Vec<u8>)>,
}

/// Everything one accepted message writes, all or nothing: the change
/// (stored as `expected_seq + 1`), the audit line and the materialized
/// rows. It is stored only if the document is still at `expected_seq`, so a
/// writer in another process that got there first is never overwritten.
#[derive(Debug, Clone)]
pub struct PendingCommit {
    pub id: DocId,
    pub expected_seq: i64,
    pub member_id: String,
    pub peer_id: String,
    pub change: Vec<u8>,
    pub change_hashes: Vec<String>,
    pub entries: Vec<Entry>,
    pub at: i64,
}

/// One peer's sync state for one document (`sync::states`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStateRow {
    pub doc_id: String,
    pub member_id: String,
    pub peer_id: String,
    pub state: Vec<u8>,
    pub at: i64,
}

/// A transaction holding the write lock of one document (a row lock on
/// PostgreSQL, the database's write lock on SQLite). Dropping it rolls back.
#[async_trait]
pub trait DocTx: Send {
    fn head(&self) -> DocHead;
    /// Changes stored after `seq`, in order.
    async fn changes_after(&mut self, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError>;
    async fn load(&mut self) -> Result<StoredDoc, StoreError>;
    /// The member each actor is bound to (`None` inside: the server);
    /// actors never seen are absent.
    async fn actor_owners(
        &mut self,
        actors: &[String],
    ) -> Result<Vec<(String, Option<String>)>, StoreError>;
    /// Stores `commit` with the actors it binds for the first time.
    async fn commit(
        self: Box<Self>,
        commit: &PendingCommit,
        new_actors: &[String],
    ) -> Result<(), StoreError>;
}

/// The group committer's connection (`DocumentStore::commit_writer`).
#[async_trait]
pub trait CommitWriter: Send {
    /// Commits several accepted messages in one transaction, each only if
    /// its document is still at the expected sequence number. Answers, per
    /// commit, whether it was stored; one that was not left no trace.
    async fn commit_many(&mut self, commits: &[PendingCommit]) -> Result<Vec<bool>, StoreError>;
}

/// One materialized record with its review, as the records API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub record_id: String,
    pub kind: String,
    pub occurred_at: String,
    pub event_id: Option<String>,
    pub hours: Option<f64>,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub note: Option<String>,
    pub code: Option<String>,
    pub withdrawn: bool,
    pub review_status: Option<String>,
    pub review_reason: Option<String>,
    pub reviewer: Option<String>,
}
