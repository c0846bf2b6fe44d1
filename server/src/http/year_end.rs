//! The year-end evaluation of a branch, for machine clients and tests
//! (docs/api.md); each handler calls the same service as the pages:
//! - `GET /api/branches/{branch_id}/evaluation?year=`, `.xlsx`, `.csv`;
//! - `PUT /api/branches/{branch_id}/evaluation/{member_id}?year=`
//!   `{"override", "reason"}` (`override` null withdraws it), and
//!   `…/{member_id}/veto?year=` `{"veto_id", "reason", "withdraw"?}`;
//! - `POST /api/branches/{branch_id}/evaluation/lock?year=` and
//!   `/reopen?year=` `{"reason"}`;
//! - `GET|PUT /api/branches/{branch_id}/job-results?year=` (the job side)
//!   with `.xlsx` and `.csv` (the sheet to fill in, which imports back), and
//!   `POST …/job-results/import?year=&file=NAME` (the file as the body);
//! - `GET|PUT /api/branches/{branch_id}/notice?year=`, and `GET /api/notice?year=`
//!   for a member's own branch;
//! - `GET /api/year-end?year=`: the caller's job result and notice.

use super::accounts::YearQuery;
use super::download::{self, Format};
use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use vanguard_core::year_end::Confirmed;
use vanguard_shared::ledger::year_end::{
    EvaluationView, JobInput, JobSheet, MyYearEnd, Notice, NoticeInput,
};
use vanguard_shared::ledger::Grade;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/branches/{branch_id}/evaluation", get(view))
        .route("/api/branches/{branch_id}/evaluation.xlsx", get(file))
        .route("/api/branches/{branch_id}/evaluation.csv", get(file))
        .route("/api/branches/{branch_id}/evaluation/lock", post(lock))
        .route("/api/branches/{branch_id}/evaluation/reopen", post(reopen))
        .route(
            "/api/branches/{branch_id}/evaluation/{member_id}",
            put(override_grade),
        )
        .route(
            "/api/branches/{branch_id}/evaluation/{member_id}/veto",
            put(record_veto),
        )
        .route(
            "/api/branches/{branch_id}/job-results",
            get(job_sheet).put(save_jobs),
        )
        .route(
            "/api/branches/{branch_id}/job-results.xlsx",
            get(job_template),
        )
        .route(
            "/api/branches/{branch_id}/job-results.csv",
            get(job_template),
        )
        .route(
            "/api/branches/{branch_id}/job-results/import",
            post(import_jobs),
        )
        .route(
            "/api/branches/{branch_id}/notice",
            get(branch_notice).put(publish_notice),
        )
        .route("/api/notice", get(my_notice))
        .route("/api/year-end", get(my_year_end))
}

async fn view(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<EvaluationView>, ApiError> {
    let year_end = state.services.year_end();
    Ok(Json(
        year_end
            .evaluation(&caller.member, &branch_id, query.year)
            .await?,
    ))
}

async fn file(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    format: Format,
) -> Result<Response, ApiError> {
    let year_end = state.services.year_end();
    let (table, name) = year_end
        .evaluation_export(&caller.0.member, &branch_id, query.year)
        .await?;
    download::table(&table, &name, "evaluation", format)
}

#[derive(Deserialize)]
struct OverrideRequest {
    #[serde(rename = "override")]
    grade: Option<Grade>,
    #[serde(default)]
    reason: String,
}

async fn override_grade(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((branch_id, member_id)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<YearQuery>,
    ApiJson(body): ApiJson<OverrideRequest>,
) -> Result<Json<EvaluationView>, ApiError> {
    let year_end = state.services.year_end();
    year_end
        .override_grade(
            &caller.member,
            &branch_id,
            &member_id,
            query.year,
            body.grade,
            &body.reason,
        )
        .await?;
    Ok(Json(
        year_end
            .evaluation(&caller.member, &branch_id, query.year)
            .await?,
    ))
}

#[derive(Deserialize)]
struct VetoRequest {
    veto_id: String,
    #[serde(default)]
    reason: String,
    /// Takes a veto back instead.
    #[serde(default)]
    withdraw: bool,
}

async fn record_veto(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((branch_id, member_id)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<YearQuery>,
    ApiJson(body): ApiJson<VetoRequest>,
) -> Result<Json<EvaluationView>, ApiError> {
    let year_end = state.services.year_end();
    year_end
        .set_veto(
            &caller.member,
            &branch_id,
            &member_id,
            query.year,
            &body.veto_id,
            &body.reason,
            body.withdraw,
        )
        .await?;
    Ok(Json(
        year_end
            .evaluation(&caller.member, &branch_id, query.year)
            .await?,
    ))
}

/// `{"confirm": true}` locks over the warnings; an empty body is `false`.
#[derive(Deserialize, Default)]
struct LockRequest {
    #[serde(default)]
    confirm: bool,
}

async fn lock(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    body: Bytes,
) -> Result<Json<EvaluationView>, ApiError> {
    let request: LockRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LockRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("请求体不是有效的 JSON：{e}")))?
    };
    let confirmed = if request.confirm {
        Confirmed::All
    } else {
        Confirmed::NOTHING
    };
    let year_end = state.services.year_end();
    Ok(Json(
        year_end
            .lock(&caller.member, &branch_id, query.year, &confirmed)
            .await?,
    ))
}

#[derive(Deserialize)]
struct ReasonRequest {
    #[serde(default)]
    reason: String,
}

async fn reopen(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Json<EvaluationView>, ApiError> {
    let year_end = state.services.year_end();
    Ok(Json(
        year_end
            .reopen(&caller.member, &branch_id, query.year, &body.reason)
            .await?,
    ))
}

async fn job_sheet(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<JobSheet>, ApiError> {
    let year_end = state.services.year_end();
    Ok(Json(
        year_end
            .job_sheet(&caller.member, &branch_id, query.year)
            .await?,
    ))
}

async fn job_template(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    format: Format,
) -> Result<Response, ApiError> {
    let year_end = state.services.year_end();
    let (table, name) = year_end
        .job_template(&caller.0.member, &branch_id, query.year)
        .await?;
    download::table(&table, &name, "job-results", format)
}

#[derive(Serialize)]
struct Saved {
    saved: usize,
}

async fn save_jobs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    ApiJson(rows): ApiJson<Vec<JobInput>>,
) -> Result<Json<Saved>, ApiError> {
    let year_end = state.services.year_end();
    let saved = year_end
        .save_jobs(&caller.member, &branch_id, query.year, &rows, "接口录入")
        .await?;
    Ok(Json(Saved { saved }))
}

#[derive(Deserialize)]
struct ImportQuery {
    year: Option<i32>,
    /// The file's name, whose extension says CSV or .xlsx.
    file: String,
}

async fn import_jobs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Json<Saved>, ApiError> {
    let year_end = state.services.year_end();
    let saved = year_end
        .import_jobs(&caller.member, &branch_id, query.year, &query.file, &body)
        .await?;
    Ok(Json(Saved { saved }))
}

async fn branch_notice(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Notice>, ApiError> {
    let year_end = state.services.year_end();
    let year = vanguard_shared::year::requested(query.year, chrono::Utc::now())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    year_end
        .notice_of(&caller.member, &branch_id, year)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("该年度尚未公示"))
}

async fn publish_notice(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    ApiJson(body): ApiJson<NoticeInput>,
) -> Result<(StatusCode, Json<Notice>), ApiError> {
    let year_end = state.services.year_end();
    let n = year_end
        .publish_notice(&caller.member, &branch_id, query.year, &body)
        .await?;
    Ok((StatusCode::OK, Json(n)))
}

/// The notice of the caller's own branch; `null` until there is one.
async fn my_notice(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Option<Notice>>, ApiError> {
    let year_end = state.services.year_end();
    Ok(Json(year_end.my_notice(&caller.member, query.year).await?))
}

/// The caller's job result and branch notice, which the phone keeps.
async fn my_year_end(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<MyYearEnd>, ApiError> {
    let year_end = state.services.year_end();
    Ok(Json(year_end.mine(&caller.member, query.year).await?))
}
