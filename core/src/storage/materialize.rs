//! The relational rows read out of the documents, one function per table:
//! `records` (checkins), `reviews`, `adjustments`, `grades` (reviews),
//! `events`, `attendance` (events). Every write is an upsert of whole rows,
//! in statements of bounded size, so an entry written again replaces its row
//! and a document of any size materializes. `rebuild` replaces every row of
//! one document from its entries.

use super::commit::{PendingCommit, Verdicts};
use super::{on_db, Conn, Db, Pool, StoreError, ROWS_PER_STATEMENT};
use sqlx::Row;
use std::collections::HashMap;
use std::hash::Hash;
use vanguard_shared::documents::schema::{AdjustmentEntry, AttendanceEntry, GradeEntry};
use vanguard_shared::documents::{CheckinRecord, Decision, DocId, Entry, EventEntry};
use vanguard_shared::event_code::CodeVerdict;

/// A record's verdict: the one computed for it, or what it is without an
/// event's key to check against.
fn verdict_of(verdicts: &Verdicts, r: &CheckinRecord) -> CodeVerdict {
    verdicts.get(&r.record_id).copied().unwrap_or_else(|| {
        CodeVerdict::of(
            r.code.as_deref(),
            r.event_id.as_deref(),
            None,
            r.occurred_at,
        )
    })
}

/// Every materialized table, with the columns that identify a row and the
/// rest, for the rebuild comparison.
const TABLES: &[(&str, &str)] = &[
    ("records", "doc_id, record_id, member_id, year, kind, occurred_at, occurred_ts, event_id, hours, place, lat, lon, note, code, withdrawn, version, code_verdict"),
    ("reviews", "doc_id, record_id, member_id, year, status, reason, reviewer, reviewed_at, record_version, conflict_by, conflict_status, seen"),
    ("adjustments", "doc_id, adjustment_id, member_id, year, points, reason, section, side, reviewer"),
    ("grades", "doc_id, member_id, year, proposal, override_grade, reason, reviewer"),
    ("events", "doc_id, event_id, branch_id, year, kind, title, starts_at, ends_at, place, code_key, cancelled, group_id, cancelled_by, cancelled_at, fence_lat, fence_lon, fence_radius_m"),
    ("attendance", "doc_id, event_id, member_id, outcome, reason, reviewer, leave, marked_at"),
];

/// Keeps the last of items with equal keys, in order: a multi-row upsert
/// may not name one row twice (PostgreSQL refuses it).
fn last_by_key<T, K: Eq + Hash>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut last = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    items
        .into_iter()
        .enumerate()
        .filter(|(i, item)| last.get(&key(item)) == Some(i))
        .map(|(_, item)| item)
        .collect()
}

/// The entries of one document, sorted by table.
#[derive(Default)]
struct ByTable<'e> {
    records: Vec<&'e CheckinRecord>,
    decisions: Vec<&'e Decision>,
    adjustments: Vec<&'e AdjustmentEntry>,
    grade: Option<&'e GradeEntry>,
    events: Vec<&'e EventEntry>,
    attendance: Vec<(&'e str, &'e [AttendanceEntry])>,
}

impl<'e> ByTable<'e> {
    fn of(entries: &'e [Entry]) -> Self {
        let mut t = ByTable::default();
        for entry in entries {
            match entry {
                Entry::Record(r) => t.records.push(r),
                Entry::Decision(d) => t.decisions.push(d),
                Entry::Adjustment(a) => t.adjustments.push(a),
                Entry::Grade(g) => t.grade = Some(g),
                Entry::Event(e) => t.events.push(e),
                Entry::Attendance { event_id, rows } => t.attendance.push((event_id, rows)),
            }
        }
        t
    }
}

/// The rows of every accepted commit, in the committer's transaction.
/// Records of all commits go in shared statements: they are most of what
/// phones send.
pub(super) async fn commits(
    mut conn: Conn<'_>,
    commits: &[&PendingCommit],
) -> Result<(), StoreError> {
    let records: Vec<(&DocId, &CheckinRecord, CodeVerdict)> = commits
        .iter()
        .flat_map(|c| {
            c.entries.iter().filter_map(move |e| match e {
                Entry::Record(r) => Some((&c.id, r, verdict_of(&c.verdicts, r))),
                _ => None,
            })
        })
        .collect();
    self::records(conn.reborrow(), records).await?;
    for c in commits {
        others(conn.reborrow(), &c.id, ByTable::of(&c.entries)).await?;
    }
    Ok(())
}

/// Every table but records, for one document.
async fn others(mut conn: Conn<'_>, id: &DocId, t: ByTable<'_>) -> Result<(), StoreError> {
    reviews(conn.reborrow(), id, t.decisions).await?;
    adjustments(conn.reborrow(), id, t.adjustments).await?;
    if let Some(g) = t.grade {
        grades(conn.reborrow(), id, g).await?;
    }
    events(conn.reborrow(), id, t.events).await?;
    for (event_id, rows) in t.attendance {
        attendance(conn.reborrow(), id, event_id, rows).await?;
    }
    Ok(())
}

/// `records`: upserts, from any number of documents, each with its version
/// and the server's verdict on its code.
async fn records(
    mut conn: Conn<'_>,
    rows: Vec<(&DocId, &CheckinRecord, CodeVerdict)>,
) -> Result<(), StoreError> {
    let rows = last_by_key(rows, |(id, r, _)| (id.to_string(), r.record_id.clone()));
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        on_db!(&mut conn, c, DB => {
            let mut q = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO records (doc_id, record_id, member_id, year, kind, occurred_at, occurred_ts, event_id, hours, place, lat, lon, note, code, withdrawn, version, code_verdict) ",
            );
            q.push_values(chunk, |mut row, (id, r, verdict)| {
                row.push_bind(id.to_string())
                    .push_bind(r.record_id.as_str())
                    .push_bind(id.owner.as_str())
                    .push_bind(i64::from(id.year))
                    .push_bind(r.kind.as_str())
                    .push_bind(r.occurred_at.to_rfc3339())
                    .push_bind(r.occurred_at.timestamp())
                    .push_bind(r.event_id.as_deref())
                    .push_bind(r.hours)
                    .push_bind(r.place.as_deref())
                    .push_bind(r.lat)
                    .push_bind(r.lon)
                    .push_bind(r.note.as_deref())
                    .push_bind(r.code.as_deref())
                    .push_bind(r.withdrawn)
                    .push_bind(r.version())
                    .push_bind(verdict.as_str());
            });
            q.push(
                " ON CONFLICT (doc_id, record_id) DO UPDATE SET kind = excluded.kind, occurred_at = excluded.occurred_at, \
                 occurred_ts = excluded.occurred_ts, event_id = excluded.event_id, hours = excluded.hours, place = excluded.place, \
                 lat = excluded.lat, lon = excluded.lon, note = excluded.note, code = excluded.code, withdrawn = excluded.withdrawn, \
                 version = excluded.version, code_verdict = excluded.code_verdict",
            );
            q.build().execute(&mut **c).await?;
        });
    }
    Ok(())
}

/// `reviews`: the decisions of one member's reviews document.
async fn reviews(
    mut conn: Conn<'_>,
    id: &DocId,
    decisions: Vec<&Decision>,
) -> Result<(), StoreError> {
    let decisions = last_by_key(decisions, |d| d.record_id.clone());
    let doc_id = id.to_string();
    for chunk in decisions.chunks(ROWS_PER_STATEMENT) {
        on_db!(&mut conn, c, DB => {
            let mut q = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO reviews (doc_id, record_id, member_id, year, status, reason, reviewer, reviewed_at, record_version, conflict_by, conflict_status, seen) ",
            );
            q.push_values(chunk, |mut row, d| {
                row.push_bind(doc_id.as_str())
                    .push_bind(d.record_id.as_str())
                    .push_bind(id.owner.as_str())
                    .push_bind(i64::from(id.year))
                    .push_bind(d.status.as_str())
                    .push_bind(d.reason.as_deref())
                    .push_bind(d.by.as_deref())
                    .push_bind(d.at.map(|t| t.to_rfc3339()))
                    .push_bind(d.version.as_deref())
                    .push_bind(d.conflict.as_ref().map(|(by, _)| by.as_str()))
                    .push_bind(d.conflict.as_ref().map(|(_, status)| status.as_str()))
                    .push_bind(d.seen.as_deref());
            });
            q.push(
                " ON CONFLICT (doc_id, record_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
                 reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at, record_version = excluded.record_version, \
                 conflict_by = excluded.conflict_by, conflict_status = excluded.conflict_status, seen = excluded.seen",
            );
            q.build().execute(&mut **c).await?;
        });
    }
    Ok(())
}

/// `adjustments`: a member's manual adjustments, each with its reason.
async fn adjustments(
    mut conn: Conn<'_>,
    id: &DocId,
    items: Vec<&AdjustmentEntry>,
) -> Result<(), StoreError> {
    let items = last_by_key(items, |a| a.adjustment_id.clone());
    let doc_id = id.to_string();
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        on_db!(&mut conn, c, DB => {
            let mut q = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO adjustments (doc_id, adjustment_id, member_id, year, points, reason, section, side, reviewer) ",
            );
            q.push_values(chunk, |mut row, a| {
                row.push_bind(doc_id.as_str())
                    .push_bind(a.adjustment_id.as_str())
                    .push_bind(id.owner.as_str())
                    .push_bind(i64::from(id.year))
                    .push_bind(a.points)
                    .push_bind(a.reason.as_str())
                    .push_bind(a.section.as_str())
                    .push_bind(a.side.as_str())
                    .push_bind(a.by.as_deref());
            });
            q.push(
                " ON CONFLICT (doc_id, adjustment_id) DO UPDATE SET points = excluded.points, reason = excluded.reason, \
                 section = excluded.section, side = excluded.side, reviewer = excluded.reviewer",
            );
            q.build().execute(&mut **c).await?;
        });
    }
    Ok(())
}

/// `grades`: the member's year-end proposal and override, one row.
async fn grades(conn: Conn<'_>, id: &DocId, g: &GradeEntry) -> Result<(), StoreError> {
    on_db!(conn, c => {
        sqlx::query(
            "INSERT INTO grades (doc_id, member_id, year, proposal, override_grade, reason, reviewer) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (doc_id) DO UPDATE SET proposal = excluded.proposal, override_grade = excluded.override_grade, \
             reason = excluded.reason, reviewer = excluded.reviewer",
        )
        .bind(id.to_string())
        .bind(&id.owner)
        .bind(i64::from(id.year))
        .bind(g.proposal.map(|g| g.as_str()))
        .bind(g.override_grade.map(|g| g.as_str()))
        .bind(&g.reason)
        .bind(&g.by)
        .execute(c)
        .await?;
    });
    Ok(())
}

/// `events`: a branch's events of the year.
async fn events(mut conn: Conn<'_>, id: &DocId, items: Vec<&EventEntry>) -> Result<(), StoreError> {
    let items = last_by_key(items, |e| e.event_id.clone());
    let doc_id = id.to_string();
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        on_db!(&mut conn, c, DB => {
            let mut q = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO events (doc_id, event_id, branch_id, year, kind, title, starts_at, ends_at, place, code_key, cancelled, group_id, cancelled_by, cancelled_at, fence_lat, fence_lon, fence_radius_m) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(doc_id.as_str())
                    .push_bind(e.event_id.as_str())
                    .push_bind(id.owner.as_str())
                    .push_bind(i64::from(id.year))
                    .push_bind(e.kind.as_str())
                    .push_bind(e.title.as_str())
                    .push_bind(e.start.to_rfc3339())
                    .push_bind(e.end.map(|t| t.to_rfc3339()))
                    .push_bind(e.place.as_deref())
                    .push_bind(e.code_key.as_deref())
                    .push_bind(e.cancelled)
                    .push_bind(e.group_id.as_deref())
                    .push_bind(e.cancelled_by.as_deref())
                    .push_bind(e.cancelled_at.map(|t| t.to_rfc3339()))
                    .push_bind(e.geofence.as_ref().map(|g| g.lat))
                    .push_bind(e.geofence.as_ref().map(|g| g.lon))
                    .push_bind(e.geofence.as_ref().map(|g| g.radius_m));
            });
            q.push(
                " ON CONFLICT (doc_id, event_id) DO UPDATE SET kind = excluded.kind, title = excluded.title, \
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at, place = excluded.place, \
                 code_key = excluded.code_key, cancelled = excluded.cancelled, group_id = excluded.group_id, \
                 cancelled_by = excluded.cancelled_by, cancelled_at = excluded.cancelled_at, \
                 fence_lat = excluded.fence_lat, fence_lon = excluded.fence_lon, fence_radius_m = excluded.fence_radius_m",
            );
            q.build().execute(&mut **c).await?;
        });
    }
    Ok(())
}

/// `attendance`: everyone's rows for one event. The entry is the whole
/// map, so the event's rows are replaced.
async fn attendance(
    mut conn: Conn<'_>,
    id: &DocId,
    event_id: &str,
    rows: &[AttendanceEntry],
) -> Result<(), StoreError> {
    let doc_id = id.to_string();
    on_db!(&mut conn, c => {
        sqlx::query("DELETE FROM attendance WHERE doc_id = $1 AND event_id = $2")
            .bind(&doc_id)
            .bind(event_id)
            .execute(&mut **c)
            .await?;
    });
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        on_db!(&mut conn, c, DB => {
            let mut q = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO attendance (doc_id, event_id, member_id, outcome, reason, reviewer, leave, marked_at) ",
            );
            q.push_values(chunk, |mut row, a| {
                row.push_bind(doc_id.as_str())
                    .push_bind(event_id)
                    .push_bind(a.member_id.as_str())
                    .push_bind(a.outcome.as_str())
                    .push_bind(a.reason.as_deref())
                    .push_bind(a.by.as_deref())
                    .push_bind(a.leave.map(|l| l.as_str()))
                    .push_bind(a.at.map(|t| t.to_rfc3339()));
            });
            q.build().execute(&mut **c).await?;
        });
    }
    Ok(())
}

pub struct Materialized<'a> {
    pool: &'a Pool,
}

impl<'a> Materialized<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Materialized { pool }
    }

    /// Replaces every materialized row of one document, in one transaction,
    /// with `verdicts` on its records' codes.
    pub async fn rebuild(
        &self,
        id: &DocId,
        entries: &[Entry],
        verdicts: &Verdicts,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            for (table, _) in TABLES {
                sqlx::query(&format!("DELETE FROM {table} WHERE doc_id = $1"))
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            let mut conn = Db::from(&mut *tx);
            let t = ByTable::of(entries);
            let records = t.records.iter().map(|r| (id, *r, verdict_of(verdicts, r))).collect();
            self::records(conn.reborrow(), records).await?;
            others(conn, id, t).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every materialized row as text, sorted: for comparing a rebuild.
    pub async fn dump(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for (table, columns) in TABLES {
            // Every column as text, so one query shape serves all tables.
            let select = columns
                .split(", ")
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '∅')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let sql = format!("SELECT {select} FROM {table}");
            let lines: Vec<String> = on_db!(self.pool, p => {
                let mut lines = Vec::new();
                for row in sqlx::query(&sql).fetch_all(p).await? {
                    lines.push(row.try_get::<String, _>(0)?);
                }
                lines
            });
            out.extend(lines.into_iter().map(|line| format!("{table}: {line}")));
        }
        out.sort();
        Ok(out)
    }
}
