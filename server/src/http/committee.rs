//! The committee's view of its branches and their 六化 assessment:
//! - `GET /api/committee?year=` (committee admins), `.xlsx`, `.csv`;
//! - `GET /api/branches/{branch_id}/assessment?year=`, and
//!   `PUT …/assessment?year=&stage=self_check|spot_check` with
//!   `[{"item_id", "score", "note"}]` (`score`: met, partly, not_met).

use super::accounts::YearQuery;
use super::download::{self, Format};
use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use vanguard_core::committee;
use vanguard_core::year_end::assessment;
use vanguard_shared::committee::CommitteeView;
use vanguard_shared::ledger::year_end::{BranchAssessmentView, FindingInput};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/committee", get(view))
        .route("/api/committee.xlsx", get(xlsx))
        .route("/api/committee.csv", get(csv))
        .route(
            "/api/branches/{branch_id}/assessment",
            get(branch_assessment).put(save_assessment),
        )
}

async fn view(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<CommitteeView>, ApiError> {
    Ok(Json(
        committee::view(&state.services.store, &caller.member, query.year).await?,
    ))
}

async fn file(
    state: AppState,
    caller: SignedIn,
    query: YearQuery,
    format: Format,
) -> Result<Response, ApiError> {
    let v = committee::view(&state.services.store, &caller.0.member, query.year).await?;
    let name = format!("{}-{}-各支部概况", v.committee_name, v.year);
    download::table(&committee::table(&v), &name, "committee", format)
}

async fn xlsx(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    file(state, caller, query, Format::Xlsx).await
}

async fn csv(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    file(state, caller, query, Format::Csv).await
}

async fn branch_assessment(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<BranchAssessmentView>, ApiError> {
    Ok(Json(
        assessment::view(
            &state.services.store,
            &caller.member,
            &branch_id,
            query.year,
        )
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
        assessment::save(
            &state.services.store,
            &caller.member,
            &branch_id,
            query.year,
            spot,
            &findings,
        )
        .await?,
    ))
}
