//! Read models for the pages and the API, each one query over the
//! materialized tables: a member's records with their reviews.

use super::{on_db, Pool, StoreError};
use std::collections::HashMap;

/// One materialized record with its review, as the records API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub record_id: String,
    pub kind: String,
    pub occurred_at: String,
    pub event_id: Option<String>,
    pub hours: Option<f64>,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub note: Option<String>,
    pub code: Option<String>,
    pub withdrawn: bool,
    /// The record's version (`CheckinRecord::version`) and the server's
    /// verdict on its code, as materialized.
    pub version: Option<String>,
    pub code_verdict: Option<String>,
    pub review_status: Option<String>,
    pub review_reason: Option<String>,
    pub reviewer: Option<String>,
    /// The version of the record the review was made on.
    pub review_version: Option<String>,
}

pub struct Reports<'a> {
    pool: &'a Pool,
}

impl<'a> Reports<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Reports { pool }
    }

    /// A member's records of one year with their reviews, oldest first.
    pub async fn member_records(
        &self,
        member_id: &str,
        year: i32,
    ) -> Result<Vec<RecordRow>, StoreError> {
        use sqlx::Row;
        let rows = on_db!(self.pool, p => {
            let mut out = Vec::new();
            let rows = sqlx::query(
                "SELECT r.record_id, r.kind, r.occurred_at, r.event_id, r.hours, r.place, r.lat, r.lon, r.note, r.code, r.withdrawn, \
                 r.version, r.code_verdict, v.status, v.reason, v.reviewer, v.record_version \
                 FROM records r LEFT JOIN reviews v ON v.member_id = r.member_id AND v.year = r.year AND v.record_id = r.record_id \
                 WHERE r.member_id = $1 AND r.year = $2 ORDER BY r.occurred_ts, r.record_id",
            )
            .bind(member_id)
            .bind(i64::from(year))
            .fetch_all(p)
            .await?;
            for row in rows {
                out.push(RecordRow {
                    record_id: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    occurred_at: row.try_get(2)?,
                    event_id: row.try_get(3)?,
                    hours: row.try_get(4)?,
                    place: row.try_get(5)?,
                    lat: row.try_get(6)?,
                    lon: row.try_get(7)?,
                    note: row.try_get(8)?,
                    code: row.try_get(9)?,
                    withdrawn: row.try_get(10)?,
                    version: row.try_get(11)?,
                    code_verdict: row.try_get(12)?,
                    review_status: row.try_get(13)?,
                    review_reason: row.try_get(14)?,
                    reviewer: row.try_get(15)?,
                    review_version: row.try_get(16)?,
                });
            }
            out
        });
        Ok(rows)
    }

    /// The versions of a member's records among `record_ids`, for checking
    /// that a decision names a record that exists, as it now is.
    pub async fn record_versions(
        &self,
        member_id: &str,
        year: i32,
        record_ids: &[&str],
    ) -> Result<HashMap<String, Option<String>>, StoreError> {
        let mut found = HashMap::new();
        for chunk in record_ids.chunks(500) {
            let marks = (3..3 + chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT record_id, version FROM records WHERE member_id = $1 AND year = $2 AND record_id IN ({marks})"
            );
            let rows: Vec<(String, Option<String>)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(member_id).bind(i64::from(year));
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            found.extend(rows);
        }
        Ok(found)
    }
}
