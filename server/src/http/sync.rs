//! The sync endpoints (docs/sync.md): one document per request, a batch of
//! documents per request, and the materialized records of a member.

use super::error::ApiError;
use super::session::CurrentMember;
use crate::state::AppState;
use crate::sync::{access, Peer, SyncError};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use vanguard_shared::documents::id::is_plain_id;
use vanguard_shared::documents::DocId;
use vanguard_shared::sync::{batch, Frame};

pub const PEER_HEADER: &str = "x-peer-id";

impl From<SyncError> for ApiError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::UnknownDocument => ApiError::NotFound(err.to_string()),
            SyncError::Forbidden(m) => ApiError::Forbidden(m),
            SyncError::Malformed(m) => ApiError::BadRequest(m),
            SyncError::Schema(e) => ApiError::Unprocessable(e.to_string()),
            SyncError::Store(e) => e.into(),
        }
    }
}

fn peer_id(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(PEER_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|p| is_plain_id(p))
        .ok_or_else(|| {
            ApiError::BadRequest("请求头 X-Peer-Id 须为 1–64 个字母、数字、- 或 _".into())
        })
}

/// Reads the body up to the configured limit: 413 beyond it.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.sync.config().body_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge(limit));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))
}

/// What both sync endpoints need first: the device id, then the body
/// within the limit.
async fn sync_request<'h>(
    state: &AppState,
    headers: &'h HeaderMap,
    body: Body,
) -> Result<(&'h str, Bytes), ApiError> {
    let peer_id = peer_id(headers)?;
    Ok((peer_id, read_body(state, headers, body).await?))
}

fn octets(body: Vec<u8>, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `POST /api/sync/{doc_id}`: one Automerge sync message; 200 with the
/// server's next message, or 204 when it has nothing to send.
pub async fn sync_one(
    State(state): State<AppState>,
    current: CurrentMember,
    Path(doc_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (peer_id, body) = sync_request(&state, &headers, body).await?;
    let peer = Peer {
        member: &current.member,
        peer_id,
    };
    match state.sync.sync(&peer, &doc_id, &body).await? {
        Some(reply) => Ok(octets(reply, "application/octet-stream")),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST /api/sync`: a batch of messages (`vanguard_shared::sync::batch`).
/// Each document succeeds or fails on its own; a refusal is a frame with
/// the error's status and JSON, and nothing of that document is stored.
pub async fn sync_batch(
    State(state): State<AppState>,
    current: CurrentMember,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (peer_id, body) = sync_request(&state, &headers, body).await?;
    let peer = Peer {
        member: &current.member,
        peer_id,
    };
    let results = state.sync.sync_batch(&peer, &body).await?;
    let frames: Vec<Frame> = results
        .into_iter()
        .filter_map(|(doc_id, result)| match result {
            Ok(None) => None,
            Ok(Some(reply)) => Some(Frame {
                doc_id,
                status: 200,
                body: reply,
            }),
            Err(e) => {
                let e = ApiError::from(e);
                Some(Frame {
                    doc_id,
                    status: e.status().as_u16(),
                    body: e.json_body(),
                })
            }
        })
        .collect();
    if frames.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(octets(batch::encode_response(&frames), batch::CONTENT_TYPE))
}

#[derive(Deserialize)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// The year a request means: the one asked for, or the current one.
pub fn year_or_now(query: &YearQuery) -> Result<i32, ApiError> {
    match query.year {
        Some(y) if vanguard_shared::documents::id::YEARS.contains(&y) => Ok(y),
        Some(_) => Err(ApiError::BadRequest("年份无效".into())),
        None => Ok(current_year()),
    }
}

/// The year in China, where every branch is: the day a record falls on is
/// decided there.
pub fn current_year() -> i32 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(8)).year()
}

#[derive(Serialize)]
pub struct RecordView {
    pub record_id: String,
    pub kind: String,
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// submitted | approved | returned | withdrawn
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
}

/// `GET /api/members/{member_id}/records?year=`: the materialized records,
/// to whoever may read the member's check-ins.
pub async fn member_records(
    State(state): State<AppState>,
    current: CurrentMember,
    Path(member_id): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<Json<Vec<RecordView>>, ApiError> {
    let year = year_or_now(&query)?;
    let id = DocId::checkins(&member_id, year);
    if !is_plain_id(&member_id)
        || access::access(&state.store, &current.member, &id)
            .await?
            .is_none()
    {
        // Outside one's scope looks the same as absent.
        return Err(ApiError::NotFound("成员不存在".into()));
    }
    let rows = state.store.member_records(&member_id, year).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                let status = match (r.withdrawn, r.review_status.as_deref()) {
                    (true, _) => "withdrawn",
                    (false, Some("approved")) => "approved",
                    (false, Some("returned")) => "returned",
                    _ => "submitted",
                };
                RecordView {
                    record_id: r.record_id,
                    kind: r.kind,
                    occurred_at: r.occurred_at,
                    event_id: r.event_id,
                    hours: r.hours,
                    place: r.place,
                    lat: r.lat,
                    lon: r.lon,
                    note: r.note,
                    code: r.code,
                    status,
                    reason: r.review_reason,
                    reviewer: r.reviewer,
                }
            })
            .collect(),
    ))
}
