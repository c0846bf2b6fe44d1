//! The year-end evaluation of a branch (年终考核 / 民主评议党员), in three
//! steps a secretary takes in order: the job side (`job`), the proposals,
//! overrides and lock (`evaluation`), the public notice (`notice`); and the
//! branch's 六化 assessment (`assessment`). Each file adds its entry points
//! to [`YearEnd`]; who may take each step is `policy`'s.

pub mod assessment;
pub mod evaluation;
pub mod job;
pub mod notice;

use crate::ledger::{job_fact, FactsCache};
use crate::policy::{self, BranchRule, BranchScope, Refusal};
use crate::storage::{AuditEvent, Member, Store, StoreError};
use chrono::TimeZone;
use vanguard_shared::year::{self, YearError};

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
    /// Unfinished work the caller has not confirmed locking over.
    #[error("还有未完成的事项，请确认后再锁定")]
    Unconfirmed(Vec<vanguard_shared::ledger::year_end::LockWarning>),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Year(#[from] YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub use policy::LOCKED;

/// Which of the lock's warnings the caller confirmed: all (the API's
/// `{"confirm": true}`), or those the page showed, by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    All,
    Codes(Vec<String>),
}

impl Confirmed {
    pub const NOTHING: Confirmed = Confirmed::Codes(Vec::new());

    fn covers(&self, code: &str) -> bool {
        match self {
            Confirmed::All => true,
            Confirmed::Codes(codes) => codes.iter().any(|c| c == code),
        }
    }
}

const NOT_READABLE: &str = "无权查看该支部的年终评议";
const NOT_DECIDED: &str = "只有本支部书记、组织委员或上级党委管理员可以办理年终评议";

/// A branch's year-end, for whoever may read or decide it.
pub struct YearEnd<'a> {
    store: &'a Store,
    cache: &'a FactsCache,
}

impl<'a> YearEnd<'a> {
    pub fn new(store: &'a Store, cache: &'a FactsCache) -> Self {
        YearEnd { store, cache }
    }

    async fn open(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        rule: BranchRule,
        refusal: &'static str,
    ) -> Result<BranchScope, Refusal> {
        BranchScope::open(self.store, viewer, branch_id, year, rule, refusal).await
    }

    /// The branch, for someone who reads its year-end.
    async fn readable(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<BranchScope, Refusal> {
        self.open(viewer, branch_id, year, policy::reads_branch, NOT_READABLE)
            .await
    }

    /// The branch, for someone who decides its year-end.
    async fn decided_by(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<BranchScope, Refusal> {
        self.open(
            viewer,
            branch_id,
            year,
            policy::decides_year_end,
            NOT_DECIDED,
        )
        .await
    }

    /// The caller's own year-end: their job result and their branch's notice.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn mine(
        &self,
        viewer: &Member,
        year: Option<i32>,
    ) -> Result<vanguard_shared::ledger::year_end::MyYearEnd, YearEndError> {
        let year = year::requested(year, chrono::Utc::now())?;
        let job = self
            .store
            .year_end()
            .job_of(&viewer.id, year)
            .await?
            .and_then(|r| job_fact(&r));
        let notice = match self.notice_of(viewer, &viewer.org_id, year).await {
            Ok(n) => n,
            // A committee admin's own unit is no branch: no notice of theirs.
            Err(YearEndError::Refused(Refusal::Forbidden(_) | Refusal::NotFound(_))) => None,
            Err(e) => return Err(e),
        };
        Ok(vanguard_shared::ledger::year_end::MyYearEnd { year, job, notice })
    }
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
        peer_id: crate::door::edit_device().to_string(),
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
