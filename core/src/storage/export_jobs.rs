//! Long exports (`export_jobs`): a job's progress, and its file once done.

use super::{on_db, Pool, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJobRow {
    pub id: String,
    pub owner: String,
    pub title: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub file_name: Option<String>,
    pub message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

type JobTuple = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

pub struct ExportJobs<'a> {
    pool: &'a Pool,
}

impl<'a> ExportJobs<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        ExportJobs { pool }
    }

    pub async fn create(&self, job: &ExportJobRow) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "INSERT INTO export_jobs (id, owner, title, state, done, total, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&job.id)
            .bind(&job.owner)
            .bind(&job.title)
            .bind(&job.state)
            .bind(job.done)
            .bind(job.total)
            .bind(job.created_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    pub async fn progress(&self, id: &str, done: i64, at: i64) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query("UPDATE export_jobs SET done = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(done)
                .bind(at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn finish(
        &self,
        id: &str,
        file_name: &str,
        file: &[u8],
        at: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "UPDATE export_jobs SET state = 'done', done = total, file_name = $2, file = $3, \
                 updated_at = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(file_name)
            .bind(file)
            .bind(at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    pub async fn fail(&self, id: &str, message: &str, at: i64) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "UPDATE export_jobs SET state = 'failed', message = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(message)
            .bind(at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<ExportJobRow>, StoreError> {
        let row: Option<JobTuple> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT id, owner, title, state, CAST(done AS BIGINT), CAST(total AS BIGINT), \
                 file_name, message, created_at, updated_at FROM export_jobs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(
            |(id, owner, title, state, done, total, file_name, message, created_at, updated_at)| {
                ExportJobRow {
                    id,
                    owner,
                    title,
                    state,
                    done,
                    total,
                    file_name,
                    message,
                    created_at,
                    updated_at,
                }
            },
        ))
    }

    pub async fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Option<Vec<u8>>,)> = on_db!(self.pool, p => {
            sqlx::query_as("SELECT file FROM export_jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.and_then(|(f,)| f))
    }

    /// Forgets finished jobs older than `before`: files are kept a day.
    pub async fn forget_before(&self, before: i64) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query("DELETE FROM export_jobs WHERE created_at < $1")
                .bind(before)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
