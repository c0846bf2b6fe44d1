//! The job side (业务) of the year: the unit's annual appraisal of each
//! member's work, and optionally the tasks assigned and completed, entered
//! on a sheet or imported from .xlsx or CSV (one row per member, matched by
//! username). All or nothing: one bad row stores no row, and every error
//! names its row and field.

use super::{audit, now, YearEnd, YearEndError, LOCKED};
use crate::accounts::Names;
use crate::policy::{self, BranchScope};
use crate::sheet_file::{self, SheetFile};
use crate::storage::{JobRow, Member};
use std::collections::{HashMap, HashSet};
use vanguard_shared::ledger::year_end::{JobInput, JobSheet, JobSheetRow};
use vanguard_shared::ledger::Appraisal;

/// The most tasks a row may name: a typo, past this.
const MAX_TASKS: u32 = 10_000;

impl YearEnd<'_> {
    /// The branch's members with their job result of the year, if entered.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn job_sheet(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<JobSheet, YearEndError> {
        let store = self.store;
        let scope = self.readable(viewer, branch_id, year).await?;
        let free = policy::Independence::of(self.store, viewer, scope.year).await?;
        let (branch, year, members) = (&scope.branch, scope.year, &scope.roll);
        let entered: HashMap<String, JobRow> = store
            .year_end()
            .jobs_of_branch(&branch.id, year)
            .await?
            .into_iter()
            .map(|r| (r.member_id.clone(), r))
            .collect();
        let mut names = Names::new(store, members);
        let mut rows = Vec::with_capacity(members.len());
        for m in members {
            let row = entered.get(&m.id);
            let entered_by = match row {
                Some(r) => names.of(&r.entered_by).await?,
                None => None,
            };
            rows.push(JobSheetRow {
                own: m.id == viewer.id,
                vouched: m.id != viewer.id && !free.allows(&m.id),
                member_id: m.id.clone(),
                username: m.username.clone(),
                name: m.name.clone(),
                group_name: m
                    .group_id
                    .as_deref()
                    .and_then(|g| scope.group_name(g))
                    .map(str::to_string),
                appraisal: row.and_then(|r| r.appraisal.parse().ok()),
                tasks_assigned: row.and_then(|r| r.tasks_assigned).map(|n| n as u32),
                tasks_completed: row.and_then(|r| r.tasks_completed).map(|n| n as u32),
                note: row.and_then(|r| r.note.clone()),
                entered_by,
                entered_at: row.map(|r| super::local_time(r.entered_at)),
            });
        }
        let locked = store.year_end().is_locked(&branch.id, year).await?;
        Ok(JobSheet {
            branch_id: branch.id.clone(),
            branch_name: branch.name.clone(),
            year,
            locked,
            rows,
        })
    }

    /// Stores the job results of some members, all or none. Returns how many.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn save_jobs(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        inputs: &[JobInput],
        source: &str,
    ) -> Result<usize, YearEndError> {
        let scope = self.decided_by(viewer, branch_id, year).await?;
        let free = policy::Independence::of(self.store, viewer, scope.year).await?;
        if let Some(why) = inputs
            .iter()
            .find_map(|i| free.refusal(&i.member_id, policy::OWN_JOB))
        {
            return Err(YearEndError::Forbidden(why));
        }
        let members = &scope.roll;
        let ids: HashSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let mut seen = HashSet::new();
        let mut errors = Vec::new();
        for input in inputs {
            let name = members
                .iter()
                .find(|m| m.id == input.member_id)
                .map_or(input.member_id.as_str(), |m| m.name.as_str());
            if let Err(e) = check(input, &ids) {
                errors.push(format!("{name}：{e}"));
            } else if !seen.insert(input.member_id.as_str()) {
                errors.push(format!("{name}：重复填写"));
            }
        }
        if !errors.is_empty() {
            return Err(YearEndError::Invalid(format!(
                "未保存：{}",
                errors.join("；")
            )));
        }
        self.store_rows(viewer, &scope, inputs, source).await
    }

    async fn store_rows(
        &self,
        viewer: &Member,
        scope: &BranchScope,
        inputs: &[JobInput],
        source: &str,
    ) -> Result<usize, YearEndError> {
        let (branch_id, year) = (scope.branch.id.as_str(), scope.year);
        if inputs.is_empty() {
            return Err(YearEndError::Invalid("没有要保存的业务考核结果".into()));
        }
        let at = now();
        let rows: Vec<JobRow> = inputs
            .iter()
            .map(|i| JobRow {
                member_id: i.member_id.clone(),
                year,
                branch_id: branch_id.to_string(),
                appraisal: i.appraisal.as_str().to_string(),
                tasks_assigned: i.tasks_assigned.map(i64::from),
                tasks_completed: i.tasks_completed.map(i64::from),
                note: i.note.clone().filter(|n| !n.trim().is_empty()),
                entered_by: viewer.id.clone(),
                entered_at: at,
            })
            .collect();
        let line = audit(
            viewer,
            "job_results",
            format!("job:{branch_id}:{year}"),
            format!("{source}：{} 名成员的业务考核结果", rows.len()),
        );
        if !self
            .store
            .year_end()
            .put_jobs(branch_id, year, &rows, &line)
            .await?
        {
            return Err(YearEndError::Conflict(LOCKED));
        }
        Ok(rows.len())
    }

    /// Imports a job sheet: every row checked first, then all stored or none.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn import_jobs(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<usize, YearEndError> {
        let scope = self.decided_by(viewer, branch_id, year).await?;
        let free = policy::Independence::of(self.store, viewer, scope.year).await?;
        let file = sheet_file::read_off_thread(file_name, bytes)
            .await
            .map_err(|e| YearEndError::Invalid(format!("未导入：{e}")))?
            .from_header(&["用户名", "username"]);
        let cols = Columns::find(&file)?;
        let members = &scope.roll;
        let by_username: HashMap<&str, &Member> =
            members.iter().map(|m| (m.username.as_str(), m)).collect();
        let mut inputs = Vec::new();
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (line, cells) in file.filled_rows() {
            let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
            let opt = |i: Option<usize>| i.map(cell).unwrap_or("");
            let at = |field: &str, e: &str| format!("第 {line} 行 {field}：{e}");
            let username = cell(cols.username).to_lowercase();
            let username = username.as_str();
            let Some(member) = by_username.get(username) else {
                errors.push(at("用户名", &format!("“{username}”不是本支部的在册党员")));
                continue;
            };
            if !seen.insert(member.username.as_str()) {
                errors.push(at("用户名", &format!("“{username}”重复出现")));
                continue;
            }
            if let Some(why) = free.refusal(&member.id, policy::OWN_JOB) {
                return Err(YearEndError::Forbidden(why));
            }
            let word = cell(cols.appraisal);
            let Some(appraisal) = Appraisal::from_words(word) else {
                errors.push(at(
                    "年度考核",
                    &format!("“{word}”不是 优秀、称职、基本称职 或 不称职"),
                ));
                continue;
            };
            let tasks = count(opt(cols.assigned), "交办任务")
                .and_then(|a| Ok((a, count(opt(cols.completed), "完成任务")?)));
            let (tasks_assigned, tasks_completed) = match tasks {
                Ok(t) => t,
                Err(e) => {
                    errors.push(at("任务", &e));
                    continue;
                }
            };
            let note = Some(opt(cols.note).to_string()).filter(|n| !n.is_empty());
            let input = JobInput {
                member_id: member.id.clone(),
                appraisal,
                tasks_assigned,
                tasks_completed,
                note,
            };
            let ids: HashSet<&str> = std::iter::once(member.id.as_str()).collect();
            if let Err(e) = check(&input, &ids) {
                let field = if e.contains("备注") {
                    "备注"
                } else {
                    "任务"
                };
                errors.push(at(field, &e));
                continue;
            }
            inputs.push(input);
        }
        if !errors.is_empty() {
            return Err(YearEndError::Invalid(format!(
                "未导入任何一行：{}",
                errors.join("；")
            )));
        }
        if inputs.is_empty() {
            return Err(YearEndError::Invalid("未导入：文件中没有成员行".into()));
        }
        self.store_rows(viewer, &scope, &inputs, &format!("导入 {file_name}"))
            .await
    }

    /// The sheet as a file to fill in: the branch's members, one row each, with
    /// what is entered so far; it imports back as it is.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch_id = %branch_id, year = ?year))]
    pub async fn job_template(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<(crate::exports::Table, String), YearEndError> {
        use crate::exports::{Cell, Table};
        let s = self.job_sheet(viewer, branch_id, year).await?;
        // One's own row is not one's to fill in: it stays out of the file.
        let rows = s
            .rows
            .iter()
            .filter(|r| !r.own)
            .map(|r| {
                let count =
                    |n: Option<u32>| n.map_or(Cell::from(""), |n| Cell::Number(f64::from(n)));
                vec![
                    Cell::from(r.username.as_str()),
                    r.name.as_str().into(),
                    r.appraisal.map_or("", |a| a.label()).into(),
                    count(r.tasks_assigned),
                    count(r.tasks_completed),
                    r.note.clone().unwrap_or_default().into(),
                ]
            })
            .collect();
        let name = format!("{}-{}-业务考核", s.branch_name, s.year);
        Ok((
            Table {
                title: format!("{} {} 年度业务考核", s.branch_name, s.year),
                header: ["用户名", "姓名", "年度考核", "交办任务", "完成任务", "备注"]
                    .map(String::from)
                    .to_vec(),
                rows,
            },
            name,
        ))
    }
}

/// Checks one input against the roll; the error names the field.
fn check(input: &JobInput, roll: &HashSet<&str>) -> Result<(), String> {
    if !roll.contains(input.member_id.as_str()) {
        return Err("成员不在本支部名单中".into());
    }
    match (input.tasks_assigned, input.tasks_completed) {
        (Some(a), _) if a > MAX_TASKS => Err(format!("交办任务数不能超过 {MAX_TASKS}")),
        (Some(a), Some(c)) if c > a => Err("完成任务数多于交办任务数".into()),
        (None, Some(_)) => Err("填写了完成任务数，却没有交办任务数".into()),
        _ => Ok(()),
    }
    .and_then(|()| match &input.note {
        Some(n) if n.chars().count() > 200 => Err("备注不能超过 200 字".into()),
        _ => Ok(()),
    })
}

/// The column positions of a job sheet, found by any of their names.
struct Columns {
    username: usize,
    appraisal: usize,
    assigned: Option<usize>,
    completed: Option<usize>,
    note: Option<usize>,
}

impl Columns {
    fn find(f: &SheetFile) -> Result<Self, YearEndError> {
        let missing = |c: &str| YearEndError::Invalid(format!("未导入：缺少“{c}”列"));
        Ok(Columns {
            username: f
                .column(&["用户名", "username"])
                .ok_or_else(|| missing("用户名"))?,
            appraisal: f
                .column(&["年度考核", "考核等次", "考核结果", "appraisal"])
                .ok_or_else(|| missing("年度考核"))?,
            assigned: f.column(&["交办任务", "交办任务数", "tasks_assigned"]),
            completed: f.column(&["完成任务", "完成任务数", "tasks_completed"]),
            note: f.column(&["备注", "note"]),
        })
    }
}

fn count(cell: &str, field: &str) -> Result<Option<u32>, String> {
    let c = cell.trim();
    if c.is_empty() {
        return Ok(None);
    }
    // Excel hands whole numbers back as "8" or "8.0".
    let n = c.strip_suffix(".0").unwrap_or(c);
    n.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("{field}“{c}”不是非负整数"))
}
