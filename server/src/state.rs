//! What every handler can reach: the services, and what the two bundles'
//! pages need to render.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos_axum::AxumRouteListing;
use std::sync::Arc;
use vanguard_core::Services;

#[derive(Clone, FromRef)]
pub struct AppState {
    /// The phone's bundle (`/pkg/vanguard.*`).
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub routes: Arc<PageRoutes>,
}

/// The routes of each bundle's pages.
pub struct PageRoutes {
    pub member: Vec<AxumRouteListing>,
    pub console: Vec<AxumRouteListing>,
    /// The console's bundle (`/pkg/console.*`).
    pub console_options: LeptosOptions,
}
