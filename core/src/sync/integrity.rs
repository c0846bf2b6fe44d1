//! What the server decides and never takes from a client, checked on every
//! accepted change before it is stored (a synced one or the server's own
//! edit alike):
//!
//! - the author (`by`) of every decision, adjustment, grade and attendance
//!   row a change writes, and who cancelled an event, is the member who
//!   sent it (403 otherwise);
//! - a decision names a record of the member's that exists, at the version
//!   it now has;
//! - an event id names one event, of the branch whose document holds it;
//! - attendance rows name members of that branch;
//! - the verdict on a check-in code is the server's own, computed here and
//!   stored with the record.

use super::SyncError;
use crate::storage::{Member, Store, Verdicts};
use automerge::{Automerge, Change};
use std::collections::{BTreeSet, HashMap};
use vanguard_shared::documents::leave;
use vanguard_shared::documents::schema::{LEAVE, RECORDS};
use vanguard_shared::documents::{DocId, DocKind, Entry, Layout, SchemaError};
use vanguard_shared::event_code::CodeVerdict;

fn forged() -> SyncError {
    SyncError::Forbidden("记录人须为当前登录的成员本人".into())
}

/// A year's records within the cap: every check-in and leave request a
/// member writes stays in their document, priced on every ledger, so the
/// number is bounded (docs/sync.md, "Limits"). Only a change that writes
/// records is measured; one deciding or reading never is.
fn within_records_cap(
    id: &DocId,
    doc: &Automerge,
    entries: &[Entry],
    cap: usize,
) -> Result<(), SyncError> {
    if !entries.iter().any(|e| matches!(e, Entry::Record(_))) {
        return Ok(());
    }
    let held = Layout::find(doc, id).map_or(0, |layout| {
        layout
            .collection_obj(RECORDS)
            .map_or(0, |obj| automerge::ReadDoc::length(doc, obj))
    });
    if held > cap {
        return Err(SyncError::TooLarge(format!(
            "每名党员每年最多 {cap} 条记录，本年度已达上限"
        )));
    }
    Ok(())
}

fn authored_by(by: &Option<String>, author: &Member) -> Result<(), SyncError> {
    match by {
        Some(by) if *by == author.id => Ok(()),
        _ => Err(forged()),
    }
}

/// Checks what `changes` wrote to document `id` (its `entries`, as read and
/// validated), by `author`; answers the verdicts on any records' codes. A
/// member's records document holds at most `records_cap` records a year.
pub(super) async fn check(
    store: &Store,
    author: &Member,
    id: &DocId,
    doc: &Automerge,
    changes: &[Change],
    entries: &[Entry],
    records_cap: usize,
) -> Result<Verdicts, SyncError> {
    match id.kind {
        DocKind::Checkins => {
            within_records_cap(id, doc, entries, records_cap)?;
            leave_requests(store, author, id, entries).await?;
            Ok(code_verdicts(store, &author.org_id, entries).await?)
        }
        DocKind::Reviews => {
            // The lock fixes the grades, not the daily work: decisions and
            // adjustments go on, a grade entry waits for a reopening.
            if entries.iter().any(|e| matches!(e, Entry::Grade(_))) {
                let branch = store.accounts().member(&id.owner).await?.map(|m| m.org_id);
                refuse_locked(store, branch.as_deref(), id.year).await?;
            }
            reviews(store, author, id, entries).await?;
            Ok(Verdicts::new())
        }
        DocKind::Events => {
            events(store, author, id, doc, changes, entries).await?;
            Ok(Verdicts::new())
        }
    }
}

/// A grade of a year its branch locked is frozen with its evaluation,
/// whichever door it comes through.
async fn refuse_locked(store: &Store, branch: Option<&str>, year: i32) -> Result<(), SyncError> {
    match branch {
        Some(b) if !crate::policy::year_open(store, b, year).await? => {
            Err(SyncError::Forbidden(crate::policy::LOCKED.to_string()))
        }
        _ => Ok(()),
    }
}

/// The verdicts on the codes of the records among `entries`, checked
/// against the keys of the member's branch's events.
pub async fn code_verdicts(
    store: &Store,
    branch_id: &str,
    entries: &[Entry],
) -> Result<Verdicts, crate::storage::StoreError> {
    let coded: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Record(r) if r.code.is_some() => Some(r),
            _ => None,
        })
        .collect();
    if coded.is_empty() {
        return Ok(Verdicts::new());
    }
    let event_ids: BTreeSet<&str> = coded.iter().filter_map(|r| r.event_id.as_deref()).collect();
    let event_ids: Vec<&str> = event_ids.into_iter().collect();
    let keys = store.events().code_keys(branch_id, &event_ids).await?;
    Ok(coded
        .into_iter()
        .map(|r| {
            let key = r
                .event_id
                .as_ref()
                .and_then(|e| keys.get(e))
                .map(String::as_str);
            let verdict =
                CodeVerdict::of(r.code.as_deref(), r.event_id.as_deref(), key, r.occurred_at);
            (r.record_id.clone(), verdict)
        })
        .collect())
}

/// A leave request stands only for an event of the member's branch that
/// had not started when it was asked, and that the member has not checked
/// in to (`documents::leave`, the rule the phone's form applies too).
async fn leave_requests(
    store: &Store,
    author: &Member,
    id: &DocId,
    entries: &[Entry],
) -> Result<(), SyncError> {
    let records = || {
        entries.iter().filter_map(|e| match e {
            Entry::Record(r) if !r.withdrawn => Some(r),
            _ => None,
        })
    };
    for leave in records().filter(|r| r.kind == LEAVE) {
        let refused = |message: &str| {
            SyncError::from(SchemaError::new(
                Some(leave.record_id.clone()),
                "event_id",
                message,
            ))
        };
        let Some(event_id) = leave.event_id.as_deref() else {
            continue;
        };
        let event = store
            .events()
            .event(event_id)
            .await?
            .filter(|e| e.branch_id == author.org_id)
            .ok_or_else(|| refused("请假的活动不存在"))?;
        let here = records().any(|r| r.kind != LEAVE && r.event_id.as_deref() == Some(event_id));
        let stored = store
            .reports()
            .records_at_event(event_id, id.year)
            .await?
            .into_iter()
            .any(|(member, r)| member == id.owner && r.kind != LEAVE && !r.withdrawn);
        if let Some(message) = leave::refusal(&event.event, leave.occurred_at, here || stored) {
            return Err(refused(message));
        }
    }
    Ok(())
}

async fn reviews(
    store: &Store,
    author: &Member,
    id: &DocId,
    entries: &[Entry],
) -> Result<(), SyncError> {
    let mut decided: HashMap<&str, Option<&str>> = HashMap::new();
    for entry in entries {
        match entry {
            Entry::Decision(d) => {
                authored_by(&d.by, author)?;
                decided.insert(&d.record_id, d.version.as_deref());
            }
            Entry::Adjustment(a) => authored_by(&a.by, author)?,
            Entry::Grade(g) => authored_by(&g.by, author)?,
            _ => {}
        }
    }
    if decided.is_empty() {
        return Ok(());
    }
    let free = crate::policy::Independence::of(store, author, id.year).await?;
    if let Some(why) = free.refusal(&id.owner, "不能审核本人的记录") {
        return Err(SyncError::Forbidden(why.into()));
    }
    let ids: Vec<&str> = decided.keys().copied().collect();
    let versions = store
        .reports()
        .record_versions(&id.owner, id.year, &ids)
        .await?;
    for (record_id, version) in decided {
        let field =
            |message: &str| SchemaError::new(Some(record_id.to_string()), "version", message);
        let Some(current) = versions.get(record_id) else {
            return Err(SchemaError::new(
                Some(record_id.to_string()),
                "decisions",
                "所审核的记录不存在",
            )
            .into());
        };
        match (version, current) {
            (None, _) => return Err(field("须注明所审核记录的版本").into()),
            (Some(v), Some(current)) if v != current => {
                return Err(field("记录已有更改，请按最新内容审核").into())
            }
            _ => {}
        }
    }
    Ok(())
}

async fn events(
    store: &Store,
    author: &Member,
    id: &DocId,
    doc: &Automerge,
    changes: &[Change],
    entries: &[Entry],
) -> Result<(), SyncError> {
    let branch = id.owner.as_str();
    let officer = crate::policy::officer_of(author, branch);
    if !officer && entries.iter().any(|e| matches!(e, Entry::Event(_))) {
        return Err(SyncError::Forbidden(
            "只有本支部的书记或组织委员可以发布和修改活动".into(),
        ));
    }
    // Who cancelled an event is whoever did: a change may name the author,
    // or keep the name the event already had.
    for entry in entries {
        if let Entry::Event(e) = entry {
            if let Some(by) = e.cancelled_by.as_deref().filter(|by| *by != author.id) {
                let before = store.events().event(&e.event_id).await?;
                if before.and_then(|r| r.event.cancelled_by).as_deref() != Some(by) {
                    return Err(forged());
                }
            }
        }
    }
    let event_ids: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Event(e) => Some(e.event_id.as_str()),
            _ => None,
        })
        .collect();
    if !event_ids.is_empty()
        && !store
            .events()
            .owned_elsewhere(branch, &event_ids)
            .await?
            .is_empty()
    {
        return Err(SyncError::Forbidden("活动编号已被其他支部使用".into()));
    }
    let attendance: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Attendance { event_id, rows } => Some((event_id, rows)),
            _ => None,
        })
        .collect();
    if attendance.is_empty() {
        return Ok(());
    }
    // Each row the changes wrote is the author's.
    let Some(layout) = Layout::find(doc, id) else {
        return Ok(());
    };
    let written = layout.attendance_rows_written(doc, changes);
    for (event_id, rows) in &attendance {
        for row in rows.iter() {
            if written.contains(&(event_id.to_string(), row.member_id.clone())) {
                authored_by(&row.by, author)?;
            }
        }
    }
    // The sheet's own rules, as its API applies them: the event is one of
    // this document's, not cancelled and begun; every row written names a
    // member on its sheet (for a 党小组会, of that group); and a group
    // leader writes only the group's own meetings.
    let branch_members = store.accounts().members_under(branch).await?;
    let now = chrono::Utc::now();
    for (event_id, rows) in &attendance {
        let refused = |message: &str| -> SyncError {
            SchemaError::new(Some(event_id.to_string()), "attendance", message).into()
        };
        let event = match layout.read(doc, "events", event_id) {
            Ok(Entry::Event(e)) => e,
            _ => return Err(refused("考勤所属的活动不存在")),
        };
        if !crate::policy::takes_attendance(author, branch, event.kind, event.group_id.as_deref()) {
            return Err(SyncError::Forbidden(if officer {
                "只有本支部的书记或组织委员可以记录考勤".into()
            } else {
                "党小组长只能记录本小组党小组会的考勤".into()
            }));
        }
        let wrote: Vec<_> = rows
            .iter()
            .filter(|r| written.contains(&(event_id.to_string(), r.member_id.clone())))
            .collect();
        if wrote.is_empty() {
            continue;
        }
        let free = crate::policy::Independence::of(store, author, id.year).await?;
        if let Some(why) = wrote
            .iter()
            .find_map(|r| free.refusal(&r.member_id, crate::policy::OWN_ATTENDANCE))
        {
            return Err(SyncError::Forbidden(why.into()));
        }
        if let Some(why) = crate::policy::sheet_closed(&event, now) {
            return Err(refused(why));
        }
        let on_sheet: BTreeSet<&str> = branch_members
            .iter()
            .filter(|m| crate::policy::on_sheet(m, branch, &event))
            .map(|m| m.id.as_str())
            .collect();
        if let Some(row) = wrote
            .iter()
            .find(|r| !on_sheet.contains(r.member_id.as_str()))
        {
            return Err(SchemaError::new(
                Some(format!("{event_id}/{}", row.member_id)),
                "attendance",
                "不在本活动的应到名单中",
            )
            .into());
        }
    }
    Ok(())
}
