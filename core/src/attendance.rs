//! An event's attendance sheet: one row per member who should have come,
//! prefilled from the evidence (a check-in at the event is 出席, an approved
//! leave is 请假), confirmed by the branch's officer (or, for a group's own
//! meeting, its group leader) and written into the events document's
//! attendance map through the document gate.

use crate::policy;
use crate::storage::{EventRow, Member, Store, StoreError};
use crate::sync::{SyncError, SyncService};
use chrono::Utc;
use std::collections::{BTreeSet, HashMap};
use vanguard_shared::attendance::{Evidence, RollCall, RowInput, Sheet, SheetEvent, SheetRow};
use vanguard_shared::documents::edit::{put_attendance, AttendanceRow};
use vanguard_shared::documents::schema::{LEAVE, MAX_TEXT};
use vanguard_shared::documents::{DecisionStatus, DocId, EventEntry};
use vanguard_shared::event_code::CodeVerdict;
use vanguard_shared::ledger::AttendanceMark;

#[derive(Debug, thiserror::Error)]
pub enum AttendanceError {
    #[error("活动不存在")]
    UnknownEvent,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the caller stands to an event's sheet.
enum Role {
    /// Takes attendance (for a group's meeting, of the group's members).
    Taker,
    /// Reads it (a committee admin above).
    Reader,
}

pub struct Attendance<'a> {
    store: &'a Store,
    sync: &'a SyncService,
}

impl<'a> Attendance<'a> {
    pub fn new(store: &'a Store, sync: &'a SyncService) -> Self {
        Attendance { store, sync }
    }

    async fn role(&self, caller: &Member, event: &EventRow) -> Result<Role, AttendanceError> {
        let e = &event.event;
        if policy::takes_attendance(caller, &event.branch_id, e.kind, e.group_id.as_deref()) {
            return Ok(Role::Taker);
        }
        if policy::needs_chain(caller) {
            let chain = self.store.accounts().ancestry(&event.branch_id).await?;
            if policy::reads_attendance(caller, &chain) {
                return Ok(Role::Reader);
            }
        }
        Err(AttendanceError::Forbidden(
            "只有本支部的书记、组织委员（党小组会为本组组长）可以记录考勤",
        ))
    }

    /// The members a sheet has a row for: the branch's (a group meeting's:
    /// the group's), active, by name.
    async fn expected(&self, event: &EventRow) -> Result<Vec<Member>, StoreError> {
        let mut members: Vec<Member> = self
            .store
            .accounts()
            .members_under(&event.branch_id)
            .await?
            .into_iter()
            .filter(|m| policy::on_sheet(m, &event.branch_id, &event.event))
            .collect();
        members.sort_by(|a, b| a.name.cmp(&b.name).then(a.username.cmp(&b.username)));
        Ok(members)
    }

    async fn event(&self, event_id: &str) -> Result<EventRow, AttendanceError> {
        self.store
            .events()
            .event(event_id)
            .await?
            .ok_or(AttendanceError::UnknownEvent)
    }

    /// The sheet of `event_id` as `caller` may see it.
    #[tracing::instrument(skip_all, fields(caller = %caller.id, event_id = %event_id))]
    pub async fn sheet(&self, caller: &Member, event_id: &str) -> Result<Sheet, AttendanceError> {
        let event = self.event(event_id).await?;
        let role = self.role(caller, &event).await?;
        self.read(caller, &event, &role).await
    }

    async fn read(
        &self,
        caller: &Member,
        event: &EventRow,
        role: &Role,
    ) -> Result<Sheet, AttendanceError> {
        let e = &event.event;
        let members = self.expected(event).await?;
        let free = policy::Independence::of(self.store, caller, event.year).await?;
        let groups: HashMap<String, String> = self
            .store
            .accounts()
            .organisations_under(&event.branch_id)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let recorded: HashMap<String, _> = self
            .store
            .events()
            .attendance(&event.branch_id, &e.event_id)
            .await?
            .into_iter()
            .map(|row| (row.member_id.clone(), row))
            .collect();
        let mut evidence: HashMap<String, (Evidence, Option<String>)> = HashMap::new();
        for (member_id, r) in self
            .store
            .reports()
            .records_at_event(&e.event_id, event.year)
            .await?
        {
            if r.withdrawn {
                continue;
            }
            let status = r.standing_decision().map(|(s, _)| s);
            let verified = r.code_verdict.as_deref() == Some(CodeVerdict::Verified.as_str());
            let found = match (r.kind == LEAVE, status) {
                (false, Some(DecisionStatus::Returned)) => continue,
                (false, Some(DecisionStatus::Approved)) => (Evidence::CheckedIn, None),
                (false, None) if verified => (Evidence::CheckedIn, None),
                (false, None) => (Evidence::CheckedInUnconfirmed, None),
                (true, Some(DecisionStatus::Approved)) => (Evidence::LeaveApproved, r.note),
                (true, Some(DecisionStatus::Returned)) => (Evidence::LeaveReturned, r.note),
                (true, None) => (Evidence::LeavePending, r.note),
            };
            // A check-in outweighs a leave request; a confirmed one an
            // unconfirmed one.
            let rank = |e: &Evidence| match e {
                Evidence::CheckedIn => 2,
                Evidence::CheckedInUnconfirmed => 1,
                _ => 0,
            };
            let keep = evidence
                .get(&member_id)
                .is_none_or(|(had, _)| rank(had) == 0 || rank(&found.0) > rank(had));
            if keep {
                evidence.insert(member_id, found);
            }
        }
        let rows: Vec<SheetRow> = members
            .into_iter()
            .map(|m| {
                let (found, leave_reason) = evidence
                    .remove(&m.id)
                    .map_or((None, None), |(e, reason)| (Some(e), reason));
                let saved = recorded.get(&m.id);
                let outcome = match (saved, found) {
                    (Some(row), _) => Some(AttendanceMark::of(row.outcome, row.leave)),
                    (None, Some(Evidence::CheckedIn)) => Some(AttendanceMark::Present),
                    (None, Some(Evidence::LeaveApproved)) => Some(AttendanceMark::ExcusedPersonal),
                    (None, _) => None,
                };
                SheetRow {
                    own: m.id == caller.id,
                    vouched: m.id != caller.id && !free.allows(&m.id),
                    group: m.group_id.as_ref().and_then(|g| groups.get(g)).cloned(),
                    member_id: m.id,
                    name: m.name,
                    outcome,
                    recorded: saved.is_some(),
                    evidence: found,
                    leave_reason,
                    note: saved.and_then(|r| r.reason.clone()),
                }
            })
            .collect();
        let present = rows
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    Some(AttendanceMark::Present | AttendanceMark::Late)
                )
            })
            .count();
        let started = e.start <= Utc::now();
        Ok(Sheet {
            event: sheet_event(e, started),
            may_edit: matches!(role, Role::Taker) && started && !e.cancelled,
            confirmed: !recorded.is_empty(),
            present,
            expected: rows.len(),
            rows,
        })
    }

    /// Who has checked in so far, for the host's screen: the sheet's
    /// present and late rows.
    #[tracing::instrument(skip_all, fields(caller = %caller.id, event_id = %event_id))]
    pub async fn roll_call(
        &self,
        caller: &Member,
        event_id: &str,
    ) -> Result<RollCall, AttendanceError> {
        let sheet = self.sheet(caller, event_id).await?;
        Ok(RollCall {
            present: sheet
                .rows
                .into_iter()
                // The host sees everyone who checked in, confirmed or not.
                .filter(|r| {
                    matches!(
                        r.outcome,
                        Some(AttendanceMark::Present | AttendanceMark::Late)
                    ) || (r.outcome.is_none() && r.evidence == Some(Evidence::CheckedInUnconfirmed))
                })
                .map(|r| r.name)
                .collect(),
            expected: sheet.expected,
        })
    }

    /// Saves rows of the sheet of `event_id` as `caller`; rows that say
    /// what the document already holds are left as they are. Answers the
    /// sheet as saved.
    #[tracing::instrument(skip_all, fields(caller = %caller.id, event_id = %event_id))]
    pub async fn save(
        &self,
        caller: &Member,
        event_id: &str,
        rows: &[RowInput],
    ) -> Result<Sheet, AttendanceError> {
        let event = self.event(event_id).await?;
        let role = self.role(caller, &event).await?;
        if matches!(role, Role::Reader) {
            return Err(AttendanceError::Forbidden(
                "只有本支部的书记、组织委员（党小组会为本组组长）可以记录考勤",
            ));
        }
        let e = &event.event;
        if let Some(why) = policy::sheet_closed(e, Utc::now()) {
            return Err(AttendanceError::Invalid(why.into()));
        }
        let expected = self.expected(&event).await?;
        let names: HashMap<String, String> = expected
            .iter()
            .map(|m| (m.id.clone(), m.name.clone()))
            .collect();
        let members: BTreeSet<String> = expected.into_iter().map(|m| m.id).collect();
        let saved: HashMap<String, _> = self
            .store
            .events()
            .attendance(&event.branch_id, event_id)
            .await?
            .into_iter()
            .map(|row| (row.member_id.clone(), row))
            .collect();
        let mut seen = BTreeSet::new();
        let mut changed = Vec::new();
        let free = policy::Independence::of(self.store, caller, event.year).await?;
        if let Some(why) = rows
            .iter()
            .find_map(|r| free.refusal(&r.member_id, policy::OWN_ATTENDANCE))
        {
            return Err(AttendanceError::Forbidden(why));
        }
        for row in rows {
            if !members.contains(&row.member_id) {
                return Err(AttendanceError::Invalid(format!(
                    "{} 不在本活动的应到名单中",
                    row.member_id
                )));
            }
            if !seen.insert(row.member_id.as_str()) {
                return Err(AttendanceError::Invalid(format!(
                    "{} 出现了两次",
                    row.member_id
                )));
            }
            let mark: AttendanceMark = row.outcome.parse().map_err(|_| {
                AttendanceError::Invalid(format!(
                    "未知的考勤结果“{}”：应为 present、late、excused_official、excused_personal、unexcused 或 made_up",
                    row.outcome
                ))
            })?;
            let note = row
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            if note.as_ref().is_some_and(|n| n.chars().count() > MAX_TEXT) {
                return Err(AttendanceError::Invalid(format!(
                    "备注不能超过 {MAX_TEXT} 字"
                )));
            }
            let same = saved.get(&row.member_id).is_some_and(|s| {
                AttendanceMark::of(s.outcome, s.leave) == mark && s.reason == note
            });
            if !same {
                changed.push(AttendanceRow {
                    member_id: row.member_id.clone(),
                    mark,
                    note,
                });
            }
        }
        if !changed.is_empty() {
            let doc = DocId::events(&event.branch_id, event.year);
            let now = Utc::now().fixed_offset();
            // The document's line says who and when; this one says what.
            let mut counts: Vec<(AttendanceMark, usize)> = Vec::new();
            for row in &changed {
                match counts.iter_mut().find(|(m, _)| *m == row.mark) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((row.mark, 1)),
                }
            }
            let marks: Vec<String> = counts
                .iter()
                .map(|(m, n)| format!("{} {n}", m.label()))
                .collect();
            // Each change in words, the first few: 张伟 无故缺席 → 出席.
            const NAMED: usize = 10;
            let mut words: Vec<String> = changed
                .iter()
                .take(NAMED)
                .map(|row| {
                    let who = names.get(&row.member_id).map_or("", String::as_str);
                    let before = saved.get(&row.member_id).map_or("未记录", |s| {
                        AttendanceMark::of(s.outcome, s.leave).label()
                    });
                    format!("{who} {before} → {}", row.mark.label())
                })
                .collect();
            if changed.len() > NAMED {
                words.push(format!("等 {} 人", changed.len()));
            }
            let note = crate::storage::AuditEvent {
                at: now.timestamp(),
                member_id: caller.id.clone(),
                peer_id: crate::door::edit_device().to_string(),
                action: "attendance_marked",
                subject: doc.to_string(),
                detail: Some(format!(
                    "考勤 {}：{}（{}）",
                    event.event.title,
                    words.join("；"),
                    marks.join("，")
                )),
            };
            self.sync
                .edit_noted(caller, &doc, Some(note), |d| {
                    put_attendance(d, event_id, &changed, &caller.id, now)
                })
                .await?;
        }
        self.read(caller, &event, &role).await
    }
}

fn sheet_event(e: &EventEntry, started: bool) -> SheetEvent {
    SheetEvent {
        event_id: e.event_id.clone(),
        kind: e.kind,
        kind_label: e.kind.label().to_string(),
        title: e.title.clone(),
        start: e.start.to_rfc3339(),
        end: e.end.map(|t| t.to_rfc3339()),
        place: e.place.clone(),
        cancelled: e.cancelled,
        started,
        checkin_closes: e.checkin_window().1.to_rfc3339(),
    }
}
