//! A member's ledger on the server: the materialized records, decisions,
//! events and attendance rows read back into the shared types, priced by
//! the same `view::facts` and engine the phone runs on its own copy.

use crate::records::RecordsError;
use crate::storage::{Member, RecordRow, Store};
use crate::sync::access;
use chrono::DateTime;
use vanguard_shared::documents::id::is_plain_id;
use vanguard_shared::documents::view::{facts, Attended, RecordState, RecordView};
use vanguard_shared::documents::{CheckinRecord, DocId};
use vanguard_shared::ledger::{self, default_rulebook, Ledger, LedgerInput, Mode};
use vanguard_shared::year;

/// The ledger of `member_id` for `year` (the current one when `None`), to
/// whoever may read the member's check-ins; not found to anyone else.
pub async fn member_ledger(
    store: &Store,
    viewer: &Member,
    member_id: &str,
    year: Option<i32>,
    mode: Mode,
) -> Result<Ledger, RecordsError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let id = DocId::checkins(member_id, year);
    if !is_plain_id(member_id) || access::access(store, viewer, &id).await?.is_none() {
        return Err(RecordsError::NotFound);
    }
    let member = store
        .accounts()
        .member(member_id)
        .await?
        .ok_or(RecordsError::NotFound)?;
    let time_zone = store
        .accounts()
        .organisation(&member.org_id)
        .await?
        .and_then(|o| o.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let records: Vec<RecordView> = store
        .reports()
        .member_records(member_id, year)
        .await?
        .into_iter()
        .filter_map(record_view)
        .collect();
    let events: Vec<_> = store
        .events()
        .of_branch(&member.org_id, year)
        .await?
        .into_iter()
        .map(|row| row.event)
        .collect();
    let attendance: Vec<Attended> = store
        .events()
        .attendance_of_member(member_id, year)
        .await?
        .iter()
        .map(Attended::from)
        .collect();
    let facts = facts(&records, &events, &attendance);
    Ok(ledger::compute(
        &default_rulebook(),
        &LedgerInput {
            member_id,
            year,
            time_zone,
            records: &facts,
            adjustments: &[],
            vetoes: &[],
        },
        mode,
    ))
}

/// A materialized record as the phone's view reads it from its document.
fn record_view(r: RecordRow) -> Option<RecordView> {
    let state = RecordState::of(r.withdrawn, r.standing_decision());
    Some(RecordView {
        record: CheckinRecord {
            occurred_at: DateTime::parse_from_rfc3339(&r.occurred_at).ok()?,
            record_id: r.record_id,
            kind: r.kind,
            event_id: r.event_id,
            hours: r.hours,
            place: r.place,
            lat: r.lat,
            lon: r.lon,
            note: r.note,
            code: r.code,
            withdrawn: r.withdrawn,
        },
        state,
        title: String::new(),
        at_event: None,
    })
}
