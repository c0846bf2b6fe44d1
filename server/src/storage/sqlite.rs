//! The embedded default: one SQLite file, one branch, one box.

use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            // WAL lets readers go on while one writer commits.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }
}

super::sql_store::sql_store!(SqliteStore, sqlx::Sqlite, "sqlite", "./migrations/sqlite");

// BEGIN IMMEDIATE takes the write lock at once: a deferred transaction that
// reads, then writes, can fail with SQLITE_BUSY instead of waiting.
super::doc_sql::doc_store!(
    SqliteStore,
    sqlx::Sqlite,
    SqliteDocTx,
    "BEGIN IMMEDIATE",
    "SELECT seq, snapshot_seq FROM documents WHERE id = $1"
);
