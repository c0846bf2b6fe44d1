//! The year-end evaluation's own rows: the job side (`job_results`), the
//! overrides of proposed grades (`grade_overrides`), the branch's lock of a
//! year (`evaluation_locks`) and its public notice (`evaluation_notices`).
//! Every write carries its audit line in the same transaction, and every
//! write of a decision refuses a locked year in the statement itself, so a
//! lock that lands meanwhile is never overtaken.

use super::audit::{audit_line, AuditEvent};
use super::{on_db, Pool, StoreError};

/// One member's job side (业务) of a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub member_id: String,
    pub year: i32,
    pub branch_id: String,
    /// An `Appraisal` code.
    pub appraisal: String,
    pub tasks_assigned: Option<i64>,
    pub tasks_completed: Option<i64>,
    pub note: Option<String>,
    pub entered_by: String,
    pub entered_at: i64,
}

/// A human decision to differ from the proposed grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRow {
    pub member_id: String,
    pub year: i32,
    pub branch_id: String,
    /// A `Grade` code.
    pub grade: String,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: i64,
}

/// A branch's year as locked, and its reopening if it was reopened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRow {
    pub branch_id: String,
    pub year: i32,
    pub locked: bool,
    pub locked_by: String,
    pub locked_at: i64,
    pub reopened_by: Option<String>,
    pub reopened_at: Option<i64>,
    pub reopen_reason: Option<String>,
    /// The evaluation as locked, JSON.
    pub snapshot: String,
}

/// The public notice (公示) of a branch's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub branch_id: String,
    pub year: i32,
    pub starts_on: String,
    pub ends_on: String,
    pub objection: String,
    /// The `Grade` codes the notice names, comma-separated.
    pub named: String,
    pub published_by: String,
    pub published_at: i64,
}

/// The statement fragment that refuses a locked year.
const OPEN_YEAR: &str = "NOT EXISTS (SELECT 1 FROM evaluation_locks l \
     WHERE l.branch_id = $3 AND l.year = $2 AND l.locked = 1)";

type JobTuple = (
    String,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    i64,
);
type OverrideTuple = (String, i64, String, String, String, String, i64);
type LockTuple = (
    String,
    i64,
    i64,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
);
type NoticeTuple = (String, i64, String, String, String, String, String, i64);

pub struct YearEnd<'a> {
    pool: &'a Pool,
}

/// One writer at a time per branch and year on PostgreSQL, whose READ
/// COMMITTED would let an override and a lock each miss the other's
/// uncommitted row. SQLite has one writer anyway: there the first statement
/// of each transaction must be its write, or it could not take the lock.
macro_rules! one_at_a_time {
    ($pool:expr, $tx:expr, $branch:expr, $year:expr) => {
        if matches!($pool, super::Db::Postgres(_)) {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(format!("evaluation:{}:{}", $branch, $year))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

impl<'a> YearEnd<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        YearEnd { pool }
    }

    /// The job results a branch entered for `year`.
    pub async fn jobs_of_branch(
        &self,
        branch_id: &str,
        year: i32,
    ) -> Result<Vec<JobRow>, StoreError> {
        let rows: Vec<JobTuple> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT member_id, CAST(year AS BIGINT), branch_id, appraisal, \
                 CAST(tasks_assigned AS BIGINT), CAST(tasks_completed AS BIGINT), note, \
                 entered_by, entered_at FROM job_results WHERE branch_id = $1 AND year = $2",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(job_row).collect())
    }

    /// The job results some branches entered for `year`.
    pub async fn jobs_of_branches(
        &self,
        branch_ids: &[&str],
        year: i32,
    ) -> Result<Vec<JobRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in branch_ids.chunks(500) {
            let sql = format!(
                "SELECT member_id, CAST(year AS BIGINT), branch_id, appraisal, \
                 CAST(tasks_assigned AS BIGINT), CAST(tasks_completed AS BIGINT), note, \
                 entered_by, entered_at FROM job_results WHERE year = $1 AND branch_id IN ({})",
                super::marks(2, chunk.len())
            );
            let rows: Vec<JobTuple> = on_db!(self.pool, p => {
                let mut q = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(job_row));
        }
        Ok(out)
    }

    /// The overrides of some branches' year.
    pub async fn overrides_of_branches(
        &self,
        branch_ids: &[&str],
        year: i32,
    ) -> Result<Vec<OverrideRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in branch_ids.chunks(500) {
            let sql = format!(
                "SELECT member_id, CAST(year AS BIGINT), branch_id, grade, reason, decided_by, \
                 decided_at FROM grade_overrides WHERE year = $1 AND branch_id IN ({})",
                super::marks(2, chunk.len())
            );
            let rows: Vec<OverrideTuple> = on_db!(self.pool, p => {
                let mut q = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(
                |(member_id, year, branch_id, grade, reason, decided_by, decided_at)| OverrideRow {
                    member_id,
                    year: year as i32,
                    branch_id,
                    grade,
                    reason,
                    decided_by,
                    decided_at,
                },
            ));
        }
        Ok(out)
    }

    /// One member's job result of `year`, wherever it was entered.
    pub async fn job_of(&self, member_id: &str, year: i32) -> Result<Option<JobRow>, StoreError> {
        let row: Option<JobTuple> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT member_id, CAST(year AS BIGINT), branch_id, appraisal, \
                 CAST(tasks_assigned AS BIGINT), CAST(tasks_completed AS BIGINT), note, \
                 entered_by, entered_at FROM job_results WHERE member_id = $1 AND year = $2",
            )
            .bind(member_id)
            .bind(i64::from(year))
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(job_row))
    }

    /// Stores the rows of one branch's year, all or none, with one audit
    /// line; `Ok(false)` when the year is locked and nothing was stored.
    pub async fn put_jobs(
        &self,
        branch_id: &str,
        year: i32,
        rows: &[JobRow],
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            one_at_a_time!(self.pool, tx, branch_id, year);
            for r in rows {
                let sql = format!(
                    "INSERT INTO job_results (member_id, year, branch_id, appraisal, tasks_assigned, \
                     tasks_completed, note, entered_by, entered_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE {OPEN_YEAR} \
                     ON CONFLICT (member_id, year) DO UPDATE SET branch_id = excluded.branch_id, \
                     appraisal = excluded.appraisal, tasks_assigned = excluded.tasks_assigned, \
                     tasks_completed = excluded.tasks_completed, note = excluded.note, \
                     entered_by = excluded.entered_by, entered_at = excluded.entered_at"
                );
                let done = sqlx::query(&sql)
                    .bind(&r.member_id)
                    .bind(i64::from(year))
                    .bind(branch_id)
                    .bind(&r.appraisal)
                    .bind(r.tasks_assigned)
                    .bind(r.tasks_completed)
                    .bind(&r.note)
                    .bind(&r.entered_by)
                    .bind(r.entered_at)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(true)
    }

    pub async fn overrides_of(
        &self,
        branch_id: &str,
        year: i32,
    ) -> Result<Vec<OverrideRow>, StoreError> {
        let rows: Vec<OverrideTuple> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT member_id, CAST(year AS BIGINT), branch_id, grade, reason, decided_by, \
                 decided_at FROM grade_overrides WHERE branch_id = $1 AND year = $2",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(member_id, year, branch_id, grade, reason, decided_by, decided_at)| OverrideRow {
                    member_id,
                    year: year as i32,
                    branch_id,
                    grade,
                    reason,
                    decided_by,
                    decided_at,
                },
            )
            .collect())
    }

    /// Sets (or with `grade` `None`, withdraws) one member's override;
    /// `Ok(false)` when the year is locked.
    pub async fn put_override(
        &self,
        row: &OverrideRow,
        withdraw: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let sql = if withdraw {
            format!(
                "DELETE FROM grade_overrides WHERE member_id = $1 AND year = $2 \
                 AND branch_id = $3 AND {OPEN_YEAR}"
            )
        } else {
            format!(
                "INSERT INTO grade_overrides (member_id, year, branch_id, grade, reason, \
                 decided_by, decided_at) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE {OPEN_YEAR} \
                 ON CONFLICT (member_id, year) DO UPDATE SET branch_id = excluded.branch_id, \
                 grade = excluded.grade, reason = excluded.reason, \
                 decided_by = excluded.decided_by, decided_at = excluded.decided_at"
            )
        };
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            one_at_a_time!(self.pool, tx, row.branch_id, row.year);
            let mut q = sqlx::query(&sql)
                .bind(&row.member_id)
                .bind(i64::from(row.year))
                .bind(&row.branch_id);
            if !withdraw {
                q = q
                    .bind(&row.grade)
                    .bind(&row.reason)
                    .bind(&row.decided_by)
                    .bind(row.decided_at);
            }
            let done = q.execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                // Refused by a lock, or (withdrawing) nothing to withdraw.
                let locked: Option<(i64,)> = sqlx::query_as(
                    "SELECT CAST(locked AS BIGINT) FROM evaluation_locks WHERE branch_id = $1 AND year = $2",
                )
                .bind(&row.branch_id)
                .bind(i64::from(row.year))
                .fetch_optional(&mut *tx)
                .await?;
                if !withdraw || locked == Some((1,)) {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Whether a branch's year is locked (without reading its snapshot).
    pub async fn is_locked(&self, branch_id: &str, year: i32) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT CAST(locked AS BIGINT) FROM evaluation_locks WHERE branch_id = $1 AND year = $2",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_optional(p)
            .await?
        });
        Ok(row.is_some_and(|(locked,)| locked != 0))
    }

    pub async fn lock_of(&self, branch_id: &str, year: i32) -> Result<Option<LockRow>, StoreError> {
        Ok(self.locks_of(&[branch_id], year).await?.into_iter().next())
    }

    /// The lock rows of some branches' year.
    pub async fn locks_of(
        &self,
        branch_ids: &[&str],
        year: i32,
    ) -> Result<Vec<LockRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in branch_ids.chunks(500) {
            let sql = format!(
                "SELECT branch_id, CAST(year AS BIGINT), CAST(locked AS BIGINT), locked_by, locked_at, \
                 reopened_by, reopened_at, reopen_reason, snapshot FROM evaluation_locks \
                 WHERE year = $1 AND branch_id IN ({})",
                super::marks(2, chunk.len())
            );
            let rows: Vec<LockTuple> = on_db!(self.pool, p => {
                let mut q = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(
                |(
                    branch_id,
                    year,
                    locked,
                    locked_by,
                    locked_at,
                    reopened_by,
                    reopened_at,
                    reopen_reason,
                    snapshot,
                )| {
                    LockRow {
                        branch_id,
                        year: year as i32,
                        locked: locked == 1,
                        locked_by,
                        locked_at,
                        reopened_by,
                        reopened_at,
                        reopen_reason,
                        snapshot,
                    }
                },
            ));
        }
        Ok(out)
    }

    /// Locks a branch's year, its snapshot still to come: from here on
    /// every write of the year is refused, so the snapshot then computed is
    /// final. `Ok(false)` when it is locked already.
    pub async fn begin_lock(&self, row: &LockRow) -> Result<bool, StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            one_at_a_time!(self.pool, tx, row.branch_id, row.year);
            let done = sqlx::query(
                "INSERT INTO evaluation_locks (branch_id, year, locked, locked_by, locked_at, snapshot) \
                 VALUES ($1, $2, 1, $3, $4, '') \
                 ON CONFLICT (branch_id, year) DO UPDATE SET locked = 1, \
                 locked_by = excluded.locked_by, locked_at = excluded.locked_at, \
                 snapshot = '' WHERE evaluation_locks.locked = 0",
            )
            .bind(&row.branch_id)
            .bind(i64::from(row.year))
            .bind(&row.locked_by)
            .bind(row.locked_at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Keeps the locked year's snapshot, with the lock's audit line.
    pub async fn finish_lock(&self, row: &LockRow, audit: &AuditEvent) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE evaluation_locks SET snapshot = $3 WHERE branch_id = $1 AND year = $2 AND locked = 1",
            )
            .bind(&row.branch_id)
            .bind(i64::from(row.year))
            .bind(&row.snapshot)
            .execute(&mut *tx)
            .await?;
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes back a lock whose snapshot could not be made.
    pub async fn undo_lock(&self, branch_id: &str, year: i32) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "UPDATE evaluation_locks SET locked = 0 WHERE branch_id = $1 AND year = $2 AND snapshot = ''",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Reopens a locked year, keeping who and why; `Ok(false)` when it was
    /// not locked.
    pub async fn reopen(
        &self,
        branch_id: &str,
        year: i32,
        by: &str,
        at: i64,
        reason: &str,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            one_at_a_time!(self.pool, tx, branch_id, year);
            let done = sqlx::query(
                "UPDATE evaluation_locks SET locked = 0, reopened_by = $3, reopened_at = $4, \
                 reopen_reason = $5 WHERE branch_id = $1 AND year = $2 AND locked = 1",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .bind(by)
            .bind(at)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(true)
    }

    pub async fn notice_of(
        &self,
        branch_id: &str,
        year: i32,
    ) -> Result<Option<NoticeRow>, StoreError> {
        let row: Option<NoticeTuple> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT branch_id, CAST(year AS BIGINT), starts_on, ends_on, objection, named, \
                 published_by, published_at FROM evaluation_notices WHERE branch_id = $1 AND year = $2",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(
            |(
                branch_id,
                year,
                starts_on,
                ends_on,
                objection,
                named,
                published_by,
                published_at,
            )| {
                NoticeRow {
                    branch_id,
                    year: year as i32,
                    starts_on,
                    ends_on,
                    objection,
                    named,
                    published_by,
                    published_at,
                }
            },
        ))
    }

    /// Publishes (or republishes) the notice of a locked year; `Ok(false)`
    /// when the year is not locked.
    pub async fn put_notice(
        &self,
        row: &NoticeRow,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            let done = sqlx::query(
                "INSERT INTO evaluation_notices (branch_id, year, starts_on, ends_on, objection, \
                 named, published_by, published_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM evaluation_locks l \
                 WHERE l.branch_id = $1 AND l.year = $2 AND l.locked = 1) \
                 ON CONFLICT (branch_id, year) DO UPDATE SET starts_on = excluded.starts_on, \
                 ends_on = excluded.ends_on, objection = excluded.objection, named = excluded.named, \
                 published_by = excluded.published_by, published_at = excluded.published_at",
            )
            .bind(&row.branch_id)
            .bind(i64::from(row.year))
            .bind(&row.starts_on)
            .bind(&row.ends_on)
            .bind(&row.objection)
            .bind(&row.named)
            .bind(&row.published_by)
            .bind(row.published_at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(true)
    }
}

fn job_row(
    (
        member_id,
        year,
        branch_id,
        appraisal,
        tasks_assigned,
        tasks_completed,
        note,
        entered_by,
        entered_at,
    ): JobTuple,
) -> JobRow {
    JobRow {
        member_id,
        year: year as i32,
        branch_id,
        appraisal,
        tasks_assigned,
        tasks_completed,
        note,
        entered_by,
        entered_at,
    }
}

/// One finding of the branch assessment (六化).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    pub branch_id: String,
    pub year: i32,
    pub item_id: String,
    /// `self_check` or `spot_check`.
    pub stage: String,
    /// `met`, `partly` or `not_met`.
    pub score: String,
    pub note: String,
    pub found_by: String,
    pub found_at: i64,
}

type FindingTuple = (String, i64, String, String, String, String, String, i64);

impl YearEnd<'_> {
    /// The findings of some branches' year.
    pub async fn findings_of(
        &self,
        branch_ids: &[&str],
        year: i32,
    ) -> Result<Vec<FindingRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in branch_ids.chunks(500) {
            let sql = format!(
                "SELECT branch_id, CAST(year AS BIGINT), item_id, stage, score, note, found_by, found_at \
                 FROM branch_findings WHERE year = $1 AND branch_id IN ({})",
                super::marks(2, chunk.len())
            );
            let rows: Vec<FindingTuple> = on_db!(self.pool, p => {
                let mut q = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(
                |(branch_id, year, item_id, stage, score, note, found_by, found_at)| FindingRow {
                    branch_id,
                    year: year as i32,
                    item_id,
                    stage,
                    score,
                    note,
                    found_by,
                    found_at,
                },
            ));
        }
        Ok(out)
    }

    /// Stores one stage's findings of a branch's year, all or none, with
    /// its audit line.
    pub async fn put_findings(
        &self,
        rows: &[FindingRow],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            for r in rows {
                sqlx::query(
                    "INSERT INTO branch_findings (branch_id, year, item_id, stage, score, note, found_by, found_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (branch_id, year, item_id, stage) DO UPDATE SET score = excluded.score, \
                     note = excluded.note, found_by = excluded.found_by, found_at = excluded.found_at",
                )
                .bind(&r.branch_id)
                .bind(i64::from(r.year))
                .bind(&r.item_id)
                .bind(&r.stage)
                .bind(&r.score)
                .bind(&r.note)
                .bind(&r.found_by)
                .bind(r.found_at)
                .execute(&mut *tx)
                .await?;
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A veto item (一票否决) found against a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VetoRow {
    pub member_id: String,
    pub year: i32,
    pub branch_id: String,
    pub veto_id: String,
    pub reason: String,
    pub found_by: String,
    pub found_at: i64,
}

type VetoTuple = (String, i64, String, String, String, String, i64);

fn veto_row(
    (member_id, year, branch_id, veto_id, reason, found_by, found_at): VetoTuple,
) -> VetoRow {
    VetoRow {
        member_id,
        year: year as i32,
        branch_id,
        veto_id,
        reason,
        found_by,
        found_at,
    }
}

const VETO_COLUMNS: &str =
    "member_id, CAST(year AS BIGINT), branch_id, veto_id, reason, found_by, found_at";

impl YearEnd<'_> {
    /// The vetoes found in some branches' year.
    pub async fn vetoes_of_branches(
        &self,
        branch_ids: &[&str],
        year: i32,
    ) -> Result<Vec<VetoRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in branch_ids.chunks(500) {
            let sql = format!(
                "SELECT {VETO_COLUMNS} FROM member_vetoes WHERE year = $1 AND branch_id IN ({})",
                super::marks(2, chunk.len())
            );
            let rows: Vec<VetoTuple> = on_db!(self.pool, p => {
                let mut q = sqlx::query_as(&sql).bind(i64::from(year));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(veto_row));
        }
        Ok(out)
    }

    /// One member's vetoes of `year`.
    pub async fn vetoes_of(&self, member_id: &str, year: i32) -> Result<Vec<VetoRow>, StoreError> {
        let sql =
            format!("SELECT {VETO_COLUMNS} FROM member_vetoes WHERE member_id = $1 AND year = $2");
        let rows: Vec<VetoTuple> = on_db!(self.pool, p => {
            sqlx::query_as(&sql)
                .bind(member_id)
                .bind(i64::from(year))
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(veto_row).collect())
    }

    /// Records (or withdraws) a veto; `Ok(false)` when the year is locked.
    pub async fn put_veto(
        &self,
        row: &VetoRow,
        withdraw: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let sql = if withdraw {
            format!(
                "DELETE FROM member_vetoes WHERE member_id = $1 AND year = $2 AND branch_id = $3 \
                 AND veto_id = $4 AND {OPEN_YEAR}"
            )
        } else {
            format!(
                "INSERT INTO member_vetoes (member_id, year, branch_id, veto_id, reason, found_by, found_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 WHERE {OPEN_YEAR} \
                 ON CONFLICT (member_id, year, veto_id) DO UPDATE SET branch_id = excluded.branch_id, \
                 reason = excluded.reason, found_by = excluded.found_by, found_at = excluded.found_at"
            )
        };
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            one_at_a_time!(self.pool, tx, row.branch_id, row.year);
            let mut q = sqlx::query(&sql)
                .bind(&row.member_id)
                .bind(i64::from(row.year))
                .bind(&row.branch_id)
                .bind(&row.veto_id);
            if !withdraw {
                q = q.bind(&row.reason).bind(&row.found_by).bind(row.found_at);
            }
            let done = q.execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                let locked: Option<(i64,)> = sqlx::query_as(
                    "SELECT CAST(locked AS BIGINT) FROM evaluation_locks WHERE branch_id = $1 AND year = $2",
                )
                .bind(&row.branch_id)
                .bind(i64::from(row.year))
                .fetch_optional(&mut *tx)
                .await?;
                if !withdraw || locked == Some((1,)) {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(true)
    }
}
