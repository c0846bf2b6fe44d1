//! Building and running the server: open and migrate the database, seed the
//! demo if asked, bind, serve.

use crate::accounts::demo;
use crate::auth::{Auth, AuthConfig};
use crate::events::EventHost;
use crate::state::AppState;
use crate::storage::{self, SharedStore, StoreError};
use crate::sync::{compaction, SyncConfig, SyncService};
use leptos::config::{Env, LeptosOptions};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Where the built site lives: `pkg/` with the WASM, JS and CSS, and the
    /// files of `public/`.
    pub site_root: PathBuf,
    pub demo: bool,
    pub auth: AuthConfig,
    pub sync: SyncConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("seeding the demo events failed: {0}")]
    DemoEvents(String),
    #[error("seeding the demo organisation failed: {0}")]
    Demo(#[from] crate::accounts::AccountsError),
}

/// Opens the database and brings its schema up to date.
pub async fn open_store(url: &str) -> Result<SharedStore, StoreError> {
    let store = storage::open(url).await?;
    store.migrate().await?;
    Ok(store)
}

pub struct Application {
    listener: TcpListener,
    compaction_queue: tokio::sync::mpsc::UnboundedReceiver<String>,
    router: axum::Router,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let store = open_store(&config.database_url).await?;
        tracing::info!(backend = store.backend(), "database ready");
        // Expired sessions no longer authenticate; a start is a good moment
        // to stop keeping them.
        let purged = store
            .purge_expired_sessions(crate::auth::now_secs())
            .await?;
        if purged > 0 {
            tracing::info!(purged, "removed expired sessions");
        }
        let mut seeded = false;
        if config.demo {
            seeded = demo::seed_if_empty(&store).await?;
            if seeded {
                tracing::info!("seeded the demo organisation");
            }
            tracing::warn!(
                "DEMO MODE: every demo account (member01..member20, secretary01/02, officer01/02, admin) \
                 has the password “{}”. Never use demo mode for real members.",
                demo::DEMO_PASSWORD
            );
        }
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.addr,
            source,
        })?;
        let leptos_options = LeptosOptions::builder()
            .output_name("vanguard")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .env(Env::PROD)
            .build();
        let (sync, compaction_queue) = SyncService::new(store.clone(), config.sync.clone());
        let sync = Arc::new(sync);
        let events = Arc::new(EventHost::new(store.clone(), sync.clone()));
        if seeded {
            demo::seed_events(&store, &events)
                .await
                .map_err(|e| StartupError::DemoEvents(e.to_string()))?;
        }
        let state = AppState {
            leptos_options,
            events,
            sync,
            auth: Arc::new(Auth::new(store.clone(), config.auth.clone())),
            store,
        };
        let router = crate::http::router(state.clone());
        Ok(Application {
            listener,
            compaction_queue,
            router,
            state,
        })
    }

    /// Adds routes beside the application's own: how a benchmark serves
    /// its baseline from the same process, state and database.
    pub fn merge(mut self, routes: axum::Router) -> Self {
        self.router = self.router.merge(routes);
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.state.leptos_options.site_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, finishing requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!("listening on http://{}", self.local_addr());
        // Compaction lives as long as the server: it stops with it.
        let compactor = tokio::spawn(compaction::run(
            self.state.sync.clone(),
            self.compaction_queue,
        ));
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        compactor.abort();
        served
    }
}
