//! `GET /api/members/{member_id}/records?year=`: a member's materialized
//! records with their review state, and
//! `GET /api/members/{member_id}/ledger?year=&mode=official|provisional`:
//! their sheet (一人一张清单), each to whoever may read their check-ins.

use super::accounts::YearQuery;
use super::download;
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use vanguard_core::ledger;
use vanguard_core::records::{self, RecordJson};
use vanguard_shared::ledger::{Mode, Sheet};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/members/{member_id}/records", get(member_records))
        .route("/api/members/{member_id}/ledger", get(member_ledger))
        .route("/api/members/{member_id}/ledger.xlsx", get(member_xlsx))
        .route("/api/members/{member_id}/ledger.csv", get(member_csv))
}

async fn member_records(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(member_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Vec<RecordJson>>, ApiError> {
    let rows = records::member_records(
        &state.services.store,
        &caller.member,
        &member_id,
        query.year,
    )
    .await?;
    Ok(Json(rows))
}

#[derive(Deserialize)]
pub struct LedgerQuery {
    pub year: Option<i32>,
    #[serde(default = "official")]
    pub mode: Mode,
}

fn official() -> Mode {
    Mode::Official
}

async fn member_ledger(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(member_id): Path<String>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
) -> Result<Json<Sheet>, ApiError> {
    let ledger = ledger::member_sheet(
        &state.services.store,
        &caller.member,
        &member_id,
        query.year,
        query.mode,
    )
    .await?;
    Ok(Json(ledger))
}

/// The member's sheet as an export, and its file name.
async fn sheet_export(
    state: &AppState,
    caller: &vanguard_core::storage::Member,
    member_id: &str,
    query: &LedgerQuery,
) -> Result<(vanguard_core::exports::Table, String), ApiError> {
    let store = &state.services.store;
    let sheet = ledger::member_sheet(store, caller, member_id, query.year, query.mode).await?;
    let organisation = match store.accounts().member(member_id).await {
        Ok(Some(m)) => store
            .accounts()
            .organisation(&m.org_id)
            .await
            .ok()
            .flatten()
            .map(|o| o.name)
            .unwrap_or_default(),
        _ => String::new(),
    };
    let name = format!("{}{}年积分清单", sheet.member_name, sheet.year);
    Ok((
        vanguard_core::exports::sheet_table(&sheet, &organisation),
        name,
    ))
}

/// `GET /api/members/{id}/ledger.xlsx?year=&mode=`: the sheet as a workbook.
async fn member_xlsx(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(member_id): Path<String>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    let (table, name) = sheet_export(&state, &caller.member, &member_id, &query).await?;
    let bytes = vanguard_core::exports::xlsx(&table)?;
    Ok(download::attachment(
        bytes,
        &format!("{name}.xlsx"),
        "sheet.xlsx",
        download::XLSX,
    ))
}

/// `GET /api/members/{id}/ledger.csv?year=&mode=`: the same as CSV.
async fn member_csv(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(member_id): Path<String>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    let (table, name) = sheet_export(&state, &caller.member, &member_id, &query).await?;
    Ok(download::attachment(
        vanguard_core::exports::csv(&table),
        &format!("{name}.csv"),
        "sheet.csv",
        download::CSV,
    ))
}
