//! The secret seeds of events' check-in codes (`event_code_seeds`), and the
//! events and attendance rows as materialized from the branches' events
//! documents.

use super::{marks, on_db, Pool, StoreError};
use chrono::DateTime;
use std::collections::HashMap;
use vanguard_shared::documents::{AttendanceEntry, EventEntry};
use vanguard_shared::geofence::Geofence;

/// The host's secret for one event's rotating check-in codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSeed {
    pub event_id: String,
    pub branch_id: String,
    pub seed: u64,
    pub code_key: String,
    pub created_at: i64,
}

/// An event with a check-in code, as the events table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEventRow {
    pub event_id: String,
    pub title: String,
    /// RFC 3339, as materialized.
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub place: Option<String>,
}

/// A branch event as materialized, with where it belongs.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub branch_id: String,
    pub year: i32,
    pub event: EventEntry,
}

const EVENT_SELECT: &str = "SELECT branch_id, year, event_id, kind, title, starts_at, ends_at, place, code_key, \
     cancelled, group_id, cancelled_by, cancelled_at, fence_lat, fence_lon, fence_radius_m FROM events";

type EventTuple = (
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// An event row read back into the entry it was materialized from.
fn event_row(t: EventTuple) -> Result<EventRow, StoreError> {
    let (branch_id, year, event_id, kind, title, starts_at, ends_at, place, code_key) =
        (t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8);
    let corrupt = |what: &str| StoreError::Corrupt(format!("event {event_id}: {what}"));
    let time = |text: &str| DateTime::parse_from_rfc3339(text).map_err(|_| corrupt("time"));
    let geofence = match (t.13, t.14, t.15) {
        (Some(lat), Some(lon), Some(radius_m)) => Some(Geofence { lat, lon, radius_m }),
        _ => None,
    };
    Ok(EventRow {
        year: i32::try_from(year).map_err(|_| corrupt("year"))?,
        event: EventEntry {
            kind: kind.parse().map_err(|_| corrupt("kind"))?,
            title,
            start: time(&starts_at)?,
            end: ends_at.as_deref().map(time).transpose()?,
            place,
            geofence,
            code_key,
            group_id: t.10,
            cancelled: t.9,
            cancelled_by: t.11,
            cancelled_at: t.12.as_deref().map(time).transpose()?,
            event_id: event_id.clone(),
        },
        branch_id,
    })
}

pub struct Events<'a> {
    pool: &'a Pool,
}

impl<'a> Events<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Events { pool }
    }

    /// Keeps the secret seed of an event's check-in codes.
    pub async fn put_seed(&self, seed: &EventSeed) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            // Seeds are 50-bit, so they fit a signed BIGINT on both backends.
            sqlx::query(
                "INSERT INTO event_code_seeds (event_id, branch_id, seed, code_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&seed.event_id)
            .bind(&seed.branch_id)
            .bind(seed.seed as i64)
            .bind(&seed.code_key)
            .bind(seed.created_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The public key of a re-timed event's codes: the same secret, a new window.
    pub async fn set_code_key(&self, event_id: &str, code_key: &str) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query("UPDATE event_code_seeds SET code_key = $1 WHERE event_id = $2")
                .bind(code_key)
                .bind(event_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn seed(&self, event_id: &str) -> Result<Option<EventSeed>, StoreError> {
        let row: Option<(String, String, i64, String, i64)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT event_id, branch_id, seed, code_key, created_at \
                 FROM event_code_seeds WHERE event_id = $1",
            )
            .bind(event_id)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(
            |(event_id, branch_id, seed, code_key, created_at)| EventSeed {
                event_id,
                branch_id,
                seed: seed as u64,
                code_key,
                created_at,
            },
        ))
    }

    /// The branch's events that have codes and are not cancelled, as
    /// materialized from its events documents.
    pub async fn with_codes(&self, branch_id: &str) -> Result<Vec<CodeEventRow>, StoreError> {
        type Row = (String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT e.event_id, e.title, e.starts_at, e.ends_at, e.place \
                 FROM events e JOIN event_code_seeds s ON s.event_id = e.event_id AND s.branch_id = e.branch_id \
                 WHERE e.branch_id = $1 AND e.cancelled = $2",
            )
            .bind(branch_id)
            .bind(false)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(event_id, title, starts_at, ends_at, place)| CodeEventRow {
                    event_id,
                    title,
                    starts_at,
                    ends_at,
                    place,
                },
            )
            .collect())
    }

    /// The check-in code keys of events of `branch_id` among `event_ids`.
    pub async fn code_keys(
        &self,
        branch_id: &str,
        event_ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut keys = HashMap::new();
        for chunk in event_ids.chunks(500) {
            let sql = format!(
                "SELECT event_id, code_key FROM events \
                 WHERE branch_id = $1 AND code_key IS NOT NULL AND event_id IN ({})",
                marks(2, chunk.len())
            );
            let rows: Vec<(String, String)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(branch_id);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            keys.extend(rows);
        }
        Ok(keys)
    }

    /// One event, by its id (an id names one event, in one branch).
    pub async fn event(&self, event_id: &str) -> Result<Option<EventRow>, StoreError> {
        let sql = format!("{EVENT_SELECT} WHERE event_id = $1");
        let row: Option<EventTuple> = on_db!(self.pool, p => {
            sqlx::query_as(&sql).bind(event_id).fetch_optional(p).await?
        });
        row.map(event_row).transpose()
    }

    /// A branch's events of one year, cancelled ones too, earliest first.
    pub async fn of_branch(&self, branch_id: &str, year: i32) -> Result<Vec<EventRow>, StoreError> {
        let sql = format!("{EVENT_SELECT} WHERE branch_id = $1 AND year = $2");
        let rows: Vec<EventTuple> = on_db!(self.pool, p => {
            sqlx::query_as(&sql).bind(branch_id).bind(i64::from(year)).fetch_all(p).await?
        });
        let mut events = rows
            .into_iter()
            .map(event_row)
            .collect::<Result<Vec<_>, _>>()?;
        events.sort_by_key(|e| e.event.start);
        Ok(events)
    }

    /// The attendance rows of one event of a branch.
    pub async fn attendance(
        &self,
        branch_id: &str,
        event_id: &str,
    ) -> Result<Vec<AttendanceEntry>, StoreError> {
        let sql = format!("{ATTENDANCE_SELECT} WHERE e.branch_id = $1 AND a.event_id = $2");
        let rows: Vec<AttendanceTuple> = on_db!(self.pool, p => {
            sqlx::query_as(&sql).bind(branch_id).bind(event_id).fetch_all(p).await?
        });
        rows.into_iter().map(attendance_row).collect()
    }

    /// A member's attendance rows of one year, at any event of the branch
    /// whose documents hold them.
    pub async fn attendance_of_member(
        &self,
        member_id: &str,
        year: i32,
    ) -> Result<Vec<AttendanceEntry>, StoreError> {
        let sql = format!("{ATTENDANCE_SELECT} WHERE a.member_id = $1 AND e.year = $2");
        let rows: Vec<AttendanceTuple> = on_db!(self.pool, p => {
            sqlx::query_as(&sql).bind(member_id).bind(i64::from(year)).fetch_all(p).await?
        });
        rows.into_iter().map(attendance_row).collect()
    }

    /// The attendance rows of one year of any of `member_ids`: a branch's
    /// ledger reads them together.
    pub async fn attendance_of_members(
        &self,
        member_ids: &[&str],
        year: i32,
    ) -> Result<Vec<AttendanceEntry>, StoreError> {
        let mut out = Vec::new();
        for chunk in member_ids.chunks(500) {
            let sql = format!(
                "{ATTENDANCE_SELECT} WHERE e.year = $1 AND a.member_id IN ({})",
                marks(2, chunk.len())
            );
            let rows: Vec<AttendanceTuple> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            for row in rows {
                out.push(attendance_row(row)?);
            }
        }
        Ok(out)
    }

    /// Which of `event_ids` belong to a branch other than `branch_id`: an
    /// event id names one event, in one branch.
    pub async fn owned_elsewhere(
        &self,
        branch_id: &str,
        event_ids: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for chunk in event_ids.chunks(500) {
            let list = marks(2, chunk.len());
            let sql = format!(
                "SELECT event_id FROM events WHERE branch_id <> $1 AND event_id IN ({list}) \
                 UNION SELECT event_id FROM event_code_seeds WHERE branch_id <> $1 AND event_id IN ({list})"
            );
            let rows: Vec<(String,)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(branch_id);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(p).await?
            });
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found)
    }
}

/// Attendance rows, with their events' branch and year to select by.
const ATTENDANCE_SELECT: &str =
    "SELECT a.event_id, a.member_id, a.outcome, a.leave, a.reason, a.reviewer, a.marked_at \
     FROM attendance a JOIN events e ON e.doc_id = a.doc_id AND e.event_id = a.event_id";

type AttendanceTuple = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// An attendance row read back into its entry.
fn attendance_row(
    (event_id, member_id, outcome, leave, reason, by, at): AttendanceTuple,
) -> Result<AttendanceEntry, StoreError> {
    let corrupt =
        |what: &str| StoreError::Corrupt(format!("attendance {event_id}/{member_id}: {what}"));
    Ok(AttendanceEntry {
        outcome: outcome.parse().map_err(|_| corrupt("outcome"))?,
        leave: leave
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| corrupt("leave"))?,
        reason,
        by,
        at: at
            .as_deref()
            .map(DateTime::parse_from_rfc3339)
            .transpose()
            .map_err(|_| corrupt("at"))?,
        event_id,
        member_id,
    })
}
