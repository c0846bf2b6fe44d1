//! `GET /api/branches/{branch_id}/ledger?year=`: the branch table, one row
//! per member; and the organisations' rulebooks:
//! `GET /api/orgs/{org_id}/rulebook?year=` (the one in force, its versions),
//! `GET /api/orgs/{org_id}/rulebook.toml?year=` (to download and edit),
//! `POST /api/orgs/{org_id}/rulebook/preview` and
//! `POST /api/orgs/{org_id}/rulebook` (a TOML body: preview, publish).

use super::accounts::YearQuery;
use super::download::{self, Format};
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use vanguard_shared::ledger::{BranchLedger, Preview, Published, RulebookOverview};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/branches/{branch_id}/ledger", get(branch_ledger))
        .route("/api/branches/{branch_id}/ledger.xlsx", get(branch_file))
        .route("/api/branches/{branch_id}/ledger.csv", get(branch_file))
        .route("/api/orgs/{org_id}/rulebook", get(rulebook).post(publish))
        .route("/api/orgs/{org_id}/rulebook.toml", get(rulebook_toml))
        .route("/api/orgs/{org_id}/rulebook/preview", post(preview))
}

async fn branch_ledger(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<BranchLedger>, ApiError> {
    Ok(Json(
        state
            .services
            .ledgers()
            .branch_ledger(&caller.member, &branch_id, query.year)
            .await?,
    ))
}

/// `GET /api/branches/{id}/ledger.xlsx|.csv?year=`: the branch table as a file.
async fn branch_file(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
    format: Format,
) -> Result<Response, ApiError> {
    let (table, name) = state
        .services
        .exports()
        .branch_ledger(&caller.0.member, &branch_id, query.year)
        .await?;
    download::table(&table, &name, "ledger", format)
}

async fn rulebook(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<RulebookOverview>, ApiError> {
    Ok(Json(
        state
            .services
            .rulebooks()
            .overview(&caller.member, &org_id, query.year)
            .await?,
    ))
}

async fn rulebook_toml(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let o = state
        .services
        .rulebooks()
        .overview(&caller.member, &org_id, query.year)
        .await?;
    let file = format!(
        "attachment; filename=\"rulebook-{}-{}-v{}.toml\"",
        o.org_id, o.rulebook.year, o.rulebook.version
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
        ],
        o.toml,
    ))
}

async fn preview(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    body: String,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(
        state
            .services
            .rulebooks()
            .preview(&caller.member, &org_id, &body)
            .await?,
    ))
}

async fn publish(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    body: String,
) -> Result<Json<Published>, ApiError> {
    Ok(Json(
        state
            .services
            .rulebooks()
            .publish(&caller.member, &org_id, &body, vanguard_core::door::API)
            .await?,
    ))
}
