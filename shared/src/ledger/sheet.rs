//! Ledgers as people read them: a member's sheet (一人一张清单) with each
//! entry in words, a branch's table, and a rulebook's preview and
//! publication. The server fills them (`vanguard_core::ledger`,
//! `vanguard_core::rulebooks`); the JSON API and the console show them.

use super::engine::{AppliedVeto, Mode, Note, Source};
use super::kinds::{Grade, Kind, Section, Side};
use super::points::Points;
use super::rulebook::Rulebook;
use crate::org::MemberStatus;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A section's or side's subtotal in a ledger's map; none is zero.
pub fn subtotal<K: Ord>(map: &BTreeMap<K, Points>, key: K) -> Points {
    map.get(&key).copied().unwrap_or_default()
}

/// A chart drawn on the server: the SVG, and the same in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    /// The text alternative: every bar's label and value.
    pub alt: String,
    pub svg: String,
}

/// One line of a member's sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetEntry {
    pub source: Source,
    pub record_id: Option<String>,
    /// The local day, `YYYY-MM-DD`.
    pub date: Option<String>,
    pub occurred_at: Option<DateTime<FixedOffset>>,
    pub kind: Option<Kind>,
    /// What it was: the event's title, or the kind.
    pub what: String,
    pub hours: Option<f64>,
    pub rule_id: Option<String>,
    pub rule_name: Option<String>,
    pub section: Option<Section>,
    pub side: Option<Side>,
    pub nominal: Points,
    pub granted: Points,
    pub counted: bool,
    pub note: Option<Note>,
    pub note_label: Option<String>,
    pub reviewer: Option<String>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<String>,
    /// What happened to it, in words: withdrawn, returned and why, a
    /// decision replaced, changed since it was decided.
    pub history: Vec<String>,
    /// Counted now but not in the locked evaluation (锁定后): it changes
    /// no locked grade.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_lock: bool,
}

/// A locked year's result for the member: what every page shows as the
/// member's grade while the year stays locked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedResult {
    #[serde(rename = "final")]
    pub final_: Grade,
    pub final_label: String,
    /// The total as the evaluation locked it.
    pub total: Points,
    pub locked_at: String,
}

/// A member's ledger with every entry explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub member_id: String,
    pub member_name: String,
    pub year: i32,
    pub mode: Mode,
    pub rulebook_id: String,
    pub rulebook_version: u32,
    /// Which rulebook priced it, in words.
    pub rulebook_label: String,
    pub base: Points,
    pub sum: Points,
    pub total: Points,
    pub sections: BTreeMap<Section, Points>,
    pub sides: BTreeMap<Side, Points>,
    pub proposed: Grade,
    pub proposed_label: String,
    pub grade_reasons: Vec<String>,
    pub vetoes: Vec<AppliedVeto>,
    pub entries: Vec<SheetEntry>,
    /// Records waiting for review, and returned ones.
    pub pending: usize,
    pub returned: usize,
    /// Participation by month and by kind, attendance by meeting type.
    #[serde(default)]
    pub charts: Vec<Chart>,
    /// The year is locked: the member's grade as locked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<LockedResult>,
}

impl Sheet {
    /// Marks what the locked evaluation did not count (`counted`: its
    /// entries' [`Source::counted_key`]s) and sets the locked result.
    pub fn mark_locked(&mut self, counted: &[String], result: LockedResult) {
        let counted: std::collections::HashSet<&str> = counted.iter().map(String::as_str).collect();
        for e in &mut self.entries {
            e.after_lock = e.counted && !counted.contains(e.source.counted_key(e.granted).as_str());
        }
        self.locked = Some(result);
    }
}

/// One member's row of the branch table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchRow {
    pub member_id: String,
    pub name: String,
    pub status: MemberStatus,
    /// 正式 or 预备.
    pub status_label: String,
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub sections: BTreeMap<Section, Points>,
    pub sides: BTreeMap<Side, Points>,
    pub total: Points,
    pub proposed: Grade,
    pub proposed_label: String,
    /// The final grade of a locked year (最终等次), beside the proposal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_label: Option<String>,
    pub pending: usize,
    pub returned: usize,
    /// By total, only when the branch's rulebook turns ranking on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
}

/// A branch's official ledger: one row per member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchLedger {
    pub branch_id: String,
    pub branch_name: String,
    pub year: i32,
    pub rulebook_label: String,
    pub ranking: bool,
    /// The branch's groups (党小组), as `(id, name)`.
    pub groups: Vec<(String, String)>,
    pub rows: Vec<BranchRow>,
    /// Participation by month and by kind, attendance by meeting type.
    #[serde(default)]
    pub charts: Vec<Chart>,
}

/// One member's total and grade under the rulebook in force and a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub member_id: String,
    pub name: String,
    pub branch_name: String,
    pub current_total: Points,
    pub current_grade: Grade,
    pub new_total: Points,
    pub new_grade: Grade,
}

impl PreviewRow {
    pub fn changed(&self) -> bool {
        self.current_total != self.new_total || self.current_grade != self.new_grade
    }
}

/// What publishing an upload would change, before it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub org_id: String,
    pub year: i32,
    /// The version the upload would be published as.
    pub version: u32,
    /// The rulebook in force now, in words.
    pub current: String,
    /// Changed members first, then by name.
    pub rows: Vec<PreviewRow>,
    pub changed: usize,
    pub grade_changes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub org_id: String,
    pub year: i32,
    pub version: u32,
    pub label: String,
}

/// One version an organisation published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedVersion {
    pub version: u32,
    pub published_by: String,
    pub published_by_name: Option<String>,
    pub published_at: i64,
}

/// An organisation's rulebook of a year: the one in force and its own
/// versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulebookOverview {
    pub org_id: String,
    pub org_name: String,
    pub year: i32,
    /// Which rulebook prices the organisation's year, in words.
    pub label: String,
    /// Whose it is: the organisation's own, one above, or the default.
    pub owner_id: String,
    pub shipped: bool,
    pub rulebook: Rulebook,
    /// Its TOML, to download and edit.
    pub toml: String,
    /// The organisation's own versions of the year, newest first.
    pub versions: Vec<PublishedVersion>,
    pub may_publish: bool,
}
