//! `spawn_app()`: the real server on port 0 over a database of its own.

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;
use vanguard_core::auth::AuthConfig;
use vanguard_core::rate::HeavyRates;
use vanguard_core::sync::SyncConfig;
use vanguard_server::startup::{Application, Config};
use vanguard_server::state::AppState;

pub const DEMO_PASSWORD: &str = "demo-password";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn pg_admin_url() -> String {
    std::env::var("VANGUARD_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite:{}", dir.path().join("test.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Db::Postgres => {
                use sqlx::Connection;
                let name = format!("vanguard_test_{}", uuid::Uuid::new_v4().simple());
                let admin = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL at 127.0.0.1:5432 (start it with scripts/postgres.sh)");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread
        // removes the database even when the test panicked.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's state, for reaching its services directly.
    pub state: AppState,
    pub client: Client,
    pub db: TestDb,
    server: JoinHandle<std::io::Result<()>>,
}

pub fn config(url: &str) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        database_url: url.to_string(),
        site_root: std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site")),
        demo: true,
        // The demo's year so far is its own test's (`demo_year.rs`): the
        // others start from a quiet demo.
        demo_year: false,
        auth: AuthConfig::default(),
        sync: SyncConfig::default(),
        // Tests ask for many ledgers at once; the limit has its own test
        // (`ledger::heavy_answers_are_rate_limited`).
        heavy: HeavyRates::UNLIMITED,
        public_url: None,
    }
}

async fn start(db: TestDb) -> TestApp {
    start_with(db, AuthConfig::default()).await
}

async fn start_with(db: TestDb, auth: AuthConfig) -> TestApp {
    start_configured(db, Config { auth, ..config("") }).await
}

/// A server with the given configuration on `db` (the URL is filled in).
pub async fn start_configured(db: TestDb, config: Config) -> TestApp {
    let (addr, state, server) = serve(Config {
        database_url: db.url.clone(),
        ..config
    })
    .await;
    TestApp {
        state,
        addr,
        client: client(),
        db,
        server,
    }
}

async fn serve(config: Config) -> (SocketAddr, AppState, JoinHandle<std::io::Result<()>>) {
    let app = Application::build(config).await.expect("server starts");
    let addr = app.local_addr();
    let state = app.state().clone();
    (
        addr,
        state,
        tokio::spawn(app.run_until(std::future::pending())),
    )
}

/// A second server process on the same database, as a deployment with
/// several processes behind one PostgreSQL has.
pub struct Sibling {
    pub addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
}

impl Drop for Sibling {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Sibling {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// A demo-seeded server on a fresh database.
pub async fn spawn_app(db: Db) -> TestApp {
    start(TestDb::new(db).await).await
}

/// The same, with login limits of the test's choosing.
pub async fn spawn_app_with(db: Db, auth: AuthConfig) -> TestApp {
    start_with(TestDb::new(db).await, auth).await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn sibling(&self) -> Sibling {
        let (addr, _, server) = serve(config(&self.db.url)).await;
        Sibling { addr, server }
    }

    /// Stops this server and starts a new one on the same database, as a
    /// restart would.
    pub async fn restart(self) -> TestApp {
        self.server.abort();
        let _ = self.server.await;
        start(self.db).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request")
    }

    /// Logs in and answers the Bearer token.
    pub async fn token(&self, username: &str) -> String {
        let response = self.login(username, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }

    /// A browser's navigation to `path`, with this client's cookies.
    pub async fn navigate(&self, path: &str) -> Response {
        let request = self
            .client
            .get(self.url(path))
            .header("accept", "text/html");
        request.send().await.expect("request")
    }

    /// A page's HTML as this app's client (and its cookies) sees it.
    pub async fn html(&self, path: &str) -> String {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        response.text().await.expect("body")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        // A fresh client: only the Bearer token may authenticate.
        client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// A GET that must answer 200 with JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// Calls a page's server function (`/sfn/{name}`) as the page's form
    /// does: a form-encoded POST from the app's own origin with this
    /// client's cookies, so the same permission checks apply.
    pub async fn sfn(&self, name: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(&format!("/sfn/{name}")))
            .header("accept", "application/json")
            .header("origin", self.url(""))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Signs this app's client in as `username` (its cookie then goes with
    /// every request of `self.client`, as a browser's would).
    pub async fn sign_in(&self, username: &str, password: &str) {
        let response = self.login(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        client()
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }
}

/// A document as the store holds it: the snapshot with every stored change
/// applied. Panics, naming the document and change, if any does not load.
pub async fn stored_doc(app: &TestApp, id: &str) -> automerge::Automerge {
    let stored = app
        .state
        .services
        .store
        .documents()
        .load(id)
        .await
        .expect("load")
        .unwrap_or_else(|| panic!("{id} is stored"));
    let mut doc = automerge::Automerge::load(&stored.snapshot)
        .unwrap_or_else(|e| panic!("{id} snapshot: {e}"));
    for (seq, change) in &stored.changes {
        doc.load_incremental(change)
            .unwrap_or_else(|e| panic!("{id} change {seq}: {e}"));
    }
    doc
}

/// The JSON error body, checked for shape.
pub async fn error_code(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("error body is JSON");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    (
        status,
        body["error"].as_str().expect("error code").to_string(),
    )
}

/// Whether this run tests `db`: every database unless `VANGUARD_TEST_DBS`
/// names some (`make api` runs SQLite only, for a quick loop).
pub fn wanted(db: Db) -> bool {
    let name = match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    };
    std::env::var("VANGUARD_TEST_DBS").map_or(true, |dbs| dbs.split(',').any(|d| d.trim() == name))
}

/// Runs an async test body once per database.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if $crate::helpers::wanted($crate::helpers::Db::Sqlite) {
                    super::$name($crate::helpers::Db::Sqlite).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::wanted($crate::helpers::Db::Postgres) {
                    super::$name($crate::helpers::Db::Postgres).await
                }
            }
        }
    };
}
