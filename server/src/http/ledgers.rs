//! `GET /api/branches/{branch_id}/ledger?year=`: the branch table, one row
//! per member; and the organisations' rulebooks:
//! `GET /api/orgs/{org_id}/rulebook?year=` (the one in force, its versions),
//! `GET /api/orgs/{org_id}/rulebook.toml?year=` (to download and edit),
//! `POST /api/orgs/{org_id}/rulebook/preview` and
//! `POST /api/orgs/{org_id}/rulebook` (a TOML body: preview, publish).

use super::accounts::YearQuery;
use super::error::{ApiError, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use vanguard_core::ledger::{self, BranchLedger};
use vanguard_core::rulebooks::{self, Preview, Published};
use vanguard_core::sync::EDIT_DEVICE;
use vanguard_shared::ledger::Rulebook;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/branches/{branch_id}/ledger", get(branch_ledger))
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

#[derive(Serialize)]
struct VersionJson {
    version: u32,
    published_by: String,
    published_at: i64,
}

#[derive(Serialize)]
struct RulebookJson {
    org_id: String,
    year: i32,
    /// Which rulebook prices the organisation's year, in words.
    label: String,
    /// The one in force: its own organisation's, one above, or the default.
    owner_id: String,
    shipped: bool,
    rulebook: Rulebook,
    versions: Vec<VersionJson>,
    may_publish: bool,
}

async fn rulebook(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(org_id): Path<String>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<RulebookJson>, ApiError> {
    let o = rulebooks::overview(&state.services.store, &caller.member, &org_id, query.year).await?;
    Ok(Json(RulebookJson {
        org_id: o.org.id,
        year: o.year,
        label: o.current.label(),
        owner_id: o.current.owner_id,
        shipped: o.current.shipped,
        rulebook: o.current.book,
        versions: o
            .versions
            .into_iter()
            .map(|v| VersionJson {
                version: v.version,
                published_by: v.published_by,
                published_at: v.published_at,
            })
            .collect(),
        may_publish: o.may_publish,
    }))
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
        o.org.id, o.year, o.current.book.version
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
        ],
        o.current.body,
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
