//! Read models for the pages and the API, each one query over the
//! materialized tables: records with their reviews, of a member, of the
//! members a reviewer looks after, or naming one event.

use super::{marks, on_db, Pool, StoreError};
use sqlx::Row;
use std::collections::HashMap;
use vanguard_shared::documents::DecisionStatus;
use vanguard_shared::review::Judged;

/// One materialized record with its review, as the records API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub record_id: String,
    pub kind: String,
    pub occurred_at: String,
    /// `occurred_at` as Unix seconds, for ordering.
    pub occurred_ts: i64,
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
    pub reviewed_at: Option<String>,
    /// The standing decision replaced another reviewer's different one.
    pub conflict_by: Option<String>,
    pub conflict_status: Option<String>,
    /// What the reviewer saw of the record (`review::Judged` as JSON).
    pub seen: Option<String>,
}

impl RecordRow {
    /// What a reviewer judges of it as it now is.
    pub fn judged(&self) -> Judged {
        Judged {
            kind: self.kind.clone(),
            occurred_at: self.occurred_at.clone(),
            event_id: self.event_id.clone(),
            hours: self.hours,
            place: self.place.clone(),
            note: self.note.clone(),
        }
    }

    /// A decision made on an earlier version, which no longer stands.
    pub fn superseded_decision(&self) -> Option<DecisionStatus> {
        match (&self.review_version, &self.version) {
            (Some(decided), Some(now)) if decided != now => self
                .review_status
                .as_deref()
                .and_then(DecisionStatus::parse),
            _ => None,
        }
    }

    /// The decision on the record as it now is: one made on an earlier
    /// version no longer stands, and the record awaits review again.
    pub fn standing_decision(&self) -> Option<(DecisionStatus, Option<&str>)> {
        let stands = match (&self.review_version, &self.version) {
            (Some(decided), Some(now)) => decided == now,
            _ => true,
        };
        self.review_status
            .as_deref()
            .and_then(DecisionStatus::parse)
            .filter(|_| stands)
            .map(|status| (status, self.review_reason.as_deref()))
    }
}

/// Where a record is, for deciding on it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPlace {
    pub year: i32,
    pub version: Option<String>,
    pub withdrawn: bool,
    /// The decision that stands on it as it now is: its status and reviewer.
    pub decision: Option<(DecisionStatus, Option<String>)>,
    /// What a reviewer deciding it now sees.
    pub judged: Judged,
}

const RECORD_SELECT: &str = "SELECT r.member_id, r.occurred_ts, r.record_id, r.kind, r.occurred_at, r.event_id, r.hours, \
     r.place, r.lat, r.lon, r.note, r.code, r.withdrawn, r.version, r.code_verdict, v.status, v.reason, v.reviewer, \
     v.record_version, v.reviewed_at, v.conflict_by, v.conflict_status, v.seen \
     FROM records r LEFT JOIN reviews v ON v.member_id = r.member_id AND v.year = r.year AND v.record_id = r.record_id";
const RECORD_ORDER: &str = "ORDER BY r.occurred_ts, r.record_id";

/// A row of [`RECORD_SELECT`]: the member and the record. A macro, so one
/// text serves both backends' row types.
macro_rules! record_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<_, sqlx::Error>((
            row.try_get::<String, _>(0)?,
            RecordRow {
                occurred_ts: row.try_get(1)?,
                record_id: row.try_get(2)?,
                kind: row.try_get(3)?,
                occurred_at: row.try_get(4)?,
                event_id: row.try_get(5)?,
                hours: row.try_get(6)?,
                place: row.try_get(7)?,
                lat: row.try_get(8)?,
                lon: row.try_get(9)?,
                note: row.try_get(10)?,
                code: row.try_get(11)?,
                withdrawn: row.try_get(12)?,
                version: row.try_get(13)?,
                code_verdict: row.try_get(14)?,
                review_status: row.try_get(15)?,
                review_reason: row.try_get(16)?,
                reviewer: row.try_get(17)?,
                review_version: row.try_get(18)?,
                reviewed_at: row.try_get(19)?,
                conflict_by: row.try_get(20)?,
                conflict_status: row.try_get(21)?,
                seen: row.try_get(22)?,
            },
        ))
    }};
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
        let sql = format!("{RECORD_SELECT} WHERE r.member_id = $1 AND r.year = $2 {RECORD_ORDER}");
        let rows = on_db!(self.pool, p => {
            let mut out = Vec::new();
            for row in sqlx::query(&sql).bind(member_id).bind(i64::from(year)).fetch_all(p).await? {
                out.push(record_row!(&row)?.1);
            }
            out
        });
        Ok(rows)
    }

    /// The records of one year of any of `member_ids`, each with its
    /// member, oldest first: what a reviewer's queue is made from.
    pub async fn records_of_members(
        &self,
        member_ids: &[&str],
        year: i32,
    ) -> Result<Vec<(String, RecordRow)>, StoreError> {
        let mut out = Vec::new();
        for chunk in member_ids.chunks(500) {
            let sql = format!(
                "{RECORD_SELECT} WHERE r.year = $1 AND r.member_id IN ({}) {RECORD_ORDER}",
                marks(2, chunk.len())
            );
            on_db!(self.pool, p => {
                let mut query = sqlx::query(&sql).bind(i64::from(year));
                for id in chunk {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(p).await? {
                    out.push(record_row!(&row)?);
                }
            });
        }
        // Stable: records of one second keep their order by id.
        out.sort_by_key(|(_, r)| r.occurred_ts);
        Ok(out)
    }

    /// Every member's records naming one event: check-ins and leave
    /// requests, the evidence of its attendance sheet.
    pub async fn records_at_event(
        &self,
        event_id: &str,
        year: i32,
    ) -> Result<Vec<(String, RecordRow)>, StoreError> {
        let sql = format!("{RECORD_SELECT} WHERE r.event_id = $1 AND r.year = $2 {RECORD_ORDER}");
        let rows = on_db!(self.pool, p => {
            let mut out = Vec::new();
            for row in sqlx::query(&sql).bind(event_id).bind(i64::from(year)).fetch_all(p).await? {
                out.push(record_row!(&row)?);
            }
            out
        });
        Ok(rows)
    }

    /// Where each of `record_ids` of a member is: its year, version and
    /// whether it is withdrawn. Absent ids are not the member's.
    pub async fn locate_records(
        &self,
        member_id: &str,
        record_ids: &[&str],
    ) -> Result<HashMap<String, RecordPlace>, StoreError> {
        let mut found = HashMap::new();
        for chunk in record_ids.chunks(500) {
            let sql = format!(
                "SELECT r.record_id, r.year, r.version, r.withdrawn, v.status, v.reviewer, v.record_version, \
                 r.kind, r.occurred_at, r.event_id, r.hours, r.place, r.note \
                 FROM records r LEFT JOIN reviews v ON v.member_id = r.member_id AND v.year = r.year AND v.record_id = r.record_id \
                 WHERE r.member_id = $1 AND r.record_id IN ({})",
                marks(2, chunk.len())
            );
            type Row = (
                String,
                i64,
                Option<String>,
                bool,
                Option<String>,
                Option<String>,
                Option<String>,
                String,
                String,
                Option<String>,
                Option<f64>,
                Option<String>,
                Option<String>,
            );
            let rows: Vec<Row> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(member_id);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            for (
                record_id,
                year,
                version,
                withdrawn,
                status,
                reviewer,
                decided,
                kind,
                occurred_at,
                event_id,
                hours,
                place,
                note,
            ) in rows
            {
                let year = i32::try_from(year)
                    .map_err(|_| StoreError::Corrupt(format!("record {record_id} year {year}")))?;
                let stands = decided.is_none() || decided == version;
                let decision = status
                    .as_deref()
                    .and_then(DecisionStatus::parse)
                    .filter(|_| stands)
                    .map(|s| (s, reviewer));
                found.insert(
                    record_id,
                    RecordPlace {
                        year,
                        version,
                        withdrawn,
                        decision,
                        judged: Judged {
                            kind,
                            occurred_at,
                            event_id,
                            hours,
                            place,
                            note,
                        },
                    },
                );
            }
        }
        Ok(found)
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
