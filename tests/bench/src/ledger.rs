//! The ledger engine's throughput against PostgreSQL's aggregate over the same
//! rows. Prints figures; asserts only that both agree.
//!
//!   cargo run --release -p vanguard-bench --bin ledger-bench
//!   BENCH_MEMBERS=100000 BENCH_RECORDS=200 VANGUARD_BENCH_PG=postgres://postgres@127.0.0.1/postgres
//!
//! Records are generated deterministically, one member at a time, so memory
//! stays flat. PostgreSQL gets the same rows in an unlogged table and the
//! report writer's query: a join to the price list and a GROUP BY. The bench
//! rulebook has no caps, since a plain GROUP BY cannot express them; the
//! capped default rulebook is timed too, for the engine alone.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use sqlx::Connection;
use std::collections::HashMap;
use std::time::Instant;
use vanguard_shared::ledger::rulebook::Pricing;
use vanguard_shared::ledger::*;

const BENCH_BOOK: &str = r#"
id = "bench"
version = 1
year = 2026
base = 100
floor = 0
[grades]
excellent = 400
qualified = 100
basic = 60
[sides.party]
excellent = 40
pass = 0
[sides.job]
excellent = 10
pass = 0
[[rules]]
id = "theme_day"
kind = "theme_day"
section = "organisational_life"
side = "party"
points = { present = 5, late = 3, made_up = 2, unexcused = -2 }
[[rules]]
id = "study"
kind = "study"
section = "organisational_life"
side = "party"
points = { present = 2, late = 1, unexcused = -3 }
[[rules]]
id = "volunteer"
kind = "volunteer"
section = "work_completion"
side = "party"
per_hour = 2
[[rules]]
id = "visit"
kind = "visit"
section = "work_completion"
side = "party"
points = 2
[[rules]]
id = "job_performance"
kind = "job_performance"
section = "work_completion"
side = "job"
points = 1.5
[[rules]]
id = "dues_unpaid"
kind = "dues_unpaid"
section = "actual_conduct"
side = "party"
points = -2
"#;

const KINDS: [Kind; 6] = [
    Kind::ThemeDay,
    Kind::Study,
    Kind::Volunteer,
    Kind::Visit,
    Kind::JobPerformance,
    Kind::DuesUnpaid,
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn member_records(member: u32, count: usize, start: DateTime<FixedOffset>) -> Vec<RecordFact> {
    let mut rng = Rng(u64::from(member) * 7919 + 17);
    (0..count)
        .map(|i| {
            let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
            let outcome = Outcome::ALL[rng.below(Outcome::ALL.len() as u64) as usize];
            let minutes = rng.below(364 * 24 * 60) as i64;
            let review = if rng.below(10) == 0 {
                Review::Pending
            } else {
                Review::Approved { by: "s".into() }
            };
            RecordFact {
                record_id: format!("{member}-{i}").into(),
                kind,
                occurred_at: start + Duration::minutes(minutes),
                outcome: Some(outcome),
                // Whole quarter hours, 0.25 .. 8.
                hours: (kind == Kind::Volunteer).then(|| (1 + rng.below(32)) as f64 / 4.0),
                review,
                occurrence: None,
            }
        })
        .collect()
}

fn input<'a>(member_id: &'a str, records: &'a [RecordFact]) -> LedgerInput<'a> {
    LedgerInput {
        member_id,
        year: 2026,
        time_zone: chrono_tz::Asia::Shanghai,
        records,
        adjustments: &[],
        vetoes: &[],
        job: None,
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let members = env_or("BENCH_MEMBERS", 100_000) as u32;
    let per_member = env_or("BENCH_RECORDS", 200);
    let total_records = members as usize * per_member;
    let book = Rulebook::from_toml("bench", BENCH_BOOK)?;
    let capped = default_rulebook();
    let start = FixedOffset::east_opt(8 * 3600)
        .and_then(|z| z.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single())
        .ok_or("start")?;
    println!("ledger bench: {members} members x {per_member} records = {total_records} records");

    // One member, the browser's case: recompute on every keystroke.
    let one = member_records(1, per_member, start);
    let rounds = 20_000;
    let t = Instant::now();
    let mut sink = 0i64;
    for _ in 0..rounds {
        sink += compute(&capped, &input("1", &one), Mode::Provisional)
            .total
            .hundredths();
    }
    let per_ledger = t.elapsed() / rounds;
    println!(
        "one ledger of {per_member} records (default rulebook, caps): {:.1} µs  [target < 20 µs]",
        per_ledger.as_secs_f64() * 1e6
    );

    // Every member, official ledgers, timing only the engine.
    // As the server would: each rulebook prepared once for the year.
    let bench_engine = Prepared::new(&book, 2026, chrono_tz::Asia::Shanghai);
    let capped_engine = Prepared::new(&capped, 2026, chrono_tz::Asia::Shanghai);
    let mut engine_totals: HashMap<u32, i64> = HashMap::with_capacity(members as usize);
    let (mut engine_secs, mut capped_secs) = (0.0f64, 0.0f64);
    for m in 0..members {
        let records = member_records(m, per_member, start);
        let id = m.to_string();
        let t = Instant::now();
        let l = bench_engine.compute(&input(&id, &records), Mode::Official);
        engine_secs += t.elapsed().as_secs_f64();
        let t = Instant::now();
        sink += capped_engine
            .compute(&input(&id, &records), Mode::Official)
            .total
            .hundredths();
        capped_secs += t.elapsed().as_secs_f64();
        engine_totals.insert(m, l.total.hundredths());
    }
    let engine_rate = total_records as f64 / engine_secs;
    println!(
        "engine, bench rulebook: {:.2} s, {:.2} M records/s (one core)  [target >= 20 M/s]",
        engine_secs,
        engine_rate / 1e6
    );
    println!(
        "engine, default rulebook with caps: {:.2} s, {:.2} M records/s",
        capped_secs,
        total_records as f64 / capped_secs / 1e6
    );

    let url = std::env::var("VANGUARD_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin_db = url.clone();
    let db = format!("vanguard_bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_db).await?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await?;
    let base = url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(url.clone());
    let result = postgres(
        &format!("{base}/{db}"),
        &book,
        members,
        per_member,
        start,
        total_records,
    )
    .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    let (pg_secs, pg_totals) = result?;

    let pg_rate = total_records as f64 / pg_secs;
    println!(
        "postgres GROUP BY: {:.2} s, {:.2} M records/s",
        pg_secs,
        pg_rate / 1e6
    );
    println!(
        "engine / postgres: {:.1}x  [target >= 5x]",
        engine_rate / pg_rate
    );
    let mismatches = (0..members)
        .filter(|m| engine_totals.get(m) != pg_totals.get(m))
        .count();
    println!(
        "totals agree: {} of {members} members",
        members as usize - mismatches
    );
    println!(
        "peak memory: {:.0} MiB  [target < 2048 MiB]",
        peak_rss_mib()
    );
    if sink == i64::MIN {
        println!("{sink}");
    }
    if mismatches > 0 {
        return Err(format!(
            "{mismatches} members' totals differ between the engine and PostgreSQL"
        )
        .into());
    }
    Ok(())
}

/// Loads the same rows and runs the report writer's query; answers its time and totals.
async fn postgres(
    url: &str,
    book: &Rulebook,
    members: u32,
    per_member: usize,
    start: DateTime<FixedOffset>,
    total_records: usize,
) -> Result<(f64, HashMap<u32, i64>), Box<dyn std::error::Error>> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(
        "CREATE UNLOGGED TABLE records (member_id INT NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL, \
         hours_h INT, status TEXT NOT NULL, occurred_at TIMESTAMPTZ NOT NULL)",
    )
    .execute(&mut conn)
    .await?;
    sqlx::query("CREATE TABLE prices (kind TEXT NOT NULL, outcome TEXT NOT NULL, points_h INT, per_hour_h INT)")
        .execute(&mut conn)
        .await?;
    for rule in &book.rules {
        for outcome in Outcome::ALL {
            let (points, per_hour) = match &rule.pricing {
                Pricing::Flat(p) => (Some(p.hundredths()), None),
                Pricing::ByOutcome(by) => (
                    Some(by.get(outcome).copied().unwrap_or_default().hundredths()),
                    None,
                ),
                Pricing::PerHour(rate) => (None, Some(rate.hundredths())),
            };
            sqlx::query("INSERT INTO prices VALUES ($1, $2, $3, $4)")
                .bind(rule.kind.as_str())
                .bind(outcome.as_str())
                .bind(points.map(|p| p as i32))
                .bind(per_hour.map(|p| p as i32))
                .execute(&mut conn)
                .await?;
        }
    }

    let t = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY records FROM STDIN (FORMAT csv)")
        .await?;
    let mut buf = String::with_capacity(8 << 20);
    for m in 0..members {
        for r in member_records(m, per_member, start) {
            let status = if matches!(r.review, Review::Approved { .. }) {
                "approved"
            } else {
                "submitted"
            };
            let hours = r
                .hours
                .and_then(Points::from_f64)
                .map(|h| h.hundredths().to_string())
                .unwrap_or_default();
            let outcome = r.outcome.unwrap_or(Outcome::Present);
            buf.push_str(&format!(
                "{m},{},{},{hours},{status},{}\n",
                r.kind,
                outcome,
                r.occurred_at.to_rfc3339()
            ));
        }
        if buf.len() > (4 << 20) {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    sqlx::query("ANALYZE records").execute(&mut conn).await?;
    println!(
        "postgres load of {total_records} rows: {:.1} s (not counted)",
        t.elapsed().as_secs_f64()
    );

    let sql = format!(
        "SELECT r.member_id, GREATEST({floor}, {base} + COALESCE(SUM(CASE WHEN p.per_hour_h IS NOT NULL \
           THEN p.per_hour_h * r.hours_h / 100 ELSE p.points_h END), 0))::BIGINT AS total_h \
         FROM records r JOIN prices p ON p.kind = r.kind AND p.outcome = r.outcome \
         WHERE r.status = 'approved' \
           AND r.occurred_at >= '2026-01-01T00:00:00+08:00' AND r.occurred_at < '2027-01-01T00:00:00+08:00' \
         GROUP BY r.member_id",
        floor = book.floor.hundredths(),
        base = book.base.hundredths(),
    );
    let t = Instant::now();
    let rows: Vec<(i32, i64)> = sqlx::query_as(&sql).fetch_all(&mut conn).await?;
    let secs = t.elapsed().as_secs_f64();
    Ok((secs, rows.into_iter().map(|(m, t)| (m as u32, t)).collect()))
}
