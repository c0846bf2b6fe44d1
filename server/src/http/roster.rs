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
use serde::{Deserialize, Serialize};
use vanguard_core::accounts::import;
use vanguard_shared::roster::{MemberInput, MemberSaved, Roster};

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
}

/// What an import did: how many, and the passwords made for rows without.
#[derive(Serialize)]
pub struct Imported {
    pub members: usize,
    pub organisations_created: usize,
    pub generated_passwords: Vec<(String, String)>,
}

async fn import_file(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<FileQuery>,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let report =
        import::import_upload(&state.services.store, &caller.member, &query.file, &body).await?;
    Ok(Json(Imported {
        members: report.members,
        organisations_created: report.organisations_created,
        generated_passwords: report.generated_passwords,
    }))
}
