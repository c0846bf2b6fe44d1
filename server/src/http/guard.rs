//! The web surface's own defences, around every request:
//!
//! - a state-changing request (POST, PUT, PATCH, DELETE) from a browser must
//!   come from the app's own origin: `Sec-Fetch-Site` same-origin (or none,
//!   a user's own navigation), or an `Origin` equal to this server's. A page
//!   on another port of the same host is another origin. Clients that send
//!   neither (phones' sync over fetch do send them; machine clients with a
//!   Bearer token do not) are not browsers a page could drive;
//! - server functions take only the encoding the pages send;
//! - every response says `nosniff`, may not be framed, and keeps its
//!   referrer to this origin; pages carry their own Content-Security-Policy
//!   with a per-response nonce (`pages.rs`), anything else a strict one;
//! - a redirect goes only to a path of this app.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanguard_core::ServiceError;

/// The content security policy of a page whose inline scripts carry
/// `nonce`; without one (static files, errors), no inline script at all.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// This server's origin as the request reached it.
fn own_origin(headers: &HeaderMap) -> Option<String> {
    let host = text(headers, "host")?;
    let scheme = match text(headers, "x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
}

/// Whether a browser sent this request from one of the app's own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = text(headers, "sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match text(headers, "origin") {
        Some(origin) => own_origin(headers).is_some_and(|own| own.eq_ignore_ascii_case(origin)),
        None => true,
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A redirect target made safe: a path of this app, whatever was asked.
fn app_path(location: &str, own: Option<&str>) -> String {
    let path = match own {
        Some(own)
            if location.len() > own.len() && location[..own.len()].eq_ignore_ascii_case(own) =>
        {
            &location[own.len()..]
        }
        _ => location,
    };
    let is_app_path = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    if is_app_path {
        path.to_string()
    } else {
        "/".to_string()
    }
}

pub async fn guard(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if changes_state(request.method()) && !same_origin(headers) {
        return ApiError(ServiceError::Forbidden(
            "请求不是来自本站页面，已拒绝".into(),
        ))
        .into_response();
    }
    let server_fn = request.uri().path().starts_with("/sfn/");
    if server_fn && request.method() == Method::POST {
        let form = text(headers, "content-type")
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form {
            let error = ServiceError::BadRequest("请求格式不对：应为表单".into());
            let mut response = ApiError(error).into_response();
            *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            return response;
        }
    }
    let own = own_origin(headers);
    // The audit trail says which door an officer's edit came through.
    let door = if request.uri().path().starts_with("/api/") {
        vanguard_core::door::Door::Api
    } else {
        vanguard_core::door::Door::Web
    };
    let mut response = vanguard_core::door::through(door, next.run(request)).await;
    let out = response.headers_mut();
    out.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    out.insert("x-frame-options", HeaderValue::from_static("DENY"));
    out.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !out.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(csp) = HeaderValue::from_str(&content_security_policy(None)) {
            out.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
    }
    if let Some(location) = out.get(header::LOCATION).and_then(|v| v.to_str().ok()) {
        let safe = app_path(location, own.as_deref());
        if let Ok(value) = HeaderValue::from_str(&safe) {
            out.insert(header::LOCATION, value);
        }
    }
    response
}

/// A server function's refusal of its own arguments (they did not
/// decode) answers 400, as the error it carries says, instead of the 500
/// Leptos gives every error raised before the function runs.
pub async fn server_fn_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    #[derive(serde::Deserialize)]
    struct Status {
        status: Option<u16>,
    }
    if let Some(status) = serde_json::from_slice::<Status>(&bytes)
        .ok()
        .and_then(|s| s.status)
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_the_apps_own_origin_may_change_state() {
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:4000")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&headers(&[
            ("sec-fetch-site", "same-site"),
            ("host", "a")
        ])));
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(
            same_origin(&headers(&[("host", "127.0.0.1:3000")])),
            "not a browser"
        );
    }

    #[test]
    fn redirects_stay_in_the_app() {
        let own = Some("http://127.0.0.1:3000");
        assert_eq!(app_path("http://127.0.0.1:3000/members", own), "/members");
        assert_eq!(app_path("/records", own), "/records");
        assert_eq!(app_path("https://evil.example/x", own), "/");
        assert_eq!(app_path("//evil.example/x", own), "/");
        assert_eq!(app_path("/\\evil.example", own), "/");
    }
}
