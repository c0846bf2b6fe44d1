//! A member's year as the phone shows it: records with their review state in
//! words, the branch's events, and the facts the ledger engine prices. Read
//! from the member's local documents, so it works with no network; the
//! server's materialized tables say the same once everything has synced.

use super::fields::{child_map, Fields};
use super::id::DocId;
use super::schema::{
    AttendanceEntry, CheckinRecord, Decision, DecisionStatus, Entry, EventEntry, Layout, LEAVE,
};
use crate::ledger::{Kind, Outcome, RecordFact, Review};
use automerge::{Automerge, ReadDoc};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

/// Where a record stands, as the member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordState {
    /// Only on this device (待同步).
    Local,
    /// On the server, awaiting review (待审核).
    Submitted,
    Approved,
    Returned {
        reason: String,
    },
    Withdrawn,
}

impl RecordState {
    /// Where a record the server holds stands: withdrawn, or as its review
    /// decided, or awaiting review. The one rule for the phone's list, the
    /// records API and the ledgers.
    pub fn of(withdrawn: bool, decision: Option<(DecisionStatus, Option<&str>)>) -> RecordState {
        match (withdrawn, decision) {
            (true, _) => RecordState::Withdrawn,
            (false, Some((DecisionStatus::Approved, _))) => RecordState::Approved,
            (false, Some((DecisionStatus::Returned, reason))) => RecordState::Returned {
                reason: reason.unwrap_or_default().to_string(),
            },
            (false, None) => RecordState::Submitted,
        }
    }

    /// The state's code in the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            RecordState::Local => "local",
            RecordState::Submitted => "submitted",
            RecordState::Approved => "approved",
            RecordState::Returned { .. } => "returned",
            RecordState::Withdrawn => "withdrawn",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            RecordState::Local => "待同步",
            // The ledger's word for the same state (Note::Pending).
            RecordState::Submitted => "待审核",
            RecordState::Approved => "已通过",
            RecordState::Returned { .. } => "已退回",
            RecordState::Withdrawn => "已撤回",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordView {
    pub record: CheckinRecord,
    pub state: RecordState,
    /// What the record is about, in words: the event's title or the kind.
    pub title: String,
    /// Whether the record's position is inside its event's geofence; `None`
    /// when the record has no position or the event no fence.
    pub at_event: Option<bool>,
}

/// Every readable entry of one collection; an entry another device wrote
/// badly is skipped here (the server refuses it, and the sync says why).
fn entries(doc: &Automerge, id: &DocId, collection: &str) -> Vec<Entry> {
    let Some(layout) = Layout::find(doc, id) else {
        return Vec::new();
    };
    layout
        .keys(doc, collection)
        .iter()
        .filter_map(|key| layout.read(doc, collection, key).ok())
        .collect()
}

/// The branch's events, earliest first, cancelled ones left out.
pub fn events(doc: &Automerge, id: &DocId) -> Vec<EventEntry> {
    let mut out: Vec<EventEntry> = entries(doc, id, "events")
        .into_iter()
        .filter_map(|e| match e {
            Entry::Event(ev) if !ev.cancelled => Some(ev),
            _ => None,
        })
        .collect();
    crate::sorting::stable_by(&mut out, |a, b| a.start.cmp(&b.start));
    out
}

/// The text a kind code shows as.
pub fn kind_label(code: &str) -> &'static str {
    if code == LEAVE {
        return "请假";
    }
    Kind::from_str(code).map(Kind::label).unwrap_or("其他")
}

/// The member's records, newest first, with their state. `unconfirmed` are
/// the record ids the server does not hold as they are here.
pub fn records(
    checkins: (&Automerge, &DocId),
    reviews: Option<(&Automerge, &DocId)>,
    events: &[EventEntry],
    unconfirmed: &BTreeSet<String>,
) -> Vec<RecordView> {
    // Inserted one by one rather than collected, which would sort: one
    // copy of the sort code fewer on the phone (crate::sorting).
    let mut decisions: BTreeMap<String, Decision> = BTreeMap::new();
    for e in reviews
        .map(|(doc, id)| entries(doc, id, "decisions"))
        .unwrap_or_default()
    {
        if let Entry::Decision(d) = e {
            decisions.insert(d.record_id.clone(), d);
        }
    }
    let mut out: Vec<RecordView> = entries(checkins.0, checkins.1, "records")
        .into_iter()
        .filter_map(|e| match e {
            Entry::Record(r) => Some(r),
            _ => None,
        })
        .map(|record| {
            let state = if !record.withdrawn && unconfirmed.contains(&record.record_id) {
                RecordState::Local
            } else {
                // A decision on an earlier version of the record no longer
                // stands: the record awaits review again.
                let decision = decisions
                    .get(&record.record_id)
                    .filter(|d| d.stands_for(&record.version()))
                    .map(|d| (d.status, d.reason.as_deref()));
                RecordState::of(record.withdrawn, decision)
            };
            let event = record
                .event_id
                .as_ref()
                .and_then(|id| events.iter().find(|e| &e.event_id == id));
            let title = match (event, record.kind.as_str()) {
                (Some(ev), LEAVE) => format!("请假：{}", ev.title),
                (Some(ev), _) => ev.title.clone(),
                (None, kind) => kind_label(kind).to_string(),
            };
            let at_event = match (
                event.and_then(|e| e.geofence.as_ref()),
                record.lat,
                record.lon,
            ) {
                (Some(fence), Some(lat), Some(lon)) => Some(fence.contains(lat, lon)),
                _ => None,
            };
            RecordView {
                record,
                state,
                title,
                at_event,
            }
        })
        .collect();
    crate::sorting::stable_by(&mut out, |a, b| {
        b.record.occurred_at.cmp(&a.record.occurred_at)
    });
    out
}

/// One member's row on an event's attendance sheet, as the ledger needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attended {
    pub event_id: String,
    pub outcome: Outcome,
    /// Who recorded it.
    pub by: Option<String>,
}

impl From<&AttendanceEntry> for Attended {
    fn from(row: &AttendanceEntry) -> Self {
        Attended {
            event_id: row.event_id.clone(),
            outcome: row.outcome,
            by: row.by.clone(),
        }
    }
}

/// One member's rows on every attendance sheet of the branch's events
/// document, reading only what the ledger needs (the phone's download
/// carries no more); a row written badly is skipped.
pub fn attendance_of(doc: &Automerge, id: &DocId, member_id: &str) -> Vec<Attended> {
    let Some(layout) = Layout::find(doc, id) else {
        return Vec::new();
    };
    let Some(sheets) = layout.collection_obj("attendance") else {
        return Vec::new();
    };
    doc.keys(sheets)
        .filter_map(|event_id| {
            let sheet = child_map(doc, sheets, &event_id)?;
            let row = child_map(doc, &sheet, member_id)?;
            let f = Fields::new(doc, row, String::new());
            let outcome = f.req_code("status", |s| s.parse().ok()).ok()?;
            let by = f.opt_str("by", 64).ok()?;
            Some(Attended {
                event_id,
                outcome,
                by,
            })
        })
        .collect()
}

const ATTENDANCE_FACT: &str = "attendance:";

/// The id a ledger entry priced from an attendance row carries.
pub fn attendance_fact_id(event_id: &str) -> String {
    format!("{ATTENDANCE_FACT}{event_id}")
}

/// The event of an attendance row's fact id; `None` for a record's id.
pub fn attendance_event_of(fact_id: &str) -> Option<&str> {
    fact_id.strip_prefix(ATTENDANCE_FACT)
}

/// What the ledger engine prices: each record with its review, and each
/// attendance row the officers recorded for the member (`attendance`, the
/// member's own). A row is the branch's word on that occurrence: it is
/// priced by its outcome (an unexcused absence costs what the rulebook
/// says, an approved leave is listed under 请假出差 at no cost), and the
/// member's own check-ins and leave requests for that event are its
/// evidence, not priced again. A leave request counts as excused absence
/// from its event's kind; a record still on this device counts as pending,
/// as in the member's own view. The server and the phone call this alike.
pub fn facts(
    records: &[RecordView],
    events: &[EventEntry],
    attendance: &[Attended],
) -> Vec<RecordFact> {
    let event = |id: &str| events.iter().find(|e| e.event_id == id && !e.cancelled);
    // A scan, not a set: a member has a few rows a year, and a set's code
    // would cost the phone's download more than the scan costs it.
    let recorded = |event_id: &str| {
        attendance
            .iter()
            .any(|row| row.event_id == event_id && event(&row.event_id).is_some())
    };
    let mut out: Vec<RecordFact> = attendance
        .iter()
        .filter_map(|row| {
            let ev = event(&row.event_id)?;
            Some(RecordFact {
                record_id: Arc::from(attendance_fact_id(&row.event_id).as_str()),
                kind: ev.kind,
                occurred_at: ev.start,
                outcome: Some(row.outcome),
                hours: None,
                review: Review::Approved {
                    by: Arc::from(row.by.as_deref().unwrap_or_default()),
                },
                occurrence: Some(Arc::from(row.event_id.as_str())),
            })
        })
        .collect();
    out.extend(records.iter().filter_map(|view| {
        let r = &view.record;
        if r.event_id.as_deref().is_some_and(recorded) {
            return None;
        }
        let (kind, outcome) = if r.kind == LEAVE {
            let event = r.event_id.as_deref().and_then(event)?;
            (event.kind, Some(Outcome::Excused))
        } else {
            (Kind::from_str(&r.kind).ok()?, None)
        };
        let review = match &view.state {
            RecordState::Local | RecordState::Submitted => Review::Pending,
            RecordState::Approved => Review::Approved { by: Arc::from("") },
            RecordState::Returned { reason } => Review::Returned {
                by: Arc::from(""),
                reason: reason.clone(),
            },
            RecordState::Withdrawn => Review::Withdrawn,
        };
        Some(RecordFact {
            record_id: Arc::from(r.record_id.as_str()),
            kind,
            occurred_at: r.occurred_at,
            outcome,
            hours: r.hours,
            review,
            occurrence: r.event_id.as_deref().map(Arc::from),
        })
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{default_rulebook, LedgerInput, Mode, Points};
    use chrono::{DateTime, FixedOffset};

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn event(id: &str, start: &str) -> EventEntry {
        EventEntry {
            event_id: id.into(),
            kind: Kind::ThemeDay,
            title: "主题党日".into(),
            start: at(start),
            end: None,
            place: None,
            geofence: None,
            code_key: None,
            group_id: None,
            cancelled: false,
            cancelled_by: None,
            cancelled_at: None,
        }
    }

    fn view(id: &str, kind: &str, event_id: Option<&str>, when: &str) -> RecordView {
        RecordView {
            record: CheckinRecord {
                record_id: id.into(),
                kind: kind.into(),
                occurred_at: at(when),
                event_id: event_id.map(str::to_string),
                hours: None,
                place: None,
                lat: None,
                lon: None,
                note: None,
                code: None,
                withdrawn: false,
            },
            state: RecordState::Submitted,
            title: String::new(),
            at_event: None,
        }
    }

    fn row(event_id: &str, outcome: Outcome) -> AttendanceEntry {
        AttendanceEntry {
            event_id: event_id.into(),
            member_id: "m1".into(),
            outcome,
            leave: None,
            reason: None,
            by: Some("sec".into()),
            at: None,
        }
    }

    fn total(facts: &[RecordFact]) -> Points {
        crate::ledger::compute(
            &default_rulebook(),
            &LedgerInput {
                member_id: "m1",
                year: 2026,
                time_zone: chrono_tz::Asia::Shanghai,
                records: facts,
                adjustments: &[],
                vetoes: &[],
                job: None,
            },
            Mode::Provisional,
        )
        .total
    }

    #[test]
    fn an_attendance_row_speaks_for_the_occurrence_and_prices_absence_and_leave() {
        let events = [
            event("march", "2026-03-15T09:00:00+08:00"),
            event("april", "2026-04-15T09:00:00+08:00"),
            event("may", "2026-05-15T09:00:00+08:00"),
        ];
        // Checked in twice to March (two phones), asked leave for April,
        // nothing for May.
        let records = [
            view(
                "r1",
                "theme_day",
                Some("march"),
                "2026-03-15T09:05:00+08:00",
            ),
            view(
                "r2",
                "theme_day",
                Some("march"),
                "2026-03-15T09:06:00+08:00",
            ),
            view("r3", LEAVE, Some("april"), "2026-04-10T09:00:00+08:00"),
        ];
        let unrecorded = facts(&records, &events, &[]);
        assert_eq!(unrecorded.len(), 3);
        // Before the sheet, the two March check-ins are one attendance: +5
        // once, the second listed as 重复. The leave costs nothing.
        let base = default_rulebook().base;
        assert_eq!(
            total(&unrecorded),
            base + Points::from_f64(5.0).expect("points")
        );

        let sheet = [
            row("march", Outcome::Present),
            AttendanceEntry {
                leave: Some(crate::ledger::LeaveKind::Official),
                ..row("april", Outcome::Excused)
            },
            row("may", Outcome::Unexcused),
        ];
        let sheet: Vec<Attended> = sheet.iter().map(Attended::from).collect();
        let priced = facts(&records, &events, &sheet);
        // One fact per occurrence: the rows, not the records at their events.
        assert_eq!(priced.len(), 3);
        assert!(priced
            .iter()
            .all(|f| f.record_id.starts_with("attendance:")));
        assert!(priced
            .iter()
            .all(|f| matches!(&f.review, Review::Approved { by } if &**by == "sec")));
        let outcome = |id: &str| {
            priced
                .iter()
                .find(|f| *f.record_id == *attendance_fact_id(id))
                .and_then(|f| f.outcome)
        };
        assert_eq!(outcome("april"), Some(Outcome::Excused));
        assert_eq!(
            attendance_event_of(&attendance_fact_id("april")),
            Some("april")
        );
        assert_eq!(attendance_event_of("r1"), None);
        assert_eq!(outcome("may"), Some(Outcome::Unexcused));
        // Present +5, leave 0, absent −2 on the default rulebook's base.
        assert_eq!(
            total(&priced),
            base + Points::from_f64(3.0).expect("points")
        );
        // A row for a cancelled event counts for nothing.
        let cancelled = [
            EventEntry {
                cancelled: true,
                ..events[2].clone()
            },
            events[0].clone(),
            events[1].clone(),
        ];
        assert_eq!(facts(&records, &cancelled, &sheet).len(), 2);
    }
}
