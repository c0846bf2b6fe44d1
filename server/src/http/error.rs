//! The one place errors become HTTP responses for the JSON API: the
//! services' [`ServiceError`] as JSON `{"error", "message"}` with its status.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use vanguard_core::ServiceError;

/// A service's refusal, as the API answers it.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError(ServiceError::BadRequest(message.into()))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError(ServiceError::NotFound(message.into()))
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError(ServiceError::Unprocessable(message.into()))
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn json_body(&self) -> Vec<u8> {
        self.0.json_body()
    }
}

/// Every service error reaches the edge the same way: classified by
/// `ServiceError`, answered here.
macro_rules! from_service_errors {
    ($($error:ty),*) => {
        $(impl From<$error> for ApiError {
            fn from(err: $error) -> Self {
                ApiError(ServiceError::from(err))
            }
        })*
    };
}
vanguard_core::service_errors!(from_service_errors);

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        ApiError(err)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::bad_request(format!("请求体不是有效的 JSON：{}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(format!("查询参数无效：{}", rejection.body_text()))
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
        if let Some(wait) = self.0.retry_after() {
            if let Ok(value) = HeaderValue::from_str(&wait.as_secs().to_string()) {
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

/// `axum::extract::Query` whose rejections answer in our error format.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn throttled_carries_retry_after() {
        let response = ApiError(ServiceError::Throttled(Duration::from_secs(42))).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }
}
