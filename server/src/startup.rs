//! Building and running the server: open and migrate the database, start
//! the services, seed the demo if asked, bind, serve.

use crate::state::{AppState, PageRoutes};
use leptos::config::{Env, LeptosOptions};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use vanguard_core::auth::AuthConfig;
use vanguard_core::demo;
use vanguard_core::rate::HeavyRates;
use vanguard_core::storage::{self, Store, StoreError};
use vanguard_core::sync::SyncConfig;
use vanguard_core::{Background, Services, ServicesConfig};

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Where the built site lives: `pkg/` with the WASM, JS and CSS of both
    /// bundles, and the files of `public/`.
    pub site_root: PathBuf,
    pub demo: bool,
    /// With `demo`: also the year so far (events, records, decisions and
    /// attendance), which a newcomer's ledgers show. Tests that want a
    /// quiet demo turn it off.
    pub demo_year: bool,
    pub auth: AuthConfig,
    pub sync: SyncConfig,
    /// How often a member and an address may ask for the heavy answers.
    pub heavy: HeavyRates,
    /// The address members reach the server at, for links (check-in QR
    /// codes); the listen address when not given.
    pub public_url: Option<String>,
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
    Demo(#[from] vanguard_core::accounts::AccountsError),
}

/// Opens the database and brings its schema up to date.
pub async fn open_store(url: &str) -> Result<Store, StoreError> {
    let store = storage::open(url).await?;
    store.migrate().await?;
    Ok(store)
}

/// The options of one bundle: the phone's is `vanguard`, the console's `console`.
fn bundle_options(site_root: &std::path::Path, addr: SocketAddr, name: &str) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(name)
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build()
}

pub struct Application {
    listener: TcpListener,
    background: Background,
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
            .sessions()
            .purge_expired(vanguard_core::auth::now_secs())
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
        let (services, background) = Services::start(
            store.clone(),
            ServicesConfig {
                auth: config.auth.clone(),
                sync: config.sync.clone(),
                heavy: config.heavy,
                public_url: config
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{addr}")),
            },
        );
        if seeded {
            demo::seed_events(&store, &services.events)
                .await
                .map_err(|e| StartupError::DemoEvents(e.to_string()))?;
            demo::seed_records(&store, &services.sync)
                .await
                .map_err(|e| StartupError::DemoEvents(e.to_string()))?;
            if config.demo_year {
                let started = std::time::Instant::now();
                vanguard_core::demo::year::seed_year(&services)
                    .await
                    .map_err(|e| StartupError::DemoEvents(e.to_string()))?;
                tracing::info!(
                    seconds = started.elapsed().as_secs_f64(),
                    "seeded the demo year"
                );
            }
        }
        let state = AppState {
            leptos_options: bundle_options(&config.site_root, addr, "vanguard"),
            services,
            routes: Arc::new(PageRoutes {
                member: leptos_axum::generate_route_list(vanguard_app::member::App),
                console: leptos_axum::generate_route_list(vanguard_app::console::App),
                console_options: bundle_options(&config.site_root, addr, "console"),
            }),
        };
        let router = crate::http::router(state.clone());
        Ok(Application {
            listener,
            background,
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
        // Background work lives as long as the server: it stops with it.
        let background = self.background.spawn(&self.state.services);
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        background.abort();
        served
    }
}
