//! The committee's view of its branches and their 六化 assessment:
//! - `GET /api/committee?year=` (committee admins), `.xlsx`, `.csv`;
//! - `GET /api/branches/{branch_id}/assessment?year=`, and
//!   `PUT …/assessment?year=&stage=self_check|spot_check` with
//!   `[{"item_id", "score", "note"}]` (`score`: met, partly, not_met);
//! - `POST /api/exports/committee-ledger?year=` (202, a job), `GET
//!   /api/exports/{id}` (its progress), `GET /api/exports/{id}/file`.

use super::accounts::YearQuery;
use super::download::{self, Format};
use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use vanguard_core::committee;
use vanguard_shared::committee::CommitteeView;
use vanguard_shared::export_job::ExportJob;
use vanguard_shared::ledger::year_end::{BranchAssessmentView, FindingInput};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/committee", get(view))
        .route("/api/committee.xlsx", get(file))
        .route("/api/committee.csv", get(file))
        .route(
            "/api/branches/{branch_id}/assessment",
            get(branch_assessment).put(save_assessment),
        )
        .route("/api/exports/committee-ledger", post(start_export))
        .route("/api/exports/{id}", get(export_status))
        .route("/api/exports/{id}/file", get(export_file))
}

/// Starts the export of every member's ledger row below the committee;
/// `202 Accepted` with the job, which `GET /api/exports/{id}` follows.
async fn start_export(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<(StatusCode, Json<ExportJob>), ApiError> {
    let job = state
        .services
        .export_jobs()
        .start_committee_ledger(&caller.member, query.year)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

async fn export_status(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ExportJob>, ApiError> {
    Ok(Json(
        state
            .services
            .export_jobs()
            .status_of(&caller.member, &id)
            .await?,
    ))
}

async fn export_file(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (bytes, title) = state
        .services
        .export_jobs()
        .file_of(&caller.member, &id)
        .await?;
    Ok(download::attachment(
        bytes,
        &format!("{title}.xlsx"),
        "ledgers.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
}

async fn view(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<CommitteeView>, ApiError> {
    Ok(Json(
        state
            .services
            .committee()
            .view(&caller.member, query.year)
            .await?,
    ))
}

async fn file(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
    format: Format,
) -> Result<Response, ApiError> {
    let v = state
        .services
        .committee()
        .view(&caller.0.member, query.year)
        .await?;
    let name = format!("{}-{}-各支部概况", v.committee_name, v.year);
    download::table(&committee::table(&v), &name, "committee", format)
}

async fn branch_assessment(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<BranchAssessmentView>, ApiError> {
    Ok(Json(
        state
            .services
            .year_end()
            .assessment(&caller.member, &branch_id, query.year)
            .await?,
    ))
}

#[derive(Deserialize)]
struct StageQuery {
    year: Option<i32>,
    stage: String,
}

async fn save_assessment(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<StageQuery>,
    ApiJson(findings): ApiJson<Vec<FindingInput>>,
) -> Result<Json<BranchAssessmentView>, ApiError> {
    let spot = match query.stage.as_str() {
        "spot_check" => true,
        "self_check" => false,
        _ => return Err(ApiError::bad_request("stage 须为 self_check 或 spot_check")),
    };
    Ok(Json(
        state
            .services
            .year_end()
            .save_assessment(&caller.member, &branch_id, query.year, spot, &findings)
            .await?,
    ))
}
