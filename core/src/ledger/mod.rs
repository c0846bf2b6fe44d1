//! Official ledgers on the server: the materialized records, decisions,
//! events and attendance rows read back into the shared types (`facts`),
//! kept while current (`cache`), priced by the same `view::facts` and
//! engine the phone runs on its own copy, with the rulebook in force for
//! the member's organisation and year, and laid out as sheets (`sheet`).
//!
//! Ledgers are computed when read, from the tables every accepted sync and
//! decision has already updated in its own transaction: a read never shows
//! an older state than one shown before, and nothing on the write path has
//! to be kept fresh (docs/ledger.md).

mod cache;
mod facts;
mod sheet;

pub use cache::{Corrections, FactsCache};
pub use facts::{job_fact, BranchFacts};

use crate::accounts::Names;
use crate::charts;
use crate::policy::{self, BranchScope, Refusal};
use crate::rulebooks::in_force;
use crate::storage::{Member, Store, StoreError};
use sheet::sheet_of;
use vanguard_shared::documents::id::is_plain_id;
use vanguard_shared::documents::DocId;
use vanguard_shared::ledger::sheet::LockedResult;
use vanguard_shared::ledger::{BranchLedger, BranchRow, Ledger, Mode, Points, Sheet};
use vanguard_shared::org::OrgKind;
use vanguard_shared::year;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Year(#[from] year::YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const NOT_YOURS: &str = "无权查看该支部的台账";

/// The ledgers of branches and members, as their readers may see them.
pub struct Ledgers<'a> {
    store: &'a Store,
    cache: &'a FactsCache,
}

impl<'a> Ledgers<'a> {
    pub fn new(store: &'a Store, cache: &'a FactsCache) -> Self {
        Ledgers { store, cache }
    }

    /// The facts of a branch's roll for the scope's year, from the cache
    /// where current: what the table, the evaluation and the preview read.
    pub async fn facts(&self, scope: &BranchScope) -> Result<BranchFacts, StoreError> {
        self.cache
            .branch(self.store, &scope.branch.id, &scope.roll, scope.year)
            .await
    }

    /// The facts of some members of one branch for `year`.
    pub async fn facts_of(
        &self,
        branch_id: &str,
        members: &[Member],
        year: i32,
    ) -> Result<BranchFacts, StoreError> {
        self.cache
            .branch(self.store, branch_id, members, year)
            .await
    }

    /// The facts of many branches of one year, each with its members.
    pub async fn facts_of_branches(
        &self,
        branches: &[(&str, &[Member])],
        year: i32,
    ) -> Result<Vec<BranchFacts>, StoreError> {
        self.cache.branches(self.store, branches, year).await
    }

    /// The sheet of `member_id` for `year` (the current one when `None`),
    /// to whoever may read the member's check-ins; not found to anyone else.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, member = %member_id))]
    pub async fn member_sheet(
        &self,
        viewer: &Member,
        member_id: &str,
        year: Option<i32>,
        mode: Mode,
    ) -> Result<Sheet, LedgerError> {
        let year = year::requested(year, chrono::Utc::now())?;
        let id = DocId::checkins(member_id, year);
        let readable = is_plain_id(member_id)
            && crate::sync::access::access(self.store, viewer, &id)
                .await?
                .is_some();
        let member = match readable {
            true => self.store.accounts().member(member_id).await?,
            false => None,
        };
        let member = member.ok_or(LedgerError::NotFound("成员不存在"))?;
        let facts = BranchFacts::load(self.store, std::slice::from_ref(&member), year).await?;
        let book = in_force::in_force(self.store, &member.org_id, year).await?;
        let corrected = self.cache.corrections(self.store, &id).await?;
        let mut names = Names::new(self.store, &[]);
        let mut sheet = sheet_of(&member, &facts, &book, mode, &mut names, &corrected).await?;
        if let Some(locked) = self.locked(&member.org_id, year).await? {
            locked.mark(&mut sheet);
        }
        Ok(sheet)
    }

    /// A locked year's snapshot of a branch, to mark its members' sheets.
    async fn locked(&self, branch_id: &str, year: i32) -> Result<Option<Locked>, StoreError> {
        let Some(lock) = self.store.year_end().lock_of(branch_id, year).await? else {
            return Ok(None);
        };
        if !lock.locked || lock.snapshot.is_empty() {
            return Ok(None);
        }
        let view: vanguard_shared::ledger::year_end::EvaluationView =
            serde_json::from_str(&lock.snapshot)
                .map_err(|e| StoreError::Corrupt(format!("evaluation snapshot: {e}")))?;
        Ok(Some(Locked {
            rows: view
                .rows
                .into_iter()
                .map(|r| (r.member_id.clone(), r))
                .collect(),
            // Beijing time, as the evaluation page says it.
            at: chrono::TimeZone::timestamp_opt(&chrono_tz::Asia::Shanghai, lock.locked_at, 0)
                .single()
                .map(|t| vanguard_shared::time_text::ymd_hm(&t))
                .unwrap_or_default(),
        }))
    }

    /// Every member's official sheet of the branch, in roll order (by
    /// name): what the batch print lays out one member to a page.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn branch_sheets(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<(String, Vec<Sheet>), LedgerError> {
        let scope = self.open(viewer, branch_id, year).await?;
        let facts = self.facts(&scope).await?;
        let book = in_force::in_force(self.store, &scope.branch.id, scope.year).await?;
        let mut names = Names::new(self.store, &scope.roll);
        let mut sheets = Vec::with_capacity(scope.roll.len());
        let locked = self.locked(&scope.branch.id, scope.year).await?;
        for m in &scope.roll {
            let id = DocId::checkins(&m.id, scope.year);
            let corrected = self.cache.corrections(self.store, &id).await?;
            let mut sheet =
                sheet_of(m, &facts, &book, Mode::Official, &mut names, &corrected).await?;
            if let Some(locked) = &locked {
                locked.mark(&mut sheet);
            }
            sheets.push(sheet);
        }
        Ok((scope.branch.name, sheets))
    }

    async fn open(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<BranchScope, Refusal> {
        BranchScope::open(
            self.store,
            viewer,
            branch_id,
            year,
            policy::reads_branch,
            NOT_YOURS,
        )
        .await
    }

    /// The branches whose tables `viewer` reads, as `(id, name)`: an
    /// officer's own, every branch below a committee admin.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn readable_branches(
        &self,
        viewer: &Member,
    ) -> Result<Vec<(String, String)>, LedgerError> {
        let mut out = Vec::new();
        for org in self
            .store
            .accounts()
            .organisations_under(&viewer.org_id)
            .await?
        {
            if org.kind != OrgKind::Branch {
                continue;
            }
            let chain = self.store.accounts().ancestry(&org.id).await?;
            if policy::reads_branch(viewer, &chain) {
                out.push((org.id, org.name));
            }
        }
        Ok(out)
    }

    /// Every member's official ledger of the branch, one row each, in the
    /// branch's roll order (by name).
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn branch_ledger(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<BranchLedger, LedgerError> {
        let scope = self.open(viewer, branch_id, year).await?;
        self.table(&scope).await
    }

    /// The branch table of a scope already checked.
    #[tracing::instrument(skip_all, fields(branch_id = %scope.branch.id, year = scope.year))]
    pub async fn table(&self, scope: &BranchScope) -> Result<BranchLedger, LedgerError> {
        let year = scope.year;
        let facts = self.facts(scope).await?;
        let book = in_force::in_force(self.store, &scope.branch.id, year).await?;
        let zone = facts.zone_of(&scope.branch.id);
        let ledgers: Vec<Ledger> = facts
            .priced(&book.book, &scope.roll, zone, Mode::Official)
            .await;
        let mut rows: Vec<BranchRow> = scope
            .roll
            .iter()
            .zip(&ledgers)
            .map(|(m, ledger)| {
                let (pending, returned) = facts.waiting_and_returned(&m.id);
                BranchRow {
                    member_id: m.id.clone(),
                    name: m.name.clone(),
                    status: m.status,
                    status_label: m.status.short_label().to_string(),
                    group_id: m.group_id.clone(),
                    group_name: m
                        .group_id
                        .as_deref()
                        .and_then(|g| scope.group_name(g))
                        .map(str::to_string),
                    sections: ledger.sections.clone(),
                    sides: ledger.sides.clone(),
                    total: ledger.total,
                    proposed: ledger.proposed,
                    proposed_label: ledger.proposed.label().to_string(),
                    final_label: None,
                    pending,
                    returned,
                    rank: None,
                }
            })
            .collect();
        if let Some(locked) = self.locked(&scope.branch.id, year).await? {
            for row in &mut rows {
                row.final_label = locked
                    .rows
                    .get(&row.member_id)
                    .map(|r| r.final_.label().to_string());
            }
        }
        if book.book.ranking {
            let mut totals: Vec<Points> = rows.iter().map(|r| r.total).collect();
            totals.sort_by(|a, b| b.cmp(a));
            for row in &mut rows {
                // Equal totals share a place (1, 2, 2, 4).
                row.rank = totals.iter().position(|t| *t == row.total).map(|i| i + 1);
            }
        }
        let mut charts = charts::participation(&ledgers, zone).to_vec();
        charts.push(charts::attendance_rate(
            facts.attendance_rows(),
            facts.events_of_branch(&scope.branch.id),
        ));
        Ok(BranchLedger {
            branch_id: scope.branch.id.clone(),
            branch_name: scope.branch.name.clone(),
            year,
            rulebook_label: book.label(),
            ranking: book.book.ranking,
            groups: scope.group_pairs(),
            rows,
            charts,
        })
    }
}

/// A locked evaluation's rows by member, and when it was locked.
struct Locked {
    rows: std::collections::HashMap<String, vanguard_shared::ledger::year_end::EvaluationRow>,
    at: String,
}

impl Locked {
    /// The member's locked grade on their sheet, and what came after.
    fn mark(&self, sheet: &mut Sheet) {
        // Someone not on the roll when it was locked has no locked grade.
        if let Some(row) = self.rows.get(&sheet.member_id) {
            sheet.mark_locked(
                &row.counted,
                LockedResult {
                    final_: row.final_,
                    final_label: row.final_.label().to_string(),
                    total: row.total,
                    locked_at: self.at.clone(),
                },
            );
        }
    }
}
