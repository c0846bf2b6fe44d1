//! Organisations' published points rulebooks (`rulebooks`), one row per
//! version of a year, and the audit line of each publication.

use super::{classify, on_db, Pool, StoreError};

/// One published version of an organisation's rulebook for a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRulebook {
    pub org_id: String,
    pub year: i32,
    pub version: u32,
    /// The TOML as published.
    pub body: String,
    pub published_by: String,
    pub published_at: i64,
}

type Row = (String, i64, i64, String, String, i64);

fn stored((org_id, year, version, body, published_by, published_at): Row) -> StoredRulebook {
    StoredRulebook {
        org_id,
        year: year as i32,
        version: version as u32,
        body,
        published_by,
        published_at,
    }
}

const SELECT: &str =
    "SELECT org_id, CAST(year AS BIGINT), CAST(version AS BIGINT), body, published_by, published_at FROM rulebooks";

pub struct Rulebooks<'a> {
    pool: &'a Pool,
}

impl<'a> Rulebooks<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Rulebooks { pool }
    }

    /// The newest version each of `org_ids` published for `year`.
    pub async fn newest_of(
        &self,
        org_ids: &[&str],
        year: i32,
    ) -> Result<Vec<StoredRulebook>, StoreError> {
        let mut out = Vec::new();
        for org in org_ids {
            let sql =
                format!("{SELECT} WHERE org_id = $1 AND year = $2 ORDER BY version DESC LIMIT 1");
            let row: Option<Row> = on_db!(self.pool, p => {
                sqlx::query_as(&sql).bind(*org).bind(i64::from(year)).fetch_optional(p).await?
            });
            out.extend(row.map(stored));
        }
        Ok(out)
    }

    /// Which of `org_ids` published a rulebook for `year`.
    pub async fn owners_among(
        &self,
        org_ids: &[&str],
        year: i32,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in org_ids.chunks(500) {
            let sql = format!(
                "SELECT DISTINCT org_id FROM rulebooks WHERE year = $1 AND org_id IN ({})",
                super::marks(2, chunk.len())
            );
            let rows: Vec<(String,)> = on_db!(self.pool, p => {
                let mut q = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(out)
    }

    /// Every version an organisation published for `year`, newest first.
    pub async fn versions(
        &self,
        org_id: &str,
        year: i32,
    ) -> Result<Vec<StoredRulebook>, StoreError> {
        let sql = format!("{SELECT} WHERE org_id = $1 AND year = $2 ORDER BY version DESC");
        let rows: Vec<Row> = on_db!(self.pool, p => {
            sqlx::query_as(&sql).bind(org_id).bind(i64::from(year)).fetch_all(p).await?
        });
        Ok(rows.into_iter().map(stored).collect())
    }

    /// Stores the versions in order, each with its audit line, all or none:
    /// a version taken meanwhile (another officer published first) is a
    /// conflict and nothing is stored.
    pub async fn publish(&self, books: &[StoredRulebook], peer_id: &str) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            for b in books {
                sqlx::query(
                    "INSERT INTO rulebooks (org_id, year, version, body, published_by, published_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&b.org_id)
                .bind(i64::from(b.year))
                .bind(i64::from(b.version))
                .bind(&b.body)
                .bind(&b.published_by)
                .bind(b.published_at)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
                sqlx::query(
                    "INSERT INTO audit_log (at, member_id, peer_id, doc_id, change_hashes, action) \
                     VALUES ($1, $2, $3, $4, $5, 'rulebook_published')",
                )
                .bind(b.published_at)
                .bind(&b.published_by)
                .bind(peer_id)
                .bind(format!("rulebook:{}:{}", b.org_id, b.year))
                .bind(format!("published version {}", b.version))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
