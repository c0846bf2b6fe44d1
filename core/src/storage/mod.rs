//! Persistence, cut by area. [`Store`] is one handle on the database, SQLite
//! or PostgreSQL; each area of the product reaches its tables through its own
//! narrow view of it (`store.accounts()`, `store.documents()`, …), and each
//! area's SQL lives in the file named for it:
//!
//! | area | file | tables |
//! |---|---|---|
//! | the organisation tree and its members | `accounts.rs` | organisations, members, member_roles |
//! | sign-in sessions | `sessions.rs` | sessions |
//! | events' check-in codes, events and attendance as read | `events.rs` | event_code_seeds, events, attendance (read) |
//! | Automerge documents, sync states, actors | `documents.rs` | documents, document_changes, sync_states, actors |
//! | the rows read out of documents | `materialize.rs` | records, reviews, adjustments, grades, events, attendance |
//! | the audit log | `audit.rs` | audit_log |
//! | read models for pages and the API | `reports.rs` | records joined with reviews, … |
//! | organisations' published points rulebooks | `rulebooks.rs` | rulebooks |
//! | the year-end evaluation: job side, overrides, locks, notices; the 六化 findings | `year_end.rs` | job_results, grade_overrides, evaluation_locks, evaluation_notices, branch_findings, member_vetoes |
//! | long exports in the background | `export_jobs.rs` | export_jobs |
//! | several processes on one PostgreSQL | `cluster.rs` | (advisory locks) |
//!
//! SQL both databases accept is written once: the [`on_db!`] dispatch runs
//! the same statement text and the same Rust on either backend's driver.
//! What differs per database is in `sqlite.rs`, `postgres.rs` and
//! `cluster.rs`. Times are Unix seconds in `INTEGER`/`BIGINT`.

mod accounts;
mod audit;
pub mod cluster;
mod commit;
mod documents;
mod events;
mod export_jobs;
mod logins;
mod materialize;
mod migrations;
mod postgres;
mod reports;
mod rulebooks;
mod sessions;
mod sqlite;
mod year_end;

pub use accounts::{Accounts, Credentials, Member, NewMember, Organisation};
pub use audit::{Audit, AuditEvent, AuditFilter, AuditLine, AuditRow, EDIT_DEVICE};
pub use commit::{PendingCommit, Verdicts};
pub use documents::{
    CommitWriter, DocHead, DocTx, Documents, NewDocument, StoredDoc, SyncStateRow,
};
pub use events::{CodeEventRow, EventRow, EventSeed, Events};
pub use export_jobs::{ExportJobRow, ExportJobs};
pub use logins::{Attempts, Logins};
pub use materialize::Materialized;
pub use reports::{RecordPlace, RecordRow, Reports};
pub use rulebooks::{Rulebooks, StoredRulebook};
pub use sessions::{SessionRow, Sessions};
pub use year_end::{FindingRow, JobRow, LockRow, NoticeRow, OverrideRow, VetoRow, YearEnd};

use sqlx::{PgPool, SqlitePool};

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

/// One value per backend: a pool, a connection, a transaction. The code that
/// uses it is written once and compiled for each (see [`on_db!`]).
#[derive(Clone)]
pub enum Db<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Runs the same code on whichever backend `$target` holds: `$c` is the
/// backend's own pool, connection or transaction, and `$db` names its
/// `sqlx::Database` type for the few places inference needs it.
macro_rules! on_db {
    ($target:expr, $c:ident => $body:expr) => {
        match $target {
            $crate::storage::Db::Sqlite($c) => $body,
            $crate::storage::Db::Postgres($c) => $body,
        }
    };
    ($target:expr, $c:ident, $db:ident => $body:expr) => {
        match $target {
            $crate::storage::Db::Sqlite($c) => {
                #[allow(dead_code)]
                type $db = sqlx::Sqlite;
                $body
            }
            $crate::storage::Db::Postgres($c) => {
                #[allow(dead_code)]
                type $db = sqlx::Postgres;
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// A connection (or transaction) of either backend, borrowed for a few
/// statements.
pub type Conn<'c> = Db<&'c mut sqlx::SqliteConnection, &'c mut sqlx::PgConnection>;

/// A pool of either backend.
pub type Pool = Db<SqlitePool, PgPool>;

/// The database behind every service: a pool of either backend. Cheap to
/// clone; every clone shares the pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite's one writer queue (`documents::WriterQueue`).
    writers: documents::WriterQueue,
}

/// Opens the database a URL names: `sqlite:PATH` (created if missing) or
/// `postgres://…`.
pub async fn open(url: &str) -> Result<Store, StoreError> {
    let pool = if url.starts_with("sqlite:") {
        Db::Sqlite(sqlite::connect(url).await?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Db::Postgres(postgres::connect(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    };
    let writers = documents::WriterQueue::for_pool(&pool);
    Ok(Store { pool, writers })
}

impl Store {
    /// Which backend, for logs.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Db::Postgres(_))
    }

    /// Brings the schema up to date: each backend has its own folder of
    /// migrations, embedded at build time.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::run(&self.pool).await
    }

    pub fn accounts(&self) -> Accounts<'_> {
        Accounts::new(&self.pool)
    }

    pub fn logins(&self) -> Logins<'_> {
        Logins::new(&self.pool)
    }

    pub fn sessions(&self) -> Sessions<'_> {
        Sessions::new(&self.pool)
    }

    pub fn events(&self) -> Events<'_> {
        Events::new(&self.pool)
    }

    pub fn documents(&self) -> Documents<'_> {
        Documents::new(&self.pool, &self.writers)
    }

    pub fn materialized(&self) -> Materialized<'_> {
        Materialized::new(&self.pool)
    }

    pub fn audit(&self) -> Audit<'_> {
        Audit::new(&self.pool)
    }

    pub fn rulebooks(&self) -> Rulebooks<'_> {
        Rulebooks::new(&self.pool)
    }

    pub fn reports(&self) -> Reports<'_> {
        Reports::new(&self.pool)
    }

    pub fn export_jobs(&self) -> ExportJobs<'_> {
        ExportJobs::new(&self.pool)
    }

    pub fn year_end(&self) -> YearEnd<'_> {
        YearEnd::new(&self.pool)
    }

    pub fn cluster(&self) -> cluster::Cluster<'_> {
        cluster::Cluster::new(&self.pool)
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

/// `$first, $first+1, …` for `n` values: the placeholders of an `IN (…)`
/// list, the same text on both backends.
pub(crate) fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per multi-row statement: SQLite allows 32,766 bound values in one
/// statement and PostgreSQL 65,535, so a row of up to 15 values stays far
/// below both whatever a document holds.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;
