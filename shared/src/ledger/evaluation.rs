//! Year-end evaluation of a branch (年终考核 / 民主评议党员): the proposed
//! grade of every member from their official ledger, any human override
//! beside it with its reason, the 优秀 quota checked and flagged (never
//! silently enforced), and a ranking only when the branch turned it on.

use super::engine::Ledger;
use super::kinds::Grade;
use super::points::Points;
use super::rulebook::Rulebook;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The branch committee's or assembly's decision to differ from the proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub member_id: String,
    pub grade: Grade,
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("改评 {member_id} 须填写理由")]
    MissingReason { member_id: String },
    #[error("改评的成员 {member_id} 不在本支部评议名单中")]
    UnknownMember { member_id: String },
    #[error("成员 {member_id} 有多条改评")]
    DuplicateOverride { member_id: String },
    #[error("成员 {member_id} 的台账重复")]
    DuplicateLedger { member_id: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberResult {
    pub member_id: String,
    pub total: Points,
    pub proposed: Grade,
    pub grade_reasons: Vec<String>,
    /// Kept beside the proposal, never in place of it.
    pub override_: Option<Override>,
    pub final_grade: Grade,
    /// 1 for the highest total; equal totals share a rank. `None` unless the
    /// rulebook turns ranking on.
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub year: i32,
    pub rulebook_id: String,
    pub rulebook_version: u32,
    pub results: Vec<MemberResult>,
    pub excellent: usize,
    /// The most 优秀 the quota allows for this many members.
    pub excellent_allowed: usize,
    /// More 优秀 than the quota allows: flagged for the branch to resolve.
    pub quota_exceeded: bool,
}

pub fn evaluate(
    book: &Rulebook,
    ledgers: &[Ledger],
    overrides: &[Override],
) -> Result<Evaluation, EvaluationError> {
    let mut seen = HashSet::new();
    for l in ledgers {
        if !seen.insert(l.member_id.as_str()) {
            return Err(EvaluationError::DuplicateLedger {
                member_id: l.member_id.clone(),
            });
        }
    }
    let mut overridden = HashSet::new();
    for o in overrides {
        if !seen.contains(o.member_id.as_str()) {
            return Err(EvaluationError::UnknownMember {
                member_id: o.member_id.clone(),
            });
        }
        if o.reason.trim().is_empty() {
            return Err(EvaluationError::MissingReason {
                member_id: o.member_id.clone(),
            });
        }
        if !overridden.insert(o.member_id.as_str()) {
            return Err(EvaluationError::DuplicateOverride {
                member_id: o.member_id.clone(),
            });
        }
    }

    let mut results: Vec<MemberResult> = ledgers
        .iter()
        .map(|l| {
            let override_ = overrides
                .iter()
                .find(|o| o.member_id == l.member_id)
                .cloned();
            MemberResult {
                member_id: l.member_id.clone(),
                total: l.total,
                proposed: l.proposed,
                grade_reasons: l.grade_reasons.clone(),
                final_grade: override_.as_ref().map(|o| o.grade).unwrap_or(l.proposed),
                override_,
                rank: None,
            }
        })
        .collect();
    results.sort_by(|a, b| a.member_id.cmp(&b.member_id));

    if book.ranking {
        let mut totals: Vec<Points> = results.iter().map(|r| r.total).collect();
        totals.sort_by(|a, b| b.cmp(a));
        for r in &mut results {
            // Competition ranking: one more than the number of higher totals.
            r.rank = Some(totals.partition_point(|t| *t > r.total) as u32 + 1);
        }
    }

    let (num, den) = book.excellent_quota;
    let excellent_allowed = results.len() * num as usize / den.max(1) as usize;
    let excellent = results
        .iter()
        .filter(|r| r.final_grade == Grade::Excellent)
        .count();
    Ok(Evaluation {
        year: book.year,
        rulebook_id: book.id.clone(),
        rulebook_version: book.version,
        results,
        excellent,
        excellent_allowed,
        quota_exceeded: excellent > excellent_allowed,
    })
}
