//! Sign-in attempts shared by every process on one PostgreSQL
//! (`login_attempts`): each attempt locks its keys' rows, lets the caller
//! decide from their counts whether it may go on, and counts it if so, in
//! one transaction, so N processes give an attacker no more than one does.
//! On SQLite (one process) the in-memory counters are the whole story and
//! this stores nothing.

use super::{on_db, Pool, StoreError};
use std::collections::HashMap;

pub struct Logins<'a> {
    pool: &'a Pool,
}

/// A key's count and the time of its last counted attempt (Unix
/// milliseconds).
pub type Attempts = HashMap<String, (u32, i64)>;

impl<'a> Logins<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Logins { pool }
    }

    /// Whether this store is shared by several processes.
    pub fn shared(&self) -> bool {
        matches!(self.pool, super::Db::Postgres(_))
    }

    /// Counts one attempt on `keys` (forgetting counts last touched before
    /// `forget_before`) if `admit`, shown the current counts, allows it;
    /// answers `admit`'s verdict. Locks the rows in key order: no deadlock.
    pub async fn attempt<E>(
        &self,
        keys: &[String],
        now: i64,
        forget_before: i64,
        admit: impl Fn(&Attempts) -> Result<(), E>,
    ) -> Result<Result<(), E>, StoreError> {
        let super::Db::Postgres(p) = self.pool else {
            return Ok(Ok(()));
        };
        let mut sorted = keys.to_vec();
        sorted.sort();
        let mut tx = p.begin().await?;
        sqlx::query("DELETE FROM login_attempts WHERE last_at < $1")
            .bind(forget_before)
            .execute(&mut *tx)
            .await?;
        for key in &sorted {
            sqlx::query(
                "INSERT INTO login_attempts (key, count, last_at) VALUES ($1, 0, 0) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .execute(&mut *tx)
            .await?;
        }
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT key, count, last_at FROM login_attempts WHERE key = ANY($1) ORDER BY key FOR UPDATE",
        )
        .bind(sorted.as_slice())
        .fetch_all(&mut *tx)
        .await?;
        let seen: Attempts = rows
            .into_iter()
            .map(|(k, c, at)| (k, (u32::try_from(c).unwrap_or(0), at)))
            .collect();
        if let Err(wait) = admit(&seen) {
            tx.rollback().await?;
            return Ok(Err(wait));
        }
        sqlx::query(
            "UPDATE login_attempts SET count = count + 1, last_at = $2 WHERE key = ANY($1)",
        )
        .bind(sorted.as_slice())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// A right password: its pair forgotten, one attempt of the address's
    /// taken back.
    pub async fn succeeded(&self, pair: &str, address: &str) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query("DELETE FROM login_attempts WHERE key = $1")
                .bind(pair)
                .execute(p)
                .await?;
            sqlx::query("UPDATE login_attempts SET count = count - 1 WHERE key = $1 AND count > 0")
                .bind(address)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
