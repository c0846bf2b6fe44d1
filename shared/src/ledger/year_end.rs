//! What the year-end pages and the JSON API show of a branch's evaluation:
//! the job side as entered, each member's proposal beside any override,
//! the 优秀 quota, the lock, and the public notice (公示).

use super::engine::JobFact;
use super::kinds::{Appraisal, Grade};
use super::points::Points;
use serde::{Deserialize, Serialize};

/// How many 优秀 the branch has, how many the quota allows, and whether it
/// is exceeded: shown and flagged, never enforced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub excellent: usize,
    pub limit: usize,
    pub exceeded: bool,
}

/// Where a branch's evaluation of a year stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// No job result and no override entered yet.
    NotStarted,
    Proposed,
    Locked,
}

impl Progress {
    pub fn label(self) -> &'static str {
        match self {
            Progress::NotStarted => "未开始",
            Progress::Proposed => "评议中",
            Progress::Locked => "已锁定",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRow {
    pub member_id: String,
    pub name: String,
    pub group_name: Option<String>,
    /// The 党建 side's subtotal.
    pub party_score: Points,
    /// The 业务 side's subtotal.
    pub job_score: Points,
    pub total: Points,
    /// The unit's appraisal, when entered.
    pub job_result: Option<Appraisal>,
    pub tasks: Option<(u32, u32)>,
    pub proposed: Grade,
    /// Why the proposal is what it is, in words.
    pub reasons: Vec<String>,
    /// Vetoes found against the member, in words.
    pub vetoes: Vec<String>,
    /// Their ids, in the same order, to withdraw one.
    #[serde(default)]
    pub veto_ids: Vec<String>,
    #[serde(rename = "override")]
    pub override_: Option<Grade>,
    pub override_reason: Option<String>,
    /// Who overrode, by name, and when (local time).
    pub override_by: Option<String>,
    pub override_at: Option<String>,
    #[serde(rename = "final")]
    pub final_: Grade,
    /// The ledger entries the total counted ([`crate::ledger::Source::counted_key`]),
    /// kept in a lock's snapshot only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counted: Vec<String>,
}

/// Something unfinished the secretary is told of before locking:
/// `over_quota`, `job_missing`, `pending_reviews`, `events_without_sheet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockWarning {
    pub code: String,
    pub message: String,
}

/// Who locked the year and when; who reopened it, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub locked_by: String,
    pub locked_at: String,
    pub reopened_by: Option<String>,
    pub reopened_at: Option<String>,
    pub reopen_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationView {
    pub branch_id: String,
    pub branch_name: String,
    pub year: i32,
    pub rulebook_label: String,
    pub locked: bool,
    pub progress: Progress,
    /// The last lock and reopening, when the year was ever locked.
    pub lock: Option<LockInfo>,
    pub quota: Quota,
    pub rows: Vec<EvaluationRow>,
    /// Members without a job result entered.
    pub job_missing: usize,
    /// Whether the viewer may enter overrides and lock; and reopen.
    pub can_decide: bool,
    pub can_reopen: bool,
    /// The rulebook's veto items (一票否决), `(id, name)`, to record one.
    #[serde(default)]
    pub veto_choices: Vec<(String, String)>,
    /// What is unfinished, as the lock would ask about it now.
    #[serde(default)]
    pub warnings: Vec<LockWarning>,
}

impl EvaluationView {
    /// How many members have each final grade, best first.
    pub fn distribution(&self) -> [(Grade, usize); 4] {
        let count = |g: Grade| self.rows.iter().filter(|r| r.final_ == g).count();
        [
            Grade::Excellent,
            Grade::Qualified,
            Grade::Basic,
            Grade::Unqualified,
        ]
        .map(|g| (g, count(g)))
    }
}

/// One member's line of the job sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSheetRow {
    pub member_id: String,
    pub username: String,
    pub name: String,
    pub group_name: Option<String>,
    pub appraisal: Option<Appraisal>,
    pub tasks_assigned: Option<u32>,
    pub tasks_completed: Option<u32>,
    pub note: Option<String>,
    pub entered_by: Option<String>,
    pub entered_at: Option<String>,
    /// The caller's own row: another officer, or the committee above,
    /// enters it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own: bool,
    /// A member who vouched for the caller's account this year (created
    /// it, reset its password, gave it a role): not the caller's to decide.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vouched: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSheet {
    pub branch_id: String,
    pub branch_name: String,
    pub year: i32,
    pub locked: bool,
    pub rows: Vec<JobSheetRow>,
}

/// One member's job result as entered on the sheet or through the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInput {
    pub member_id: String,
    pub appraisal: Appraisal,
    #[serde(default)]
    pub tasks_assigned: Option<u32>,
    #[serde(default)]
    pub tasks_completed: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
}

/// One named member of the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeEntry {
    pub name: String,
    pub grade: Grade,
}

/// The public notice (公示) of a branch's final grades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub branch_id: String,
    pub branch_name: String,
    pub year: i32,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
    /// How to object: to whom, by when, how.
    pub objection: String,
    /// The grades the notice names members of.
    pub named: Vec<Grade>,
    pub entries: Vec<NoticeEntry>,
    /// How many members had each grade, best first.
    pub counts: Vec<(Grade, usize)>,
    pub published_by: String,
    pub published_at: String,
}

/// What a secretary publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeInput {
    pub starts_on: String,
    pub ends_on: String,
    pub objection: String,
    pub named: Vec<Grade>,
}

/// What a member's phone keeps of their year: the job side as entered,
/// which the official ledger counts, and their branch's notice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MyYearEnd {
    pub year: i32,
    pub job: Option<JobFact>,
    pub notice: Option<Notice>,
}

/// One item of a branch's 六化 sheet: its findings at both stages and
/// what it earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentItemView {
    pub item_id: String,
    pub heading: String,
    pub name: String,
    pub max: Points,
    /// `met`, `partly` or `not_met`.
    pub self_score: Option<String>,
    pub self_note: String,
    pub spot_score: Option<String>,
    pub spot_note: String,
    pub spot_by: Option<String>,
    pub granted: Points,
}

/// A branch's 六化 assessment of a year: the self-check, the committee's
/// spot-check that prevails, and the score by the shared engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchAssessmentView {
    pub branch_id: String,
    pub branch_name: String,
    pub year: i32,
    pub items: Vec<AssessmentItemView>,
    /// Per heading: earned and possible.
    pub headings: Vec<(String, Points, Points)>,
    pub total: Points,
    pub out_of: Points,
    pub standing: Grade,
    /// 示范 / 达标 / 基本达标 / 未达标.
    pub standing_label: String,
    pub self_checked: usize,
    pub spot_checked: usize,
    pub can_self_check: bool,
    pub can_spot_check: bool,
}

/// One item's finding as a form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingInput {
    pub item_id: String,
    pub score: String,
    #[serde(default)]
    pub note: String,
}

/// The words a branch's standing goes by.
pub fn standing_label(g: Grade) -> &'static str {
    match g {
        Grade::Excellent => "示范",
        Grade::Qualified => "达标",
        Grade::Basic => "基本达标",
        Grade::Unqualified => "未达标",
    }
}
