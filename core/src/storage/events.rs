//! The secret seeds of events' check-in codes (`event_code_seeds`), and the
//! events with codes as materialized from the branches' events documents.

use super::{on_db, Pool, StoreError};
use std::collections::HashMap;

/// `$first, $first+1, …` for `n` values.
fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
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

pub struct Events<'a> {
    pool: &'a Pool,
}

impl<'a> Events<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Events { pool }
    }

    /// Keeps the secret seed of an event's check-in codes.
    pub async fn put_seed(&self, seed: &EventSeed) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            // Seeds are 50-bit, so they fit a signed BIGINT on both backends.
            sqlx::query(
                "INSERT INTO event_code_seeds (event_id, branch_id, seed, code_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&seed.event_id)
            .bind(&seed.branch_id)
            .bind(seed.seed as i64)
            .bind(&seed.code_key)
            .bind(seed.created_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    pub async fn seed(&self, event_id: &str) -> Result<Option<EventSeed>, StoreError> {
        let row: Option<(String, String, i64, String, i64)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT event_id, branch_id, seed, code_key, created_at \
                 FROM event_code_seeds WHERE event_id = $1",
            )
            .bind(event_id)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(
            |(event_id, branch_id, seed, code_key, created_at)| EventSeed {
                event_id,
                branch_id,
                seed: seed as u64,
                code_key,
                created_at,
            },
        ))
    }

    /// The branch's events that have codes and are not cancelled, as
    /// materialized from its events documents.
    pub async fn with_codes(&self, branch_id: &str) -> Result<Vec<CodeEventRow>, StoreError> {
        type Row = (String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT e.event_id, e.title, e.starts_at, e.ends_at, e.place \
                 FROM events e JOIN event_code_seeds s ON s.event_id = e.event_id AND s.branch_id = e.branch_id \
                 WHERE e.branch_id = $1 AND e.cancelled = $2",
            )
            .bind(branch_id)
            .bind(false)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(event_id, title, starts_at, ends_at, place)| CodeEventRow {
                    event_id,
                    title,
                    starts_at,
                    ends_at,
                    place,
                },
            )
            .collect())
    }

    /// The check-in code keys of events of `branch_id` among `event_ids`.
    pub async fn code_keys(
        &self,
        branch_id: &str,
        event_ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut keys = HashMap::new();
        for chunk in event_ids.chunks(500) {
            let sql = format!(
                "SELECT event_id, code_key FROM events \
                 WHERE branch_id = $1 AND code_key IS NOT NULL AND event_id IN ({})",
                marks(2, chunk.len())
            );
            let rows: Vec<(String, String)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(branch_id);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            keys.extend(rows);
        }
        Ok(keys)
    }

    /// Which of `event_ids` belong to a branch other than `branch_id`: an
    /// event id names one event, in one branch.
    pub async fn owned_elsewhere(
        &self,
        branch_id: &str,
        event_ids: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for chunk in event_ids.chunks(500) {
            let list = marks(2, chunk.len());
            let sql = format!(
                "SELECT event_id FROM events WHERE branch_id <> $1 AND event_id IN ({list}) \
                 UNION SELECT event_id FROM event_code_seeds WHERE branch_id <> $1 AND event_id IN ({list})"
            );
            let rows: Vec<(String,)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(branch_id);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found)
    }
}
