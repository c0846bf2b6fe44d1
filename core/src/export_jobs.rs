//! Long exports: a committee's every member's ledger row, written in the
//! background branch by branch, so no request is held open while it runs
//! and the page shows how far it got (`POST /api/exports/committee-ledger`,
//! then `GET /api/exports/{id}` until done, then `…/file`). The rows go
//! straight into a constant-memory workbook; progress and the finished
//! file are kept in the database, so any server process answers.

use crate::exports::{branch_table, Cell, ExportError, XlsxWriter};
use crate::ledger::{FactsCache, LedgerError, Ledgers};
use crate::policy;
use crate::storage::{ExportJobRow, Member, Store, StoreError};
use std::sync::Arc;
use vanguard_shared::export_job::ExportJob;
use vanguard_shared::org::OrgKind;
use vanguard_shared::year;

#[derive(Debug, thiserror::Error)]
pub enum ExportJobError {
    #[error("只有党委管理员可以导出全部支部的台账")]
    Forbidden,
    #[error("导出任务不存在")]
    NotFound,
    #[error("导出尚未完成")]
    NotReady,
    #[error(transparent)]
    Year(#[from] year::YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finished files are kept this long (seconds).
const KEPT: i64 = 24 * 3600;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A job silent this long (seconds) died with its process.
const STALE: i64 = 300;

fn status(mut row: ExportJobRow) -> ExportJob {
    if row.state == "running" && row.updated_at < now() - STALE {
        row.state = "failed".into();
        row.message = Some("导出中断，请重新导出".into());
    }
    ExportJob {
        file: (row.state == "done").then(|| format!("/api/exports/{}/file", row.id)),
        id: row.id,
        title: row.title,
        state: row.state,
        done: row.done.max(0) as u64,
        total: row.total.max(0) as u64,
        message: row.message,
    }
}

/// Exports too long for one request, run in the background.
pub struct ExportJobs<'a> {
    store: &'a Store,
    cache: &'a Arc<FactsCache>,
}

impl<'a> ExportJobs<'a> {
    pub fn new(store: &'a Store, cache: &'a Arc<FactsCache>) -> Self {
        ExportJobs { store, cache }
    }
}

impl ExportJobs<'_> {
    /// Starts the export of every member's ledger row of every branch below
    /// the admin's committee; answers at once with the job's status.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn start_committee_ledger(
        &self,
        viewer: &Member,
        year: Option<i32>,
    ) -> Result<ExportJob, ExportJobError> {
        let store = self.store;
        if !policy::exports_committee(viewer) {
            return Err(ExportJobError::Forbidden);
        }
        let year = year::requested(year, chrono::Utc::now())?;
        let committee = store
            .accounts()
            .organisation(&viewer.org_id)
            .await?
            .ok_or(ExportJobError::Forbidden)?;
        let mut branches: Vec<(String, String)> = store
            .accounts()
            .organisations_under(&committee.id)
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Branch)
            .map(|o| (o.id, o.name))
            .collect();
        branches.sort_by(|a, b| a.1.cmp(&b.1));
        store.export_jobs().forget_before(now() - KEPT).await?;
        let row = ExportJobRow {
            id: uuid::Uuid::new_v4().simple().to_string(),
            owner: viewer.id.clone(),
            title: format!("{} {year} 年全部党员台账", committee.name),
            state: "running".into(),
            done: 0,
            total: branches.len() as i64,
            file_name: None,
            message: None,
            created_at: now(),
            updated_at: now(),
        };
        store.export_jobs().create(&row).await?;
        let (store2, cache, viewer2, id, title) = (
            store.clone(),
            self.cache.clone(),
            viewer.clone(),
            row.id.clone(),
            row.title.clone(),
        );
        tokio::spawn(async move {
            let ledgers = Ledgers::new(&store2, &cache);
            let result = run(&store2, &ledgers, &viewer2, &id, &title, &branches, year).await;
            if let Err(e) = result {
                tracing::error!(error = %e, job = %id, "export failed");
                let _ = store2
                    .export_jobs()
                    .fail(&id, "导出失败，请稍后重试", now())
                    .await;
            }
        });
        Ok(status(row))
    }

    /// A job's status, to the one who started it.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, id = %id))]
    pub async fn status_of(&self, viewer: &Member, id: &str) -> Result<ExportJob, ExportJobError> {
        let row = self
            .store
            .export_jobs()
            .get(id)
            .await?
            .filter(|r| r.owner == viewer.id)
            .ok_or(ExportJobError::NotFound)?;
        Ok(status(row))
    }

    /// A finished job's file and its name.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, id = %id))]
    pub async fn file_of(
        &self,
        viewer: &Member,
        id: &str,
    ) -> Result<(Vec<u8>, String), ExportJobError> {
        let store = self.store;
        let row = store
            .export_jobs()
            .get(id)
            .await?
            .filter(|r| r.owner == viewer.id)
            .ok_or(ExportJobError::NotFound)?;
        if row.state != "done" {
            return Err(ExportJobError::NotReady);
        }
        let bytes = store
            .export_jobs()
            .file(id)
            .await?
            .ok_or(ExportJobError::NotFound)?;
        Ok((bytes, row.title))
    }
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every branch's table into one workbook, a branch at a time.
async fn run(
    store: &Store,
    ledgers: &Ledgers<'_>,
    viewer: &Member,
    id: &str,
    title: &str,
    branches: &[(String, String)],
    year: i32,
) -> Result<(), RunError> {
    let mut writer: Option<XlsxWriter> = None;
    for (i, (branch_id, branch_name)) in branches.iter().enumerate() {
        let ledger = ledgers.branch_ledger(viewer, branch_id, Some(year)).await?;
        let mut table = branch_table(&ledger);
        if writer.is_none() {
            let mut header = vec!["支部".to_string()];
            header.append(&mut table.header);
            writer = Some(XlsxWriter::new(title, &header)?);
        }
        if let Some(w) = writer.as_mut() {
            for row in table.rows {
                let mut line = vec![Cell::from(branch_name.as_str())];
                line.extend(row);
                w.push(&line)?;
            }
        }
        store
            .export_jobs()
            .progress(id, i as i64 + 1, now())
            .await?;
    }
    let writer = match writer {
        Some(w) => w,
        None => XlsxWriter::new(title, &["支部".to_string()])?,
    };
    // Compressing the workbook is work for a blocking thread.
    let bytes = tokio::task::spawn_blocking(move || writer.finish())
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))??;
    store
        .export_jobs()
        .finish(id, &format!("{title}.xlsx"), &bytes, now())
        .await?;
    Ok(())
}
