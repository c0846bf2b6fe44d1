//! The roster for machine clients: `GET /api/roster` (every branch in the
//! caller's charge, its groups and members), `PUT /api/roster` (one member,
//! added or changed: `MemberInput`), and `POST /api/roster/import?file=NAME`
//! (a CSV or .xlsx sheet as the body, all or nothing).

use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use vanguard_core::accounts::import;
use vanguard_shared::roster::{Imported, MemberInput, MemberSaved, Roster};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/roster", get(list).put(save))
        .route("/api/roster/import", post(import_file))
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Roster>, ApiError> {
    Ok(Json(state.services.roster().list(&caller.member).await?))
}

async fn save(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<MemberInput>,
) -> Result<Json<MemberSaved>, ApiError> {
    Ok(Json(
        state.services.roster().save(&caller.member, &input).await?,
    ))
}

#[derive(Deserialize)]
struct FileQuery {
    file: String,
    /// Answer what would happen, store nothing.
    #[serde(default)]
    dry_run: bool,
    /// Create the branches and groups named that do not exist.
    #[serde(default)]
    create_organisations: bool,
}

async fn import_file(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<FileQuery>,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let options = import::ImportOptions {
        dry_run: query.dry_run,
        create_organisations: query.create_organisations,
    };
    let report = state
        .services
        .roster()
        .import(&caller.member, &query.file, &body, options)
        .await?;
    Ok(Json(report.answer()))
}
