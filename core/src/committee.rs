//! The committee's view of the branches below it: for each, the meetings
//! due and held per quarter under the committee's cadence, participation,
//! the reviews waiting, the year-end evaluation's progress and grades, and
//! the 六化 score; for committee admins only. Read from the same facts the
//! branch ledgers are (`ledger::branch_facts`, cached per branch).

use crate::ledger::{BranchFacts, FactsCache, Ledgers};
use crate::policy;
use crate::rulebooks::in_force::{in_force, InForce};
use crate::storage::{Member, Organisation, Store, StoreError};
use crate::year_end::{assessment, YearEndError};
use chrono::{Datelike, Utc};
use std::collections::HashMap;
use vanguard_shared::committee::{BranchSummary, CommitteeView, MeetingCount};
use vanguard_shared::ledger::year_end::{standing_label, EvaluationView, Progress};
use vanguard_shared::ledger::{Grade, Kind, Ledger, Mode, Outcome, Period};
use vanguard_shared::org::OrgKind;
use vanguard_shared::year;

#[derive(Debug, thiserror::Error)]
pub enum CommitteeError {
    #[error("只有党委管理员可以查看各支部概况")]
    Forbidden,
    #[error(transparent)]
    Year(#[from] year::YearError),
    #[error(transparent)]
    YearEnd(#[from] YearEndError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const GRADES: [Grade; 4] = [
    Grade::Excellent,
    Grade::Qualified,
    Grade::Basic,
    Grade::Unqualified,
];

/// How many months of `year` are due by now: all for a past year, up to
/// and including the current month for this one.
fn months_due(year: i32) -> u32 {
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    match today.year().cmp(&year) {
        std::cmp::Ordering::Greater => 12,
        std::cmp::Ordering::Equal => today.month(),
        std::cmp::Ordering::Less => 0,
    }
}

/// Due per quarter under one cadence, `months` of the year being due.
fn due(period: Period, months: u32, per: u32) -> [u32; 4] {
    let mut out = [0; 4];
    for (q, slot) in out.iter_mut().enumerate() {
        let first = q as u32 * 3 + 1;
        let in_quarter = months.saturating_sub(first - 1).min(3);
        *slot = match period {
            Period::Month => in_quarter * per,
            Period::Quarter => u32::from(in_quarter > 0) * per,
            // Due once in the year: counted in the last quarter.
            Period::Year => u32::from(q == 3 && months > 0) * per,
        };
    }
    out
}

fn quarter_of(month: u32) -> usize {
    ((month.max(1) - 1) / 3) as usize
}

fn percent(came: u32, all: u32) -> Option<f64> {
    (all > 0).then(|| f64::from(came) * 100.0 / f64::from(all))
}

/// What one branch's line is made of, read for all branches together.
struct BranchInputs<'a> {
    branch: &'a Organisation,
    members: &'a [Member],
    groups: u32,
    facts: &'a BranchFacts,
    book: &'a InForce,
    overrides: HashMap<String, Grade>,
    lock: Option<&'a crate::storage::LockRow>,
}

/// One branch's line.
/// `ledgers`: the members' official ledgers, in `i.members`' order.
fn summary(
    i: &BranchInputs<'_>,
    ledgers: &[Ledger],
    year: i32,
    cadence: &[(Kind, Period)],
) -> Result<BranchSummary, CommitteeError> {
    let (branch, members, facts) = (i.branch, i.members, i.facts);
    let zone = facts.zone_of(&branch.id);
    let now = Utc::now();
    let events = facts.events_of_branch(&branch.id);
    let months = months_due(year);
    let meetings = cadence
        .iter()
        .map(|(kind, period)| {
            // Group meetings are due per group; a branch without groups owes none.
            let per = if *kind == Kind::GroupMeeting {
                i.groups
            } else {
                1
            };
            let due = due(*period, months, per);
            let mut held = [0u32; 4];
            for e in events
                .iter()
                .filter(|e| e.kind == *kind && !e.cancelled && e.start <= now)
            {
                held[quarter_of(e.start.with_timezone(&zone).month())] += 1;
            }
            let quarters = [0, 1, 2, 3].map(|q| (held[q], due[q]));
            MeetingCount {
                kind: *kind,
                period: *period,
                quarters,
                year: (held.iter().sum(), due.iter().sum()),
            }
        })
        .collect();
    let (participation, participation_year) = participation(facts, &branch.id, zone);
    let pending_reviews = members
        .iter()
        .map(|m| facts.waiting_and_returned(&m.id).0)
        .sum();
    let (progress, grades) = match i.lock.filter(|l| l.locked && !l.snapshot.is_empty()) {
        Some(l) => {
            let snapshot: EvaluationView = serde_json::from_str(&l.snapshot)
                .map_err(|e| StoreError::Corrupt(format!("evaluation snapshot: {e}")))?;
            (Progress::Locked, snapshot.distribution())
        }
        None => {
            let mut counts = [0usize; 4];
            for (m, ledger) in members.iter().zip(ledgers) {
                let grade = match i.overrides.get(&m.id) {
                    Some(g) => *g,
                    None => ledger.proposed,
                };
                counts[grade as usize] += 1;
            }
            let started =
                !i.overrides.is_empty() || members.iter().any(|m| facts.job_of(&m.id).is_some());
            let progress = if started {
                Progress::Proposed
            } else {
                Progress::NotStarted
            };
            (progress, GRADES.map(|g| (g, counts[g as usize])))
        }
    };
    Ok(BranchSummary {
        branch_id: branch.id.clone(),
        branch_name: branch.name.clone(),
        members: members.len(),
        meetings,
        participation,
        participation_year,
        pending_reviews,
        progress,
        grades,
        liuhua: None,
        rank: None,
    })
}

/// Attended of all attendance rows, per quarter and for the year.
fn participation(
    facts: &BranchFacts,
    branch_id: &str,
    zone: chrono_tz::Tz,
) -> ([Option<f64>; 4], Option<f64>) {
    let quarter: HashMap<&str, usize> = facts
        .events_of_branch(branch_id)
        .iter()
        .filter(|e| !e.cancelled)
        .map(|e| {
            (
                e.event_id.as_str(),
                quarter_of(e.start.with_timezone(&zone).month()),
            )
        })
        .collect();
    let mut came = [0u32; 4];
    let mut all = [0u32; 4];
    for row in facts.attendance_rows() {
        let Some(q) = quarter.get(row.event_id.as_str()) else {
            continue;
        };
        all[*q] += 1;
        if matches!(
            row.outcome,
            Outcome::Present | Outcome::Late | Outcome::MadeUp
        ) {
            came[*q] += 1;
        }
    }
    let year = percent(came.iter().sum(), all.iter().sum());
    ([0, 1, 2, 3].map(|q| percent(came[q], all[q])), year)
}

/// The committee's view of the branches below it.
pub struct Committee<'a> {
    store: &'a Store,
    cache: &'a FactsCache,
}

impl<'a> Committee<'a> {
    pub fn new(store: &'a Store, cache: &'a FactsCache) -> Self {
        Committee { store, cache }
    }
}

impl Committee<'_> {
    /// Every branch below the admin's committee, by name.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn view(
        &self,
        viewer: &Member,
        year: Option<i32>,
    ) -> Result<CommitteeView, CommitteeError> {
        let store = self.store;
        if !policy::views_committee(viewer) {
            return Err(CommitteeError::Forbidden);
        }
        let year = year::requested(year, Utc::now())?;
        let committee = store
            .accounts()
            .organisation(&viewer.org_id)
            .await?
            .ok_or(CommitteeError::Forbidden)?;
        // Everything below read once, not branch by branch.
        let orgs = store.accounts().organisations_under(&committee.id).await?;
        let mut branches: Vec<&Organisation> =
            orgs.iter().filter(|o| o.kind == OrgKind::Branch).collect();
        branches.sort_by(|a, b| a.name.cmp(&b.name));
        let mut everyone = store.accounts().members_under(&committee.id).await?;
        everyone.retain(|m| m.active);
        everyone.sort_by(|a, b| a.name.cmp(&b.name));
        let mut rolls: HashMap<&str, Vec<Member>> = HashMap::new();
        for m in &everyone {
            rolls.entry(m.org_id.as_str()).or_default().push(m.clone());
        }
        let empty: Vec<Member> = Vec::new();
        let roll_of = |id: &str| rolls.get(id).unwrap_or(&empty);
        let ids: Vec<&str> = branches.iter().map(|b| b.id.as_str()).collect();
        let with_rolls: Vec<(&str, &[Member])> = branches
            .iter()
            .map(|b| (b.id.as_str(), roll_of(&b.id).as_slice()))
            .collect();
        let facts = Ledgers::new(store, self.cache)
            .facts_of_branches(&with_rolls, year)
            .await?;
        let book = in_force(store, &committee.id, year).await?;
        let mut own_books: HashMap<String, InForce> = HashMap::new();
        for id in store.rulebooks().owners_among(&ids, year).await? {
            let b = in_force(store, &id, year).await?;
            own_books.insert(id, b);
        }
        let cadence = book.book.committee.due();
        let locks: HashMap<String, crate::storage::LockRow> = store
            .year_end()
            .locks_of(&ids, year)
            .await?
            .into_iter()
            .map(|l| (l.branch_id.clone(), l))
            .collect();
        let mut overrides: HashMap<String, HashMap<String, Grade>> = HashMap::new();
        for o in store.year_end().overrides_of_branches(&ids, year).await? {
            if let Ok(g) = o.grade.parse() {
                overrides
                    .entry(o.branch_id)
                    .or_default()
                    .insert(o.member_id, g);
            }
        }
        let scores = assessment::scores(store, &ids, year).await?;
        let mut out = Vec::with_capacity(branches.len());
        for (b, f) in branches.iter().zip(&facts) {
            let inputs = BranchInputs {
                branch: b,
                members: roll_of(&b.id),
                groups: orgs
                    .iter()
                    .filter(|o| o.kind == OrgKind::Group && o.parent_id.as_deref() == Some(&b.id))
                    .count() as u32,
                facts: f,
                book: own_books.get(&b.id).unwrap_or(&book),
                overrides: overrides.remove(&b.id).unwrap_or_default(),
                lock: locks.get(&b.id),
            };
            // A locked branch's grades come from its snapshot: nothing to price.
            let locked = inputs
                .lock
                .is_some_and(|l| l.locked && !l.snapshot.is_empty());
            let zone = inputs.facts.zone_of(&inputs.branch.id);
            let ledgers = match locked {
                true => Vec::new(),
                false => {
                    inputs
                        .facts
                        .priced(&inputs.book.book, inputs.members, zone, Mode::Official)
                        .await
                }
            };
            let mut s = summary(&inputs, &ledgers, year, &cadence)?;
            s.liuhua = scores
                .get(&b.id)
                .map(|a| (a.total, standing_label(a.standing).to_string()));
            out.push(s);
        }
        let ranked = book.book.committee.rank_branches;
        if ranked {
            let mut totals: Vec<_> = out
                .iter()
                .map(|s| s.liuhua.as_ref().map(|(p, _)| *p).unwrap_or_default())
                .collect();
            totals.sort_by(|a, b| b.cmp(a));
            for s in &mut out {
                let mine = s.liuhua.as_ref().map(|(p, _)| *p).unwrap_or_default();
                s.rank = totals.iter().position(|t| *t == mine).map(|i| i + 1);
            }
        }
        Ok(CommitteeView {
            committee_id: committee.id,
            committee_name: committee.name,
            year,
            ranked,
            branches: out,
        })
    }
}

/// The committee summary as an export table: one row per branch.
pub fn table(v: &CommitteeView) -> crate::exports::Table {
    use crate::exports::Cell;
    let kinds: Vec<Kind> = v
        .branches
        .first()
        .map(|b| b.meetings.iter().map(|m| m.kind).collect())
        .unwrap_or_default();
    let mut header: Vec<String> = vec!["支部".into(), "党员数".into()];
    for k in &kinds {
        header.push(format!("{}（已开）", k.label()));
        header.push(format!("{}（应开）", k.label()));
    }
    header.extend(
        [
            "参与率（%）",
            "待审核",
            "评议进度",
            "优秀",
            "合格",
            "基本合格",
            "不合格",
            "六化得分",
            "六化等级",
        ]
        .map(String::from),
    );
    if v.ranked {
        header.push("排名".into());
    }
    let rows = v
        .branches
        .iter()
        .map(|b| {
            let mut row: Vec<Cell> = vec![b.branch_name.as_str().into(), b.members.into()];
            for m in &b.meetings {
                row.push(Cell::Number(f64::from(m.year.0)));
                row.push(Cell::Number(f64::from(m.year.1)));
            }
            row.push(match b.participation_year {
                Some(p) => Cell::Number((p * 10.0).round() / 10.0),
                None => "".into(),
            });
            row.push(b.pending_reviews.into());
            row.push(b.progress.label().into());
            for (_, n) in b.grades {
                row.push(n.into());
            }
            match &b.liuhua {
                Some((p, label)) => {
                    row.push((*p).into());
                    row.push(label.as_str().into());
                }
                None => {
                    row.push("".into());
                    row.push("未评定".into());
                }
            }
            if v.ranked {
                row.push(b.rank.unwrap_or_default().into());
            }
            row
        })
        .collect();
    crate::exports::Table {
        title: format!("{} {} 年度各支部概况", v.committee_name, v.year),
        header,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meetings_fall_due_by_cadence() {
        // Through May: Q1 fully, Q2 two months.
        assert_eq!(due(Period::Month, 5, 1), [3, 2, 0, 0]);
        assert_eq!(due(Period::Month, 5, 2), [6, 4, 0, 0]);
        assert_eq!(due(Period::Quarter, 5, 1), [1, 1, 0, 0]);
        assert_eq!(due(Period::Year, 5, 1), [0, 0, 0, 1]);
        assert_eq!(due(Period::Month, 12, 1), [3, 3, 3, 3]);
        assert_eq!(due(Period::Quarter, 0, 1), [0, 0, 0, 0]);
        assert_eq!(quarter_of(1), 0);
        assert_eq!(quarter_of(12), 3);
    }
}
