//! What the server functions need from the server, as a trait the server
//! implements: the app crate cannot depend on the server crate, and the server
//! functions must stay free of business logic.

use crate::error::UiError;
use async_trait::async_trait;
use http::{HeaderMap, HeaderValue};
use std::net::IpAddr;
use std::sync::Arc;
use vanguard_shared::event_code::{HostedEvent, ShownCode};
use vanguard_shared::{Me, MemberSummary};

/// A successful sign-in: who, and the cookie that carries the session.
pub struct SignedIn {
    pub me: Me,
    pub set_cookie: HeaderValue,
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The member whose session the request carries, if any.
    async fn me(&self, headers: &HeaderMap) -> Result<Option<Me>, UiError>;
    async fn login(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<SignedIn, UiError>;
    /// Ends the session; answers the cookie that clears it.
    async fn logout(&self, headers: &HeaderMap) -> Result<HeaderValue, UiError>;
    async fn change_password(
        &self,
        headers: &HeaderMap,
        current: &str,
        new: &str,
    ) -> Result<(), UiError>;
    /// The members the caller looks after.
    async fn members(&self, headers: &HeaderMap) -> Result<Vec<MemberSummary>, UiError>;
    async fn reset_password(
        &self,
        headers: &HeaderMap,
        member_id: &str,
        new: &str,
    ) -> Result<(), UiError>;
    /// The events whose check-in codes the caller may show.
    async fn hosted_events(&self, headers: &HeaderMap) -> Result<Vec<HostedEvent>, UiError>;
    /// An event's code of this minute, with its link as a QR code.
    async fn event_code(&self, headers: &HeaderMap, event_id: &str) -> Result<ShownCode, UiError>;
}

/// How the server hands its implementation to the server functions.
pub type SharedBackend = Arc<dyn Backend>;

pub fn backend() -> Result<SharedBackend, UiError> {
    leptos::prelude::use_context::<SharedBackend>()
        .ok_or_else(|| UiError::new("internal", "服务器未配置"))
}

pub async fn request_headers() -> Result<HeaderMap, UiError> {
    leptos_axum::extract::<HeaderMap>()
        .await
        .map_err(|e| UiError::new("internal", e.to_string()))
}

/// The client's address for throttling; unknown when not served over TCP.
pub async fn client_ip() -> IpAddr {
    use axum::extract::ConnectInfo;
    leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// Answers a server function's result, giving a refusal its real HTTP status
/// (a wrong password is a 401, not a server failure).
pub fn answer<T>(result: Result<T, UiError>) -> Result<T, UiError> {
    if let Err(e) = &result {
        let status = e.status.and_then(|s| http::StatusCode::from_u16(s).ok());
        if let (Some(status), Some(response)) = (
            status,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        ) {
            response.set_status(status);
        }
    }
    result
}
