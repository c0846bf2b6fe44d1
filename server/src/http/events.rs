//! `POST /api/events` (a secretary creates a branch event) and
//! `GET /api/events/{event_id}/code` (the host's phone shows the current
//! check-in code).

use super::error::ApiError;
use super::session::CurrentMember;
use crate::events::{EventDraft, EventError, ShownCode};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use vanguard_shared::documents::EventEntry;
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
    };
    let event = state.events.create(&current.member, draft).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

pub async fn current_code(
    State(state): State<AppState>,
    current: CurrentMember,
    Path(event_id): Path<String>,
) -> Result<Json<ShownCode>, ApiError> {
    Ok(Json(
        state
            .events
            .current_code(&current.member, &event_id)
            .await?,
    ))
}
