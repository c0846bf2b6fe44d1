//! Sign-in sessions (`sessions`) and the devices members signed in from
//! (`known_devices`): only a token's hash is stored.

use super::{on_db, Pool, StoreError};

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub member_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub struct Sessions<'a> {
    pool: &'a Pool,
}

impl<'a> Sessions<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Sessions { pool }
    }

    pub async fn insert(&self, s: &SessionRow) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&s.token_hash)
            .bind(&s.member_id)
            .bind(s.created_at)
            .bind(s.expires_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Removes sessions that expired by `now`; answers how many.
    pub async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        let done = on_db!(self.pool, p => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    /// The member of a live session of an active member; expired sessions
    /// answer `None`.
    pub async fn member_of(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(String, bool)>, StoreError> {
        let row: Option<(String, bool)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT s.member_id, m.must_change_password FROM sessions s JOIN members m ON m.id = s.member_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.active = $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(true)
            .fetch_optional(p)
            .await?
        });
        Ok(row)
    }

    /// Remembers a device its member signed in from (`known_devices`).
    pub async fn remember_device(
        &self,
        device_hash: &str,
        member_id: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "INSERT INTO known_devices (device_hash, member_id, first_seen) VALUES ($1, $2, $3) \
                 ON CONFLICT (device_hash) DO NOTHING",
            )
            .bind(device_hash)
            .bind(member_id)
            .bind(at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The member a device belongs to, if it is known.
    pub async fn device_member(&self, device_hash: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_db!(self.pool, p => {
            sqlx::query_as("SELECT member_id FROM known_devices WHERE device_hash = $1")
                .bind(device_hash)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(id,)| id))
    }

    pub async fn delete(&self, token_hash: &str) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
