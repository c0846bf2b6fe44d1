//! The secret seeds of events' check-in codes (`event_code_seeds`), and the
//! events with codes as materialized from the branches' events documents.

use super::{on_db, Pool, StoreError};

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
                 FROM events e JOIN event_code_seeds s ON s.event_id = e.event_id \
                 WHERE s.branch_id = $1 AND e.cancelled = $2",
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
}
