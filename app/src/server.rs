//! How the server functions reach the services (server side only). The
//! server authenticates each request once and provides the services and the
//! caller through context (`provide`); a server function takes both in one
//! call and hands the caller to the service, which checks the permission.

use crate::error::UiError;
use leptos::prelude::{provide_context, use_context};
use vanguard_core::{Caller, ServiceError, Services};

/// What the server provides to every page and server function it runs.
pub fn provide(services: Services, caller: Option<Caller>) {
    provide_context(services);
    provide_context(caller);
}

impl From<ServiceError> for UiError {
    fn from(err: ServiceError) -> Self {
        UiError::new(err.code(), err.to_string()).with_status(err.status())
    }
}

fn services() -> Result<Services, UiError> {
    use_context::<Services>().ok_or_else(|| UiError::new("internal", "服务器未配置"))
}

/// The services, and the caller if the request carries a session.
pub fn visitor() -> Result<(Services, Option<Caller>), UiError> {
    Ok((services()?, use_context::<Option<Caller>>().flatten()))
}

/// The services and the signed-in caller; 401 for an anonymous request.
pub fn signed_in() -> Result<(Services, Caller), UiError> {
    let (services, caller) = visitor()?;
    let caller = caller.ok_or_else(UiError::unauthenticated);
    answer(caller.map(|c| (services, c)))
}

/// A service's answer as a server function's, giving a refusal its real
/// HTTP status (a wrong password is a 401, not a server failure).
pub fn answer<T, E: Into<UiError>>(result: Result<T, E>) -> Result<T, UiError> {
    let result = result.map_err(Into::into);
    if let Err(e) = &result {
        let status = e.status.and_then(|s| http::StatusCode::from_u16(s).ok());
        if let (Some(status), Some(response)) =
            (status, use_context::<leptos_axum::ResponseOptions>())
        {
            response.set_status(status);
        }
    }
    result
}

/// The branch a server function works on: the named one, else the caller's.
pub fn branch_or_own(branch: Option<String>, caller: &Caller) -> String {
    branch
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| caller.member.org_id.clone())
}

/// Errors of the services, each as the API classifies it.
macro_rules! ui_errors {
    ($($error:ty),*) => {
        $(impl From<$error> for UiError {
            fn from(err: $error) -> Self {
                ServiceError::from(err).into()
            }
        })*
    };
}
vanguard_core::service_errors!(ui_errors);

/// The client's address, for throttling sign-in; unknown when not served over TCP.
pub async fn client_ip() -> std::net::IpAddr {
    use axum::extract::ConnectInfo;
    leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The request's headers (none when not served over HTTP).
async fn headers() -> http::HeaderMap {
    leptos_axum::extract::<http::HeaderMap>()
        .await
        .unwrap_or_default()
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What signing in needs from the request: whether it came over HTTPS (the
/// cookies are then `Secure`), and the device token of a device that
/// signed in before.
pub async fn sign_in_context() -> (bool, Option<String>) {
    use vanguard_core::auth::token;
    let headers = headers().await;
    let https = token::over_https(header(&headers, "x-forwarded-proto"));
    let device = header(&headers, "cookie")
        .and_then(|c| token::cookie_value(c, token::DEVICE_COOKIE))
        .map(str::to_string);
    (https, device)
}

/// Adds a `Set-Cookie` to the server function's answer.
pub fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(cookie),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}
