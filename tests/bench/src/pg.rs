//! A scratch PostgreSQL database for one benchmark run, dropped after it
//! (`VANGUARD_BENCH_PG` names the server, as the tests' own do).

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A database made for the run.
pub struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Result<(PgDatabase, String), BoxError> {
        use sqlx::Connection;
        let admin = std::env::var("VANGUARD_BENCH_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("vanguard_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin.clone());
        let url = format!("{base}/{name}");
        Ok((PgDatabase { admin, name }, url))
    }

    pub async fn drop(self) -> Result<(), BoxError> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

/// Runs `bench` on each backend `BENCH_DB` names (both by default): a
/// fresh SQLite file, or a fresh PostgreSQL database dropped after it.
pub async fn each_backend<F, Fut>(bench: F) -> Result<(), BoxError>
where
    F: Fn(String, &'static str) -> Fut,
    Fut: std::future::Future<Output = Result<(), BoxError>>,
{
    let backends = std::env::var("BENCH_DB").unwrap_or_else(|_| "sqlite,postgres".into());
    for backend in backends.split(',') {
        match backend.trim() {
            "sqlite" => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite:{}", dir.path().join("bench.db").display());
                bench(url, "SQLite").await?;
            }
            "postgres" => {
                let (db, url) = PgDatabase::create().await?;
                let result = bench(url, "PostgreSQL").await;
                db.drop().await?;
                result?;
            }
            other => return Err(format!("BENCH_DB: unknown backend {other}").into()),
        }
    }
    Ok(())
}
