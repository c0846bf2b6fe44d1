//! The secretary's queue at scale: a branch of 200 members with 1,000
//! records waiting. Over loopback HTTP against the real server, on SQLite
//! and PostgreSQL, prints how long `GET /api/review/queue` takes (median and
//! worst of 20), how long a bulk approval of 500 records takes to be stored
//! (`POST /api/reviews` with a list), and checks that the decisions reach a
//! member at their next sync.
//!
//!   cargo run --release -p vanguard-bench --bin review-bench
//!   BENCH_MEMBERS=200 BENCH_RECORDS=1000 BENCH_APPROVE=500 BENCH_DB=sqlite,postgres

#[global_allocator]
static ALLOCATOR: vanguard_server::ServerAllocator = vanguard_server::ServerAllocator;

mod branch;
mod pg;
mod session;

use chrono::{Datelike, Duration as Span, FixedOffset, Utc};
use pg::BoxError;
use session::session_for;
use std::time::{Duration, Instant};
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::view::{records, RecordState};
use vanguard_shared::documents::{DocId, NewRecord};
use vanguard_shared::review::QueueItem;
use vanguard_shared::sync::Replica;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Syncs one document from nothing, as a phone's next sync would.
async fn fetch(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: DocId,
) -> Result<Replica, BoxError> {
    let mut replica = Replica::empty(id);
    let url = format!("{base}/api/sync/{}", replica.id);
    for _ in 0..20 {
        let Some(out) = replica.outgoing() else {
            return Ok(replica);
        };
        let response = http
            .post(&url)
            .bearer_auth(token)
            .header("x-peer-id", "bench-phone")
            .body(out)
            .send()
            .await?;
        let status = response.status();
        let reply = response.bytes().await?;
        match status.as_u16() {
            200 => replica.incoming(&reply)?,
            204 => {
                replica.settled();
                return Ok(replica);
            }
            _ => return Err(format!("sync answered {status}").into()),
        }
    }
    Err("sync did not settle".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn bench(url: &str, label: &str) -> Result<(), BoxError> {
    let members = env_or("BENCH_MEMBERS", 200usize).max(1);
    let pending = env_or("BENCH_RECORDS", 1000usize).max(1);
    let approve = env_or("BENCH_APPROVE", 500usize).min(pending);
    let branch::BenchBranch {
        app,
        services,
        branch,
        people,
    } = branch::start(url, members).await?;
    let store = &services.store.clone();
    let secretary = session_for(store, "bench-0000").await?;

    // The records, each member's as their phone would write them.
    let china = FixedOffset::east_opt(8 * 3600).ok_or("offset")?;
    let now = Utc::now().with_timezone(&china).fixed_offset();
    let year = now.year();
    let seeded = Instant::now();
    for (i, m) in people.iter().skip(1).enumerate() {
        let count = pending / members + usize::from(i < pending % members);
        let mine = DocId::checkins(&m.id, year);
        services
            .sync
            .edit(m, &mine, |d| {
                for n in 0..count {
                    let at = now - Span::hours(1 + (n as i64) * 30);
                    let at = if at.year() == year { at } else { now };
                    let record = NewRecord {
                        kind: "visit".into(),
                        occurred_at: Some(at),
                        place: Some("幸福社区".into()),
                        note: Some(format!("走访第 {n} 户")),
                        ..Default::default()
                    };
                    add_record(d, &uuid::Uuid::new_v4().to_string(), &record)?;
                }
                Ok(())
            })
            .await?;
    }
    let seeded = seeded.elapsed();

    let base = format!("http://{}", app.local_addr());
    let served = tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let queue_url = format!("{base}/api/review/queue?year={year}");
    let mut times = Vec::new();
    let mut queue: Vec<QueueItem> = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let response = http.get(&queue_url).bearer_auth(&secretary).send().await?;
        let status = response.status();
        queue = response.json().await?;
        times.push(started.elapsed());
        if !status.is_success() {
            return Err(format!("the queue answered {status}").into());
        }
    }
    times.sort();

    // `/healthz` while four queues are asked for at once, again and again:
    // the heavy work runs off the async threads, so the server still answers.
    let heavy: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, token) = (http.clone(), queue_url.clone(), secretary.clone());
            tokio::spawn(async move {
                for _ in 0..5 {
                    let _ = http.get(&url).bearer_auth(&token).send().await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut health = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        http.get(format!("{base}/healthz")).send().await?;
        health.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for task in heavy {
        let _ = task.await;
    }
    health.sort();
    if queue.len() != pending {
        return Err(format!("the queue holds {} records, not {pending}", queue.len()).into());
    }

    // A bulk approval of the oldest `approve`, in one request.
    let chosen: Vec<serde_json::Value> = queue
        .iter()
        .take(approve)
        .map(|i| {
            serde_json::json!({"member_id": i.member_id, "record_id": i.record_id,
                               "status": "approved", "version": i.version})
        })
        .collect();
    let started = Instant::now();
    let response = http
        .post(format!("{base}/api/reviews"))
        .bearer_auth(&secretary)
        .json(&chosen)
        .send()
        .await?;
    let bulk = started.elapsed();
    if !response.status().is_success() {
        return Err(format!("the bulk approval answered {}", response.status()).into());
    }
    let touched: std::collections::BTreeSet<&str> = queue
        .iter()
        .take(approve)
        .map(|i| i.member_id.as_str())
        .collect();

    // A member's next sync brings the decisions.
    let first = queue.first().ok_or("an empty queue")?;
    let member_token = session_for(&services.store, &first.member_id).await?;
    let checkins = fetch(
        &http,
        &base,
        &member_token,
        DocId::checkins(&first.member_id, year),
    )
    .await?;
    let reviews = fetch(
        &http,
        &base,
        &member_token,
        DocId::reviews(&first.member_id, year),
    )
    .await?;
    let seen = records(
        (&checkins.doc, &checkins.id),
        Some((&reviews.doc, &reviews.id)),
        &[],
        &Default::default(),
    );
    let approved = seen
        .iter()
        .filter(|r| r.state == RecordState::Approved)
        .count();
    let expected = queue
        .iter()
        .take(approve)
        .filter(|i| i.member_id == first.member_id)
        .count();
    if approved != expected {
        return Err(format!("the member's phone sees {approved} approvals, not {expected}").into());
    }
    let left: Vec<QueueItem> = http
        .get(&queue_url)
        .bearer_auth(&secretary)
        .send()
        .await?
        .json()
        .await?;

    println!(
        "{label}: {} of {members} members, {pending} records waiting (seeded in {:.1} s)",
        branch.name,
        seeded.as_secs_f64()
    );
    println!(
        "  GET /api/review/queue      median {:>7.1} ms   worst {:>7.1} ms   (20 requests, {} items, target < 100 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        queue.len()
    );
    println!(
        "  GET /healthz beside 4 queue requests at once: median {:>6.1} ms   worst {:>6.1} ms   (target < 50 ms)",
        ms(health[health.len() / 2]),
        ms(health[health.len() - 1])
    );
    println!(
        "  POST /api/reviews, {approve} approvals of {} members: {:>7.1} ms (target < 2000 ms); {} left in the queue",
        touched.len(),
        ms(bulk),
        left.len()
    );
    println!("  a member's next sync brings their {approved} approvals");
    served.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    pg::each_backend(|url, label| async move { bench(&url, label).await }).await
}
