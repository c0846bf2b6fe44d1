//! The pages and their server functions. Each request is authenticated once
//! here, and the services and the caller are handed to the app through
//! context; the phone's pages render into the phone's shell and bundle, the
//! console's into the console's.

use super::session::MaybeSignedIn;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use leptos_axum::{handle_server_fns_with_context, render_route_with_context};
use vanguard_app::server::provide;

/// `/sfn/…`: every page's server functions.
pub async fn server_fn(
    State(state): State<AppState>,
    MaybeSignedIn(caller): MaybeSignedIn,
    request: Request<Body>,
) -> impl IntoResponse {
    let services = state.services.clone();
    handle_server_fns_with_context(move || provide(services.clone(), caller.clone()), request).await
}

/// A page of the phone's bundle: the member's pages.
pub async fn member_page(
    State(state): State<AppState>,
    MaybeSignedIn(caller): MaybeSignedIn,
    request: Request<Body>,
) -> Response {
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let render = render_route_with_context(
        state.routes.member.clone(),
        move || provide(services.clone(), caller.clone()),
        move || vanguard_app::member::shell(options.clone()),
    );
    render(State(state), request).await
}

/// A page of the console's bundle: what secretaries, officers and
/// committees work with.
pub async fn console_page(
    State(state): State<AppState>,
    MaybeSignedIn(caller): MaybeSignedIn,
    request: Request<Body>,
) -> Response {
    let services = state.services.clone();
    let options = state.routes.console_options.clone();
    let render = render_route_with_context(
        state.routes.console.clone(),
        move || provide(services.clone(), caller.clone()),
        move || vanguard_app::console::shell(options.clone()),
    );
    render(State(state), request).await
}
