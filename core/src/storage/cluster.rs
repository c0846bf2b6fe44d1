//! What several server processes on one PostgreSQL need to agree on, and a
//! single SQLite process does not: which process runs a background job
//! that one process is enough for. On SQLite every answer is "this one".

use super::{Db, Pool, StoreError};

/// Background jobs that one process at a time is enough for.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    /// The periodic sweep for documents with many changes since their snapshot.
    CompactionSweep,
}

impl Job {
    /// The advisory lock key: fixed numbers, so every process uses the same.
    fn key(self) -> i64 {
        match self {
            Job::CompactionSweep => 0x7661_6e67_0001,
        }
    }
}

pub struct Cluster<'a> {
    pool: &'a Pool,
}

/// Held while a process runs a job. On PostgreSQL it is an open
/// transaction holding a transaction-level advisory lock, so however the
/// job ends (dropped, failed, the process killed) the lock goes with it.
pub struct Lead {
    _tx: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
}

impl<'a> Cluster<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Cluster { pool }
    }

    /// Takes the job if no other process is running it; `None` if one is.
    pub async fn try_lead(&self, job: Job) -> Result<Option<Lead>, StoreError> {
        match self.pool {
            Db::Sqlite(_) => Ok(Some(Lead { _tx: None })),
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
                    .bind(job.key())
                    .fetch_one(&mut *tx)
                    .await?;
                Ok(taken.then_some(Lead { _tx: Some(tx) }))
            }
        }
    }
}
