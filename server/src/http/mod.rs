//! HTTP: the JSON API (each resource its own router), the pages and their
//! server functions, and static files, on one axum router.

pub mod accounts;
pub mod audit;
pub mod committee;
pub mod download;
pub mod error;
pub mod events;
pub mod guard;
pub mod heavy;
pub mod ledgers;
pub mod pages;
pub mod records;
pub mod review;
pub mod roster;
pub mod session;
pub mod sync;
pub mod year_end;

use crate::state::AppState;
use axum::routing::{any, get};
use axum::Router;
use leptos_axum::LeptosRoutes;
use tower_http::trace::TraceLayer;

async fn no_such_api() -> error::ApiError {
    error::ApiError::not_found("接口不存在")
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(accounts::router())
        .merge(records::router())
        .merge(ledgers::router())
        .merge(year_end::router())
        .merge(audit::router())
        .merge(committee::router())
        .merge(roster::router())
        .merge(review::router())
        .merge(events::router())
        .merge(sync::router())
        .route("/api/{*rest}", any(no_such_api))
        .route("/healthz", get(|| async { "ok" }));
    Router::new()
        .merge(api)
        .route("/sfn/{*name}", get(pages::server_fn).post(pages::server_fn))
        .leptos_routes_with_handler(state.routes.member.clone(), pages::member_page)
        .leptos_routes_with_handler(state.routes.console.clone(), pages::console_page)
        .fallback(pages::fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            heavy::limit,
        ))
        .layer(axum::middleware::from_fn(guard::guard))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
