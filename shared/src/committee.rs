//! What a committee sees of the branches below it (`/console/committee`):
//! per branch, the meetings due and held each quarter, participation, the
//! reviews waiting, where the year-end evaluation stands, its grades, and
//! the branch's 六化 score. Branches are listed by name, never ranked
//! unless the committee turns ranking on.

use crate::ledger::year_end::Progress;
use crate::ledger::{Grade, Kind, Period, Points};
use serde::{Deserialize, Serialize};

/// Meetings of one kind: `(held, due)` per quarter and for the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingCount {
    pub kind: Kind,
    pub period: Period,
    pub quarters: [(u32, u32); 4],
    pub year: (u32, u32),
}

impl MeetingCount {
    /// Fewer held than due this far.
    pub fn behind(&self) -> bool {
        self.year.0 < self.year.1
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchSummary {
    pub branch_id: String,
    pub branch_name: String,
    pub members: usize,
    pub meetings: Vec<MeetingCount>,
    /// Attended (出席, 迟到, 补学) of all attendance rows, in percent, per
    /// quarter and for the year; `None` without rows.
    pub participation: [Option<f64>; 4],
    pub participation_year: Option<f64>,
    pub pending_reviews: usize,
    pub progress: Progress,
    /// Final grades when locked, proposed ones before.
    pub grades: [(Grade, usize); 4],
    pub liuhua: Option<(Points, String)>,
    /// Only when the committee turned ranking on: by 六化 score.
    pub rank: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitteeView {
    pub committee_id: String,
    pub committee_name: String,
    pub year: i32,
    pub ranked: bool,
    pub branches: Vec<BranchSummary>,
}
