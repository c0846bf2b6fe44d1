//! Sync throughput against the floor of this stack. The real server runs
//! over loopback HTTP; simulated phones each add one record per sync. In the
//! same run, the same records go through a plain JSON REST insert into the
//! same database, authenticated the same way. Prints syncs/s, p50/p99
//! latency and body bytes per record for both, the ratios, how often the
//! server loaded a document from scratch, and the stored size of a member's
//! year document with 500 records.
//!
//!   cargo run --release -p vanguard-bench --bin sync-bench
//!   BENCH_DEVICES=200 BENCH_SYNCS=20000 BENCH_DB=sqlite,postgres BENCH_COMPACT_AFTER=32
//!   VANGUARD_BENCH_PG=postgres://postgres@127.0.0.1/postgres

// The server binary's allocator, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: vanguard_server::ServerAllocator = vanguard_server::ServerAllocator;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vanguard_core::auth::{now_secs, password, token};
use vanguard_core::storage::{Member, NewMember, SessionRow};
use vanguard_core::sync::{compaction, hot, SyncConfig};
use vanguard_server::http::error::ApiError;
use vanguard_server::http::session;
use vanguard_server::startup::{Application, Config};
use vanguard_server::state::AppState;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DocId, NewRecord};
use vanguard_shared::sync::Replica;
use vanguard_shared::{MemberStatus, OrgKind, Role};

mod pg;

use pg::BoxError;

const YEAR: i32 = 2026;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A check-in as a member enters it: what both paths carry.
#[derive(Serialize, Deserialize, Clone)]
struct RecordJson {
    record_id: String,
    kind: String,
    occurred_at: DateTime<FixedOffset>,
    hours: Option<f64>,
    place: Option<String>,
    note: Option<String>,
}

fn record(device: usize, n: usize) -> RecordJson {
    let day = 1 + (n % 28) as u32;
    RecordJson {
        record_id: uuid::Uuid::new_v4().to_string(),
        kind: "volunteer".into(),
        occurred_at: DateTime::parse_from_rfc3339(&format!(
            "2026-{:02}-{day:02}T09:30:00+08:00",
            1 + (device + n) % 12
        ))
        .expect("time"),
        hours: Some(2.5),
        place: Some("幸福社区服务中心".into()),
        note: Some("协助社区开展垃圾分类宣传，入户发放资料".into()),
    }
}

fn new_record(r: &RecordJson) -> NewRecord {
    NewRecord {
        kind: r.kind.clone(),
        occurred_at: Some(r.occurred_at),
        hours: r.hours,
        place: r.place.clone(),
        note: r.note.clone(),
        ..Default::default()
    }
}

/// The REST baseline's table, in the bench's own pool on the same database.
#[derive(Clone)]
enum Baseline {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Baseline {
    async fn open(url: &str) -> Result<Baseline, BoxError> {
        const TABLE: &str = "CREATE TABLE bench_records (record_id TEXT PRIMARY KEY, \
            member_id TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL, \
            hours DOUBLE PRECISION, place TEXT, note TEXT, created_at BIGINT NOT NULL)";
        if url.starts_with("sqlite:") {
            // The same settings as the server's own pool.
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            sqlx::query(TABLE).execute(&pool).await?;
            Ok(Baseline::Sqlite(pool))
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            sqlx::query(TABLE).execute(&pool).await?;
            Ok(Baseline::Pg(pool))
        }
    }

    async fn insert(&self, member_id: &str, r: &RecordJson) -> Result<(), sqlx::Error> {
        // `$n` placeholders work on both backends.
        const INSERT: &str = "INSERT INTO bench_records VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        macro_rules! run {
            ($pool:expr) => {
                sqlx::query(INSERT)
                    .bind(&r.record_id)
                    .bind(member_id)
                    .bind(&r.kind)
                    .bind(r.occurred_at.to_rfc3339())
                    .bind(r.hours)
                    .bind(&r.place)
                    .bind(&r.note)
                    .bind(now_secs())
                    .execute($pool)
                    .await
                    .map(drop)
            };
        }
        match self {
            Baseline::Sqlite(pool) => run!(pool),
            Baseline::Pg(pool) => run!(pool),
        }
    }
}

/// `POST /bench/records`: authenticate, parse, insert. Nothing more.
fn baseline_routes(state: AppState, baseline: Baseline) -> Router {
    Router::new().route(
        "/bench/records",
        post(move |headers: HeaderMap, Json(r): Json<RecordJson>| {
            let (state, baseline) = (state.clone(), baseline.clone());
            async move {
                let me = session::caller(&headers, &state.services).await?;
                if r.kind.is_empty() {
                    return Err(ApiError::bad_request("kind"));
                }
                if let Err(e) = baseline.insert(&me.member.id, &r).await {
                    eprintln!("baseline insert: {e}");
                    return Err(ApiError(vanguard_core::ServiceError::Internal));
                }
                Ok::<_, ApiError>(StatusCode::CREATED)
            }
        }),
    )
}

struct Phone {
    member_id: String,
    token: String,
}

/// Members in the first branch, each with a session, as phones that logged in.
async fn seed_phones(app: &Application, devices: usize) -> Result<Vec<Phone>, BoxError> {
    let store = &app.state().services.store;
    let branch = store
        .accounts()
        .organisations()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Branch)
        .ok_or("no branch in the demo data")?;
    let hash = password::hash("bench-password").await?;
    let now = now_secs();
    let mut members = Vec::new();
    let mut phones = Vec::new();
    for i in 0..devices {
        let id = uuid::Uuid::new_v4().to_string();
        members.push(NewMember {
            member: Member {
                id: id.clone(),
                username: format!("bench{i:04}"),
                name: format!("测试党员{i}"),
                status: MemberStatus::Full,
                org_id: branch.id.clone(),
                group_id: None,
                roles: vec![Role::Member],
                active: true,
            },
            password_hash: hash.clone(),
            created_at: now,
        });
        let (token, token_hash) = token::new_token();
        phones.push((
            Phone {
                member_id: id.clone(),
                token,
            },
            SessionRow {
                token_hash,
                member_id: id,
                created_at: now,
                expires_at: now + 86_400,
            },
        ));
    }
    store.accounts().insert_batch(&[], &members).await?;
    let mut out = Vec::new();
    for (phone, session) in phones {
        store.sessions().insert(&session).await?;
        out.push(phone);
    }
    Ok(out)
}

#[derive(Default)]
struct Run {
    latencies: Vec<Duration>,
    sent: usize,
    received: usize,
    requests: usize,
}

impl Run {
    fn merge(&mut self, other: Run) {
        self.latencies.extend(other.latencies);
        self.sent += other.sent;
        self.received += other.received;
        self.requests += other.requests;
    }

    fn percentile(&mut self, p: f64) -> f64 {
        self.latencies.sort();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies
            .get(i)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

async fn rest_phone(
    http: reqwest::Client,
    base: String,
    phone: Arc<Phone>,
    device: usize,
    count: usize,
) -> Result<Run, BoxError> {
    let mut run = Run::default();
    for n in 0..count {
        let body = serde_json::to_vec(&record(device, n))?;
        let started = Instant::now();
        let response = http
            .post(format!("{base}/bench/records"))
            .bearer_auth(&phone.token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        let status = response.status();
        let reply = response.bytes().await?;
        if status != StatusCode::CREATED {
            return Err(format!("REST insert answered {status}").into());
        }
        run.latencies.push(started.elapsed());
        run.sent += body.len();
        run.received += reply.len();
        run.requests += 1;
    }
    Ok(run)
}

/// One sync: requests until the server answers 204.
async fn sync_once(
    http: &reqwest::Client,
    base: &str,
    phone: &Phone,
    replica: &mut Replica,
    run: &mut Run,
) -> Result<(), BoxError> {
    let url = format!("{base}/api/sync/{}", replica.id);
    for _ in 0..10 {
        let Some(out) = replica.outgoing() else {
            return Ok(());
        };
        run.sent += out.len();
        run.requests += 1;
        let response = http
            .post(&url)
            .bearer_auth(&phone.token)
            .header("x-peer-id", "bench-phone")
            .body(out)
            .send()
            .await?;
        let status = response.status();
        let reply = response.bytes().await?;
        run.received += reply.len();
        match status {
            StatusCode::OK => replica.incoming(&reply)?,
            StatusCode::NO_CONTENT => {
                replica.settled();
                return Ok(());
            }
            _ => {
                return Err(format!(
                    "sync answered {status}: {}",
                    String::from_utf8_lossy(&reply)
                )
                .into())
            }
        }
    }
    Err("sync did not settle in 10 requests".into())
}

/// A phone that has received its document (not measured).
async fn joined(http: &reqwest::Client, base: &str, phone: &Phone) -> Result<Replica, BoxError> {
    let me = http
        .get(format!("{base}/api/me?year={YEAR}"))
        .bearer_auth(&phone.token)
        .send()
        .await?;
    if !me.status().is_success() {
        return Err(format!("/api/me answered {}", me.status()).into());
    }
    let mut replica = Replica::empty(DocId::checkins(&phone.member_id, YEAR));
    sync_once(http, base, phone, &mut replica, &mut Run::default()).await?;
    // One record first, so the measured syncs are the steady state.
    add_record(
        &mut replica.doc,
        &uuid::Uuid::new_v4().to_string(),
        &new_record(&record(0, 0)),
    )?;
    sync_once(http, base, phone, &mut replica, &mut Run::default()).await?;
    Ok(replica)
}

async fn sync_phone(
    http: reqwest::Client,
    base: String,
    phone: Arc<Phone>,
    mut replica: Replica,
    device: usize,
    count: usize,
) -> Result<(Run, Replica), BoxError> {
    let mut run = Run::default();
    for n in 0..count {
        let r = record(device, n);
        let started = Instant::now();
        add_record(&mut replica.doc, &r.record_id, &new_record(&r))?;
        sync_once(&http, &base, &phone, &mut replica, &mut run).await?;
        run.latencies.push(started.elapsed());
    }
    Ok((run, replica))
}

/// A phone's next `count` syncs, made ready before the clock starts: the
/// member's edits and the message each sync sends, given that the server
/// answers 204 as it does in the steady state (the replay checks that).
/// Keeps the phones' own Automerge work, which real phones do on their own
/// CPUs, off the two cores the server is measured on.
fn prepare(replica: &mut Replica, device: usize, count: usize) -> Result<Vec<Vec<u8>>, BoxError> {
    let mut messages = Vec::with_capacity(count);
    for n in 0..count {
        let r = record(device, 10_000 + n);
        add_record(&mut replica.doc, &r.record_id, &new_record(&r))?;
        messages.push(
            replica
                .outgoing()
                .ok_or("a new record always makes a message")?,
        );
        replica.settled();
    }
    Ok(messages)
}

async fn replay_phone(
    http: reqwest::Client,
    base: String,
    phone: Arc<Phone>,
    doc_id: String,
    messages: Vec<Vec<u8>>,
) -> Result<Run, BoxError> {
    let mut run = Run::default();
    let url = format!("{base}/api/sync/{doc_id}");
    for message in messages {
        let started = Instant::now();
        run.sent += message.len();
        run.requests += 1;
        let response = http
            .post(&url)
            .bearer_auth(&phone.token)
            .header("x-peer-id", "bench-phone")
            .body(message)
            .send()
            .await?;
        let status = response.status();
        let reply = response.bytes().await?;
        if status != StatusCode::NO_CONTENT {
            return Err(format!("a prepared sync answered {status}, not 204: the phone's script no longer matches the server").into());
        }
        run.received += reply.len();
        run.latencies.push(started.elapsed());
    }
    Ok(run)
}

struct Figures {
    per_sec: f64,
    p50: f64,
    p99: f64,
    bytes_per_record: f64,
    sent: f64,
    received: f64,
    requests_per_record: f64,
}

fn figures(mut run: Run, elapsed: Duration, records: usize) -> Figures {
    let n = records as f64;
    Figures {
        per_sec: n / elapsed.as_secs_f64(),
        p50: run.percentile(0.50),
        p99: run.percentile(0.99),
        bytes_per_record: (run.sent + run.received) as f64 / n,
        sent: run.sent as f64 / n,
        received: run.received as f64 / n,
        requests_per_record: run.requests as f64 / n,
    }
}

fn print(label: &str, f: &Figures) {
    println!(
        "  {label:<18} {:>8.0} records/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {:>5.0} B/record \
         (request {:.0}, response {:.0}), {:.2} requests/record",
        f.per_sec, f.p50, f.p99, f.bytes_per_record, f.sent, f.received, f.requests_per_record
    );
}

async fn bench(url: &str, label: &str, devices: usize, syncs: usize) -> Result<(), BoxError> {
    let per_device = syncs.div_ceil(devices);
    let records = per_device * devices;
    let config = Config {
        addr: "127.0.0.1:0".parse()?,
        database_url: url.to_string(),
        site_root: "target/site".into(),
        demo: true,
        demo_year: false,
        auth: Default::default(),
        sync: SyncConfig {
            compact_after: env_or("BENCH_COMPACT_AFTER", SyncConfig::default().compact_after),
            // 200 phones syncing flat out from one address: the limits are
            // checked on every request, as in production, but never met.
            rate_per_member: vanguard_core::rate::Rate::UNLIMITED,
            rate_per_address: vanguard_core::rate::Rate::UNLIMITED,
            ..SyncConfig::default()
        },
        heavy: vanguard_core::rate::HeavyRates::UNLIMITED,
        public_url: None,
    };
    let app = Application::build(config).await?;
    let baseline = Baseline::open(url).await?;
    let routes = baseline_routes(app.state().clone(), baseline);
    let app = app.merge(routes);
    let phones: Vec<Arc<Phone>> = seed_phones(&app, devices)
        .await?
        .into_iter()
        .map(Arc::new)
        .collect();
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let server = tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(devices + 8)
        .timeout(Duration::from_secs(60))
        .build()?;

    println!("{label}: {devices} phones, {records} records per path");
    let json_size = serde_json::to_vec(&record(0, 0))?.len();

    // The REST floor.
    let started = Instant::now();
    let tasks: Vec<_> = phones
        .iter()
        .enumerate()
        .map(|(d, p)| {
            tokio::spawn(rest_phone(
                http.clone(),
                base.clone(),
                p.clone(),
                d,
                per_device,
            ))
        })
        .collect();
    let mut rest = Run::default();
    for t in tasks {
        rest.merge(t.await??);
    }
    let rest = figures(rest, started.elapsed(), records);

    // The sync path: every phone has its document first (not measured).
    let mut replicas = Vec::new();
    for p in &phones {
        replicas.push(joined(&http, &base, p).await?);
    }
    let loads_before = hot::full_loads();
    let started = Instant::now();
    let tasks: Vec<_> = phones
        .iter()
        .zip(replicas)
        .enumerate()
        .map(|(d, (p, r))| {
            tokio::spawn(sync_phone(
                http.clone(),
                base.clone(),
                p.clone(),
                r,
                d,
                per_device,
            ))
        })
        .collect();
    let mut sync = Run::default();
    let mut kept = Vec::new();
    for t in tasks {
        let (run, replica) = t.await??;
        sync.merge(run);
        kept.push(replica);
    }
    let elapsed = started.elapsed();
    let sync = figures(sync, elapsed, records);

    // The same phones again, their edits and messages made ready first.
    let prepared_at = Instant::now();
    let mut scripts = Vec::new();
    for (d, replica) in kept.iter_mut().enumerate() {
        scripts.push(prepare(replica, d, per_device)?);
    }
    let phone_ms = prepared_at.elapsed().as_secs_f64() * 1000.0 / records as f64;
    let started = Instant::now();
    let tasks: Vec<_> = phones
        .iter()
        .zip(&kept)
        .zip(scripts)
        .map(|((p, r), script)| {
            tokio::spawn(replay_phone(
                http.clone(),
                base.clone(),
                p.clone(),
                r.id.to_string(),
                script,
            ))
        })
        .collect();
    let mut replayed = Run::default();
    for t in tasks {
        replayed.merge(t.await??);
    }
    let replayed = figures(replayed, started.elapsed(), records);
    let loads = hot::full_loads() - loads_before;
    // Faithful: every phone's document is exactly what the server stored.
    for replica in &kept {
        let id = replica.id.to_string();
        let stored = state
            .services
            .store
            .documents()
            .load(&id)
            .await?
            .ok_or("document vanished")?;
        let detail = {
            let snap = automerge::Automerge::load(&stored.snapshot)?;
            let snap_max = snap
                .get_changes(&[])
                .iter()
                .filter(|c| c.actor_id() != &vanguard_shared::documents::root_actor())
                .map(|c| c.seq())
                .max();
            let rows: Vec<String> = stored
                .changes
                .iter()
                .map(|(seq, bytes)| {
                    let mut d = automerge::Automerge::new();
                    let n = d.load_incremental(bytes).unwrap_or(0);
                    let cs: Vec<String> = d
                        .get_changes(&[])
                        .iter()
                        .map(|c| c.seq().to_string())
                        .collect();
                    format!(
                        "{seq}:{n}:[{}]q{}",
                        cs.join(","),
                        automerge::ReadDoc::get_missing_deps(&d, &[]).len()
                    )
                })
                .collect();
            format!(
                "head {:?}, snapshot through phone seq {snap_max:?}, rows {}",
                stored.head,
                rows.join(" ")
            )
        };
        let server = hot::from_stored(&id, stored)?.doc;
        if server.get_heads() != replica.doc.get_heads() {
            let describe = |cs: Vec<automerge::Change>| {
                cs.iter()
                    .map(|c| {
                        format!(
                            "{}:{}:{}",
                            &c.actor_id().to_hex_string()[..6],
                            c.seq(),
                            c.len()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let only_phone = describe(replica.doc.get_changes(&server.get_heads()));
            let only_server = describe(server.get_changes(&replica.doc.get_heads()));
            return Err(format!(
                "{id}: the server's document differs from the phone's: {only_phone} changes only on the phone, \
                 {only_server} only on the server, {loads} loaded from scratch; {detail}"
            )
            .into());
        }
    }

    print("REST JSON insert", &rest);
    print("sync, live phones", &sync);
    print("sync, prepared", &replayed);
    println!(
        "  the phones' own Automerge work (edit + message) is {phone_ms:.3} ms per record: in the live run it \
         shares the two cores with the server; prepared, it is done before the clock starts"
    );
    println!(
        "  ratios: sync throughput {:.0}% of REST prepared, {:.0}% live (target >= 50%); sync bytes {:.2}x \
         the record's {json_size} B of JSON (target <= 2x); REST bytes {:.2}x",
        100.0 * replayed.per_sec / rest.per_sec,
        100.0 * sync.per_sec / rest.per_sec,
        replayed.bytes_per_record / json_size as f64,
        rest.bytes_per_record / json_size as f64,
    );
    println!("  documents loaded from scratch during both measured sync runs: {loads}");

    // A member's year with 500 records, as stored after compaction.
    let phone = &phones[0];
    let mut replica = kept.swap_remove(0);
    replica.reconnect();
    let have = vanguard_shared::documents::Layout::find(&replica.doc, &replica.id)
        .map(|l| l.keys(&replica.doc, "records").len())
        .unwrap_or(0);
    for n in have..500 {
        let r = record(7, n);
        add_record(&mut replica.doc, &r.record_id, &new_record(&r))?;
        sync_once(&http, &base, phone, &mut replica, &mut Run::default()).await?;
    }
    let id = replica.id.to_string();
    compaction::compact(&state.services.sync, &id).await?;
    let stored = state
        .services
        .store
        .documents()
        .load(&id)
        .await?
        .ok_or("document vanished")?;
    let size = stored.snapshot.len() + stored.changes.iter().map(|(_, c)| c.len()).sum::<usize>();
    println!(
        "  a member's year document with 500 records: {:.1} KiB stored (target < 64 KiB)",
        size as f64 / 1024.0
    );
    server.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let devices = env_or("BENCH_DEVICES", 200usize).max(1);
    let syncs = env_or("BENCH_SYNCS", 20_000usize).max(1);
    pg::each_backend(|url, label| async move { bench(&url, label, devices, syncs).await }).await
}
