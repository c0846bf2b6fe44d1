//! Accounts: the newtypes that parse sign-in input once, and the profile a
//! signed-in member sees of themself.

use crate::org::{MemberStatus, OrgKind, Role};
use serde::{Deserialize, Serialize};

/// Why an account field was refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("用户名须为 3 至 32 位小写字母、数字、点、下划线或连字符")]
    BadUsername,
    #[error("姓名不能为空，且不超过 32 个字")]
    BadName,
    #[error("密码至少 8 位，且不超过 128 位")]
    BadPassword,
}

/// A login name: 3–32 of `[a-z0-9._-]`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let name = text.trim().to_lowercase();
        let ok_len = (3..=32).contains(&name.chars().count());
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_len && ok_chars {
            Ok(Username(name))
        } else {
            Err(AccountError::BadUsername)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as the branch writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let name = text.trim();
        if name.is_empty() || name.chars().count() > 32 || name.chars().any(char::is_control) {
            Err(AccountError::BadName)
        } else {
            Ok(PersonName(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked for length only (the length is what matters
/// against guessing; composition rules mostly produce sticky notes).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;

    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let n = text.chars().count();
        if (Self::MIN_CHARS..=128).contains(&n) {
            Ok(Password(text.to_string()))
        } else {
            Err(AccountError::BadPassword)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An organisation as a member's profile names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
}

/// Who is signed in: what `GET /api/me` answers and the home page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub member_id: String,
    pub username: String,
    pub name: String,
    pub status: MemberStatus,
    pub roles: Vec<Role>,
    /// The committee at the top of the member's tree.
    pub committee: Option<OrgRef>,
    pub branch: Option<OrgRef>,
    pub group: Option<OrgRef>,
    pub time_zone: String,
    /// Signed in with a password someone else reset: the member chooses
    /// their own before anything else.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_change_password: bool,
}

impl Me {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Secretaries, officers and committee admins look after other members.
    pub fn manages_members(&self) -> bool {
        self.has(Role::Secretary) || self.has(Role::OrgOfficer) || self.has(Role::CommitteeAdmin)
    }

    /// A branch's secretary and org officer host its events and show their
    /// check-in codes.
    pub fn hosts_events(&self) -> bool {
        self.has(Role::Secretary) || self.has(Role::OrgOfficer)
    }

    /// Who reviews members' records: a branch's secretary and org officer,
    /// and committee admins (for the branches' secretaries).
    pub fn reviews_records(&self) -> bool {
        self.has(Role::Secretary) || self.has(Role::OrgOfficer) || self.has(Role::CommitteeAdmin)
    }

    /// Who takes attendance: a branch's officers, and a group leader for the
    /// group's own meetings.
    pub fn takes_attendance(&self) -> bool {
        self.hosts_events() || self.has(Role::GroupLeader)
    }

    /// Only a secretary or a committee admin may reset another's password.
    pub fn may_reset_passwords(&self) -> bool {
        self.has(Role::Secretary) || self.has(Role::CommitteeAdmin)
    }

    /// The highest role, for the one-line description on the home page.
    pub fn title(&self) -> &'static str {
        self.roles
            .iter()
            .max()
            .copied()
            .unwrap_or(Role::Member)
            .label()
    }
}

/// One line of a branch's member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    pub member_id: String,
    pub username: String,
    pub name: String,
    pub status: MemberStatus,
    pub roles: Vec<Role>,
    pub branch: Option<String>,
    pub group: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_is_normalised_and_checked() {
        assert_eq!(Username::parse(" Member01 ").unwrap().as_str(), "member01");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("张三").is_err());
        assert!(Username::parse("a b c").is_err());
    }

    #[test]
    fn names_and_passwords() {
        assert_eq!(PersonName::parse(" 张伟 ").unwrap().as_str(), "张伟");
        assert!(PersonName::parse("  ").is_err());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret-pass").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn title_is_the_highest_role() {
        let me = Me {
            member_id: "m".into(),
            username: "u".into(),
            name: "n".into(),
            status: MemberStatus::Full,
            roles: vec![Role::Member, Role::Secretary],
            committee: None,
            branch: None,
            group: None,
            time_zone: "Asia/Shanghai".into(),
            must_change_password: false,
        };
        assert_eq!(me.title(), "支部书记");
        assert!(me.may_reset_passwords());
        assert!(me.manages_members());
    }
}
