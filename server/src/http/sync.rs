//! The sync endpoints (docs/sync.md): one document per request, and a batch
//! of documents per request.

use super::error::ApiError;
use super::session::SignedIn;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use std::net::SocketAddr;
use vanguard_core::sync::Peer;
use vanguard_core::{Caller, ServiceError};
use vanguard_shared::documents::id::is_plain_id;
use vanguard_shared::sync::{batch, Frame};

pub const PEER_HEADER: &str = "x-peer-id";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sync", post(sync_batch))
        .route("/api/sync/{doc_id}", post(sync_one))
}

fn peer_id(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(PEER_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|p| is_plain_id(p))
        .ok_or_else(|| ApiError::bad_request("请求头 X-Peer-Id 须为 1–64 个字母、数字、- 或 _"))
}

/// Reads the body up to the configured limit: 413 beyond it.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.services.sync.config().body_limit;
    let too_large = || {
        ApiError(ServiceError::TooLarge(format!(
            "请求体超过 {limit} 字节的上限"
        )))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

/// What both sync endpoints need first: the device id, the member's and
/// the address's turn (before the body is read), then the body within the
/// limit.
async fn sync_request<'h>(
    state: &AppState,
    caller: &Caller,
    client: SocketAddr,
    headers: &'h HeaderMap,
    body: Body,
) -> Result<(&'h str, Bytes), ApiError> {
    let peer_id = peer_id(headers)?;
    state.services.sync.admit(&caller.member.id, client.ip())?;
    Ok((peer_id, read_body(state, headers, body).await?))
}

fn octets(body: Vec<u8>, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `POST /api/sync/{doc_id}`: one Automerge sync message; 200 with the
/// server's next message, or 204 when it has nothing to send.
async fn sync_one(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(doc_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (peer_id, body) = sync_request(&state, &caller, client, &headers, body).await?;
    let peer = Peer {
        member: &caller.member,
        peer_id,
    };
    match state.services.sync.sync(&peer, &doc_id, &body).await? {
        Some(reply) => Ok(octets(reply, "application/octet-stream")),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST /api/sync`: a batch of messages (`vanguard_shared::sync::batch`).
/// Each document succeeds or fails on its own; a refusal is a frame with
/// the error's status and JSON, and nothing of that document is stored.
async fn sync_batch(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (peer_id, body) = sync_request(&state, &caller, client, &headers, body).await?;
    let peer = Peer {
        member: &caller.member,
        peer_id,
    };
    let results = state.services.sync.sync_batch(&peer, &body).await?;
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
                let e = ServiceError::from(e);
                Some(Frame {
                    doc_id,
                    status: e.status(),
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
