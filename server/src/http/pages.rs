//! The pages and their server functions. Each request is authenticated once
//! here, and the services and the caller are handed to the app through
//! context; the phone's pages render into the phone's shell and bundle, the
//! console's into the console's.

use super::guard;
use super::session::MaybeSignedIn;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, Uri};
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;
use leptos::prelude::provide_context;
use leptos_axum::{handle_server_fns_with_context, render_route_with_context};
use vanguard_app::components::signed_in::KnownMe;
use vanguard_app::server::provide;
use vanguard_core::{Caller, Services};

/// `/sfn/…`: every page's server functions.
pub async fn server_fn(
    State(state): State<AppState>,
    MaybeSignedIn(caller): MaybeSignedIn,
    request: Request<Body>,
) -> Response {
    let services = state.services.clone();
    let response =
        handle_server_fns_with_context(move || provide(services.clone(), caller.clone()), request)
            .await;
    guard::server_fn_status(response.into_response()).await
}

/// A page's Content-Security-Policy allows its own inline scripts (the
/// hydration script, resolved resources) by a nonce made for this response.
fn with_policy(mut response: Response, nonce: &Nonce) -> Response {
    if let Ok(value) = HeaderValue::from_str(&guard::content_security_policy(Some(nonce))) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Who the page is rendered for, read before rendering so the page need not
/// wait for it inside a suspense (see `SignedIn`).
async fn known_me(services: &Services, caller: &Option<Caller>) -> KnownMe {
    KnownMe(match caller {
        None => Ok(None),
        Some(caller) => match services.directory().profile(&caller.member).await {
            Ok(mut me) => {
                me.must_change_password = caller.must_change_password;
                Ok(Some(me))
            }
            Err(e) => {
                tracing::error!("profile of the signed-in member: {e}");
                Err(vanguard_core::ServiceError::from(e).into())
            }
        },
    })
}

/// A page of the phone's bundle: the member's pages.
pub async fn member_page(
    State(state): State<AppState>,
    MaybeSignedIn(caller): MaybeSignedIn,
    request: Request<Body>,
) -> Response {
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let nonce = Nonce::new();
    let me = known_me(&services, &caller).await;
    let render = render_route_with_context(
        state.routes.member.clone(),
        {
            let nonce = nonce.clone();
            move || {
                provide(services.clone(), caller.clone());
                provide_context(nonce.clone());
                provide_context(me.clone());
            }
        },
        move || vanguard_app::member::shell(options.clone()),
    );
    with_policy(render(State(state), request).await, &nonce)
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
    let nonce = Nonce::new();
    let me = known_me(&services, &caller).await;
    let render = render_route_with_context(
        state.routes.console.clone(),
        {
            let nonce = nonce.clone();
            move || {
                provide(services.clone(), caller.clone());
                provide_context(nonce.clone());
                provide_context(me.clone());
            }
        },
        move || vanguard_app::console::shell(options.clone()),
    );
    with_policy(render(State(state), request).await, &nonce)
}

/// Anything else: a static file, or the 404 page (in the phone's shell).
pub async fn fallback(State(state): State<AppState>, uri: Uri, request: Request<Body>) -> Response {
    let services = state.services.clone();
    let nonce = Nonce::new();
    let handler = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        {
            let nonce = nonce.clone();
            move || {
                provide(services.clone(), None);
                provide_context(nonce.clone());
            }
        },
        vanguard_app::member::shell,
    );
    let response = handler(uri, State(state), request).await;
    let page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if page {
        with_policy(response, &nonce)
    } else {
        response
    }
}
