//! Who may do what: every rule of reading, writing, reviewing, deciding,
//! locking, reopening, hosting, exporting and administering, as named
//! functions over the caller and the thing. Services and the document
//! gate ask these and decide nothing of their own; the table in
//! docs/architecture.md ("Who may do what") is this file in words.
//!
//! **A committee admin above** a branch (or any organisation) is an active
//! member with the committee-admin role whose own organisation is strictly
//! above it in the tree. The organisation itself never counts: a unit's
//! own people are its officers, and the committee is the one above them
//! (so a branch's secretary's own records always have someone to go to).
//!
//! Rules over a branch take its chain: the branch and every organisation
//! above it, nearest first (`Accounts::ancestry`), read once per request
//! by [`BranchScope`].

mod scope;

pub use scope::{BranchRule, BranchScope, Refusal};

use crate::storage::{Member, Organisation, Store, StoreError};
use chrono::{DateTime, Utc};
use vanguard_shared::documents::{DocId, DocKind, EventEntry};
use vanguard_shared::ledger::Kind;
use vanguard_shared::{OrgKind, Role};

/// What a member may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

fn has(m: &Member, role: Role) -> bool {
    m.active && m.roles.contains(&role)
}

/// A branch's secretary or organisation officer: who looks after its
/// members and events (wherever their home is).
pub fn officer(m: &Member) -> bool {
    has(m, Role::Secretary) || has(m, Role::OrgOfficer)
}

pub fn secretary(m: &Member) -> bool {
    has(m, Role::Secretary)
}

pub fn admin(m: &Member) -> bool {
    has(m, Role::CommitteeAdmin)
}

/// A group leader of a group: takes attendance for the group's meetings.
pub fn group_leader(m: &Member) -> bool {
    m.group_id.is_some() && has(m, Role::GroupLeader)
}

/// An officer whose home is this branch.
pub fn officer_of(m: &Member, branch_id: &str) -> bool {
    officer(m) && m.org_id == branch_id
}

/// A committee admin strictly above the first organisation of `chain`.
pub fn admin_above(m: &Member, chain: &[Organisation]) -> bool {
    admin(m) && chain.iter().skip(1).any(|o| o.id == m.org_id)
}

fn head(chain: &[Organisation]) -> &str {
    chain.first().map_or("", |o| o.id.as_str())
}

/// Reads a branch's ledger, sheets, evaluation, attendance sheets and
/// exports: its officers and the committee admins above.
pub fn reads_branch(m: &Member, chain: &[Organisation]) -> bool {
    officer_of(m, head(chain)) || admin_above(m, chain)
}

/// Decides a branch's year-end: enters the job side, overrides and vetoes,
/// publishes the notice and fills in the 六化 self-check.
pub fn decides_year_end(m: &Member, chain: &[Organisation]) -> bool {
    officer_of(m, head(chain)) || admin_above(m, chain)
}

/// Locks a branch's year: whoever decides its year-end.
pub fn locks_year(m: &Member, chain: &[Organisation]) -> bool {
    decides_year_end(m, chain)
}

/// Reopens a locked year: only a committee admin above.
pub fn reopens_year(m: &Member, chain: &[Organisation]) -> bool {
    admin_above(m, chain)
}

/// Scores a branch's 六化 spot-check: only a committee admin above.
pub fn spot_checks(m: &Member, chain: &[Organisation]) -> bool {
    admin_above(m, chain)
}

/// Creates and changes a branch's events and shows their codes.
pub fn hosts(m: &Member, branch_id: &str) -> bool {
    officer_of(m, branch_id)
}

/// Lists a branch's events with their sheets: its hosts and group leaders.
pub fn lists_events(m: &Member, branch_id: &str) -> bool {
    hosts(m, branch_id) || (group_leader(m) && m.org_id == branch_id)
}

/// Takes an event's attendance: the branch's officers; for a group's own
/// meeting, also that group's leader.
pub fn takes_attendance(m: &Member, branch_id: &str, kind: Kind, group: Option<&str>) -> bool {
    if officer_of(m, branch_id) {
        return true;
    }
    kind == Kind::GroupMeeting
        && m.org_id == branch_id
        && group_leader(m)
        && group.is_some()
        && m.group_id.as_deref() == group
}

/// Whether `m` is on `event`'s sheet (应到) in `branch_id`: an active member
/// whose home is the branch; for a 党小组会, of that group. The sheet's
/// API and the gate (attendance synced into the events document) both ask.
pub fn on_sheet(m: &Member, branch_id: &str, event: &EventEntry) -> bool {
    let group = match (&event.kind, &event.group_id) {
        (Kind::GroupMeeting, Some(g)) => Some(g.as_str()),
        _ => None,
    };
    m.active && m.org_id == branch_id && group.is_none_or(|g| m.group_id.as_deref() == Some(g))
}

/// Why `event`'s attendance cannot be taken at `now`, if it cannot: it was
/// cancelled, or it has not begun. However the attendance arrives.
pub fn sheet_closed(event: &EventEntry, now: DateTime<Utc>) -> Option<&'static str> {
    if event.cancelled {
        Some("活动已取消，无需记录考勤")
    } else if event.start > now {
        Some("活动尚未开始，开始后才能记录考勤")
    } else {
        None
    }
}

/// Nobody decides about themselves: no one marks their own attendance,
/// enters their own job appraisal, overrides or vetoes their own grade, or
/// reviews their own records. Another officer of the branch, or the
/// committee admin above, does.
pub fn about_someone_else(actor: &Member, member_id: &str) -> bool {
    actor.id != member_id
}

/// Whom `actor` may decide about in a year: anyone but themselves, and
/// anyone but those who vouched for the actor's account that year (created
/// it, reset its password, gave it a role). A secretary who made or reset
/// an officer's account cannot have that account approve their records,
/// mark their attendance or enter their grade: a puppet officer decides
/// nothing for its maker; the committee admin above does.
#[derive(Debug, Clone)]
pub struct Independence {
    actor: String,
    vouchers: std::collections::BTreeSet<String>,
}

impl Independence {
    /// Read once per request: one query.
    pub async fn of(store: &Store, actor: &Member, year: i32) -> Result<Self, StoreError> {
        // The year in China time; a few hours either way do not matter.
        let start = |y: i32| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(0, |t| t.and_utc().timestamp() - 8 * 3600)
        };
        let vouchers = store
            .accounts()
            .vouchers_of(&actor.id, start(year), start(year + 1))
            .await?;
        Ok(Independence {
            actor: actor.id.clone(),
            vouchers: vouchers.into_iter().collect(),
        })
    }

    /// Why the actor may not decide about `member_id`, if they may not:
    /// `own` names the decision when it is about themselves.
    pub fn refusal(&self, member_id: &str, own: &'static str) -> Option<&'static str> {
        if member_id == self.actor {
            Some(own)
        } else if self.vouchers.contains(member_id) {
            Some(VOUCHED)
        } else {
            None
        }
    }

    pub fn allows(&self, member_id: &str) -> bool {
        self.refusal(member_id, "").is_none()
    }
}

/// The refusal of a decision about someone who vouched for the decider.
pub const VOUCHED: &str =
    "该党员本年度为您创建账号、重置密码或授予角色，其事项不能由您决定，须由支部其他委员或上级党委决定";

/// The refusal of a decision about oneself, by what it would decide.
pub const OWN_ATTENDANCE: &str = "不能为自己记录考勤，须由支部其他委员记录";
pub const OWN_JOB: &str = "不能为自己录入年度考核结果，须由支部其他委员或上级党委录入";
pub const OWN_GRADE: &str = "不能调整自己的评议等次，须由支部其他委员或上级党委决定";
pub const OWN_VETO: &str = "不能为自己记录一票否决事项，须由支部其他委员或上级党委记录";

/// Reads an event's sheet without taking it: a committee admin above.
pub fn reads_attendance(m: &Member, chain: &[Organisation]) -> bool {
    admin_above(m, chain)
}

/// Whether `reviewer` decides `member`'s records (`chain`: the member's
/// branch and above). Nobody reviews their own.
pub fn reviews(reviewer: &Member, member: &Member, chain: &[Organisation]) -> bool {
    reviewer.id != member.id
        && (officer_of(reviewer, &member.org_id) || admin_above(reviewer, chain))
}

/// Whose records wait in `reviewer`'s queue, of `members` (everyone in
/// the subtree of the reviewer's own organisation, whose organisations are
/// `orgs`): an officer's branch members, and an admin's the secretaries of
/// the branches strictly below, whose own records their branch cannot
/// judge. Nobody waits in their own queue.
pub fn queued(reviewer: &Member, orgs: &[Organisation], members: Vec<Member>) -> Vec<Member> {
    let below_branch = |org_id: &str| {
        org_id != reviewer.org_id
            && orgs
                .iter()
                .any(|o| o.id == org_id && o.kind == OrgKind::Branch)
    };
    members
        .into_iter()
        .filter(|m| m.active && m.id != reviewer.id)
        .filter(|m| {
            officer_of(reviewer, &m.org_id)
                || (admin(reviewer)
                    && below_branch(&m.org_id)
                    && m.roles.contains(&Role::Secretary))
        })
        .collect()
}

/// Has a review queue at all.
pub fn reviews_anyone(m: &Member) -> bool {
    officer(m) || admin(m)
}

/// The committee's view of its branches, its assessment and its exports.
pub fn views_committee(m: &Member) -> bool {
    admin(m)
}

/// Starts the export of every branch's ledgers below the committee.
pub fn exports_committee(m: &Member) -> bool {
    admin(m)
}

/// Reads the audit trail of the part of the tree they look after.
pub fn reads_audit(m: &Member) -> bool {
    officer(m) || admin(m)
}

/// Publishes `org`'s rulebook: a branch's secretary for the branch, a
/// committee admin for their own committee.
pub fn publishes_rulebook(m: &Member, org: &Organisation) -> bool {
    m.org_id == org.id
        && match org.kind {
            OrgKind::Branch => secretary(m),
            OrgKind::Committee | OrgKind::GeneralBranch => admin(m),
            OrgKind::Group => false,
        }
}

/// Reads `org`'s rulebooks (`own_chain`: the reader's own organisation and
/// above; `org_chain`: `org` and above): anyone in it or below it (members
/// read theirs on the phone), and the committee admins above.
pub fn reads_rulebook(m: &Member, own_chain: &[Organisation], org_chain: &[Organisation]) -> bool {
    own_chain
        .iter()
        .any(|o| Some(o.id.as_str()) == org_chain.first().map(|h| h.id.as_str()))
        || admin_above(m, org_chain)
}

/// Reads a branch's published notice: its own members, and whoever reads
/// the branch.
pub fn reads_notice(m: &Member, chain: &[Organisation]) -> bool {
    (m.active && m.org_id == head(chain)) || reads_branch(m, chain)
}

/// The refusal of a change to a year its branch locked.
pub const LOCKED: &str = "该年度评议已锁定，须由上级党委重新开启后才能修改";

/// Whether a branch's year still takes decisions, attendance and year-end
/// changes: not while its evaluation is locked. Every door asks this.
pub async fn year_open(store: &Store, branch_id: &str, year: i32) -> Result<bool, StoreError> {
    Ok(!store.year_end().is_locked(branch_id, year).await?)
}

/// What a member keeps of the roster: whether they may see it, change it,
/// and make secretaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterCharge {
    pub editable: bool,
    pub admin: bool,
}

/// The roster of the tree below the member's own organisation: committee
/// admins and secretaries change it, organisation officers read it.
pub fn keeps_roster(m: &Member) -> Option<RosterCharge> {
    (admin(m) || officer(m)).then(|| RosterCharge {
        editable: admin(m) || secretary(m),
        admin: admin(m),
    })
}

/// The roles a roster keeper gives: an admin the three branch roles, a
/// secretary all but 支部书记.
pub fn assignable_roles(charge: RosterCharge) -> Vec<Role> {
    match (charge.editable, charge.admin) {
        (false, _) => Vec::new(),
        (true, true) => vec![Role::GroupLeader, Role::OrgOfficer, Role::Secretary],
        (true, false) => vec![Role::GroupLeader, Role::OrgOfficer],
    }
}

/// Imports members into `own` (the importer's own organisation): a
/// committee admin into their committee, a secretary into their branch.
/// Answers whether the importer gives roles as an admin.
pub fn imports_members(m: &Member, own: &Organisation) -> Option<bool> {
    if admin(m) && own.kind == OrgKind::Committee {
        Some(true)
    } else if secretary(m) && own.kind == OrgKind::Branch {
        Some(false)
    } else {
        None
    }
}

/// The organisation whose subtree a member looks after (lists members of):
/// a committee admin's committee, an officer's branch.
pub fn looks_after(m: &Member) -> Option<&str> {
    (admin(m) || officer(m)).then_some(m.org_id.as_str())
}

/// Resets another member's password (`chain`: the target's organisation
/// and above): a secretary or committee admin whose organisation is the
/// target's or above it; never one's own (that needs the current one).
pub fn resets_password(m: &Member, target: &Member, chain: &[Organisation]) -> bool {
    (secretary(m) || admin(m)) && m.id != target.id && chain.iter().any(|o| o.id == m.org_id)
}

/// What `actor` may do with a document: `owner` is the member whose
/// document it is (for check-ins and reviews), `branch_id` its branch, and
/// `chain` the branch and above (read only when [`needs_chain`] says so;
/// empty otherwise). Asked by the gate on every sync and server edit.
pub fn document_access(
    actor: &Member,
    id: &DocId,
    owner: Option<&Member>,
    branch_id: &str,
    chain: &[Organisation],
) -> Option<Access> {
    let own = id.kind != DocKind::Events && id.owner == actor.id;
    if own {
        return Some(match id.kind {
            DocKind::Checkins => Access::Write,
            _ => Access::Read,
        });
    }
    let above = admin_above(actor, chain) && head(chain) == branch_id;
    match id.kind {
        DocKind::Checkins | DocKind::Reviews => {
            if owner?.org_id != branch_id {
                return None;
            }
            let access = match id.kind {
                DocKind::Reviews => Access::Write,
                _ => Access::Read,
            };
            // An admin above reviews the records a branch's own officers
            // cannot (the secretary's), so writes the reviews.
            (officer_of(actor, branch_id) || above).then_some(access)
        }
        DocKind::Events => {
            if actor.org_id == branch_id && (officer(actor) || group_leader(actor)) {
                // A group leader writes only the attendance of the group's
                // own meetings: the gate's integrity check holds them to it.
                Some(Access::Write)
            } else if actor.org_id == branch_id {
                Some(Access::Read)
            } else {
                above.then_some(Access::Read)
            }
        }
    }
}

/// Whether a document access check needs the chain above the branch: only
/// for someone who might be an admin above.
pub fn needs_chain(actor: &Member) -> bool {
    admin(actor)
}
