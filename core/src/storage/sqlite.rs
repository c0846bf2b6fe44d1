//! The embedded default: one SQLite file, one branch, one box. What only
//! SQLite needs: opening the file, and checkpoints kept off the writer.

use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// BEGIN IMMEDIATE takes the write lock at once: a deferred transaction that
/// reads, then writes, can fail with SQLITE_BUSY instead of waiting.
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The group committer's connection never checkpoints: `checkpoints` does,
/// beside it.
pub(super) const WRITER_SETUP: &[&str] = &["PRAGMA wal_autocheckpoint = 0"];

pub(super) async fn connect(url: &str) -> Result<SqlitePool, StoreError> {
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
    tokio::spawn(checkpoints(pool.clone()));
    Ok(pool)
}

/// Copies the write-ahead log into the database twice a second, on a
/// connection of the pool. The group committer's connection has automatic
/// checkpoints turned off: otherwise every few hundred commits one of its
/// commits would also copy the log and wait for the disk, and every sync
/// waiting for that group would wait with it. A passive checkpoint never
/// blocks the writer; the readers' own automatic checkpoints remain as a
/// fallback.
async fn checkpoints(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!("checkpoint failed: {e}");
        }
    }
}
