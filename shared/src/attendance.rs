//! An event's attendance sheet as the console shows and saves it: one row
//! per member who should have come, with what the evidence says.

use crate::ledger::{AttendanceMark, Kind};
use serde::{Deserialize, Serialize};

/// What the evidence says of one member at the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Checked in to the event: approved, or with a verified code.
    CheckedIn,
    /// Checked in, but neither reviewed nor with a verified code (or with
    /// a wrong one): 待确认 until an officer looks, never 出席 unseen.
    CheckedInUnconfirmed,
    LeaveApproved,
    LeavePending,
    LeaveReturned,
}

impl Evidence {
    pub fn label(self) -> &'static str {
        match self {
            Evidence::CheckedIn => "已签到",
            Evidence::CheckedInUnconfirmed => "已签到（待确认）",
            Evidence::LeaveApproved => "请假已批准",
            Evidence::LeavePending => "请假待审核",
            Evidence::LeaveReturned => "请假未批准",
        }
    }
}

/// One member's row on the sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetRow {
    pub member_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The outcome recorded, or prefilled from the evidence; `None`: 未到.
    pub outcome: Option<AttendanceMark>,
    /// Whether `outcome` is recorded in the document, not only prefilled.
    pub recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The member's reason for a leave request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leave_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The caller's own row: nobody marks their own attendance, another
    /// officer of the branch does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own: bool,
    /// A member who vouched for the caller's account this year (created
    /// it, reset its password, gave it a role): not the caller's to decide.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vouched: bool,
}

impl SheetRow {
    /// Not the caller's to mark: their own row, or a voucher's.
    pub fn fixed(&self) -> bool {
        self.own || self.vouched
    }
}

/// The event as the sheet heads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetEvent {
    pub event_id: String,
    pub kind: Kind,
    pub kind_label: String,
    pub title: String,
    pub start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    pub cancelled: bool,
    /// The event has started: only then is attendance taken.
    pub started: bool,
    /// When its check-in window closes (RFC 3339): a sheet saved before
    /// then asks first.
    #[serde(default)]
    pub checkin_closes: String,
}

/// `GET /api/events/{event_id}/attendance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub event: SheetEvent,
    /// Whether the caller may save the sheet.
    pub may_edit: bool,
    /// Someone has saved the sheet before.
    pub confirmed: bool,
    /// 实到: rows present or late.
    pub present: usize,
    /// 应到: every row.
    pub expected: usize,
    pub rows: Vec<SheetRow>,
}

/// One row as saved (`PUT /api/events/{event_id}/attendance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowInput {
    pub member_id: String,
    pub outcome: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// The host's roll call beside the code: who has checked in so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollCall {
    /// 实到: the names of those present or late, by name.
    pub present: Vec<String>,
    /// 应到.
    pub expected: usize,
}
