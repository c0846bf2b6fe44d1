//! `GET /api/members/{member_id}/records?year=`: a member's materialized
//! records with their review state, to whoever may read their check-ins.

use super::accounts::YearQuery;
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use vanguard_core::records::{self, RecordJson};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/members/{member_id}/records", get(member_records))
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
