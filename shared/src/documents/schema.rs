//! The shape of each document (docs/sync.md): how its root is created, and
//! the typed entries read out of it. Reading an entry is validating it: the
//! server accepts a change only when every entry it touched reads cleanly.

use super::error::SchemaError;
use super::fields::{child_map, Fields};
use super::id::{is_plain_id, DocId, DocKind};
use crate::automerge_versions;
use crate::geofence::{self, Geofence};
use crate::ledger::{Grade, Kind, LeaveKind, Outcome, Section, Side};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjId, ObjType, Prop, ReadDoc, ROOT};
use chrono::{DateTime, Datelike, FixedOffset};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::BTreeSet;

pub const SCHEMA_VERSION: i64 = 1;

/// The map of a member's records in their checkins document.
pub const RECORDS: &str = "records";

/// The kind code of a leave request in a checkins document.
pub const LEAVE: &str = "leave";

/// Longest free text, in characters: a note, a reason.
pub const MAX_TEXT: usize = 2000;
/// Volunteering hours in one record: more than a day is a typo.
pub const MAX_HOURS: f64 = 24.0;

/// The actor of every root the server creates. The same on every process and
/// every machine, with the time fixed, so two processes that create the same
/// root create byte-identical changes, and the root exists exactly once.
pub fn root_actor() -> ActorId {
    ActorId::from(b"vanguard-root-v1".as_slice())
}

/// The maps under a document's root, one per kind of entry.
pub fn collections(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Checkins => &[RECORDS],
        DocKind::Reviews => &["decisions", "adjustments", "grade"],
        DocKind::Events => &["events", "attendance"],
    }
}

/// The document's root: schema version, owner, year, and empty collections.
pub fn create_root(id: &DocId) -> Automerge {
    let mut doc = Automerge::new().with_actor(root_actor());
    let result = doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| CommitOptions::default().with_time(0),
        |tx| {
            tx.put(ROOT, "schema", SCHEMA_VERSION)?;
            tx.put(ROOT, id.kind.owner_key(), id.owner.as_str())?;
            tx.put(ROOT, "year", i64::from(id.year))?;
            for name in collections(id.kind) {
                tx.put_object(ROOT, *name, ObjType::Map)?;
            }
            Ok(())
        },
    );
    // Writing fixed keys into a new, empty document cannot fail.
    debug_assert!(result.is_ok());
    doc
}

/// A member's check-in or leave request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckinRecord {
    pub record_id: String,
    /// A [`Kind`] code, or [`LEAVE`].
    pub kind: String,
    pub occurred_at: DateTime<FixedOffset>,
    pub event_id: Option<String>,
    pub hours: Option<f64>,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub note: Option<String>,
    pub code: Option<String>,
    pub withdrawn: bool,
}

impl CheckinRecord {
    /// A fingerprint of everything a reviewer judges: every field but
    /// `withdrawn`, 16 hex digits. A decision names the version it was made
    /// on, so a record changed afterwards awaits review again, on the
    /// server and the phone alike.
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let mut field = |tag: u8, bytes: &[u8]| {
            hash.update([tag]);
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        fn text(value: &Option<String>) -> Option<&[u8]> {
            value.as_deref().map(str::as_bytes)
        }
        let number = |value: Option<f64>| value.map(|n| n.to_bits().to_le_bytes());
        field(1, self.kind.as_bytes());
        field(2, self.occurred_at.to_rfc3339().as_bytes());
        for (tag, value) in [
            (3, text(&self.event_id)),
            (4, text(&self.place)),
            (5, text(&self.note)),
            (6, text(&self.code)),
        ] {
            if let Some(bytes) = value {
                field(tag, bytes);
            }
        }
        for (tag, value) in [
            (7, number(self.hours)),
            (8, number(self.lat)),
            (9, number(self.lon)),
        ] {
            if let Some(bytes) = value {
                field(tag, &bytes);
            }
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        hash.finalize()[..8]
            .iter()
            .flat_map(|b| {
                [
                    HEX[usize::from(b >> 4)] as char,
                    HEX[usize::from(b & 15)] as char,
                ]
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    Approved,
    Returned,
}

impl DecisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionStatus::Approved => "approved",
            DecisionStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(DecisionStatus::Approved),
            "returned" => Some(DecisionStatus::Returned),
            _ => None,
        }
    }
}

/// A reviewer's decision on one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub record_id: String,
    pub status: DecisionStatus,
    pub reason: Option<String>,
    /// The version of the record decided on (`CheckinRecord::version`).
    pub version: Option<String>,
    pub by: Option<String>,
    pub at: Option<DateTime<FixedOffset>>,
    /// This decision replaced another reviewer's different one on the same
    /// version: who that was and what they decided, for a second look.
    #[serde(default)]
    pub conflict: Option<(String, DecisionStatus)>,
    /// The record as the reviewer saw it (`review::Judged` as JSON).
    #[serde(default)]
    pub seen: Option<String>,
}

impl Decision {
    /// Whether the decision still stands for a record now at `version`: a
    /// record changed since it was decided (any field but `withdrawn`)
    /// awaits review again. A decision that names no version (made before
    /// versions were kept) stands.
    pub fn stands_for(&self, version: &str) -> bool {
        self.version.as_deref().is_none_or(|v| v == version)
    }
}

/// A manual adjustment with its mandatory reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentEntry {
    pub adjustment_id: String,
    pub points: f64,
    pub reason: String,
    pub section: Section,
    pub side: Side,
    pub by: Option<String>,
    pub at: Option<DateTime<FixedOffset>>,
}

/// The year-end grade proposal and the branch's override, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeEntry {
    pub proposal: Option<Grade>,
    pub override_grade: Option<Grade>,
    pub reason: Option<String>,
    pub by: Option<String>,
}

/// A branch event members check in to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    pub event_id: String,
    pub kind: Kind,
    pub title: String,
    pub start: DateTime<FixedOffset>,
    pub end: Option<DateTime<FixedOffset>>,
    pub place: Option<String>,
    pub geofence: Option<Geofence>,
    /// The public part of the event's check-in code (issue 5's scheme).
    pub code_key: Option<String>,
    /// A group's own meeting (党小组会): its group leader takes attendance.
    pub group_id: Option<String>,
    pub cancelled: bool,
    /// Who cancelled the event, and when: a cancelled event stays listed.
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<DateTime<FixedOffset>>,
}

/// Check-in to an event opens this long before its start.
pub const OPENS_BEFORE_MINUTES: i64 = 30;
/// An event without an end closes check-in this long after its start.
pub const DEFAULT_LENGTH_HOURS: i64 = 3;

impl EventEntry {
    /// When members may check in to the event: from a little before its
    /// start to its end (or a few hours after its start).
    pub fn checkin_window(&self) -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
        window(self.start, self.end)
    }
}

/// The check-in window of an event starting at `start`.
pub fn window(
    start: DateTime<FixedOffset>,
    end: Option<DateTime<FixedOffset>>,
) -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
    (
        start - chrono::Duration::minutes(OPENS_BEFORE_MINUTES),
        end.unwrap_or(start + chrono::Duration::hours(DEFAULT_LENGTH_HOURS)),
    )
}

/// One member's attendance at one event, as the officer decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceEntry {
    pub event_id: String,
    pub member_id: String,
    pub outcome: Outcome,
    /// For a leave (`excused`): on official business or personal.
    pub leave: Option<LeaveKind>,
    pub reason: Option<String>,
    pub by: Option<String>,
    pub at: Option<DateTime<FixedOffset>>,
}

/// A typed entry of a document, as the server materializes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Entry {
    Record(CheckinRecord),
    Decision(Decision),
    Adjustment(AdjustmentEntry),
    Grade(GradeEntry),
    Event(EventEntry),
    /// Everyone's attendance at one event: the whole map, since any member's
    /// row may have changed.
    Attendance {
        event_id: String,
        rows: Vec<AttendanceEntry>,
    },
}

/// Record, adjustment, event ids: what clients generate (UUIDs) or any
/// plain id of 1–64 characters.
fn check_entry_id(collection: &str, key: &str) -> Result<(), SchemaError> {
    if is_plain_id(key) {
        Ok(())
    } else {
        Err(SchemaError::new(
            Some(key.chars().take(64).collect()),
            collection,
            "编号应为 1–64 个字母、数字、- 或 _",
        ))
    }
}

fn read_record(
    doc: &Automerge,
    obj: ObjId,
    record_id: &str,
    year: i32,
) -> Result<CheckinRecord, SchemaError> {
    let f = Fields::new(doc, obj, record_id);
    let kind = f.req_str("kind", 64)?;
    if kind != LEAVE && kind.parse::<Kind>().is_err() {
        return Err(f.error("kind", format!("未知的类型“{kind}”")));
    }
    let occurred_at = f.req_time("occurred_at")?;
    if occurred_at.year() != year {
        return Err(f.error("occurred_at", format!("不在文档的年份 {year} 内")));
    }
    let hours = f.opt_f64("hours")?;
    if let Some(h) = hours {
        if h <= 0.0 || h > MAX_HOURS {
            return Err(f.error(
                "hours",
                format!("应大于 0 且不超过 {}", crate::decimal::short(MAX_HOURS, 2)),
            ));
        }
    }
    let event_id = f.opt_str("event_id", 64)?;
    if kind == LEAVE && event_id.is_none() {
        return Err(f.error("event_id", "请假须指明活动"));
    }
    Ok(CheckinRecord {
        record_id: record_id.to_string(),
        kind,
        occurred_at,
        event_id,
        hours,
        place: f.opt_str("place", 200)?,
        lat: f.opt_range("lat", geofence::LAT)?,
        lon: f.opt_range("lon", geofence::LON)?,
        note: f.opt_str("note", MAX_TEXT)?,
        code: f.opt_str("code", 512)?,
        withdrawn: f.opt_bool("withdrawn")?.unwrap_or(false),
    })
}

/// A decision's copy of the record it judged: its note and place at their
/// longest, quoted, and the rest.
const MAX_SEEN: usize = 4 * MAX_TEXT + 1024;

fn read_decision(doc: &Automerge, obj: ObjId, record_id: &str) -> Result<Decision, SchemaError> {
    let f = Fields::new(doc, obj, record_id);
    let status = f.req_code("status", DecisionStatus::parse)?;
    let reason = f.opt_str("reason", MAX_TEXT)?;
    if status == DecisionStatus::Returned && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(f.error("reason", "退回须写明原因"));
    }
    Ok(Decision {
        record_id: record_id.to_string(),
        status,
        reason,
        version: f.opt_str("version", 64)?,
        by: f.opt_str("by", 64)?,
        at: f.opt_time("at")?,
        conflict: match (
            server_shown(|| f.opt_str("conflict_by", 64))?,
            server_shown(|| f.opt_code("conflict_status", DecisionStatus::parse))?,
        ) {
            (Some(by), Some(status)) => Some((by, status)),
            _ => None,
        },
        seen: server_shown(|| f.opt_str("seen", MAX_SEEN))?,
    })
}

fn read_adjustment(doc: &Automerge, obj: ObjId, id: &str) -> Result<AdjustmentEntry, SchemaError> {
    let f = Fields::new(doc, obj, id);
    let points = f
        .opt_range("points", -100.0..=100.0)?
        .ok_or_else(|| f.error("points", "必填"))?;
    Ok(AdjustmentEntry {
        adjustment_id: id.to_string(),
        points,
        reason: f.req_str("reason", MAX_TEXT)?,
        section: f.req_code("section", |s| s.parse().ok())?,
        side: f.req_code("side", |s| s.parse().ok())?,
        by: f.opt_str("by", 64)?,
        at: f.opt_time("at")?,
    })
}

fn read_grade(doc: &Automerge, obj: ObjId) -> Result<GradeEntry, SchemaError> {
    let f = Fields::new(doc, obj, "grade");
    let override_grade = f.opt_code("override", |s| s.parse().ok())?;
    let reason = f.opt_str("reason", MAX_TEXT)?;
    if override_grade.is_some() && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(f.error("reason", "调整等次须写明理由"));
    }
    Ok(GradeEntry {
        proposal: f.opt_code("proposal", |s| s.parse().ok())?,
        override_grade,
        reason,
        by: f.opt_str("by", 64)?,
    })
}

/// A field only the server shows (on console pages): who cancelled an event
/// and when, a group's meeting, a leave's kind, the time a row was marked, a
/// decision's conflict, a note on an attendance row. Read and checked natively, where the server judges
/// every change; the browser's bundles read documents only for what a
/// member sees, so they leave these out of the phone's download.
#[cfg(not(target_arch = "wasm32"))]
fn server_shown<T>(
    read: impl FnOnce() -> Result<Option<T>, SchemaError>,
) -> Result<Option<T>, SchemaError> {
    read()
}

#[cfg(target_arch = "wasm32")]
fn server_shown<T>(
    _read: impl FnOnce() -> Result<Option<T>, SchemaError>,
) -> Result<Option<T>, SchemaError> {
    Ok(None)
}

fn read_event(doc: &Automerge, obj: ObjId, event_id: &str) -> Result<EventEntry, SchemaError> {
    let geofence = match child_map(doc, &obj, "geofence") {
        None => None,
        Some(g) => {
            let g = Fields::new(doc, g, event_id);
            let need = |field: &str, range| {
                g.opt_range(field, range)?
                    .ok_or_else(|| g.error(field, "必填"))
            };
            Some(Geofence {
                lat: need("lat", geofence::LAT)?,
                lon: need("lon", geofence::LON)?,
                radius_m: need("radius_m", geofence::RADIUS_M)?,
            })
        }
    };
    let f = Fields::new(doc, obj, event_id);
    let start = f.req_time("start")?;
    let end = f.opt_time("end")?;
    if end.is_some_and(|end| end < start) {
        return Err(f.error("end", "结束时间早于开始时间"));
    }
    Ok(EventEntry {
        event_id: event_id.to_string(),
        kind: f.req_code("kind", |s| s.parse().ok())?,
        title: f.req_str("title", 200)?,
        start,
        end,
        place: f.opt_str("place", 200)?,
        geofence,
        code_key: f.opt_str("code_key", 512)?,
        group_id: server_shown(|| f.opt_str("group_id", 64))?,
        cancelled: f.opt_bool("cancelled")?.unwrap_or(false),
        cancelled_by: server_shown(|| f.opt_str("cancelled_by", 64))?,
        cancelled_at: server_shown(|| f.opt_time("cancelled_at"))?,
    })
}

fn read_attendance(
    doc: &Automerge,
    obj: ObjId,
    event_id: &str,
) -> Result<Vec<AttendanceEntry>, SchemaError> {
    let mut rows = Vec::new();
    for member_id in doc.keys(&obj) {
        rows.push(read_attendance_row(doc, &obj, event_id, member_id)?);
    }
    Ok(rows)
}

fn read_attendance_row(
    doc: &Automerge,
    sheet: &ObjId,
    event_id: &str,
    member_id: String,
) -> Result<AttendanceEntry, SchemaError> {
    check_entry_id("attendance", &member_id)?;
    let row = child_map(doc, sheet, &member_id)
        .ok_or_else(|| SchemaError::new(Some(event_id.to_string()), &member_id, "应为对象"))?;
    let f = Fields::new(doc, row, format!("{event_id}/{member_id}"));
    Ok(AttendanceEntry {
        event_id: event_id.to_string(),
        member_id,
        outcome: f.req_code("status", |s| s.parse().ok())?,
        leave: server_shown(|| f.opt_code("leave", |s| s.parse().ok()))?,
        reason: server_shown(|| f.opt_str("reason", MAX_TEXT))?,
        by: f.opt_str("by", 64)?,
        at: server_shown(|| f.opt_time("at"))?,
    })
}

/// Where a document's entries live, found once per document.
pub struct Layout {
    pub id: DocId,
    collections: Vec<(&'static str, ObjId)>,
}

impl Layout {
    /// Checks the root (schema, owner, year, one map per collection, none
    /// replaced or written twice concurrently) and finds the collections.
    pub fn check(doc: &Automerge, id: &DocId) -> Result<Layout, SchemaError> {
        let root = Fields::new(doc, ROOT, String::new());
        let root_error = |field: &str, message: &str| SchemaError::new(None, field, message);
        let single = |key: &str| doc.get_all(ROOT, key).map(|v| v.len()).unwrap_or(0) == 1;
        let schema = root
            .opt_f64("schema")
            .map_err(|_| root_error("schema", "应为 1"))?;
        if schema != Some(SCHEMA_VERSION as f64) || !single("schema") {
            return Err(root_error("schema", "不可修改"));
        }
        let owner_key = id.kind.owner_key();
        let owner = root.opt_str(owner_key, 64).ok().flatten();
        if owner.as_deref() != Some(id.owner.as_str()) || !single(owner_key) {
            return Err(root_error(owner_key, "不可修改"));
        }
        let year = root.opt_f64("year").ok().flatten();
        if year != Some(f64::from(id.year)) || !single("year") {
            return Err(root_error("year", "不可修改"));
        }
        for name in collections(id.kind) {
            if !single(name) {
                return Err(root_error(name, "不可替换或删除"));
            }
        }
        Layout::located(doc, id)
    }

    /// `find`, with the error a document without its collections gives.
    pub fn located(doc: &Automerge, id: &DocId) -> Result<Layout, SchemaError> {
        Layout::find(doc, id)
            .ok_or_else(|| SchemaError::new(None, collections(id.kind)[0], "不可替换或删除"))
    }

    /// Finds the collections without judging the root: for reading a
    /// client's own copy, which may hold changes the server refused.
    pub fn find(doc: &Automerge, id: &DocId) -> Option<Layout> {
        let collections = collections(id.kind)
            .iter()
            .map(|name| child_map(doc, &ROOT, name).map(|obj| (*name, obj)))
            .collect::<Option<Vec<_>>>()?;
        Some(Layout {
            id: id.clone(),
            collections,
        })
    }

    /// The keys of a collection, in order.
    pub fn keys(&self, doc: &Automerge, collection: &str) -> Vec<String> {
        self.collection(collection)
            .map(|obj| doc.keys(obj).collect())
            .unwrap_or_default()
    }

    pub fn collection_obj(&self, collection: &str) -> Option<&ObjId> {
        self.collection(collection)
    }

    fn collection(&self, name: &str) -> Option<&ObjId> {
        self.collections
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, o)| o)
    }

    /// One entry of one collection, read and validated.
    pub fn read(&self, doc: &Automerge, collection: &str, key: &str) -> Result<Entry, SchemaError> {
        let coll = self
            .collection(collection)
            .ok_or_else(|| SchemaError::new(None, collection, "不存在"))?;
        if collection == "grade" {
            return read_grade(doc, coll.clone()).map(Entry::Grade);
        }
        check_entry_id(collection, key)?;
        let obj = child_map(doc, coll, key)
            .ok_or_else(|| SchemaError::new(Some(key.to_string()), collection, "应为对象"))?;
        match collection {
            "records" => read_record(doc, obj, key, self.id.year).map(Entry::Record),
            "decisions" => read_decision(doc, obj, key).map(Entry::Decision),
            "adjustments" => read_adjustment(doc, obj, key).map(Entry::Adjustment),
            "events" => read_event(doc, obj, key).map(Entry::Event),
            "attendance" => Ok(Entry::Attendance {
                event_id: key.to_string(),
                rows: read_attendance(doc, obj, key)?,
            }),
            _ => Err(SchemaError::new(None, collection, "未知的集合")),
        }
    }

    /// Every entry of the document: for a rebuild, or a first load.
    pub fn read_all(&self, doc: &Automerge) -> Result<Vec<Entry>, SchemaError> {
        let mut entries = Vec::new();
        for (name, obj) in &self.collections {
            if *name == "grade" {
                // An untouched grade has no row, as after live syncs.
                if doc.length(obj) > 0 {
                    entries.push(self.read(doc, name, "")?);
                }
                continue;
            }
            for key in doc.keys(obj) {
                entries.push(self.read(doc, name, &key)?);
            }
        }
        Ok(entries)
    }

    /// The entries a set of changes wrote to, found from the changes' own
    /// operations (no patch log, no diff): each as (collection, key, and
    /// whether the change deleted it from its collection). Grade is one
    /// entry, with an empty key.
    pub fn touched<C: Borrow<automerge::Change>>(
        &self,
        doc: &Automerge,
        changes: &[C],
    ) -> BTreeSet<(&'static str, String, bool)> {
        self.scan(doc, changes).0
    }

    /// `touched`, and the keys of the root the changes wrote.
    fn scan<C: Borrow<automerge::Change>>(
        &self,
        doc: &Automerge,
        changes: &[C],
    ) -> (BTreeSet<(&'static str, String, bool)>, BTreeSet<String>) {
        let mut touched = BTreeSet::new();
        let mut root_keys = BTreeSet::new();
        // Objects met before: most changes write several fields of one entry.
        let mut placed: std::collections::HashMap<String, Option<(&'static str, String)>> =
            std::collections::HashMap::new();
        for change in changes {
            for op in automerge_versions::operations(change.borrow()) {
                let obj = op.obj;
                if obj == "_root" {
                    if let Some(key) = op.map_key {
                        root_keys.insert(key);
                    }
                    continue;
                }
                if let Some(name) = self.collection_named_by(doc, &obj) {
                    let key = match op.map_key {
                        Some(key) if name != "grade" => key,
                        _ => String::new(),
                    };
                    let deleted = op.delete && name != "grade";
                    touched.insert((name, key, deleted));
                    continue;
                }
                let entry = placed
                    .entry(obj.clone())
                    .or_insert_with(|| self.entry_holding(doc, &obj));
                if let Some((name, key)) = entry.clone() {
                    touched.insert((name, key, false));
                }
            }
        }
        (touched, root_keys)
    }

    /// The entries a set of new changes wrote to, read and validated.
    /// Deleting an entry is refused: a record is withdrawn, never removed.
    /// So is any write to the root's own keys (the schema, the owner, the
    /// year, the collections): the server made them once, and a new value
    /// or a replaced collection would hide what the document holds. Other
    /// root keys are kept as sent. With the root untouched, the layout a
    /// document was accepted with still holds, so `check` need not run again.
    pub fn read_changed(
        &self,
        doc: &Automerge,
        changes: &[automerge::Change],
    ) -> Result<Vec<Entry>, SchemaError> {
        let (touched, root_keys) = self.scan(doc, changes);
        let kind = self.id.kind;
        if let Some(key) = root_keys.iter().find(|key| {
            let key = key.as_str();
            key == "schema" || key == "year" || key == kind.owner_key()
        }) {
            return Err(SchemaError::new(None, key, "不可修改"));
        }
        if let Some(key) = root_keys
            .iter()
            .find(|key| collections(kind).contains(&key.as_str()))
        {
            return Err(SchemaError::new(None, key, "不可替换或删除"));
        }
        if let Some((name, key, _)) = touched.iter().find(|(_, _, deleted)| *deleted) {
            return Err(SchemaError::new(
                Some(key.clone()),
                name,
                "不可删除（记录只能撤回）",
            ));
        }
        let entries: BTreeSet<(&'static str, String)> = touched
            .into_iter()
            .map(|(name, key, _)| (name, key))
            .collect();
        entries
            .into_iter()
            .map(|(collection, key)| self.read(doc, collection, &key))
            .collect()
    }

    /// The attendance rows, as (event, member), that a set of changes wrote
    /// to: the server checks each was written by its author.
    pub fn attendance_rows_written<C: Borrow<automerge::Change>>(
        &self,
        doc: &Automerge,
        changes: &[C],
    ) -> BTreeSet<(String, String)> {
        let mut rows = BTreeSet::new();
        let Some(attendance) = self.collection("attendance") else {
            return rows;
        };
        for change in changes {
            for op in automerge_versions::operations(change.borrow()) {
                let Ok(obj) = doc.import_obj(&op.obj) else {
                    continue;
                };
                let Ok(parents) = doc.parents(&obj) else {
                    continue;
                };
                let path: Vec<_> = parents.collect();
                let Some(k) = path.iter().position(|p| p.obj == *attendance) else {
                    continue;
                };
                let Prop::Map(event_id) = &path[k].prop else {
                    continue;
                };
                // Written on the event's map itself: the key is the member.
                let member = match k {
                    0 => op.map_key,
                    _ => match &path[k - 1].prop {
                        Prop::Map(member) => Some(member.clone()),
                        Prop::Seq(_) => None,
                    },
                };
                if let Some(member) = member {
                    rows.insert((event_id.clone(), member));
                }
            }
        }
        rows
    }

    /// The collection whose map object is `obj` (as `counter@actor`).
    fn collection_named_by(&self, doc: &Automerge, obj: &str) -> Option<&'static str> {
        let id = doc.import_obj(obj).ok()?;
        self.collections
            .iter()
            .find(|(_, o)| *o == id)
            .map(|(n, _)| *n)
    }

    /// The entry an object inside a collection belongs to: walking up from
    /// it, the step whose parent is a collection names the entry.
    fn entry_holding(&self, doc: &Automerge, obj: &str) -> Option<(&'static str, String)> {
        let id = doc.import_obj(obj).ok()?;
        for parent in doc.parents(&id).ok()? {
            if let Some((name, _)) = self.collections.iter().find(|(_, o)| *o == parent.obj) {
                return match parent.prop {
                    Prop::Map(key) if *name != "grade" => Some((name, key)),
                    _ => Some((name, String::new())),
                };
            }
        }
        None
    }
}
