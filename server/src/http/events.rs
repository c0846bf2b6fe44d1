//! Branch events: `GET /api/events?year=` (the branch's events, for its
//! officers), `POST /api/events` (create one, or a monthly meeting's year
//! with `monthly_day`), `PATCH /api/events/{event_id}` (edit or cancel),
//! `GET` and `PUT /api/events/{event_id}/attendance` (the attendance sheet),
//! `GET /api/events/hosted` (the events whose codes the caller may show) and
//! `GET /api/events/{event_id}/code` (the host's screen shows the current
//! check-in code).

use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::Value;
use vanguard_core::events::EventDraft;
use vanguard_shared::attendance::{RowInput, Sheet};
use vanguard_shared::branch_events::{EventPatch, ListedEvent};
use vanguard_shared::documents::EventEntry;
use vanguard_shared::event_code::{HostedEvent, ShownCode};
use vanguard_shared::geofence::Geofence;
use vanguard_shared::ledger::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/events", post(create).get(list))
        .route("/api/events/hosted", get(hosted))
        .route("/api/events/{event_id}", patch(update))
        .route(
            "/api/events/{event_id}/attendance",
            get(attendance).put(save_attendance),
        )
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
    /// A 党小组会's group.
    pub group_id: Option<String>,
    /// A monthly meeting: the day of the month its events fall on, from
    /// `start`'s month to December, or to `monthly_until`.
    pub monthly_day: Option<u32>,
    /// The month a monthly meeting runs to, `YYYY-MM`; December when absent.
    #[serde(default)]
    pub monthly_until: Option<String>,
}

fn time(field: &str, text: &str) -> Result<DateTime<FixedOffset>, ApiError> {
    Ok(vanguard_core::events::time(field, text)?)
}

#[derive(serde::Deserialize)]
struct ListQuery {
    year: Option<i32>,
    /// A branch below a committee admin; the caller's own by default.
    branch: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ListedEvent>>, ApiError> {
    let year = vanguard_shared::year::requested(query.year, chrono::Utc::now())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        state
            .services
            .events
            .list(&caller.member, query.branch.as_deref(), year)
            .await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(event_id): Path<String>,
    ApiJson(patch): ApiJson<EventPatch>,
) -> Result<Json<EventEntry>, ApiError> {
    let event = state
        .services
        .events
        .update(&caller.member, &event_id, patch)
        .await?;
    Ok(Json(event))
}

async fn attendance(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(event_id): Path<String>,
) -> Result<Json<Sheet>, ApiError> {
    Ok(Json(
        state
            .services
            .attendance()
            .sheet(&caller.member, &event_id)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct SheetRows {
    pub rows: Vec<RowInput>,
}

async fn save_attendance(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(event_id): Path<String>,
    ApiJson(body): ApiJson<SheetRows>,
) -> Result<Json<Sheet>, ApiError> {
    Ok(Json(
        state
            .services
            .attendance()
            .save(&caller.member, &event_id, &body.rows)
            .await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    body: Result<Json<NewEvent>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
        group_id: body.group_id,
    };
    let events = &state.services.events;
    let made = match body.monthly_day {
        None => json(events.create(&caller.member, draft).await?),
        Some(day) => json(
            events
                .create_monthly(
                    &caller.member,
                    draft,
                    day,
                    body.monthly_until.as_deref().unwrap_or(""),
                )
                .await?,
        ),
    }?;
    Ok((StatusCode::CREATED, Json(made)))
}

fn json(value: impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError(vanguard_core::ServiceError::internal(&e)))
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
    Path(event_id): Path<String>,
) -> Result<Json<ShownCode>, ApiError> {
    let services = &state.services;
    Ok(Json(
        services
            .events
            .current_code(&caller.member, &event_id, services.public_url())
            .await?,
    ))
}
