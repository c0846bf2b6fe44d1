//! The branch's evaluation of a year: each member's 党建 and 业务 scores
//! from the official ledger, the grade the dual standard proposes and why,
//! any override beside it with its reason, who and when, and the 优秀 quota
//! flagged when exceeded. Locking freezes it: the view is kept as locked,
//! with the ledger entries each total counted, and no override, job result
//! or veto of that year is taken. The branch's daily work goes on (events,
//! reviews, attendance); what lands after is marked on the sheets and
//! changes no locked grade. A committee admin above may reopen, with a
//! reason kept, and the evaluation is computed from everything again.

use super::{audit, local_time, now, reason, Confirmed, YearEnd, YearEndError, LOCKED};
use crate::accounts::Names;
use crate::exports::{Cell, Table};
use crate::ledger::Ledgers;
use crate::policy::{self, BranchScope, Refusal};
use crate::rulebooks::in_force::in_force;
use crate::storage::{LockRow, Member, OverrideRow, Store};
use std::collections::{HashMap, HashSet};
use vanguard_shared::ledger::year_end::{
    EvaluationRow, EvaluationView, LockInfo, LockWarning, Progress, Quota,
};
use vanguard_shared::ledger::{evaluate, EvaluationError, Grade, Ledger, Mode, Override, Side};

impl YearEnd<'_> {
    /// The evaluation as it stands: the snapshot while locked, computed
    /// afresh otherwise.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn evaluation(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<EvaluationView, YearEndError> {
        let store = self.store;
        let scope = self.readable(viewer, branch_id, year).await?;
        let (branch, year) = (&scope.branch, scope.year);
        let lock = store.year_end().lock_of(&branch.id, year).await?;
        let mut view = match &lock {
            Some(l) if l.locked && !l.snapshot.is_empty() => serde_json::from_str(&l.snapshot)
                .map_err(|e| {
                    crate::storage::StoreError::Corrupt(format!("evaluation snapshot: {e}"))
                })?,
            _ => self.compute(&scope).await?,
        };
        view.lock = match &lock {
            Some(l) => Some(lock_info(store, l).await?),
            None => None,
        };
        view.can_decide = policy::decides_year_end(viewer, &scope.chain);
        view.can_reopen = policy::reopens_year(viewer, &scope.chain);
        // What the snapshot counted stays in it: the sheets read it.
        for row in &mut view.rows {
            row.counted.clear();
        }
        Ok(view)
    }

    /// Computes the evaluation from the official ledgers, the job results and
    /// the overrides stored now.
    pub(crate) async fn compute(
        &self,
        scope: &BranchScope,
    ) -> Result<EvaluationView, YearEndError> {
        let store = self.store;
        let (branch, year, members) = (&scope.branch, scope.year, &scope.roll);
        let facts = Ledgers::new(store, self.cache).facts(scope).await?;
        let book = in_force(store, &branch.id, year).await?;
        let ledgers: Vec<Ledger> = facts
            .priced(
                &book.book,
                members,
                facts.zone_of(&branch.id),
                Mode::Official,
            )
            .await;
        let stored = store.year_end().overrides_of(&branch.id, year).await?;
        // An override of someone no longer on the roll stays stored, unused.
        let overrides: Vec<Override> = stored
            .iter()
            .filter(|o| members.iter().any(|m| m.id == o.member_id))
            .filter_map(|o| {
                Some(Override {
                    member_id: o.member_id.clone(),
                    grade: o.grade.parse().ok()?,
                    reason: o.reason.clone(),
                    by: o.decided_by.clone(),
                })
            })
            .collect();
        let evaluation = evaluate(&book.book, &ledgers, &overrides).map_err(|e| match e {
            EvaluationError::MissingReason { .. } => YearEndError::Invalid(e.to_string()),
            other => YearEndError::Store(crate::storage::StoreError::Corrupt(other.to_string())),
        })?;
        let by_id: HashMap<&str, (&Member, &Ledger)> = members
            .iter()
            .zip(&ledgers)
            .map(|(m, l)| (m.id.as_str(), (m, l)))
            .collect();
        let when: HashMap<&str, &OverrideRow> =
            stored.iter().map(|o| (o.member_id.as_str(), o)).collect();
        let mut names = Names::new(store, members);
        let mut rows = Vec::with_capacity(members.len());
        for r in &evaluation.results {
            let Some((member, ledger)) = by_id.get(r.member_id.as_str()) else {
                continue;
            };
            let job = facts.job_of(&member.id);
            let override_by = match &r.override_ {
                Some(o) => names.of(&o.by).await?,
                None => None,
            };
            rows.push(EvaluationRow {
                member_id: member.id.clone(),
                name: member.name.clone(),
                group_name: member
                    .group_id
                    .as_deref()
                    .and_then(|g| scope.group_name(g))
                    .map(str::to_string),
                party_score: ledger.sides.get(&Side::Party).copied().unwrap_or_default(),
                job_score: ledger.sides.get(&Side::Job).copied().unwrap_or_default(),
                total: r.total,
                job_result: job.map(|j| j.appraisal),
                tasks: job.and_then(|j| j.tasks),
                proposed: r.proposed,
                reasons: r.grade_reasons.clone(),
                vetoes: ledger
                    .vetoes
                    .iter()
                    .map(|v| format!("{}（{}）", v.name, v.reason))
                    .collect(),
                veto_ids: ledger.vetoes.iter().map(|v| v.veto_id.clone()).collect(),
                override_: r.override_.as_ref().map(|o| o.grade),
                override_reason: r.override_.as_ref().map(|o| o.reason.clone()),
                override_by,
                override_at: when
                    .get(member.id.as_str())
                    .filter(|_| r.override_.is_some())
                    .map(|o| local_time(o.decided_at)),
                final_: r.final_grade,
                counted: ledger
                    .entries
                    .iter()
                    .filter(|e| e.counted)
                    .map(|e| e.source.counted_key(e.granted))
                    .collect(),
            });
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.member_id.cmp(&b.member_id)));
        let job_missing = rows.iter().filter(|r| r.job_result.is_none()).count();
        let started = job_missing < rows.len() || !stored.is_empty();
        let warnings = unfinished(
            &evaluation,
            job_missing,
            members
                .iter()
                .map(|m| facts.waiting_and_returned(&m.id).0)
                .sum(),
            &facts,
            &branch.id,
        );
        Ok(EvaluationView {
            branch_id: branch.id.clone(),
            branch_name: branch.name.clone(),
            year,
            rulebook_label: book.label(),
            locked: false,
            progress: if started {
                Progress::Proposed
            } else {
                Progress::NotStarted
            },
            lock: None,
            quota: Quota {
                excellent: evaluation.excellent,
                limit: evaluation.excellent_allowed,
                exceeded: evaluation.quota_exceeded,
            },
            rows,
            job_missing,
            can_decide: false,
            can_reopen: false,
            veto_choices: book
                .book
                .vetoes
                .iter()
                .map(|v| (v.id.clone(), v.name.clone()))
                .collect(),
            warnings,
        })
    }

    /// Overrides one member's proposed grade with a mandatory reason, or with
    /// `grade` `None` withdraws the override.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id, member = %member_id))]
    pub async fn override_grade(
        &self,
        viewer: &Member,
        branch_id: &str,
        member_id: &str,
        year: Option<i32>,
        grade: Option<Grade>,
        why: &str,
    ) -> Result<(), YearEndError> {
        let scope = self.decided_by(viewer, branch_id, year).await?;
        let free = policy::Independence::of(self.store, viewer, scope.year).await?;
        if let Some(why) = free.refusal(member_id, policy::OWN_GRADE) {
            return Err(YearEndError::Forbidden(why));
        }
        let (branch, year) = (&scope.branch, scope.year);
        let member = on_roll(&scope, member_id)?;
        let why = match grade {
            Some(_) => reason(why, "改评")?,
            None => why.trim().to_string(),
        };
        let row = OverrideRow {
            member_id: member.id.clone(),
            year,
            branch_id: branch.id.clone(),
            grade: grade.map_or("", |g| g.as_str()).to_string(),
            reason: why.clone(),
            decided_by: viewer.id.clone(),
            decided_at: now(),
        };
        let detail = match grade {
            Some(g) => format!("{} 改评为{}：{why}", member.name, g.label()),
            None => format!("{} 撤销改评", member.name),
        };
        let line = audit(
            viewer,
            "grade_override",
            format!("member:{}", member.id),
            detail,
        );
        if !self
            .store
            .year_end()
            .put_override(&row, grade.is_none(), &line)
            .await?
        {
            return Err(YearEndError::Conflict(LOCKED));
        }
        Ok(())
    }

    /// Records a veto item (一票否决) found against a member, with its
    /// reason, or withdraws it: the grade it forces follows by the rulebook.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id, member = %member_id))]
    pub async fn set_veto(
        &self,
        viewer: &Member,
        branch_id: &str,
        member_id: &str,
        year: Option<i32>,
        veto_id: &str,
        why: &str,
        withdraw: bool,
    ) -> Result<(), YearEndError> {
        let store = self.store;
        let scope = self.decided_by(viewer, branch_id, year).await?;
        let free = policy::Independence::of(self.store, viewer, scope.year).await?;
        if let Some(why) = free.refusal(member_id, policy::OWN_VETO) {
            return Err(YearEndError::Forbidden(why));
        }
        let (branch, year) = (&scope.branch, scope.year);
        let member = on_roll(&scope, member_id)?;
        let book = in_force(store, &branch.id, year).await?;
        let veto = book
            .book
            .vetoes
            .iter()
            .find(|v| v.id == veto_id)
            .ok_or_else(|| YearEndError::Invalid(format!("积分细则中没有否决项“{veto_id}”")))?;
        let why = if withdraw {
            why.trim().to_string()
        } else {
            reason(why, "否决项")?
        };
        let row = crate::storage::VetoRow {
            member_id: member.id.clone(),
            year,
            branch_id: branch.id.clone(),
            veto_id: veto.id.clone(),
            reason: why.clone(),
            found_by: viewer.id.clone(),
            found_at: now(),
        };
        let detail = if withdraw {
            format!("{} 撤销否决项“{}”", member.name, veto.name)
        } else {
            format!("{} 否决项“{}”：{why}", member.name, veto.name)
        };
        let line = audit(
            viewer,
            "veto_recorded",
            format!("member:{}", member.id),
            detail,
        );
        if !store.year_end().put_veto(&row, withdraw, &line).await? {
            return Err(YearEndError::Conflict(LOCKED));
        }
        Ok(())
    }

    /// Locks the branch's year: the evaluation as it stands now is what the
    /// year's results are until a committee admin reopens it. While anything
    /// is unfinished, only once the caller confirmed each warning.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn lock(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        confirmed: &Confirmed,
    ) -> Result<EvaluationView, YearEndError> {
        let store = self.store;
        let scope = self
            .open(
                viewer,
                branch_id,
                year,
                policy::locks_year,
                super::NOT_DECIDED,
            )
            .await?;
        let (branch, year) = (&scope.branch, scope.year);
        if !matches!(confirmed, Confirmed::All)
            && !store.year_end().is_locked(&branch.id, year).await?
        {
            let warnings = self.compute(&scope).await?.warnings;
            if !warnings.iter().all(|w| confirmed.covers(&w.code)) {
                return Err(YearEndError::Unconfirmed(warnings));
            }
        }
        let mut row = LockRow {
            branch_id: branch.id.clone(),
            year,
            locked: true,
            locked_by: viewer.id.clone(),
            locked_at: now(),
            reopened_by: None,
            reopened_at: None,
            reopen_reason: None,
            snapshot: String::new(),
        };
        // Locked first, then computed: a decision landing meanwhile is in
        // the snapshot, or not counted by it and so marked after the lock.
        if !store.year_end().begin_lock(&row).await? {
            return Err(YearEndError::Conflict("该年度评议已经锁定"));
        }
        let snapshot = match self.compute(&scope).await {
            Ok(mut s) => {
                s.locked = true;
                s.progress = Progress::Locked;
                s
            }
            Err(e) => {
                store.year_end().undo_lock(&branch.id, year).await?;
                return Err(e);
            }
        };
        row.snapshot = serde_json::to_string(&snapshot)
            .map_err(|e| crate::storage::StoreError::Corrupt(e.to_string()))?;
        let [e, q, b, u] = snapshot.distribution().map(|(_, n)| n);
        let line = audit(
            viewer,
            "evaluation_locked",
            format!("evaluation:{}:{year}", branch.id),
            format!(
                "锁定 {}：优秀 {e}，合格 {q}，基本合格 {b}，不合格 {u}",
                branch.name
            ),
        );
        store.year_end().finish_lock(&row, &line).await?;
        self.evaluation(viewer, &branch.id, Some(year)).await
    }

    /// Reopens a locked year, for a committee admin above the branch, with the
    /// reason recorded beside the lock and in the audit trail.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn reopen(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        why: &str,
    ) -> Result<EvaluationView, YearEndError> {
        let store = self.store;
        let scope = self.readable(viewer, branch_id, year).await?;
        let (branch, year) = (&scope.branch, scope.year);
        if !policy::reopens_year(viewer, &scope.chain) {
            return Err(Refusal::Forbidden("只有上级党委管理员可以重新开启评议").into());
        }
        let why = reason(why, "重新开启")?;
        let at = now();
        let line = audit(
            viewer,
            "evaluation_reopened",
            format!("evaluation:{}:{year}", branch.id),
            format!("重新开启 {}：{why}", branch.name),
        );
        if !store
            .year_end()
            .reopen(&branch.id, year, &viewer.id, at, &why, &line)
            .await?
        {
            return Err(YearEndError::Conflict("该年度评议未锁定"));
        }
        self.evaluation(viewer, &branch.id, Some(year)).await
    }

    /// The evaluation as an export table with its file name.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch_id = %branch_id, year = ?year))]
    pub async fn evaluation_export(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<(Table, String), YearEndError> {
        let v = self.evaluation(viewer, branch_id, year).await?;
        let name = format!("{}-{}-评议结果", v.branch_name, v.year);
        Ok((table(&v), name))
    }
}

/// What the lock asks about: the quota exceeded, members without a job
/// result, records waiting for review, past events with no attendance sheet.
fn unfinished(
    evaluation: &vanguard_shared::ledger::Evaluation,
    job_missing: usize,
    waiting: usize,
    facts: &crate::ledger::BranchFacts,
    branch_id: &str,
) -> Vec<LockWarning> {
    let now = chrono::Utc::now().fixed_offset();
    let sheeted: HashSet<&str> = facts
        .attendance_rows()
        .map(|a| a.event_id.as_str())
        .collect();
    let unsheeted = facts
        .events_of_branch(branch_id)
        .iter()
        .filter(|e| !e.cancelled && e.checkin_window().1 < now)
        .filter(|e| !sheeted.contains(e.event_id.as_str()))
        .count();
    let mut out = Vec::new();
    let mut warn = |code: &str, message: String| {
        out.push(LockWarning {
            code: code.into(),
            message,
        })
    };
    if evaluation.quota_exceeded {
        warn(
            "over_quota",
            format!(
                "优秀 {} 名，超过名额（{} 名）",
                evaluation.excellent, evaluation.excellent_allowed
            ),
        );
    }
    if job_missing > 0 {
        warn(
            "job_missing",
            format!("{job_missing} 名党员还没有业务考核结果"),
        );
    }
    if waiting > 0 {
        warn("pending_reviews", format!("{waiting} 条记录还在等待审核"));
    }
    if unsheeted > 0 {
        warn(
            "events_without_sheet",
            format!("{unsheeted} 次已结束的活动还没有考勤表"),
        );
    }
    out
}

async fn lock_info(store: &Store, l: &LockRow) -> Result<LockInfo, YearEndError> {
    let mut names = Names::new(store, &[]);
    let locked_by = names.of(&l.locked_by).await?.unwrap_or_default();
    let reopened_by = match &l.reopened_by {
        Some(id) => names.of(id).await?,
        None => None,
    };
    Ok(LockInfo {
        locked_by,
        locked_at: local_time(l.locked_at),
        reopened_by,
        reopened_at: l.reopened_at.map(local_time),
        reopen_reason: l.reopen_reason.clone(),
    })
}

/// The member of the branch's roll an override or a veto is about.
fn on_roll<'s>(scope: &'s BranchScope, member_id: &str) -> Result<&'s Member, YearEndError> {
    scope
        .on_roll(member_id)
        .ok_or(YearEndError::NotFound("该成员不在本支部评议名单中"))
}

/// The evaluation results as an export table.
pub fn table(v: &EvaluationView) -> Table {
    let header = [
        "姓名",
        "党小组",
        "党建得分",
        "业务得分",
        "总分",
        "年度考核",
        "建议等次",
        "依据",
        "改评",
        "改评理由",
        "最终等次",
    ]
    .map(String::from)
    .to_vec();
    let rows = v
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.name.as_str()),
                r.group_name.clone().unwrap_or_default().into(),
                r.party_score.into(),
                r.job_score.into(),
                r.total.into(),
                r.job_result.map_or("未录入", |a| a.label()).into(),
                r.proposed.label().into(),
                r.reasons.join("；").into(),
                r.override_.map_or("", |g| g.label()).into(),
                r.override_reason.clone().unwrap_or_default().into(),
                r.final_.label().into(),
            ]
        })
        .collect();
    let state = if v.locked { "已锁定" } else { "未锁定" };
    Table {
        title: format!(
            "{} {} 年度党员民主评议结果（{}，{state}）",
            v.branch_name, v.year, v.rulebook_label
        ),
        header,
        rows,
    }
}
