//! The deployment for a county or a province: one PostgreSQL shared by
//! several server processes. What only PostgreSQL needs here is opening the
//! pool; coordination between processes is in `cluster.rs`.

use super::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub(super) const BEGIN_WRITE: &str = "BEGIN";

pub(super) const WRITER_SETUP: &[&str] = &[];

pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    Ok(PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?)
}
