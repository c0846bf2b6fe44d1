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

/// What a roster import did, or would do (`dry_run`): `POST
/// /api/roster/import` and the roster page alike.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Imported {
    #[serde(default)]
    pub dry_run: bool,
    pub members: usize,
    pub organisations_created: usize,
    /// The organisations made, or that would be: `支部` or `支部 / 党小组`.
    #[serde(default)]
    pub organisations: Vec<String>,
    /// The members added, in the sheet's order.
    #[serde(default)]
    pub added: Vec<ImportedMember>,
    /// `(username, password)` for rows that gave none: shown once, on a
    /// printable slip and as a CSV to download.
    pub generated_passwords: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedMember {
    pub username: String,
    pub name: String,
    pub branch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl Imported {
    /// The generated passwords as a CSV for a spreadsheet (a BOM, so Excel
    /// reads the Chinese): 用户名,姓名,初始密码.
    pub fn passwords_csv(&self) -> String {
        let mut out = String::from("\u{feff}用户名,姓名,初始密码\r\n");
        for (username, password) in &self.generated_passwords {
            let name = self
                .added
                .iter()
                .find(|a| &a.username == username)
                .map(|a| a.name.as_str())
                .unwrap_or("");
            // Usernames and passwords are plain; a name may hold a comma.
            let name = if name.contains([',', '"']) {
                format!("\"{}\"", name.replace('"', "\"\""))
            } else {
                name.to_string()
            };
            out.push_str(&format!("{username},{name},{password}\r\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_csv_names_each_member_and_quotes_what_needs_it() {
        let done = Imported {
            members: 2,
            added: vec![
                ImportedMember {
                    username: "zhang".into(),
                    name: "张伟".into(),
                    branch: "第一党支部".into(),
                    group: None,
                },
                ImportedMember {
                    username: "li".into(),
                    name: "李,\"小\"红".into(),
                    branch: "第一党支部".into(),
                    group: None,
                },
            ],
            generated_passwords: vec![("zhang".into(), "p1".into()), ("li".into(), "p2".into())],
            ..Imported::default()
        };
        assert_eq!(
            done.passwords_csv(),
            "\u{feff}用户名,姓名,初始密码\r\nzhang,张伟,p1\r\nli,\"李,\"\"小\"\"红\",p2\r\n"
        );
    }
}
