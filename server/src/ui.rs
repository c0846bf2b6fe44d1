//! The server side of the app's server functions: the same services as the
//! JSON API, with errors turned into the app's `UiError`.

use crate::accounts::Directory;
use crate::http::error::ApiError;
use crate::http::session::{token_from_headers, CurrentMember};
use crate::state::AppState;
use async_trait::async_trait;
use axum::http::{HeaderMap, HeaderValue};
use std::net::IpAddr;
use vanguard_app::backend::{Backend, SignedIn};
use vanguard_app::error::UiError;
use vanguard_shared::event_code::{HostedEvent, ShownCode};
use vanguard_shared::{Me, MemberSummary};

impl From<ApiError> for UiError {
    fn from(err: ApiError) -> Self {
        UiError::new(err.code(), err.to_string()).with_status(err.status().as_u16())
    }
}

fn ui<E: Into<ApiError>>(err: E) -> UiError {
    UiError::from(err.into())
}

fn cookie(value: String) -> Result<HeaderValue, UiError> {
    HeaderValue::from_str(&value).map_err(|_| UiError::from(ApiError::Internal))
}

impl AppState {
    async fn signed_in(&self, headers: &HeaderMap) -> Result<CurrentMember, UiError> {
        CurrentMember::from_headers(headers, &self.auth)
            .await
            .map_err(ui)
    }
}

#[async_trait]
impl Backend for AppState {
    async fn me(&self, headers: &HeaderMap) -> Result<Option<Me>, UiError> {
        match CurrentMember::from_headers(headers, &self.auth).await {
            Ok(current) => Directory::new(&self.store)
                .profile(&current.member)
                .await
                .map(Some)
                .map_err(ui),
            Err(ApiError::Unauthenticated) => Ok(None),
            Err(e) => Err(ui(e)),
        }
    }

    async fn login(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<SignedIn, UiError> {
        let session = self
            .auth
            .login(username, password, client)
            .await
            .map_err(ui)?;
        let me = Directory::new(&self.store)
            .profile(&session.member)
            .await
            .map_err(ui)?;
        Ok(SignedIn {
            me,
            set_cookie: cookie(self.auth.session_cookie(&session.token))?,
        })
    }

    async fn logout(&self, headers: &HeaderMap) -> Result<HeaderValue, UiError> {
        if let Some(token) = token_from_headers(headers) {
            self.auth.logout(&token).await.map_err(ui)?;
        }
        cookie(self.auth.clearing_cookie())
    }

    async fn change_password(
        &self,
        headers: &HeaderMap,
        current: &str,
        new: &str,
    ) -> Result<(), UiError> {
        let CurrentMember { member, token } = self.signed_in(headers).await?;
        self.auth
            .change_password(&member, Some(&token), current, new)
            .await
            .map_err(ui)
    }

    async fn members(&self, headers: &HeaderMap) -> Result<Vec<MemberSummary>, UiError> {
        let CurrentMember { member, .. } = self.signed_in(headers).await?;
        Directory::new(&self.store)
            .managed_members(&member)
            .await
            .map_err(ui)
    }

    async fn reset_password(
        &self,
        headers: &HeaderMap,
        member_id: &str,
        new: &str,
    ) -> Result<(), UiError> {
        let CurrentMember { member, .. } = self.signed_in(headers).await?;
        Directory::new(&self.store)
            .reset_password(&self.auth, &member, member_id, new)
            .await
            .map_err(ui)
    }

    async fn hosted_events(&self, headers: &HeaderMap) -> Result<Vec<HostedEvent>, UiError> {
        let CurrentMember { member, .. } = self.signed_in(headers).await?;
        self.events.hosted(&member).await.map_err(ui)
    }

    async fn event_code(&self, headers: &HeaderMap, event_id: &str) -> Result<ShownCode, UiError> {
        let CurrentMember { member, .. } = self.signed_in(headers).await?;
        self.events
            .current_code(&member, event_id, &crate::http::events::origin(headers))
            .await
            .map_err(ui)
    }
}
