//! The JSON API under `/api`. Handlers parse, call the services, and answer;
//! the rules live in `auth` and `accounts`.

use super::error::{ApiError, ApiJson};
use super::session::CurrentMember;
use super::sync::{year_or_now, YearQuery};
use crate::accounts::Directory;
use crate::state::AppState;
use crate::sync::access::{documents_for, Access};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use vanguard_shared::{Me, MemberSummary, Role};

#[derive(Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize)]
pub struct LoginResponse {
    pub token: String,
    pub member_id: String,
    pub name: String,
    pub roles: Vec<Role>,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = state
        .auth
        .login(&req.username, &req.password, client.ip())
        .await?;
    let cookie = state.auth.session_cookie(&session.token);
    let body = LoginResponse {
        member_id: session.member.id,
        name: session.member.name,
        roles: session.member.roles,
        token: session.token,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    current: CurrentMember,
) -> Result<Response, ApiError> {
    state.auth.logout(&current.token).await?;
    Ok((
        [(header::SET_COOKIE, state.auth.clearing_cookie())],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

#[derive(Serialize)]
pub struct DocAccess {
    pub id: String,
    pub access: Access,
}

#[derive(Serialize)]
pub struct MeResponse {
    #[serde(flatten)]
    pub me: Me,
    /// The documents of the year the member may sync, created if missing.
    pub docs: Vec<DocAccess>,
}

pub async fn me(
    State(state): State<AppState>,
    current: CurrentMember,
    Query(query): Query<YearQuery>,
) -> Result<Json<MeResponse>, ApiError> {
    let year = year_or_now(&query)?;
    let me = Directory::new(&state.store)
        .profile(&current.member)
        .await?;
    let docs = documents_for(&state.store, &current.member, year).await?;
    let ids: Vec<_> = docs.iter().map(|(id, _)| id.clone()).collect();
    state.sync.ensure_documents(&ids).await?;
    Ok(Json(MeResponse {
        me,
        docs: docs
            .into_iter()
            .map(|(id, access)| DocAccess {
                id: id.to_string(),
                access,
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    current: CurrentMember,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    state
        .auth
        .change_password(
            &current.member,
            Some(&current.token),
            &req.current_password,
            &req.new_password,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/rulebook`: the points rulebook the member's ledger is priced
/// by, for the phone to compute the provisional ledger offline.
pub async fn rulebook(_current: CurrentMember) -> Json<vanguard_shared::ledger::Rulebook> {
    // Branches have no rulebooks of their own yet: the shipped one is in force.
    Json(vanguard_shared::ledger::default_rulebook())
}

pub async fn members(
    State(state): State<AppState>,
    current: CurrentMember,
) -> Result<Json<Vec<MemberSummary>>, ApiError> {
    Ok(Json(
        Directory::new(&state.store)
            .managed_members(&current.member)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct ResetPassword {
    pub new_password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    current: CurrentMember,
    Path(member_id): Path<String>,
    ApiJson(req): ApiJson<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    Directory::new(&state.store)
        .reset_password(&state.auth, &current.member, &member_id, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("接口不存在".into())
}
