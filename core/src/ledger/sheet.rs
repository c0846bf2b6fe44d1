//! One member's sheet (一人一张清单) in words: each entry of the ledger with
//! what it was, the rule that priced it, who reviewed it and its history.

use super::facts::BranchFacts;
use crate::accounts::Names;
use crate::charts;
use crate::rulebooks::in_force::InForce;
use crate::storage::{Member, RecordRow, StoreError};
use std::collections::HashMap;
use vanguard_shared::documents::schema::DecisionStatus;
use vanguard_shared::documents::view::attendance_event_of;
use vanguard_shared::ledger::{Entry, JobFact, Mode, Note, Sheet, SheetEntry, Source};

pub(super) async fn sheet_of(
    member: &Member,
    facts: &BranchFacts,
    book: &InForce,
    mode: Mode,
    names: &mut Names<'_>,
    corrected: &HashMap<String, Vec<String>>,
) -> Result<Sheet, StoreError> {
    let ledger = facts.priced_one(&book.book, member, mode).await;
    let tz = facts.time_zone(member);
    let rows: HashMap<&str, &RecordRow> = facts
        .records_of(&member.id)
        .iter()
        .map(|r| (r.record_id.as_str(), r))
        .collect();
    let events = facts.events_of(member);
    let event_title = |id: &str| {
        events
            .iter()
            .find(|e| e.event_id == id)
            .map(|e| e.title.clone())
    };
    let mut entries = Vec::with_capacity(ledger.entries.len());
    for e in &ledger.entries {
        let id = match &e.source {
            Source::Record(id) => id,
            Source::Appraisal | Source::Tasks => {
                entries.push(job_entry(e, facts.job_of(&member.id), names).await?);
                continue;
            }
            Source::Adjustment(_) => continue,
        };
        let row = rows.get(&**id).copied();
        let attendance_event = attendance_event_of(id)
            .and_then(|event_id| events.iter().find(|ev| ev.event_id == event_id));
        let what = match (row, attendance_event) {
            (Some(r), _) => r
                .event_id
                .as_deref()
                .and_then(event_title)
                .or_else(|| e.kind.map(|k| k.label().to_string()))
                .unwrap_or_else(|| r.kind.clone()),
            (None, Some(ev)) => format!("{}（考勤）", ev.title),
            (None, None) => e.kind.map(|k| k.label().to_string()).unwrap_or_default(),
        };
        let reviewer = match row {
            Some(r) => r.standing_decision().and(r.reviewer.clone()),
            None => e.reviewer.as_deref().map(str::to_string),
        };
        let reviewer_name = match reviewer.as_deref() {
            Some(id) => names.of(id).await?,
            None => None,
        };
        let mut history = row
            .and_then(|r| corrected.get(&r.record_id))
            .cloned()
            .unwrap_or_default();
        if let Some(r) = row {
            history.extend(record_history(r, names).await?);
        }
        entries.push(SheetEntry {
            source: e.source.clone(),
            record_id: row.map(|r| r.record_id.clone()),
            date: e
                .occurred_at
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string()),
            occurred_at: e.occurred_at,
            kind: e.kind,
            what,
            hours: row.and_then(|r| r.hours),
            rule_id: e.rule_id.as_deref().map(str::to_string),
            rule_name: e
                .rule_id
                .as_deref()
                .and_then(|id| book.book.rules.iter().find(|r| &*r.id == id))
                .map(|r| r.name.clone()),
            section: e.section,
            side: e.side,
            nominal: e.nominal,
            granted: e.granted,
            counted: e.counted,
            note_label: e.note.as_ref().map(Note::label),
            note: e.note.clone(),
            reviewer,
            reviewer_name,
            reviewed_at: row.and_then(|r| r.standing_decision().and(r.reviewed_at.clone())),
            history,
            after_lock: false,
        });
    }
    let (pending, returned) = facts.waiting_and_returned(&member.id);
    let mut charts = charts::participation([&ledger], tz).to_vec();
    charts.push(charts::attendance_rate(
        facts.attendance_of(&member.id),
        events,
    ));
    Ok(Sheet {
        member_id: member.id.clone(),
        member_name: member.name.clone(),
        year: ledger.year,
        mode,
        rulebook_id: ledger.rulebook_id,
        rulebook_version: ledger.rulebook_version,
        rulebook_label: book.label(),
        base: ledger.base,
        sum: ledger.sum,
        total: ledger.total,
        sections: ledger.sections,
        sides: ledger.sides,
        proposed: ledger.proposed,
        proposed_label: ledger.proposed.label().to_string(),
        grade_reasons: ledger.grade_reasons,
        vetoes: ledger.vetoes,
        entries,
        pending,
        returned,
        charts,
        locked: None,
    })
}

/// What happened to a record besides its corrections, in words.
async fn record_history(r: &RecordRow, names: &mut Names<'_>) -> Result<Vec<String>, StoreError> {
    let mut history = Vec::new();
    if r.withdrawn {
        history.push("成员已撤回".to_string());
    }
    if let (Some(by), Some(status)) = (&r.conflict_by, &r.conflict_status) {
        let who = names.of(by).await?.unwrap_or_else(|| by.clone());
        let said = if status == "returned" {
            "退回"
        } else {
            "通过"
        };
        history.push(format!("{who} 曾决定{said}，已被另一决定取代"));
    }
    if r.review_status.is_some() && r.standing_decision().is_none() {
        history.push("审核后成员更正了记录，待重新审核".to_string());
    }
    if let (Some(DecisionStatus::Returned), Some(reason)) = (
        r.standing_decision().map(|(s, _)| s),
        r.review_reason.as_deref(),
    ) {
        history.push(format!("退回原因：{reason}"));
    }
    Ok(history)
}

/// The sheet's line of the job side: the appraisal, or the tasks.
async fn job_entry(
    e: &Entry,
    job: Option<&JobFact>,
    names: &mut Names<'_>,
) -> Result<SheetEntry, StoreError> {
    let what = match (&e.source, job) {
        (
            Source::Tasks,
            Some(JobFact {
                tasks: Some((assigned, completed)),
                ..
            }),
        ) => {
            format!("交办任务完成 {completed}/{assigned}")
        }
        (_, Some(j)) => format!("年度考核：{}", j.appraisal.label()),
        _ => "年度考核".to_string(),
    };
    let reviewer = job.map(|j| j.by.clone());
    let reviewer_name = match reviewer.as_deref() {
        Some(id) => names.of(id).await?,
        None => None,
    };
    Ok(SheetEntry {
        source: e.source.clone(),
        record_id: None,
        date: None,
        occurred_at: None,
        kind: None,
        what,
        hours: None,
        rule_id: None,
        rule_name: Some("年度考核（业务）".to_string()),
        section: e.section,
        side: e.side,
        nominal: e.nominal,
        granted: e.granted,
        counted: e.counted,
        note: None,
        note_label: None,
        reviewer,
        reviewer_name,
        reviewed_at: None,
        history: Vec::new(),
        after_lock: false,
    })
}
