//! The server's official ledgers at a branch's scale: 200 members with 300
//! records each (most approved, a monthly 主题党日 with its attendance
//! sheet). Over loopback HTTP against the real server, on SQLite and
//! PostgreSQL, prints how long the branch table, one member's sheet and the
//! preview of a new rulebook version take (median and worst).
//!
//!   cargo run --release -p vanguard-bench --bin branch-ledger-bench
//!   BENCH_MEMBERS=200 BENCH_RECORDS=300 BENCH_DB=sqlite,postgres

#[global_allocator]
static ALLOCATOR: vanguard_server::ServerAllocator = vanguard_server::ServerAllocator;

mod branch;
mod pg;
mod session;

use chrono::{Datelike, Duration as Span, FixedOffset, TimeZone, Utc};
use pg::BoxError;
use session::session_for;
use std::time::{Duration, Instant};
use vanguard_core::events::EventDraft;
use vanguard_shared::attendance::RowInput;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::DecisionStatus;
use vanguard_shared::documents::{DocId, NewRecord};
use vanguard_shared::ledger::Kind;
use vanguard_shared::review::DecisionRequest;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `n` timed requests: (median, worst).
async fn timed(
    n: usize,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
) -> Result<(Duration, Duration), BoxError> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = request().send().await?;
        let status = response.status();
        let _ = response.bytes().await?;
        times.push(started.elapsed());
        if !status.is_success() {
            return Err(format!("answered {status}").into());
        }
    }
    times.sort();
    Ok((times[n / 2], times[n - 1]))
}

async fn bench(url: &str, label: &str) -> Result<(), BoxError> {
    let members = env_or("BENCH_MEMBERS", 200usize).max(1);
    let per_member = env_or("BENCH_RECORDS", 300usize).max(1);
    let branch::BenchBranch {
        app,
        services,
        branch,
        people,
    } = branch::start(url, members).await?;
    let store = &services.store.clone();
    let secretary = &people[0];
    let secretary_token = session_for(store, &secretary.id).await?;

    let china = FixedOffset::east_opt(8 * 3600).ok_or("offset")?;
    let now = Utc::now().with_timezone(&china).fixed_offset();
    let year = now.year();
    let start_of_year = china
        .with_ymd_and_hms(year, 1, 1, 8, 0, 0)
        .single()
        .ok_or("start of year")?;
    let span = (now - start_of_year).num_minutes().max(1);
    let seeded = Instant::now();

    // A 主题党日 a month so far, each with its attendance sheet.
    let mut meetings = Vec::new();
    for month in 1..now.month() {
        let start = china
            .with_ymd_and_hms(year, month, 15, 9, 0, 0)
            .single()
            .ok_or("meeting time")?;
        let draft = EventDraft {
            kind: Kind::ThemeDay,
            title: format!("{month}月主题党日"),
            start,
            end: Some(start + Span::hours(2)),
            place: Some("党员活动室".into()),
            with_code: false,
            geofence: None,
            group_id: None,
        };
        meetings.push(services.events.create(secretary, draft).await?);
    }

    // Each member's records, as their phone would write them; two in three
    // approved by the secretary.
    const KINDS: [&str; 4] = ["visit", "volunteer", "study", "talk"];
    let mut decisions = Vec::new();
    for (i, m) in people.iter().enumerate().skip(1) {
        let mine = DocId::checkins(&m.id, year);
        let mut ids = Vec::with_capacity(per_member);
        services
            .sync
            .edit(m, &mine, |d| {
                for n in 0..per_member {
                    let minutes = ((i * 7919 + n * 104_729) as i64) % span;
                    let kind = KINDS[(i + n) % KINDS.len()];
                    let record = NewRecord {
                        kind: kind.into(),
                        occurred_at: Some(start_of_year + Span::minutes(minutes)),
                        hours: (kind == "volunteer").then_some(2.0),
                        place: Some("幸福社区".into()),
                        note: Some(format!("第 {n} 条")),
                        ..Default::default()
                    };
                    let id = format!("r-{i}-{n}");
                    add_record(d, &id, &record)?;
                    ids.push(id);
                }
                Ok(())
            })
            .await?;
        decisions.extend(
            ids.into_iter()
                .enumerate()
                .filter(|(n, _)| n % 3 != 0)
                .map(|(_, id)| DecisionRequest {
                    member_id: m.id.clone(),
                    record_id: id,
                    status: DecisionStatus::Approved,
                    reason: None,
                    version: None,
                }),
        );
    }
    for chunk in decisions.chunks(2000) {
        services.reviews().decide(secretary, chunk).await?;
    }
    for event in &meetings {
        let rows: Vec<RowInput> = people
            .iter()
            .enumerate()
            .map(|(i, p)| RowInput {
                member_id: p.id.clone(),
                outcome: if i % 10 == 3 { "unexcused" } else { "present" }.into(),
                note: None,
            })
            .collect();
        services
            .attendance()
            .save(secretary, &event.event_id, &rows)
            .await?;
    }
    let seeded = seeded.elapsed();

    let base = format!("http://{}", app.local_addr());
    let served = tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();

    let table_url = format!("{base}/api/branches/{}/ledger?year={year}", branch.id);
    let started = Instant::now();
    let table: serde_json::Value = http
        .get(&table_url)
        .bearer_auth(&secretary_token)
        .send()
        .await?
        .json()
        .await?;
    let cold = started.elapsed();
    let rows = table["rows"].as_array().map_or(0, Vec::len);
    if rows != members + 1 {
        return Err(format!("the table has {rows} rows, not {}", members + 1).into());
    }
    let table_times = timed(20, || http.get(&table_url).bearer_auth(&secretary_token)).await?;
    // After one member's phone syncs a new record, as through the day.
    let mut after_change = Vec::new();
    for k in 0..10 {
        let m = &people[1 + k * 7 % members];
        let record = NewRecord {
            kind: "visit".into(),
            occurred_at: Some(now - Span::minutes(5)),
            place: Some("幸福社区".into()),
            ..Default::default()
        };
        let id = format!("late-{k}");
        services
            .sync
            .edit(m, &DocId::checkins(&m.id, year), |d| {
                add_record(d, &id, &record)
            })
            .await?;
        after_change.push(
            timed(1, || http.get(&table_url).bearer_auth(&secretary_token))
                .await?
                .0,
        );
    }
    after_change.sort();

    let sheet_url = format!("{base}/api/members/bench-0001/ledger?year={year}");
    let sheet: serde_json::Value = http
        .get(&sheet_url)
        .bearer_auth(&secretary_token)
        .send()
        .await?
        .json()
        .await?;
    let entries = sheet["entries"].as_array().map_or(0, Vec::len);
    let sheet_times = timed(20, || http.get(&sheet_url).bearer_auth(&secretary_token)).await?;

    let doubled = vanguard_shared::ledger::rulebook::DEFAULT_TOML
        .replace("year = 2026", &format!("year = {year}"))
        .replace(
            "points = 2\ncaps = [{ period = \"year\", max = 12 }]",
            "points = 4\ncaps = [{ period = \"year\", max = 24 }]",
        );
    let preview_url = format!("{base}/api/orgs/{}/rulebook/preview", branch.id);
    let preview: serde_json::Value = http
        .post(&preview_url)
        .bearer_auth(&secretary_token)
        .body(doubled.clone())
        .send()
        .await?
        .json()
        .await?;
    let previewed = preview["rows"].as_array().map_or(0, Vec::len);
    let changed = preview["changed"].as_u64().unwrap_or_default();
    let preview_times = timed(10, || {
        http.post(&preview_url)
            .bearer_auth(&secretary_token)
            .body(doubled.clone())
    })
    .await?;

    println!(
        "{label}: a branch of {} members × {per_member} records, {} monthly meetings with sheets (seeded in {:.1} s)",
        members + 1,
        meetings.len(),
        seeded.as_secs_f64()
    );
    println!(
        "  GET /api/branches/{{id}}/ledger     median {:>7.1} ms   worst {:>7.1} ms   (20 requests, {rows} rows, target < 50 ms)",
        ms(table_times.0),
        ms(table_times.1)
    );
    println!(
        "  the same, first read (nothing kept): {:>7.1} ms; after one member's new record: median {:>7.1} ms, worst {:>7.1} ms (10 changes)",
        ms(cold),
        ms(after_change[after_change.len() / 2]),
        ms(after_change[after_change.len() - 1])
    );
    println!(
        "  GET /api/members/{{id}}/ledger      median {:>7.1} ms   worst {:>7.1} ms   (20 requests, {entries} entries, target < 20 ms)",
        ms(sheet_times.0),
        ms(sheet_times.1)
    );
    println!(
        "  POST …/rulebook/preview          median {:>7.1} ms   worst {:>7.1} ms   (10 requests, {previewed} members, {changed} changed, target < 200 ms)",
        ms(preview_times.0),
        ms(preview_times.1)
    );
    served.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    pg::each_backend(|url, label| async move { bench(&url, label).await }).await
}
