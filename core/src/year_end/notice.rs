//! The public notice (公示) of a locked year's final grades: the notice
//! period, how to object, and the members named (by default only 优秀 and
//! 不合格; the branch chooses). Published by whoever decides the branch's
//! year-end; read by them and by the branch's own members.

use super::{audit, local_time, now, YearEnd, YearEndError};
use crate::accounts::Names;
use crate::policy::{self, Refusal};
use crate::storage::{Member, NoticeRow};
use chrono::NaiveDate;
use vanguard_shared::ledger::year_end::{Notice, NoticeEntry, NoticeInput};
use vanguard_shared::ledger::Grade;
use vanguard_shared::year;

/// The grades a notice names unless the branch chooses otherwise.
pub const NAMED_BY_DEFAULT: [Grade; 2] = [Grade::Excellent, Grade::Unqualified];

fn date(text: &str, what: &str) -> Result<NaiveDate, YearEndError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| YearEndError::Invalid(format!("{what}“{text}”不是 YYYY-MM-DD 格式的日期")))
}

impl YearEnd<'_> {
    /// Publishes the notice of a locked year.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn publish_notice(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        input: &NoticeInput,
    ) -> Result<Notice, YearEndError> {
        let store = self.store;
        let scope = self.decided_by(viewer, branch_id, year).await?;
        let (branch, year) = (&scope.branch, scope.year);
        let starts = date(&input.starts_on, "公示开始日期")?;
        let ends = date(&input.ends_on, "公示结束日期")?;
        if ends < starts {
            return Err(YearEndError::Invalid("公示结束日期早于开始日期".into()));
        }
        if (ends - starts).num_days() > 60 {
            return Err(YearEndError::Invalid("公示期不能超过 60 天".into()));
        }
        let objection = input.objection.trim();
        if objection.is_empty() {
            return Err(YearEndError::Invalid(
                "请写明提出异议的方式（向谁、何时、如何反映）".into(),
            ));
        }
        if objection.chars().count() > 500 {
            return Err(YearEndError::Invalid("异议方式不能超过 500 字".into()));
        }
        let mut named: Vec<Grade> = if input.named.is_empty() {
            NAMED_BY_DEFAULT.to_vec()
        } else {
            input.named.clone()
        };
        named.sort();
        named.dedup();
        let row = NoticeRow {
            branch_id: branch.id.clone(),
            year,
            starts_on: starts.to_string(),
            ends_on: ends.to_string(),
            objection: objection.to_string(),
            named: named
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(","),
            published_by: viewer.id.clone(),
            published_at: now(),
        };
        let line = audit(
            viewer,
            "notice_published",
            format!("evaluation:{}:{year}", branch.id),
            format!("公示 {} 至 {}", row.starts_on, row.ends_on),
        );
        if !store.year_end().put_notice(&row, &line).await? {
            return Err(YearEndError::Conflict("须先锁定该年度评议，才能公示结果"));
        }
        self.notice_of(viewer, &branch.id, year)
            .await?
            .ok_or(YearEndError::NotFound("公示不存在"))
    }

    /// The notice of a branch's year, if published: to those who read the
    /// branch's evaluation, and to the branch's own members.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch_id = %branch_id, year = %year))]
    pub async fn notice_of(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: i32,
    ) -> Result<Option<Notice>, YearEndError> {
        let store = self.store;
        let chain = store.accounts().ancestry(branch_id).await?;
        if !chain
            .first()
            .is_some_and(|b| b.kind == vanguard_shared::OrgKind::Branch)
        {
            return Err(Refusal::NotFound("支部不存在").into());
        }
        if !policy::reads_notice(viewer, &chain) {
            return Err(Refusal::Forbidden(super::NOT_READABLE).into());
        }
        let Some(row) = store.year_end().notice_of(branch_id, year).await? else {
            return Ok(None);
        };
        let lock = store.year_end().lock_of(branch_id, year).await?;
        // A reopened year's notice is withdrawn; locked again, the year needs
        // a notice of its new results.
        let Some(lock) = lock.filter(|l| l.locked && !l.snapshot.is_empty()) else {
            return Ok(None);
        };
        if row.published_at < lock.locked_at {
            return Ok(None);
        }
        let results: vanguard_shared::ledger::year_end::EvaluationView =
            serde_json::from_str(&lock.snapshot).map_err(|e| {
                crate::storage::StoreError::Corrupt(format!("evaluation snapshot: {e}"))
            })?;
        let named: Vec<Grade> = row
            .named
            .split(',')
            .filter_map(|g| g.parse().ok())
            .collect();
        let entries = results
            .rows
            .iter()
            .filter(|r| named.contains(&r.final_))
            .map(|r| NoticeEntry {
                name: r.name.clone(),
                grade: r.final_,
            })
            .collect();
        let published_by = Names::new(store, &[])
            .of(&row.published_by)
            .await?
            .unwrap_or_default();
        Ok(Some(Notice {
            branch_id: row.branch_id,
            branch_name: results.branch_name.clone(),
            year,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            objection: row.objection,
            named,
            entries,
            counts: results.distribution().to_vec(),
            published_by,
            published_at: local_time(row.published_at),
        }))
    }

    /// The notice of the caller's own branch, for the phone.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn my_notice(
        &self,
        viewer: &Member,
        year: Option<i32>,
    ) -> Result<Option<Notice>, YearEndError> {
        let year = year::requested(year, chrono::Utc::now())?;
        self.notice_of(viewer, &viewer.org_id.clone(), year).await
    }
}
