//! The organisation tree and the roles people hold in it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A parse failure of one of the small vocabularies below: the offending text
/// and what was expected, so an import error can name both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{value}”不是有效的取值（{what}），应为：{expected}")]
pub struct VocabularyError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// A level of the tree 党委 → (党总支) → 党支部 → 党小组.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Committee,
    GeneralBranch,
    Branch,
    Group,
}

crate::codes::deserialize_by_code!(OrgKind);

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::Committee,
        OrgKind::GeneralBranch,
        OrgKind::Branch,
        OrgKind::Group,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Committee => "committee",
            OrgKind::GeneralBranch => "general_branch",
            OrgKind::Branch => "branch",
            OrgKind::Group => "group",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Committee => "党委",
            OrgKind::GeneralBranch => "党总支",
            OrgKind::Branch => "党支部",
            OrgKind::Group => "党小组",
        }
    }
}

impl FromStr for OrgKind {
    type Err = VocabularyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| VocabularyError {
                what: "organisation kind",
                value: s.to_string(),
                expected: "committee, general_branch, branch, group",
            })
    }
}

/// What a person may do. A secretary is also a member with a ledger, so roles
/// are a set, and `Member` is always in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    GroupLeader,
    OrgOfficer,
    Secretary,
    CommitteeAdmin,
}

crate::codes::deserialize_by_code!(Role);

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Member,
        Role::GroupLeader,
        Role::OrgOfficer,
        Role::Secretary,
        Role::CommitteeAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::GroupLeader => "group_leader",
            Role::OrgOfficer => "org_officer",
            Role::Secretary => "secretary",
            Role::CommitteeAdmin => "committee_admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Member => "党员",
            Role::GroupLeader => "党小组长",
            Role::OrgOfficer => "组织委员",
            Role::Secretary => "支部书记",
            Role::CommitteeAdmin => "党委管理员",
        }
    }

    /// Parses a list such as `member;secretary` or `党员 支部书记`, in codes or
    /// Chinese labels; `Member` is always included, duplicates collapse.
    pub fn parse_list(text: &str) -> Result<Vec<Role>, VocabularyError> {
        let mut roles = vec![Role::Member];
        for part in text
            .split(|c: char| c == ';' || c == ',' || c == '|' || c == '、' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            roles.push(part.parse()?);
        }
        roles.sort();
        roles.dedup();
        Ok(roles)
    }
}

impl FromStr for Role {
    type Err = VocabularyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.label() == s)
            .ok_or_else(|| VocabularyError {
                what: "role",
                value: s.to_string(),
                expected: "member, group_leader, org_officer, secretary, committee_admin",
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 正式党员 or 预备党员.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Full,
    Probationary,
}

crate::codes::deserialize_by_code!(MemberStatus);

impl MemberStatus {
    pub const ALL: [MemberStatus; 2] = [MemberStatus::Full, MemberStatus::Probationary];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Full => "full",
            MemberStatus::Probationary => "probationary",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberStatus::Full => "正式党员",
            MemberStatus::Probationary => "预备党员",
        }
    }

    /// 正式 / 预备, as tables and their filters name them.
    pub fn short_label(self) -> &'static str {
        match self {
            MemberStatus::Full => "正式",
            MemberStatus::Probationary => "预备",
        }
    }
}

impl FromStr for MemberStatus {
    type Err = VocabularyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "full" | "正式" | "正式党员" => Ok(MemberStatus::Full),
            "probationary" | "预备" | "预备党员" => Ok(MemberStatus::Probationary),
            other => Err(VocabularyError {
                what: "member status",
                value: other.to_string(),
                expected: "full (正式), probationary (预备)",
            }),
        }
    }
}

/// An IANA time zone name, checked against the zone database. The
/// organisation's zone decides which year a record belongs to. The database
/// is built with China's zones only (`.cargo/config.toml`), the same on the
/// server and in the phone's bundle, so both compute a ledger alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(String);

impl TimeZone {
    pub const DEFAULT: &'static str = "Asia/Shanghai";

    pub fn parse(name: &str) -> Result<Self, VocabularyError> {
        name.trim()
            .parse::<chrono_tz::Tz>()
            .map(|tz| TimeZone(tz.name().to_string()))
            .map_err(|_| VocabularyError {
                what: "time zone",
                value: name.to_string(),
                expected: "Asia/Shanghai, Asia/Urumqi, Asia/Hong_Kong, Asia/Macau, UTC",
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        // Construction went through `parse`, so the name is known to the database.
        self.0.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(Self::DEFAULT.to_string())
    }
}

impl TryFrom<String> for TimeZone {
    type Error = VocabularyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TimeZone::parse(&value)
    }
}

impl From<TimeZone> for String {
    fn from(value: TimeZone) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_codes_and_labels_and_always_include_member() {
        let roles = Role::parse_list("secretary; 组织委员").unwrap();
        assert_eq!(roles, vec![Role::Member, Role::OrgOfficer, Role::Secretary]);
        assert_eq!(Role::parse_list("").unwrap(), vec![Role::Member]);
        let err = Role::parse_list("member;boss").unwrap_err();
        assert_eq!(err.value, "boss");
    }

    #[test]
    fn status_accepts_chinese() {
        assert_eq!(
            "预备".parse::<MemberStatus>().unwrap(),
            MemberStatus::Probationary
        );
        assert!("maybe".parse::<MemberStatus>().is_err());
    }

    #[test]
    fn time_zone_is_checked() {
        assert_eq!(TimeZone::default().as_str(), "Asia/Shanghai");
        assert_eq!(
            TimeZone::parse(" Asia/Urumqi ").unwrap().as_str(),
            "Asia/Urumqi"
        );
        // The build keeps only China's zones (.cargo/config.toml): a zone
        // the phone could not compute with is refused where it is entered.
        let err = TimeZone::parse("Europe/Berlin").unwrap_err();
        assert!(err.to_string().contains("Asia/Shanghai"), "{err}");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        let json = serde_json::to_string(&TimeZone::default()).unwrap();
        assert_eq!(json, "\"Asia/Shanghai\"");
        assert!(serde_json::from_str::<TimeZone>("\"nowhere\"").is_err());
    }
}
