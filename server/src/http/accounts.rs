//! `/api/login`, `/api/logout`, `/api/me`, `/api/me/password`,
//! `/api/members`, `/api/members/{id}/password` and `/api/rulebook`: who is
//! signed in, and the members they look after.

use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::{self, SignedIn};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use vanguard_core::sync::access::Access;
use vanguard_shared::{Me, MemberSummary, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/me/password", post(change_password))
        .route("/api/members", get(members))
        .route("/api/members/{member_id}/password", post(reset_password))
        .route("/api/rulebook", get(rulebook))
}

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
    /// The password was reset by someone else: until the member sets their
    /// own (`POST /api/me/password`), nothing else answers (403
    /// `password_change_required`).
    pub must_change_password: bool,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let auth = &state.services.auth;
    let https = session::over_https(&headers);
    let device = session::device_token(&headers);
    let session = auth
        .login(&req.username, &req.password, client.ip(), device.as_deref())
        .await?;
    let mut cookies = vec![auth.session_cookie(&session.token, https)];
    if let Some(device) = &session.device {
        cookies.push(auth.device_cookie(device, https));
    }
    let body = LoginResponse {
        member_id: session.member.id,
        name: session.member.name,
        roles: session.member.roles,
        token: session.token,
        must_change_password: session.must_change_password,
    };
    let mut response = Json(body).into_response();
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

async fn logout(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let auth = &state.services.auth;
    auth.logout(&caller.token).await?;
    let clear = auth.clearing_cookie(session::over_https(&headers));
    Ok(([(header::SET_COOKIE, clear)], StatusCode::NO_CONTENT).into_response())
}

#[derive(Deserialize)]
pub struct YearQuery {
    pub year: Option<i32>,
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

async fn me(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<MeResponse>, ApiError> {
    let year = vanguard_shared::year::requested(query.year, chrono::Utc::now())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let services = &state.services;
    let mut me = services.directory().profile(&caller.member).await?;
    me.must_change_password = caller.must_change_password;
    let docs = services.documents_of(&caller.member, year).await?;
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

async fn change_password(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .auth
        .change_password(
            &caller.member,
            Some(&caller.token),
            &req.current_password,
            &req.new_password,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/rulebook?year=`: the points rulebook in force for the member's
/// organisation (its id and version inside), for the phone to compute the
/// provisional ledger offline.
async fn rulebook(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<vanguard_shared::ledger::Rulebook>, ApiError> {
    let year = vanguard_shared::year::requested(query.year, chrono::Utc::now())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        state
            .services
            .rulebooks()
            .mine(&caller.member, year)
            .await?,
    ))
}

async fn members(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<MemberSummary>>, ApiError> {
    Ok(Json(
        state
            .services
            .directory()
            .managed_members(&caller.member)
            .await?,
    ))
}

/// The one-time password a reset made, shown once.
#[derive(Serialize)]
pub struct ResetAnswer {
    pub password: String,
}

/// Resets another member's password: nobody chooses it for them. The body
/// is not read; the answer carries a one-time password to hand over, which
/// the member replaces at their next sign-in.
async fn reset_password(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(member_id): Path<String>,
) -> Result<Json<ResetAnswer>, ApiError> {
    let services = &state.services;
    let password = services
        .directory()
        .reset_password(&services.auth, &caller.member, &member_id)
        .await?;
    Ok(Json(ResetAnswer { password }))
}
