//! `POST /api/events` (a secretary creates a branch event),
//! `GET /api/events/hosted` (the events whose codes the caller may show) and
//! `GET /api/events/{event_id}/code` (the host's phone shows the current
//! check-in code).

use super::error::ApiError;
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use vanguard_core::events::EventDraft;
use vanguard_shared::documents::EventEntry;
use vanguard_shared::event_code::{HostedEvent, ShownCode};
use vanguard_shared::geofence::Geofence;
use vanguard_shared::ledger::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/events", post(create))
        .route("/api/events/hosted", get(hosted))
        .route("/api/events/{event_id}/code", get(current_code))
}

#[derive(Deserialize)]
pub struct NewEvent {
    pub kind: String,
    pub title: String,
    pub start: String,
    pub end: Option<String>,
    pub place: Option<String>,
    #[serde(default)]
    pub with_code: bool,
    /// As sent: checked by `Geofence::new` before anything is written.
    pub geofence: Option<Geofence>,
}

fn time(field: &str, text: &str) -> Result<DateTime<FixedOffset>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|_| ApiError::unprocessable(format!("{field} 应为带时区的 RFC 3339 时间")))
}

async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    body: Result<Json<NewEvent>, JsonRejection>,
) -> Result<(StatusCode, Json<EventEntry>), ApiError> {
    let Json(body) = body?;
    let kind: Kind = body
        .kind
        .parse()
        .map_err(|e: vanguard_shared::VocabularyError| ApiError::unprocessable(e.to_string()))?;
    let draft = EventDraft {
        kind,
        title: body.title,
        start: time("start", &body.start)?,
        end: body.end.as_deref().map(|e| time("end", e)).transpose()?,
        place: body.place,
        with_code: body.with_code,
        geofence: body
            .geofence
            .map(|g| Geofence::new(g.lat, g.lon, g.radius_m))
            .transpose()
            .map_err(|e| ApiError::unprocessable(e.to_string()))?,
    };
    let event = state.services.events.create(&caller.member, draft).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

async fn hosted(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<HostedEvent>>, ApiError> {
    Ok(Json(state.services.events.hosted(&caller.member).await?))
}

async fn current_code(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    Path(event_id): Path<String>,
) -> Result<Json<ShownCode>, ApiError> {
    let origin = origin(&headers);
    Ok(Json(
        state
            .services
            .events
            .current_code(&caller.member, &event_id, &origin)
            .await?,
    ))
}

/// The origin the caller reached this server at, for links other phones open.
fn origin(headers: &HeaderMap) -> String {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    vanguard_core::events::origin(
        text(header::HOST),
        text(header::HeaderName::from_static("x-forwarded-proto")),
    )
}
