//! The year-end evaluation of a branch (年终考核 / 民主评议党员), in three
//! steps a secretary takes in order: the job side (`job`), the proposals,
//! overrides and lock (`evaluation`), the public notice (`notice`).
//!
//! Who may do what: a branch's secretary and organisation officer enter
//! the job side, override, lock and publish for their branch; a committee
//! admin may do the same for any branch below, and only they reopen a
//! locked year. Members read the notice of their own branch.

pub mod assessment;
pub mod evaluation;
pub mod job;
pub mod notice;

use crate::accounts::Directory;
use crate::ledger::reads_branch;
use crate::storage::{AuditEvent, JobRow, Member, Organisation, Store, StoreError};
use crate::sync::access::{admin, officer};
use chrono::TimeZone;
use vanguard_shared::ledger::{Appraisal, JobFact};
use vanguard_shared::year::{self, YearError};
use vanguard_shared::OrgKind;

#[derive(Debug, thiserror::Error)]
pub enum YearEndError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// Bad input, in words that name what is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The year is locked, or not locked where it must be.
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Year(#[from] YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub const LOCKED: &str = "该年度评议已锁定，须由上级党委重新开启后才能修改";

/// The engine's job fact of a stored row; `None` for a row the code does
/// not understand (logged as corrupt by whoever reads it).
pub fn job_fact(r: &JobRow) -> Option<JobFact> {
    let appraisal: Appraisal = r.appraisal.parse().ok()?;
    let tasks = match (r.tasks_assigned, r.tasks_completed) {
        (Some(a), Some(c)) => Some((u32::try_from(a).ok()?, u32::try_from(c).ok()?)),
        _ => None,
    };
    Some(JobFact {
        appraisal,
        tasks,
        by: r.entered_by.clone(),
    })
}

/// The caller's own year-end: their job result and their branch's notice.
pub async fn mine(
    store: &Store,
    viewer: &Member,
    year: Option<i32>,
) -> Result<vanguard_shared::ledger::year_end::MyYearEnd, YearEndError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let job = store
        .year_end()
        .job_of(&viewer.id, year)
        .await?
        .and_then(|r| job_fact(&r));
    let notice = match notice::notice_of(store, viewer, &viewer.org_id, year).await {
        Ok(n) => n,
        // A committee admin's own unit is no branch: no notice of theirs.
        Err(YearEndError::Forbidden(_) | YearEndError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(vanguard_shared::ledger::year_end::MyYearEnd { year, job, notice })
}

/// The year-end's own part of the dual standard: without the unit's
/// appraisal nobody is known to do the job well, so nobody is proposed 优秀
/// until it is entered.
pub fn without_job_result(ledger: &mut vanguard_shared::ledger::Ledger, job: Option<&JobFact>) {
    use vanguard_shared::ledger::Grade;
    if job.is_none() && ledger.proposed == Grade::Excellent {
        ledger.proposed = Grade::Qualified;
        ledger
            .grade_reasons
            .push("未录入年度考核（业务）结果，暂不能评为优秀".to_string());
    }
}

/// The branch a request names, which must be a branch.
async fn branch(store: &Store, branch_id: &str) -> Result<Organisation, YearEndError> {
    store
        .accounts()
        .organisation(branch_id)
        .await?
        .filter(|o| o.kind == OrgKind::Branch)
        .ok_or(YearEndError::NotFound("支部不存在"))
}

/// Whether `viewer` is a committee admin above `branch_id`.
async fn admin_above(store: &Store, viewer: &Member, branch_id: &str) -> Result<bool, StoreError> {
    if !admin(viewer) {
        return Ok(false);
    }
    let above = Directory::new(store).ancestry(branch_id).await?;
    Ok(above
        .iter()
        .any(|o| o.id == viewer.org_id && o.id != branch_id))
}

/// Whether `viewer` decides the branch's year-end: its secretary or
/// organisation officer, or a committee admin above.
async fn decides(store: &Store, viewer: &Member, branch_id: &str) -> Result<bool, StoreError> {
    if officer(viewer) && viewer.org_id == branch_id {
        return Ok(true);
    }
    admin_above(store, viewer, branch_id).await
}

/// Checks that `viewer` reads the branch, and returns it with the year.
async fn readable(
    store: &Store,
    viewer: &Member,
    branch_id: &str,
    year: Option<i32>,
) -> Result<(Organisation, i32), YearEndError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let branch = branch(store, branch_id).await?;
    if !reads_branch(store, viewer, &branch.id).await? {
        return Err(YearEndError::Forbidden("无权查看该支部的年终评议"));
    }
    Ok((branch, year))
}

/// Checks that `viewer` decides the branch's year-end.
async fn decided_by(
    store: &Store,
    viewer: &Member,
    branch_id: &str,
    year: Option<i32>,
) -> Result<(Organisation, i32), YearEndError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let branch = branch(store, branch_id).await?;
    if !decides(store, viewer, &branch.id).await? {
        return Err(YearEndError::Forbidden(
            "只有本支部书记、组织委员或上级党委管理员可以办理年终评议",
        ));
    }
    Ok((branch, year))
}

/// The branch's members of the roll, by name.
async fn roll(store: &Store, branch_id: &str) -> Result<Vec<Member>, StoreError> {
    let mut members: Vec<Member> = store
        .accounts()
        .members_under(branch_id)
        .await?
        .into_iter()
        .filter(|m| m.active && m.org_id == branch_id)
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(members)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A moment as the branch reads it (Beijing time).
pub(crate) fn local_time(at: i64) -> String {
    chrono_tz::Asia::Shanghai
        .timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// An audit line of a year-end decision, made on the server for `actor`.
fn audit(actor: &Member, action: &'static str, subject: String, detail: String) -> AuditEvent {
    AuditEvent {
        at: now(),
        member_id: actor.id.clone(),
        peer_id: crate::sync::EDIT_DEVICE.to_string(),
        action,
        subject,
        detail: Some(detail),
    }
}

/// A reason as given, refused when empty or too long.
fn reason(text: &str, what: &str) -> Result<String, YearEndError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(YearEndError::Invalid(format!("{what}须填写理由")));
    }
    if t.chars().count() > 500 {
        return Err(YearEndError::Invalid(format!(
            "{what}的理由不能超过 500 字"
        )));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vanguard_shared::ledger::{compute, default_rulebook, Grade, LedgerInput, Mode};

    #[test]
    fn nobody_is_proposed_excellent_before_their_job_result() {
        let book = default_rulebook();
        let input = LedgerInput {
            member_id: "m1",
            year: 2026,
            time_zone: chrono_tz::Asia::Shanghai,
            records: &[],
            adjustments: &[],
            vetoes: &[],
            job: None,
        };
        let mut l = compute(&book, &input, Mode::Official);
        l.proposed = Grade::Excellent;
        let job = JobFact {
            appraisal: Appraisal::Excellent,
            tasks: None,
            by: "sec".into(),
        };
        let mut known = l.clone();
        without_job_result(&mut known, Some(&job));
        assert_eq!(known.proposed, Grade::Excellent);
        without_job_result(&mut l, None);
        assert_eq!(l.proposed, Grade::Qualified);
        assert!(l.grade_reasons.iter().any(|r| r.contains("未录入年度考核")));
    }
}
