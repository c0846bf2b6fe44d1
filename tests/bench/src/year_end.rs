//! The year-end at a committee's scale, over loopback HTTP against the real
//! server on SQLite and PostgreSQL:
//! - the committee view over 100 branches × 50 members (target < 300 ms);
//! - the year-end proposals of a branch of 200 members (target < 100 ms);
//! - an .xlsx of 10,000 ledger rows (target < 1 s), and how much memory
//!   the writer takes for 10,000 rows and for ten times as many (it should
//!   not grow with the row count);
//! - the background export of every member's row below the committee.
//!
//!   cargo run --release -p vanguard-bench --bin year-end-bench
//!   BENCH_BRANCHES=100 BENCH_MEMBERS=50 BENCH_RECORDS=10 BENCH_DB=sqlite,postgres

#[global_allocator]
static ALLOCATOR: vanguard_server::ServerAllocator = vanguard_server::ServerAllocator;

mod branch;
mod pg;
mod session;

use chrono::{Datelike, Duration as Span, FixedOffset, TimeZone, Utc};
use pg::BoxError;
use session::session_for;
use std::time::{Duration, Instant};
use vanguard_core::auth::now_secs;
use vanguard_core::events::EventDraft;
use vanguard_core::exports::{Cell, XlsxWriter};
use vanguard_core::storage::{Member, NewMember, Organisation};
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::DecisionStatus;
use vanguard_shared::documents::{DocId, NewRecord};
use vanguard_shared::ledger::year_end::JobInput;
use vanguard_shared::ledger::{Appraisal, Kind};
use vanguard_shared::review::DecisionRequest;
use vanguard_shared::{MemberStatus, OrgKind, Role};

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

/// The process's resident memory now, in MiB (Linux).
fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / (1024.0 * 1024.0))
}

/// Writes `rows` ledger-like rows; answers the time, the file's size and the
/// most the resident memory grew meanwhile.
fn write_rows(rows: usize) -> Result<(Duration, usize, f64), BoxError> {
    let header: Vec<String> = [
        "支部",
        "姓名",
        "党小组",
        "身份",
        "工作完成情况",
        "组织生活情况",
        "请假出差情况",
        "现实表现情况",
        "党建",
        "业务",
        "总分",
        "预估等次",
        "待审核",
        "已退回",
    ]
    .map(String::from)
    .to_vec();
    let before = resident_mib();
    let mut peak = before;
    let started = Instant::now();
    let mut w = XlsxWriter::new("某党委 全部党员台账", &header)?;
    for i in 0..rows {
        let row = vec![
            Cell::Text(format!("第{}党支部", i / 50 + 1)),
            Cell::Text(format!("党员{i}")),
            Cell::Text(format!("第{}党小组", i % 3 + 1)),
            Cell::Text("正式".into()),
            Cell::Number(12.5),
            Cell::Number(60.0),
            Cell::Number(0.0),
            Cell::Number(-2.0),
            Cell::Number(58.0),
            Cell::Number(12.5),
            Cell::Number(170.5),
            Cell::Text("合格".into()),
            Cell::Number((i % 4) as f64),
            Cell::Number(0.0),
        ];
        w.push(&row)?;
        if i % 1000 == 0 {
            peak = peak.max(resident_mib());
        }
    }
    let bytes = w.finish()?;
    let took = started.elapsed();
    peak = peak.max(resident_mib());
    Ok((took, bytes.len(), peak - before))
}

async fn bench(url: &str, label: &str) -> Result<(), BoxError> {
    let branches = env_or("BENCH_BRANCHES", 100usize).max(1);
    let per_branch = env_or("BENCH_MEMBERS", 50usize).max(1);
    let per_member = env_or("BENCH_RECORDS", 10usize);
    // The bench's own branch of 200 members for the proposals.
    let branch::BenchBranch {
        app,
        services,
        branch: big,
        people,
    } = branch::start(url, 199).await?;
    let store = services.store.clone();
    let committee_id = big.parent_id.clone().ok_or("a committee")?;
    let admin = store
        .accounts()
        .member_by_username("admin")
        .await?
        .ok_or("the demo's admin")?;
    let admin_token = session_for(&store, &admin.id).await?;
    let big_secretary = people[0].clone();
    let big_token = session_for(&store, &big_secretary.id).await?;

    let china = FixedOffset::east_opt(8 * 3600).ok_or("offset")?;
    let now = Utc::now().with_timezone(&china).fixed_offset();
    let year = now.year();
    let start_of_year = china
        .with_ymd_and_hms(year, 1, 1, 8, 0, 0)
        .single()
        .ok_or("start of year")?;
    let span = (now - start_of_year).num_minutes().max(1);
    let seeded = Instant::now();

    // The committee's branches: a secretary and members each.
    let hash = vanguard_core::auth::password::hash("bench-password").await?;
    let mut orgs = Vec::new();
    let mut members = Vec::new();
    for b in 0..branches {
        let org = Organisation {
            id: format!("yb-{b:03}"),
            parent_id: Some(committee_id.clone()),
            kind: OrgKind::Branch,
            name: format!("第{:03}党支部", b + 1),
            time_zone: "Asia/Shanghai".into(),
            created_at: now_secs(),
        };
        for m in 0..per_branch {
            members.push(NewMember {
                member: Member {
                    id: format!("yb-{b:03}-{m:03}"),
                    username: format!("yb{b:03}m{m:03}"),
                    name: format!("党员{b}-{m}"),
                    status: MemberStatus::Full,
                    org_id: org.id.clone(),
                    group_id: None,
                    roles: if m == 0 {
                        vec![Role::Member, Role::Secretary]
                    } else {
                        vec![Role::Member]
                    },
                    active: true,
                },
                password_hash: hash.clone(),
                created_at: now_secs(),
            });
        }
        orgs.push(org);
    }
    store.accounts().insert_batch(&orgs, &[]).await?;
    for chunk in members.chunks(2000) {
        store.accounts().insert_batch(&[], chunk).await?;
    }

    // Each member's records, as their phone writes them, all approved by
    // their secretary; a monthly 主题党日 in each branch.
    const KINDS: [&str; 4] = ["visit", "volunteer", "study", "talk"];
    let record = |n: usize, i: usize| NewRecord {
        kind: KINDS[(i + n) % KINDS.len()].into(),
        occurred_at: Some(start_of_year + Span::minutes(((i * 7919 + n * 104_729) as i64) % span)),
        hours: (KINDS[(i + n) % KINDS.len()] == "volunteer").then_some(2.0),
        place: Some("幸福社区".into()),
        ..Default::default()
    };
    let seed_branch = |ms: Vec<Member>| {
        let services = services.clone();
        async move {
            let secretary = ms[0].clone();
            let mut decisions = Vec::new();
            for (i, m) in ms.iter().enumerate().skip(1) {
                let ids: Vec<String> = (0..per_member).map(|n| format!("r-{n}")).collect();
                services
                    .sync
                    .edit(m, &DocId::checkins(&m.id, year), |d| {
                        for (n, id) in ids.iter().enumerate() {
                            add_record(d, id, &record(n, i))?;
                        }
                        Ok(())
                    })
                    .await?;
                decisions.extend(ids.into_iter().map(|id| DecisionRequest {
                    member_id: m.id.clone(),
                    record_id: id,
                    status: DecisionStatus::Approved,
                    reason: None,
                    version: None,
                }));
            }
            for chunk in decisions.chunks(2000) {
                services.reviews().decide(&secretary, chunk).await?;
            }
            for month in 1..now.month() {
                let start = china
                    .with_ymd_and_hms(year, month, 15, 9, 0, 0)
                    .single()
                    .ok_or("meeting time")?;
                services
                    .events
                    .create(
                        &secretary,
                        EventDraft {
                            kind: Kind::ThemeDay,
                            title: format!("{month}月主题党日"),
                            start,
                            end: Some(start + Span::hours(2)),
                            place: None,
                            with_code: false,
                            geofence: None,
                            group_id: None,
                        },
                    )
                    .await?;
            }
            Ok::<(), BoxError>(())
        }
    };
    for b in 0..branches {
        let ms: Vec<Member> = members[b * per_branch..(b + 1) * per_branch]
            .iter()
            .map(|n| n.member.clone())
            .collect();
        seed_branch(ms).await?;
    }
    seed_branch(people.clone()).await?;
    // The big branch's job side, entered by the committee admin above: the
    // secretary enters nobody's own, their own least of all.
    let jobs: Vec<JobInput> = people
        .iter()
        .enumerate()
        .map(|(i, p)| JobInput {
            member_id: p.id.clone(),
            appraisal: Appraisal::ALL[i % Appraisal::ALL.len()],
            tasks_assigned: Some(10),
            tasks_completed: Some((i % 11) as u32),
            note: None,
        })
        .collect();
    services
        .year_end()
        .save_jobs(&admin, &big.id, Some(year), &jobs, "bench")
        .await?;
    let seeded = seeded.elapsed();

    let base = format!("http://{}", app.local_addr());
    let served = tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();

    let committee_url = format!("{base}/api/committee?year={year}");
    let started = Instant::now();
    let view: serde_json::Value = http
        .get(&committee_url)
        .bearer_auth(&admin_token)
        .send()
        .await?
        .json()
        .await?;
    let committee_cold = started.elapsed();
    let listed = view["branches"].as_array().map_or(0, Vec::len);
    if listed < branches {
        return Err(format!("the view lists {listed} branches, not {branches}").into());
    }
    let committee_times = timed(10, || http.get(&committee_url).bearer_auth(&admin_token)).await?;

    let evaluation_url = format!("{base}/api/branches/{}/evaluation?year={year}", big.id);
    let started = Instant::now();
    let evaluation: serde_json::Value = http
        .get(&evaluation_url)
        .bearer_auth(&big_token)
        .send()
        .await?
        .json()
        .await?;
    let evaluation_cold = started.elapsed();
    let proposals = evaluation["rows"].as_array().map_or(0, Vec::len);
    let evaluation_times = timed(20, || http.get(&evaluation_url).bearer_auth(&big_token)).await?;

    // The background export of every member's row below the committee.
    let started = Instant::now();
    let job: serde_json::Value = http
        .post(format!("{base}/api/exports/committee-ledger?year={year}"))
        .bearer_auth(&admin_token)
        .send()
        .await?
        .json()
        .await?;
    let job_url = format!("{base}/api/exports/{}", job["id"].as_str().ok_or("a job")?);
    let mut polls = 0;
    let done = loop {
        let status: serde_json::Value = http
            .get(&job_url)
            .bearer_auth(&admin_token)
            .send()
            .await?
            .json()
            .await?;
        polls += 1;
        if status["state"] != "running" {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let export_took = started.elapsed();
    if done["state"] != "done" {
        return Err(format!("the export ended {done}").into());
    }

    // The lock: the evaluation computed and kept as a snapshot, with what
    // each total counted.
    let started = Instant::now();
    let locked = http
        .post(format!(
            "{base}/api/branches/{}/evaluation/lock?year={year}",
            big.id
        ))
        .bearer_auth(&big_token)
        .json(&serde_json::json!({"confirm": true}))
        .send()
        .await?;
    let lock_took = started.elapsed();
    if !locked.status().is_success() {
        return Err(format!("the lock answered {}", locked.status()).into());
    }
    let after_lock = timed(20, || http.get(&evaluation_url).bearer_auth(&big_token)).await?;

    let (ten, ten_size, ten_memory) = write_rows(10_000)?;
    let (hundred, _, hundred_memory) = write_rows(100_000)?;

    println!(
        "{label}: {branches} branches × {per_branch} members × {per_member} records, and a branch of {} (seeded in {:.1} s)",
        people.len(),
        seeded.as_secs_f64()
    );
    println!(
        "  GET /api/committee              median {:>7.1} ms   worst {:>7.1} ms   first {:>7.1} ms   ({listed} branches, target < 300 ms)",
        ms(committee_times.0),
        ms(committee_times.1),
        ms(committee_cold)
    );
    println!(
        "  GET /api/branches/{{id}}/evaluation median {:>7.1} ms   worst {:>7.1} ms   first {:>7.1} ms   ({proposals} members, target < 100 ms)",
        ms(evaluation_times.0),
        ms(evaluation_times.1),
        ms(evaluation_cold)
    );
    println!(
        "  POST …/evaluation/lock           {:>7.1} ms ({proposals} members, snapshot included, target < 500 ms); the locked evaluation then median {:>7.1} ms",
        ms(lock_took),
        ms(after_lock.0)
    );
    println!(
        "  committee ledger export in the background: {:.1} s for {} branches ({polls} polls)",
        export_took.as_secs_f64(),
        done["total"]
    );
    println!(
        "  .xlsx of 10,000 rows × 14 columns: {:>7.1} ms, {} KiB, memory grew {:.1} MiB; 100,000 rows: {:>7.1} ms, memory grew {:.1} MiB (target < 1 s, flat)",
        ms(ten),
        ten_size / 1024,
        ten_memory,
        ms(hundred),
        hundred_memory
    );
    served.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    pg::each_backend(|url, label| async move { bench(&url, label).await }).await
}
