//! Finding the session a request carries: `Authorization: Bearer <token>` or
//! the session cookie, on every route.

use super::error::ApiError;
use crate::auth::token::COOKIE_NAME;
use crate::auth::Auth;
use crate::state::AppState;
use crate::storage::Member;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap};

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

/// The signed-in member; rejects with 401 when there is none.
pub struct CurrentMember {
    pub member: Member,
    pub token: String,
}

impl CurrentMember {
    /// The member whose session the headers carry: the one check behind the
    /// JSON API's extractor and the pages' server functions.
    pub async fn from_headers(headers: &HeaderMap, auth: &Auth) -> Result<Self, ApiError> {
        let token = token_from_headers(headers).ok_or(ApiError::Unauthenticated)?;
        let member = auth.authenticate(&token).await?;
        Ok(CurrentMember { member, token })
    }
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        CurrentMember::from_headers(&parts.headers, &state.auth).await
    }
}
