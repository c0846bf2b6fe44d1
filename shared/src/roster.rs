//! The roster as the console edits it (`/console/members`): every branch in
//! the editor's charge with its groups and members, and what one save of a
//! member sends.

use crate::org::{MemberStatus, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterMember {
    pub member_id: String,
    pub username: String,
    pub name: String,
    pub status: MemberStatus,
    pub roles: Vec<Role>,
    pub branch_id: String,
    pub group_id: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterBranch {
    pub branch_id: String,
    pub name: String,
    /// `(id, name)`.
    pub groups: Vec<(String, String)>,
    pub members: Vec<RosterMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub branches: Vec<RosterBranch>,
    /// The roles the viewer may give (besides 党员, which everyone has).
    pub assignable: Vec<Role>,
    /// Whether the viewer changes anything at all (officers only read).
    pub editable: bool,
}

/// One member as a form or a client saves it; `member_id` `None` adds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInput {
    #[serde(default)]
    pub member_id: Option<String>,
    pub username: String,
    pub name: String,
    pub status: MemberStatus,
    pub branch_id: String,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    pub active: bool,
    /// For a new member; generated when none is given.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSaved {
    pub member: RosterMember,
    /// A new member's generated password, to hand over once.
    pub password: Option<String>,
}
