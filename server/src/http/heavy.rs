//! The heavy answers' rate limit: ledgers, sheets, the review queue,
//! rulebook previews, evaluations, the committee's view, the audit trail and
//! exports price or gather a branch's year, so each member, and each
//! address, may ask for them only so often (`Services::admit_heavy`): 429
//! with Retry-After past that. Both doors are counted here, the JSON API and
//! the pages' server functions, and a console page's render (it calls the
//! same services while rendering).

use super::error::ApiError;
use super::session::caller;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The server functions that price or gather: what their pages call.
const HEAVY_FUNCTIONS: &[&str] = &[
    "branch_ledger",
    "branch_sheets",
    "member_sheet",
    "evaluation",
    "job_sheet",
    "committee",
    "start_committee_export",
    "assessment",
    "attendance_sheet",
    "preview_rulebook",
    "audit_trail",
    "review_queue",
];

/// Whether a request asks for one of the heavy answers.
pub fn is_heavy(method: &Method, path: &str) -> bool {
    if let Some(name) = path.strip_prefix("/sfn/") {
        return HEAVY_FUNCTIONS.contains(&name);
    }
    if *method == Method::GET && path.starts_with("/console") {
        return true;
    }
    let Some(api) = path.strip_prefix("/api/") else {
        return false;
    };
    let parts: Vec<&str> = api.split('/').collect();
    match (method, parts.as_slice()) {
        (&Method::GET, ["branches", _, last])
        | (&Method::GET, ["members", _, last])
        | (&Method::GET, ["branches", _, last, _]) => {
            let stem = last.split('.').next().unwrap_or(last);
            matches!(
                stem,
                "ledger" | "evaluation" | "records" | "job-results" | "assessment"
            )
        }
        (&Method::GET, ["events", _, "attendance"]) => true,
        (&Method::GET, ["review", "queue"]) => true,
        (&Method::GET, [one]) => matches!(
            one.split('.').next(),
            Some("committee" | "audit" | "year-end")
        ),
        (&Method::POST, ["orgs", _, "rulebook", "preview"]) => true,
        (&Method::POST, ["exports", _]) => true,
        _ => false,
    }
}

pub async fn limit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !is_heavy(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    // An anonymous request is refused by its handler: nothing to count.
    if let Ok(found) = caller(request.headers(), &state.services).await {
        let address = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        if let Err(e) = state.services.admit_heavy(&found.member.id, address) {
            return ApiError(e).into_response();
        }
        // Found once: the handler's extractor takes it from here.
        request.extensions_mut().insert(found);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heavy_answers_are_the_ones_that_price_or_gather() {
        let heavy = [
            (Method::GET, "/api/branches/b1/ledger"),
            (Method::GET, "/api/branches/b1/ledger.xlsx"),
            (Method::GET, "/api/branches/b1/evaluation.csv"),
            (Method::GET, "/api/members/m1/ledger"),
            (Method::GET, "/api/members/m1/records"),
            (Method::GET, "/api/branches/b1/job-results"),
            (Method::GET, "/api/branches/b1/assessment"),
            (Method::GET, "/api/events/e1/attendance"),
            (Method::GET, "/api/review/queue"),
            (Method::GET, "/api/committee"),
            (Method::GET, "/api/committee.xlsx"),
            (Method::GET, "/api/audit.csv"),
            (Method::GET, "/api/year-end"),
            (Method::POST, "/api/orgs/o1/rulebook/preview"),
            (Method::POST, "/api/exports/committee-ledger"),
            (Method::POST, "/sfn/member_sheet"),
            (Method::GET, "/console/ledger"),
        ];
        for (method, path) in heavy {
            assert!(is_heavy(&method, path), "{method} {path}");
        }
        let light = [
            (Method::POST, "/api/sync"),
            (Method::POST, "/api/login"),
            (Method::GET, "/api/me"),
            (Method::GET, "/healthz"),
            (Method::GET, "/api/exports/e1"),
            (Method::POST, "/sfn/login"),
            (Method::POST, "/sfn/decide_records"),
            (Method::GET, "/checkin"),
            (Method::POST, "/api/branches/b1/evaluation/lock"),
        ];
        for (method, path) in light {
            assert!(!is_heavy(&method, path), "{method} {path}");
        }
    }
}
