//! Finding the session a request carries (`Authorization: Bearer <token>`
//! or the session cookie), once per request, as the services' [`Caller`].

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use vanguard_core::auth::token::{self, COOKIE_NAME};
use vanguard_core::auth::AuthError;
use vanguard_core::{Caller, ServiceError, Services};

/// The token in the request, Bearer first.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    bearer.or_else(|| {
        axum_extra::extract::CookieJar::from_headers(headers)
            .get(COOKIE_NAME)
            .map(|c| c.value().to_string())
            .filter(|t| !t.is_empty())
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The device token of a device that signed in before, if the request has one.
pub fn device_token(headers: &HeaderMap) -> Option<String> {
    header(headers, "cookie")
        .and_then(|c| token::cookie_value(c, token::DEVICE_COOKIE))
        .map(str::to_string)
}

/// Whether the request came over HTTPS (as a proxy in front says).
pub fn over_https(headers: &HeaderMap) -> bool {
    token::over_https(header(headers, "x-forwarded-proto"))
}

/// The caller whose session the headers carry.
pub async fn caller(headers: &HeaderMap, services: &Services) -> Result<Caller, AuthError> {
    let token = token_from_headers(headers).ok_or(AuthError::Unauthenticated)?;
    services.caller(&token).await
}

/// What a session may still do while its password must be changed (it
/// was reset by someone else): change it, read who it is, sign out.
pub fn allowed_before_change(path: &str) -> bool {
    matches!(
        path,
        "/api/me"
            | "/api/me/password"
            | "/api/logout"
            | "/sfn/me"
            | "/sfn/change_password"
            | "/sfn/logout"
            | "/password"
            | "/login"
    )
}

/// The caller, unless their password must be changed first and `path` is
/// not how to change it.
fn unless_must_change(caller: Caller, path: &str) -> Result<Caller, ServiceError> {
    if caller.must_change_password && !allowed_before_change(path) {
        return Err(ServiceError::PasswordChangeRequired);
    }
    Ok(caller)
}

/// The signed-in caller; rejects with 401 when there is none.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The heavy answers' limit found the caller already (`heavy`).
        let found = match parts.extensions.get::<Caller>() {
            Some(found) => found.clone(),
            None => caller(&parts.headers, &state.services).await?,
        };
        Ok(SignedIn(unless_must_change(found, parts.uri.path())?))
    }
}

/// The signed-in caller, if any: for pages, which also serve visitors. A
/// session that cannot be checked (the database failing) is logged and the
/// page served as to a visitor: its server functions then answer 401 in
/// their own format, never an API error the page cannot read.
pub struct MaybeSignedIn(pub Option<Caller>);

/// A session whose password must be changed is sent to `/password` by a
/// page, and refused by a server function, until it is.
impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let found = match parts.extensions.get::<Caller>() {
            Some(found) => Some(found.clone()),
            None => match caller(&parts.headers, &state.services).await {
                Ok(caller) => Some(caller),
                Err(AuthError::Unauthenticated) => None,
                Err(e) => {
                    tracing::error!(error = %e, "checking a page's session failed");
                    None
                }
            },
        };
        let path = parts.uri.path();
        match found {
            Some(c) if c.must_change_password && !allowed_before_change(path) => {
                if path.starts_with("/sfn/") {
                    Err(ApiError(ServiceError::PasswordChangeRequired).into_response())
                } else {
                    Err(Redirect::to("/password").into_response())
                }
            }
            found => Ok(MaybeSignedIn(found)),
        }
    }
}
