//! `POST /api/events` (a secretary creates a branch event),
//! `GET /api/events/hosted` (the events whose codes the caller may show) and
//! `GET /api/events/{event_id}/code` (the host's phone shows the current
//! check-in code).

use super::error::ApiError;
use super::session::CurrentMember;
use crate::events::{EventDraft, EventError};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use vanguard_shared::documents::EventEntry;
use vanguard_shared::event_code::{HostedEvent, ShownCode};
use vanguard_shared::geofence::Geofence;
use vanguard_shared::ledger::Kind;

impl From<EventError> for ApiError {
    fn from(err: EventError) -> Self {
        match err {
            EventError::Forbidden => ApiError::Forbidden(err.to_string()),
            EventError::UnknownEvent => ApiError::NotFound(err.to_string()),
            EventError::NotOpen => ApiError::Conflict(err.to_string()),
            EventError::Invalid(m) => ApiError::Unprocessable(m),
            EventError::Sync(e) => e.into(),
            EventError::Store(ref e) => ApiError::internal(e),
        }
    }
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
        .map_err(|_| ApiError::Unprocessable(format!("{field} 应为带时区的 RFC 3339 时间")))
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentMember,
    body: Result<Json<NewEvent>, JsonRejection>,
) -> Result<(StatusCode, Json<EventEntry>), ApiError> {
    let Json(body) = body?;
    let kind: Kind = body
        .kind
        .parse()
        .map_err(|e: vanguard_shared::VocabularyError| ApiError::Unprocessable(e.to_string()))?;
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
            .map_err(|e| ApiError::Unprocessable(e.to_string()))?,
    };
    let event = state.events.create(&current.member, draft).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

pub async fn hosted(
    State(state): State<AppState>,
    current: CurrentMember,
) -> Result<Json<Vec<HostedEvent>>, ApiError> {
    Ok(Json(state.events.hosted(&current.member).await?))
}

pub async fn current_code(
    State(state): State<AppState>,
    current: CurrentMember,
    headers: HeaderMap,
    Path(event_id): Path<String>,
) -> Result<Json<ShownCode>, ApiError> {
    let origin = origin(&headers);
    Ok(Json(
        state
            .events
            .current_code(&current.member, &event_id, &origin)
            .await?,
    ))
}

/// The origin the caller reached this server at, for links other phones
/// open: behind a proxy, the scheme it forwards; the Host header otherwise.
pub fn origin(headers: &HeaderMap) -> String {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    // Only a host name and port: nothing a forged header could smuggle
    // into the link.
    let host = text(header::HOST.as_str())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:3000");
    let scheme = match text("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}
