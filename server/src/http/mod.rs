//! HTTP: the JSON API, the server functions and pages of the Leptos app, and
//! static files, on one axum router.

pub mod api;
pub mod error;
pub mod events;
pub mod session;
pub mod sync;

use crate::state::AppState;
use axum::routing::{any, get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
use vanguard_app::backend::SharedBackend;
use vanguard_app::{shell, App};

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/login", post(api::login))
        .route("/api/logout", post(api::logout))
        .route("/api/me", get(api::me))
        .route("/api/me/password", post(api::change_password))
        .route("/api/members", get(api::members))
        .route("/api/rulebook", get(api::rulebook))
        .route(
            "/api/members/{member_id}/password",
            post(api::reset_password),
        )
        .route(
            "/api/members/{member_id}/records",
            get(sync::member_records),
        )
        .route("/api/events", post(events::create))
        .route("/api/events/hosted", get(events::hosted))
        .route("/api/events/{event_id}/code", get(events::current_code))
        .route("/api/sync", post(sync::sync_batch))
        .route("/api/sync/{doc_id}", post(sync::sync_one))
        .route("/api/{*rest}", any(api::not_found))
        .route("/healthz", get(|| async { "ok" }));

    let backend: SharedBackend = std::sync::Arc::new(state.clone());
    let provide = move || provide_context(backend.clone());
    let options = state.leptos_options.clone();
    Router::new()
        .merge(api)
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            provide.clone(),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide, shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
