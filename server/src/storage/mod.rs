//! Persistence behind one trait, with one implementation per database.
//!
//! Both implementations run the same runtime SQL (written once in
//! [`sql_store`]) against their own migrations folder; nothing needs a live
//! database at build time.

mod doc_sql;
mod documents;
mod postgres;
mod sql_store;
mod sqlite;

pub use documents::{
    CommitWriter, DocHead, DocTx, NewDocument, PendingCommit, RecordRow, StoredDoc, SyncStateRow,
};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use std::sync::Arc;
use vanguard_shared::{MemberStatus, OrgKind, Role};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (a username taken, a sibling name twice).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unsupported database URL “{0}”: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value the code does not understand: a bug or a manual edit.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The process is shutting down: a background writer has stopped.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: String,
    pub parent_id: Option<String>,
    pub kind: OrgKind,
    pub name: String,
    pub time_zone: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub username: String,
    pub name: String,
    pub status: MemberStatus,
    /// The member's home unit: a branch, or a committee for a pure admin.
    pub org_id: String,
    pub group_id: Option<String>,
    pub roles: Vec<Role>,
    pub active: bool,
}

/// A member to create, with the password already hashed.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub member: Member,
    pub password_hash: String,
    pub created_at: i64,
}

/// What the login check needs and nothing more.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub member_id: String,
    pub password_hash: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub member_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[async_trait]
pub trait Store: DocumentStore + Send + Sync + 'static {
    /// Which backend, for logs.
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> Result<(), StoreError>;
    /// True when no organisation exists yet (a fresh install).
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// Creates organisations then members in one transaction: all or nothing.
    async fn insert_batch(
        &self,
        orgs: &[Organisation],
        members: &[NewMember],
    ) -> Result<(), StoreError>;
    async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError>;
    async fn organisations(&self) -> Result<Vec<Organisation>, StoreError>;
    /// An organisation and everything below it.
    async fn organisations_under(&self, org_id: &str) -> Result<Vec<Organisation>, StoreError>;

    async fn member(&self, id: &str) -> Result<Option<Member>, StoreError>;
    async fn member_by_username(&self, username: &str) -> Result<Option<Member>, StoreError>;
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;
    async fn password_hash(&self, member_id: &str) -> Result<Option<String>, StoreError>;
    /// Members whose home unit or group lies in the subtree rooted at `org_id`.
    async fn members_under(&self, org_id: &str) -> Result<Vec<Member>, StoreError>;
    /// Sets a new hash and ends the member's sessions, except `keep` (the
    /// session that made the change), in one transaction.
    async fn set_password(
        &self,
        member_id: &str,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError>;

    async fn insert_session(&self, session: &SessionRow) -> Result<(), StoreError>;
    /// Removes sessions that expired by `now`; answers how many.
    async fn purge_expired_sessions(&self, now: i64) -> Result<u64, StoreError>;
    /// The member of a live session; expired sessions answer `None`.
    async fn session_member(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Keeps the secret seed of an event's check-in codes.
    async fn put_event_seed(&self, seed: &EventSeed) -> Result<(), StoreError>;
    async fn event_seed(&self, event_id: &str) -> Result<Option<EventSeed>, StoreError>;
    /// The branch's events that have codes and are not cancelled, as
    /// materialized from its events documents.
    async fn code_events(&self, branch_id: &str) -> Result<Vec<CodeEventRow>, StoreError>;
}

/// The host's secret for one event's rotating check-in codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSeed {
    pub event_id: String,
    pub branch_id: String,
    pub seed: u64,
    pub code_key: String,
    pub created_at: i64,
}

/// An event with a check-in code, as the events table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEventRow {
    pub event_id: String,
    pub title: String,
    /// RFC 3339, as materialized.
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub place: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: i64,
    pub member_id: String,
    pub peer_id: String,
    pub change_hashes: Vec<String>,
}

/// Automerge documents and what is materialized from them.
#[async_trait]
pub trait DocumentStore: Send + Sync + 'static {
    /// Creates the documents that do not exist yet; existing ones are left as they are.
    async fn create_documents(&self, docs: &[NewDocument]) -> Result<(), StoreError>;
    /// Which of `ids` exist.
    async fn existing_documents(&self, ids: &[String]) -> Result<Vec<String>, StoreError>;
    async fn document_head(&self, id: &str) -> Result<Option<DocHead>, StoreError>;
    async fn changes_after(&self, id: &str, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError>;
    async fn load_document(&self, id: &str) -> Result<Option<StoredDoc>, StoreError>;
    /// Begins a transaction holding the document's write lock; `None` if
    /// there is no such document.
    async fn begin_document(&self, id: &str) -> Result<Option<Box<dyn DocTx>>, StoreError>;
    /// A connection of its own for the group committer, outside the pool:
    /// its transactions then never wait in line behind the requests' reads
    /// for a pooled connection, which on SQLite cost more than the writes.
    async fn commit_writer(&self) -> Result<Box<dyn CommitWriter>, StoreError>;
    async fn sync_state(
        &self,
        doc_id: &str,
        member_id: &str,
        peer_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores sync states, replacing older ones, in one transaction.
    async fn put_sync_states(&self, rows: &[SyncStateRow]) -> Result<(), StoreError>;
    /// Replaces the snapshot with one holding every change up to
    /// `through_seq`, and drops those changes. False when another process
    /// compacted first.
    async fn compact_document(
        &self,
        id: &str,
        through_seq: i64,
        snapshot: &[u8],
    ) -> Result<bool, StoreError>;
    async fn documents_to_compact(&self, min_changes: i64) -> Result<Vec<String>, StoreError>;
    async fn document_ids(&self) -> Result<Vec<String>, StoreError>;
    /// Replaces every materialized row of one document, in one transaction.
    async fn rematerialize(
        &self,
        id: &vanguard_shared::documents::DocId,
        entries: &[vanguard_shared::documents::Entry],
    ) -> Result<(), StoreError>;
    async fn member_records(
        &self,
        member_id: &str,
        year: i32,
    ) -> Result<Vec<RecordRow>, StoreError>;
    /// Every materialized row as text, sorted: for comparing a rebuild.
    async fn dump_materialized(&self) -> Result<Vec<String>, StoreError>;
    async fn audit_log(&self, doc_id: &str) -> Result<Vec<AuditRow>, StoreError>;
}

pub type SharedStore = Arc<dyn Store>;

/// Opens the database a URL names: `sqlite:PATH` (created if missing) or
/// `postgres://…`.
pub async fn open(url: &str) -> Result<SharedStore, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_string())
        }
        _ => StoreError::Database(err),
    }
}
