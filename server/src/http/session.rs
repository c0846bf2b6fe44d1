//! Finding the session a request carries (`Authorization: Bearer <token>`
//! or the session cookie), once per request, as the services' [`Caller`].

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap};
use vanguard_core::auth::token::{self, COOKIE_NAME};
use vanguard_core::auth::AuthError;
use vanguard_core::{Caller, Services};

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

/// The signed-in caller; rejects with 401 when there is none.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The heavy answers' limit found the caller already (`heavy`).
        if let Some(found) = parts.extensions.get::<Caller>() {
            return Ok(SignedIn(found.clone()));
        }
        Ok(SignedIn(caller(&parts.headers, &state.services).await?))
    }
}

/// The signed-in caller, if any: for pages, which also serve visitors. A
/// session that cannot be checked (the database failing) is logged and the
/// page served as to a visitor: its server functions then answer 401 in
/// their own format, never an API error the page cannot read.
pub struct MaybeSignedIn(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(found) = parts.extensions.get::<Caller>() {
            return Ok(MaybeSignedIn(Some(found.clone())));
        }
        match caller(&parts.headers, &state.services).await {
            Ok(caller) => Ok(MaybeSignedIn(Some(caller))),
            Err(AuthError::Unauthenticated) => Ok(MaybeSignedIn(None)),
            Err(e) => {
                tracing::error!(error = %e, "checking a page's session failed");
                Ok(MaybeSignedIn(None))
            }
        }
    }
}
