//! Read models for the pages and the API, each one query over the
//! materialized tables: a member's records with their reviews.

use super::{on_db, Pool, StoreError};

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
    pub review_status: Option<String>,
    pub review_reason: Option<String>,
    pub reviewer: Option<String>,
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
                 v.status, v.reason, v.reviewer \
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
                    review_status: row.try_get(11)?,
                    review_reason: row.try_get(12)?,
                    reviewer: row.try_get(13)?,
                });
            }
            out
        });
        Ok(rows)
    }
}
