//! `GET /api/audit?member=&actor=&kind=&from=&to=`: the audit trail in the
//! caller's scope, newest first (`[{"at", "actor", "kind", "subject",
//! "detail", …}]`); `GET /api/audit.csv` the same as a file. 403 for a member.

use super::download::{self, Format};
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use vanguard_core::audit_trail::{self, TrailQuery};
use vanguard_shared::audit::TrailLine;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/audit", get(trail))
        .route("/api/audit.csv", get(trail_csv))
}

async fn trail(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<TrailQuery>,
) -> Result<Json<Vec<TrailLine>>, ApiError> {
    Ok(Json(
        state
            .services
            .audit_trail()
            .trail(&caller.member, &query)
            .await?,
    ))
}

async fn trail_csv(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<TrailQuery>,
) -> Result<Response, ApiError> {
    let lines = state
        .services
        .audit_trail()
        .trail(&caller.member, &query)
        .await?;
    let table = audit_trail::table(&lines, "审计日志".to_string());
    download::table(&table, "审计日志", "audit", Format::Csv)
}
