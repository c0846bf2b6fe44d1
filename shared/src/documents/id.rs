//! Document ids: `checkins:{member_id}:{year}`, `reviews:{member_id}:{year}`
//! and `events:{branch_id}:{year}` (docs/sync.md).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Years a document may cover; outside them an id is a typo or an attack.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A member's own check-ins and leave requests.
    Checkins,
    /// The secretary's decisions on one member's records.
    Reviews,
    /// A branch's events and attendance.
    Events,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Checkins, DocKind::Reviews, DocKind::Events];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Checkins => "checkins",
            DocKind::Reviews => "reviews",
            DocKind::Events => "events",
        }
    }

    /// The root key naming the owner: a member, or a branch for events.
    pub fn owner_key(self) -> &'static str {
        match self {
            DocKind::Events => "branch_id",
            _ => "member_id",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocId {
    pub kind: DocKind,
    /// The member (checkins, reviews) or branch (events) the document is about.
    pub owner: String,
    pub year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("文档编号“{0}”无效：应为 checkins|reviews|events:编号:年份")]
pub struct DocIdError(pub String);

impl DocId {
    pub fn new(kind: DocKind, owner: impl Into<String>, year: i32) -> Self {
        DocId {
            kind,
            owner: owner.into(),
            year,
        }
    }

    pub fn checkins(member_id: &str, year: i32) -> Self {
        DocId::new(DocKind::Checkins, member_id, year)
    }

    pub fn reviews(member_id: &str, year: i32) -> Self {
        DocId::new(DocKind::Reviews, member_id, year)
    }

    pub fn events(branch_id: &str, year: i32) -> Self {
        DocId::new(DocKind::Events, branch_id, year)
    }
}

/// Ids of members, branches, peers: 1–64 of `[A-Za-z0-9_-]`.
pub fn is_plain_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FromStr for DocId {
    type Err = DocIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DocIdError(s.chars().take(100).collect());
        let mut parts = s.split(':');
        let (Some(kind), Some(owner), Some(year), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(bad)?;
        // Digits only: "+2026" or "02026" would name the same year twice.
        if !is_plain_id(owner) || year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !YEARS.contains(&year) {
            return Err(bad());
        }
        Ok(DocId::new(kind, owner, year))
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.kind.as_str(), self.owner, self.year)
    }
}

impl TryFrom<String> for DocId {
    type Error = DocIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DocId> for String {
    fn from(id: DocId) -> String {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_lookalikes() {
        let id: DocId = "checkins:3f2a-b_9:2026".parse().expect("valid");
        assert_eq!(id, DocId::checkins("3f2a-b_9", 2026));
        assert_eq!(id.to_string(), "checkins:3f2a-b_9:2026");
        for bad in [
            "checkins:abc",
            "checkin:abc:2026",
            "checkins:a b:2026",
            "checkins:abc:+202",
            "checkins:abc:1999",
            "events::2026",
            "reviews:abc:2026:x",
        ] {
            assert!(bad.parse::<DocId>().is_err(), "{bad} should be refused");
        }
    }
}
