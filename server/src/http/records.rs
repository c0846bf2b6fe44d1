//! `GET /api/members/{member_id}/records?year=`: a member's materialized
//! records with their review state, and
//! `GET /api/members/{member_id}/ledger?year=&mode=official|provisional`:
//! their sheet (一人一张清单), each to whoever may read their check-ins.

use super::accounts::YearQuery;
use super::download::{self, Format};
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use vanguard_core::records::RecordJson;
use vanguard_shared::ledger::{Mode, Sheet};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/members/{member_id}/records", get(member_records))
        .route("/api/members/{member_id}/ledger", get(member_ledger))
        .route("/api/members/{member_id}/ledger.xlsx", get(member_file))
        .route("/api/members/{member_id}/ledger.csv", get(member_file))
}

async fn member_records(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(member_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Vec<RecordJson>>, ApiError> {
    let rows = state
        .services
        .records()
        .member_records(&caller.member, &member_id, query.year)
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
    let ledger = state
        .services
        .ledgers()
        .member_sheet(&caller.member, &member_id, query.year, query.mode)
        .await?;
    Ok(Json(ledger))
}

/// `GET /api/members/{id}/ledger.xlsx|.csv?year=&mode=`: the sheet as a file.
async fn member_file(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(member_id): Path<String>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
    format: Format,
) -> Result<Response, ApiError> {
    let (table, name) = state
        .services
        .exports()
        .member_sheet(&caller.0.member, &member_id, query.year, query.mode)
        .await?;
    download::table(&table, &name, "sheet", format)
}
