//! Writing entries into a document, the way every client does: one
//! Automerge transaction per user action, so nothing is half-saved.

use super::fields::child_map;
use super::schema::{DecisionStatus, EventEntry};
use crate::ledger::{AttendanceMark, LeaveKind};
use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ReadDoc, ROOT};
use chrono::{DateTime, FixedOffset};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The document has not been received from the server yet: writing to a
    /// root of one's own would hide everyone else's entries.
    #[error("文档尚未从服务器取得，请联网同步一次")]
    NoRoot,
    #[error("条目 {0} 不存在")]
    UnknownEntry(String),
    #[error("文档写入失败：{0}")]
    Automerge(#[from] AutomergeError),
}

/// A check-in or a leave request as the member enters it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewRecord {
    pub kind: String,
    pub occurred_at: Option<DateTime<FixedOffset>>,
    pub event_id: Option<String>,
    pub hours: Option<f64>,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub note: Option<String>,
    pub code: Option<String>,
}

fn collection(doc: &Automerge, name: &str) -> Result<ObjId, EditError> {
    child_map(doc, &ROOT, name).ok_or(EditError::NoRoot)
}

fn put_opt_str<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    key: &str,
    value: &Option<String>,
) -> Result<(), AutomergeError> {
    match value {
        Some(v) => tx.put(obj, key, v.as_str()),
        None => Ok(()),
    }
}

fn put_opt_f64<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    key: &str,
    value: Option<f64>,
) -> Result<(), AutomergeError> {
    match value {
        Some(v) => tx.put(obj, key, v),
        None => Ok(()),
    }
}

/// Adds a record under `record_id` (a UUID the client generates).
pub fn add_record(doc: &mut Automerge, record_id: &str, rec: &NewRecord) -> Result<(), EditError> {
    let records = collection(doc, "records")?;
    let at = rec.occurred_at.map(|t| t.to_rfc3339());
    doc.transact::<_, _, AutomergeError>(|tx| {
        let obj = tx.put_object(&records, record_id, ObjType::Map)?;
        tx.put(&obj, "kind", rec.kind.as_str())?;
        put_opt_str(tx, &obj, "occurred_at", &at)?;
        put_opt_str(tx, &obj, "event_id", &rec.event_id)?;
        put_opt_f64(tx, &obj, "hours", rec.hours)?;
        put_opt_str(tx, &obj, "place", &rec.place)?;
        put_opt_f64(tx, &obj, "lat", rec.lat)?;
        put_opt_f64(tx, &obj, "lon", rec.lon)?;
        put_opt_str(tx, &obj, "note", &rec.note)?;
        put_opt_str(tx, &obj, "code", &rec.code)?;
        Ok(())
    })
    .map_err(|f| EditError::Automerge(f.error))?;
    Ok(())
}

fn entry(doc: &Automerge, coll: &str, id: &str) -> Result<ObjId, EditError> {
    let parent = collection(doc, coll)?;
    child_map(doc, &parent, id).ok_or_else(|| EditError::UnknownEntry(id.to_string()))
}

/// Sets fields of an existing entry in one transaction: a correction keeps
/// the earlier values in the document's history.
pub fn set_fields(
    doc: &mut Automerge,
    coll: &str,
    id: &str,
    fields: &[(&str, automerge::ScalarValue)],
) -> Result<(), EditError> {
    let obj = entry(doc, coll, id)?;
    doc.transact::<_, _, AutomergeError>(|tx| {
        for (key, value) in fields {
            tx.put(&obj, *key, value.clone())?;
        }
        Ok(())
    })
    .map_err(|f| EditError::Automerge(f.error))?;
    Ok(())
}

pub fn withdraw(doc: &mut Automerge, record_id: &str) -> Result<(), EditError> {
    set_fields(doc, "records", record_id, &[("withdrawn", true.into())])
}

/// How a reviewer decided one record.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    pub status: DecisionStatus,
    pub reason: Option<&'a str>,
    /// The version of the record decided on (`CheckinRecord::version`).
    pub version: &'a str,
    /// What the reviewer saw of it (`review::Judged` as JSON), so a change
    /// afterwards can show what was decided.
    pub seen: Option<&'a str>,
}

/// A decision that replaces another reviewer's different one: whose, and
/// what it was. Kept in the new decision, so the queue asks for a second look.
#[derive(Debug, Clone, Copy)]
pub struct Replaced<'a> {
    pub by: &'a str,
    pub status: DecisionStatus,
}

/// A reviewer's decision on a record, written into the member's reviews document.
pub fn decide(
    doc: &mut Automerge,
    record_id: &str,
    verdict: Verdict<'_>,
    by: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), EditError> {
    decide_over(doc, record_id, verdict, by, at, None)
}

/// `decide`, noting the other reviewer's different decision it replaces.
pub fn decide_over(
    doc: &mut Automerge,
    record_id: &str,
    verdict: Verdict<'_>,
    by: &str,
    at: DateTime<FixedOffset>,
    replaced: Option<Replaced<'_>>,
) -> Result<(), EditError> {
    let decisions = collection(doc, "decisions")?;
    doc.transact::<_, _, AutomergeError>(|tx| {
        let obj = tx.put_object(&decisions, record_id, ObjType::Map)?;
        tx.put(&obj, "status", verdict.status.as_str())?;
        if let Some(reason) = verdict.reason {
            tx.put(&obj, "reason", reason)?;
        }
        tx.put(&obj, "version", verdict.version)?;
        if let Some(seen) = verdict.seen {
            tx.put(&obj, "seen", seen)?;
        }
        tx.put(&obj, "by", by)?;
        tx.put(&obj, "at", at.to_rfc3339())?;
        if let Some(r) = replaced {
            tx.put(&obj, "conflict_by", r.by)?;
            tx.put(&obj, "conflict_status", r.status.as_str())?;
        }
        Ok(())
    })
    .map_err(|f| EditError::Automerge(f.error))?;
    Ok(())
}

/// Sets `key` of `obj` to `value`, or removes it: a field cleared on a form.
fn put_or_clear<T: Transactable, V: Into<automerge::ScalarValue>>(
    tx: &mut T,
    obj: &ObjId,
    key: &str,
    value: Option<V>,
) -> Result<(), AutomergeError> {
    match value {
        Some(v) => tx.put(obj, key, v),
        None if tx.get(obj, key)?.is_some() => tx.delete(obj, key),
        None => Ok(()),
    }
}

/// Creates an event in a branch's events document, or edits one in place
/// (so its history keeps the earlier values).
pub fn put_event(doc: &mut Automerge, event: &EventEntry) -> Result<(), EditError> {
    let events = collection(doc, "events")?;
    let existing = child_map(doc, &events, &event.event_id);
    doc.transact::<_, _, AutomergeError>(|tx| {
        let obj = match &existing {
            Some(obj) => obj.clone(),
            None => tx.put_object(&events, event.event_id.as_str(), ObjType::Map)?,
        };
        tx.put(&obj, "kind", event.kind.as_str())?;
        tx.put(&obj, "title", event.title.as_str())?;
        tx.put(&obj, "start", event.start.to_rfc3339())?;
        put_or_clear(tx, &obj, "end", event.end.map(|t| t.to_rfc3339()))?;
        put_or_clear(tx, &obj, "place", event.place.clone())?;
        put_or_clear(tx, &obj, "code_key", event.code_key.clone())?;
        put_or_clear(tx, &obj, "group_id", event.group_id.clone())?;
        match &event.geofence {
            Some(g) => {
                let fence = tx.put_object(&obj, "geofence", ObjType::Map)?;
                tx.put(&fence, "lat", g.lat)?;
                tx.put(&fence, "lon", g.lon)?;
                tx.put(&fence, "radius_m", g.radius_m)?;
            }
            None if tx.get(&obj, "geofence")?.is_some() => tx.delete(&obj, "geofence")?,
            None => {}
        }
        if event.cancelled || existing.is_some() {
            tx.put(&obj, "cancelled", event.cancelled)?;
        }
        put_or_clear(tx, &obj, "cancelled_by", event.cancelled_by.clone())?;
        put_or_clear(
            tx,
            &obj,
            "cancelled_at",
            event.cancelled_at.map(|t| t.to_rfc3339()),
        )?;
        Ok(())
    })
    .map_err(|f| EditError::Automerge(f.error))?;
    Ok(())
}

/// One member's row as an officer marks it on the attendance sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceRow {
    pub member_id: String,
    pub mark: AttendanceMark,
    pub note: Option<String>,
}

/// Writes rows of an event's attendance sheet, each by `by` at `at`; a row
/// already there is edited in place.
pub fn put_attendance(
    doc: &mut Automerge,
    event_id: &str,
    rows: &[AttendanceRow],
    by: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), EditError> {
    let attendance = collection(doc, "attendance")?;
    let sheet = child_map(doc, &attendance, event_id);
    let existing: Vec<Option<ObjId>> = rows
        .iter()
        .map(|r| sheet.as_ref().and_then(|s| child_map(doc, s, &r.member_id)))
        .collect();
    doc.transact::<_, _, AutomergeError>(|tx| {
        let sheet = match &sheet {
            Some(sheet) => sheet.clone(),
            None => tx.put_object(&attendance, event_id, ObjType::Map)?,
        };
        for (row, existing) in rows.iter().zip(&existing) {
            let obj = match existing {
                Some(obj) => obj.clone(),
                None => tx.put_object(&sheet, row.member_id.as_str(), ObjType::Map)?,
            };
            let (outcome, leave) = row.mark.outcome();
            tx.put(&obj, "status", outcome.as_str())?;
            put_or_clear(tx, &obj, "leave", leave.map(LeaveKind::as_str))?;
            put_or_clear(tx, &obj, "reason", row.note.clone())?;
            tx.put(&obj, "by", by)?;
            tx.put(&obj, "at", at.to_rfc3339())?;
        }
        Ok(())
    })
    .map_err(|f| EditError::Automerge(f.error))?;
    Ok(())
}

/// Copies a map (scalars, nested maps, text as plain strings) from one
/// document into a new map under `key` of `to_parent` in another.
pub(crate) fn copy_map<T: Transactable>(
    from: &Automerge,
    obj: &ObjId,
    tx: &mut T,
    to_parent: &ObjId,
    key: &str,
) -> Result<(), AutomergeError> {
    let target = tx.put_object(to_parent, key, ObjType::Map)?;
    for field in from.keys(obj) {
        match from.get(obj, field.as_str())? {
            Some((automerge::Value::Scalar(s), _)) => {
                tx.put(&target, field.as_str(), s.into_owned())?;
            }
            Some((automerge::Value::Object(ObjType::Map), child)) => {
                copy_map(from, &child, tx, &target, &field)?;
            }
            Some((automerge::Value::Object(ObjType::Text), child)) => {
                tx.put(&target, field.as_str(), from.text(&child)?)?;
            }
            // Lists and tables are not part of any schema; they are dropped.
            _ => {}
        }
    }
    Ok(())
}
