//! The deployment for a county or a province: one PostgreSQL shared by
//! several server processes.

use super::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }
}

super::sql_store::sql_store!(PgStore, sqlx::Postgres, "postgres", "./migrations/postgres");

// The row lock serializes writers of one document across processes.
super::doc_sql::doc_store!(
    PgStore,
    sqlx::Postgres,
    PgDocTx,
    PgCommitWriter,
    [] as [&str; 0],
    "BEGIN",
    "SELECT seq, snapshot_seq FROM documents WHERE id = $1 FOR UPDATE"
);
