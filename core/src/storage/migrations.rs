//! The schema, one folder of migrations per backend, embedded in the binary
//! so that neither the build nor the server needs the files (and the build
//! needs no sqlx macros, whose own copy of both drivers doubled sqlx's
//! compile time). Same versions, descriptions and checksums as sqlx's
//! `migrate!` gives, so databases migrated before stay valid.

use super::{Db, Pool, StoreError};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::future::Future;
use std::pin::Pin;

/// `(version, description, sql)`, in order.
type Files = &'static [(i64, &'static str, &'static str)];

const SQLITE: Files = &[
    (
        1,
        "accounts",
        include_str!("../../migrations/sqlite/0001_accounts.sql"),
    ),
    (
        2,
        "documents",
        include_str!("../../migrations/sqlite/0002_documents.sql"),
    ),
    (
        3,
        "event codes",
        include_str!("../../migrations/sqlite/0003_event_codes.sql"),
    ),
    (
        4,
        "integrity",
        include_str!("../../migrations/sqlite/0004_integrity.sql"),
    ),
    (
        5,
        "console",
        include_str!("../../migrations/sqlite/0005_console.sql"),
    ),
    (
        6,
        "rulebooks",
        include_str!("../../migrations/sqlite/0006_rulebooks.sql"),
    ),
    (
        7,
        "audit",
        include_str!("../../migrations/sqlite/0007_audit.sql"),
    ),
    (
        8,
        "year end",
        include_str!("../../migrations/sqlite/0008_year_end.sql"),
    ),
    (
        9,
        "vouching",
        include_str!("../../migrations/sqlite/0009_vouching.sql"),
    ),
    (
        10,
        "seen",
        include_str!("../../migrations/sqlite/0010_seen.sql"),
    ),
];

const POSTGRES: Files = &[
    (
        1,
        "accounts",
        include_str!("../../migrations/postgres/0001_accounts.sql"),
    ),
    (
        2,
        "documents",
        include_str!("../../migrations/postgres/0002_documents.sql"),
    ),
    (
        3,
        "event codes",
        include_str!("../../migrations/postgres/0003_event_codes.sql"),
    ),
    (
        4,
        "integrity",
        include_str!("../../migrations/postgres/0004_integrity.sql"),
    ),
    (
        5,
        "console",
        include_str!("../../migrations/postgres/0005_console.sql"),
    ),
    (
        6,
        "rulebooks",
        include_str!("../../migrations/postgres/0006_rulebooks.sql"),
    ),
    (
        7,
        "audit",
        include_str!("../../migrations/postgres/0007_audit.sql"),
    ),
    (
        8,
        "year end",
        include_str!("../../migrations/postgres/0008_year_end.sql"),
    ),
    (
        9,
        "vouching",
        include_str!("../../migrations/postgres/0009_vouching.sql"),
    ),
    (
        10,
        "seen",
        include_str!("../../migrations/postgres/0010_seen.sql"),
    ),
];

#[derive(Debug)]
struct Embedded(Files);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    (*sql).into(),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

pub(super) async fn run(pool: &Pool) -> Result<(), StoreError> {
    match pool {
        Db::Sqlite(p) => Migrator::new(Embedded(SQLITE)).await?.run(p).await?,
        Db::Postgres(p) => Migrator::new(Embedded(POSTGRES)).await?.run(p).await?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions_in_order() {
        let versions = |files: Files| files.iter().map(|(v, d, _)| (*v, *d)).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        assert!(SQLITE.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
