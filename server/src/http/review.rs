//! `GET /api/review/queue?year=` (the records waiting for the caller's
//! review, with their evidence) and `POST /api/reviews` (a decision, or a
//! list of them: 通过, or 退回 with its reason).

use super::accounts::YearQuery;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::session::SignedIn;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use vanguard_shared::review::{DecisionMade, DecisionRequest, QueueItem};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/review/queue", get(queue))
        .route("/api/reviews", post(decide))
}

async fn queue(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Vec<QueueItem>>, ApiError> {
    let items = state
        .services
        .reviews()
        .queue(&caller.member, query.year)
        .await?;
    Ok(Json(items))
}

/// One decision, or several (a bulk approval) as a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Decisions {
    One(DecisionRequest),
    Many(Vec<DecisionRequest>),
}

async fn decide(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let asked: Decisions = serde_json::from_value(body).map_err(|_| {
        ApiError::unprocessable(
            "应为 {\"member_id\", \"record_id\", \"status\": \"approved\"|\"returned\", \"reason\"}，或其列表",
        )
    })?;
    let (requests, one) = match asked {
        Decisions::One(r) => (vec![r], true),
        Decisions::Many(list) => (list, false),
    };
    let made: Vec<DecisionMade> = state
        .services
        .reviews()
        .decide(&caller.member, &requests)
        .await?;
    let answer = match (one, made.first()) {
        (true, Some(first)) => serde_json::to_value(first),
        _ => serde_json::to_value(&made),
    }
    .map_err(|e| ApiError(vanguard_core::ServiceError::internal(&e)))?;
    Ok(Json(answer))
}
