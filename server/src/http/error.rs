//! The one place errors become HTTP responses: JSON `{"error", "message"}`
//! with the right status. Internal failures are logged here and never shown.

use crate::accounts::AccountsError;
use crate::auth::AuthError;
use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误")]
    InvalidCredentials,
    #[error("尝试次数过多，请 {} 秒后再试", .0.as_secs())]
    Throttled(Duration),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("请求体超过 {0} 字节的上限")]
    TooLarge(usize),
    /// The detail is logged, the client sees a generic message.
    #[error("服务器内部错误")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Throttled(_) => "too_many_attempts",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unprocessable(_) => "invalid_input",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Internal => "internal",
        }
    }

    /// The JSON body every error answers with.
    pub fn json_body(&self) -> Vec<u8> {
        vanguard_shared::error_body::ErrorBody {
            error: self.code().into(),
            message: self.to_string(),
        }
        .to_bytes()
    }

    pub(crate) fn internal(err: &dyn std::error::Error) -> Self {
        tracing::error!(error = %err, "internal error");
        ApiError::Internal
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidCredentials => ApiError::InvalidCredentials,
            AuthError::Throttled { retry_after } => ApiError::Throttled(retry_after),
            AuthError::Unauthenticated => ApiError::Unauthenticated,
            AuthError::WrongCurrentPassword => ApiError::Forbidden(err.to_string()),
            AuthError::BadInput(e) => ApiError::Unprocessable(e.to_string()),
            AuthError::Store(ref e) => ApiError::internal(e),
            AuthError::Hash(ref e) => ApiError::internal(e),
        }
    }
}

impl From<AccountsError> for ApiError {
    fn from(err: AccountsError) -> Self {
        match err {
            AccountsError::Forbidden => ApiError::Forbidden(err.to_string()),
            AccountsError::UnknownMember => ApiError::NotFound(err.to_string()),
            AccountsError::Auth(e) => e.into(),
            AccountsError::Store(ref e) => ApiError::internal(e),
        }
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(err: crate::storage::StoreError) -> Self {
        ApiError::internal(&err)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::BadRequest(format!("请求体不是有效的 JSON：{}", rejection.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, "application/json")],
            self.json_body(),
        )
            .into_response();
        if let ApiError::Throttled(wait) = self {
            if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// `axum::Json` whose rejections answer in our error format.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_carries_retry_after() {
        let response = ApiError::Throttled(Duration::from_secs(42)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }

    #[test]
    fn internal_errors_hide_details() {
        let err: ApiError =
            AuthError::Store(crate::storage::StoreError::Corrupt("secret detail".into())).into();
        assert_eq!(err.code(), "internal");
        assert!(!err.to_string().contains("secret"));
    }
}
