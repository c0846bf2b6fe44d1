//! A member's year as the phone shows it: records with their review state in
//! words, the branch's events, and the facts the ledger engine prices. Read
//! from the member's local documents, so it works with no network; the
//! server's materialized tables say the same once everything has synced.

use super::id::DocId;
use super::schema::{CheckinRecord, Decision, DecisionStatus, Entry, EventEntry, Layout, LEAVE};
use crate::ledger::{Kind, Outcome, RecordFact, Review};
use automerge::Automerge;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

/// Where a record stands, as the member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordState {
    /// Only on this device (待同步).
    Local,
    /// On the server, awaiting review (已提交).
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
            RecordState::Submitted => "已提交",
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

/// What the ledger engine prices: each record with its review. A leave
/// request counts as excused absence from its event's kind; a record still
/// on this device counts as pending, as in the member's own view.
pub fn facts(records: &[RecordView], events: &[EventEntry]) -> Vec<RecordFact> {
    records
        .iter()
        .filter_map(|view| {
            let r = &view.record;
            let (kind, outcome) = if r.kind == LEAVE {
                let event = events
                    .iter()
                    .find(|e| Some(&e.event_id) == r.event_id.as_ref())?;
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
            })
        })
        .collect()
}
