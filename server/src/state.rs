//! What every handler can reach.

use crate::auth::Auth;
use crate::events::EventHost;
use crate::storage::SharedStore;
use crate::sync::SyncService;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: SharedStore,
    pub auth: Arc<Auth>,
    pub sync: Arc<SyncService>,
    pub events: Arc<EventHost>,
}
