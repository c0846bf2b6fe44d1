//! `GET /api/branches/{branch_id}/ledger?year=`: the branch table, one row
//! per member; and the organisations' rulebooks:
//! `GET /api/orgs/{org_id}/rulebook?year=` (the one in force, its versions),
//! `GET /api/orgs/{org_id}/rulebook.toml?year=` (to download and edit),
//! `POST /api/orgs/{org_id}/rulebook/preview` and
//! `POST /api/orgs/{org_id}/rulebook` (a TOML body: preview, publish).

use super::accounts::YearQuery;
use super::download;
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use vanguard_core::ledger;
use vanguard_core::rulebooks;
use vanguard_core::sync::EDIT_DEVICE;
use vanguard_shared::ledger::{BranchLedger, Preview, Published, RulebookOverview};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/branches/{branch_id}/ledger", get(branch_ledger))
        .route("/api/branches/{branch_id}/ledger.xlsx", get(branch_xlsx))
        .route("/api/branches/{branch_id}/ledger.csv", get(branch_csv))
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
        ledger::branch_ledger(
            &state.services.store,
            &caller.member,
            &branch_id,
            query.year,
        )
        .await?,
    ))
}

async fn branch_export(
    state: &AppState,
    caller: &vanguard_core::storage::Member,
    branch_id: &str,
    year: Option<i32>,
) -> Result<(vanguard_core::exports::Table, String), ApiError> {
    let table = ledger::branch_ledger(&state.services.store, caller, branch_id, year).await?;
    let name = format!("{}{}年台账", table.branch_name, table.year);
    Ok((vanguard_core::exports::branch_table(&table), name))
}

/// `GET /api/branches/{id}/ledger.xlsx?year=`: the branch table as a workbook.
async fn branch_xlsx(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let (table, name) = branch_export(&state, &caller.member, &branch_id, query.year).await?;
    let bytes = vanguard_core::exports::xlsx(&table)?;
    Ok(download::attachment(
        bytes,
        &format!("{name}.xlsx"),
        "ledger.xlsx",
        download::XLSX,
    ))
}

/// `GET /api/branches/{id}/ledger.csv?year=`: the same as CSV.
async fn branch_csv(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(branch_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let (table, name) = branch_export(&state, &caller.member, &branch_id, query.year).await?;
    Ok(download::attachment(
        vanguard_core::exports::csv(&table),
        &format!("{name}.csv"),
        "ledger.csv",
        download::CSV,
    ))
}

async fn rulebook(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<RulebookOverview>, ApiError> {
    Ok(Json(
        rulebooks::overview(&state.services.store, &caller.member, &org_id, query.year).await?,
    ))
}

async fn rulebook_toml(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let o = rulebooks::overview(&state.services.store, &caller.member, &org_id, query.year).await?;
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
        rulebooks::preview(&state.services.store, &caller.member, &org_id, &body).await?,
    ))
}

async fn publish(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    body: String,
) -> Result<Json<Published>, ApiError> {
    Ok(Json(
        rulebooks::publish(
            &state.services.store,
            &caller.member,
            &org_id,
            &body,
            EDIT_DEVICE,
        )
        .await?,
    ))
}
