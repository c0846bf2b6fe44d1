//! Sync input from a member's account turned hostile: each is refused
//! quickly, before any work on the document, with a documented status, and
//! stores nothing; a heavy message never holds up another member's write;
//! a document of 20,000 records is stored, materialized and rebuilt.

use crate::helpers::{spawn_app, Db, TestApp};
use crate::on_both;
use crate::sync::{member, rid, store_unchanged, volunteer, YEAR};
use crate::sync_client::Device;
use proptest::prelude::*;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use vanguard_shared::automerge::transaction::Transactable;
use vanguard_shared::automerge::{ObjType, ReadDoc, ScalarValue, ROOT};
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::DocId;
use vanguard_shared::sync::Replica;

/// How long any refusal may take, however hostile the input.
const QUICK: Duration = Duration::from_secs(3);

/// The test process's peak resident memory so far, in MiB (the server runs
/// in it): printed beside each refusal, for the figures.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb / 1024)
}

/// A member's check-ins document, fetched onto a phone.
async fn phone(app: &TestApp, username: &str) -> (Device, Replica) {
    let (token, id, _) = member(app, username).await;
    let phone = Device::new(app.url(""), &token, &format!("phone-{username}"));
    let mine = phone.fetch(&DocId::checkins(&id, YEAR)).await;
    (phone, mine)
}

/// Makes an edit on the replica's document and sends it; answers the
/// status, the error code and how long the server took.
async fn send(
    phone: &Device,
    replica: &mut Replica,
    edit: impl FnOnce(
        &mut vanguard_shared::automerge::transaction::Transaction<'_>,
    ) -> Result<(), vanguard_shared::automerge::AutomergeError>,
) -> (StatusCode, String, Duration) {
    replica
        .doc
        .transact::<_, _, vanguard_shared::automerge::AutomergeError>(|tx| edit(tx))
        .expect("edit");
    let message = replica.outgoing().expect("a message with the change");
    let started = Instant::now();
    let (status, body) = phone.post(&replica.id.to_string(), message).await;
    let took = started.elapsed();
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status, code, took)
}

async fn deep_nesting_long_strings_and_floods_are_refused_quickly(db: Db) {
    let app = spawn_app(db).await;
    let (device, mut mine) = phone(&app, "member01").await;
    let before = store_unchanged(&app, &mine.id).await;

    // Maps nested 2,000 deep under a record.
    let mut deep = Replica::empty(mine.id.clone());
    device.sync(&mut deep).await.expect("fetched");
    let (status, code, took) = send(&device, &mut deep, |tx| {
        let records = tx.get(ROOT, "records")?.expect("records").1;
        let mut obj = tx.put_object(&records, "r-deep", ObjType::Map)?;
        for _ in 0..2000 {
            obj = tx.put_object(&obj, "x", ObjType::Map)?;
        }
        Ok(())
    })
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
    );
    assert!(took < QUICK, "deep nesting took {took:?}");
    println!(
        "figure: 2,000-deep nesting refused in {took:?}; peak memory {} MiB",
        peak_mib()
    );

    // 3 MB of text under a key the schema does not know.
    let mut junk = Replica::empty(mine.id.clone());
    device.sync(&mut junk).await.expect("fetched");
    let (status, code, took) = send(&device, &mut junk, |tx| {
        tx.put(ROOT, "junk", "x".repeat(3_000_000))
    })
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(took < QUICK, "a 3 MB string took {took:?}");
    println!(
        "figure: a 3 MB string refused in {took:?}; peak memory {} MiB",
        peak_mib()
    );
    assert_eq!(
        store_unchanged(&app, &mine.id).await,
        before,
        "nothing stored"
    );

    // 4 MiB of empty frames in one batch.
    let flood = vec![0u8; 4 * 1024 * 1024 - 16];
    let started = Instant::now();
    let (status, body) = device.post_batch(flood).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        started.elapsed() < QUICK,
        "the flood took {:?}",
        started.elapsed()
    );
    println!(
        "figure: 2,097,144 empty frames refused in {:?}; peak memory {} MiB",
        started.elapsed(),
        peak_mib()
    );

    // The phone's real records still go through.
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    device.sync(&mut mine).await.expect("accepted");
}
on_both!(deep_nesting_long_strings_and_floods_are_refused_quickly);

/// A heavy message of one member (the largest allowed) does not hold up
/// another member's one-record write: the work is done before the
/// document's lock, and on SQLite before the database's write lock.
async fn a_heavy_message_does_not_hold_up_another_members_write(db: Db) {
    let app = roomy(db).await;
    let (heavy_phone, mut heavy) = phone(&app, "member02").await;
    let (light_phone, mut light) = phone(&app, "member03").await;
    for n in 0..4000 {
        add_record(&mut heavy.doc, &format!("h-{n:05}"), &volunteer(n)).expect("add");
    }
    add_record(&mut light.doc, &rid(1), &volunteer(1)).expect("add");
    let heavy_message = heavy.outgoing().expect("message");
    let light_message = light.outgoing().expect("message");
    let heavy_id = heavy.id.to_string();
    let heavy_send = tokio::spawn(async move {
        let started = Instant::now();
        let (status, _) = heavy_phone.post(&heavy_id, heavy_message).await;
        (status, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let (status, _) = light_phone.post(&light.id.to_string(), light_message).await;
    let light_took = started.elapsed();
    assert!(status.is_success(), "{status}");
    let (heavy_status, heavy_took) = heavy_send.await.expect("heavy");
    assert!(heavy_status.is_success(), "{heavy_status}");
    println!("figure: a 4,000-record message took {heavy_took:?}; another member's write beside it {light_took:?}");
    assert!(
        light_took < Duration::from_secs(2),
        "the light write waited {light_took:?}"
    );
}
on_both!(a_heavy_message_does_not_hold_up_another_members_write);

/// A server whose members may keep 20,000 records a year: the cap is an
/// operator's setting (docs/sync.md, "Limits"), and the store must hold
/// whatever it lets in.
async fn roomy(db: Db) -> crate::helpers::TestApp {
    use crate::helpers::{config, start_configured, TestDb};
    start_configured(
        TestDb::new(db).await,
        vanguard_server::startup::Config {
            sync: vanguard_core::sync::SyncConfig {
                records_per_year: 20_000,
                ..Default::default()
            },
            ..config("")
        },
    )
    .await
}

/// A document of 20,000 records: accepted in messages within the limits,
/// stored, materialized, and rebuilt to the same rows.
async fn a_document_of_twenty_thousand_records_is_stored_and_rebuilt(db: Db) {
    let app = roomy(db).await;
    let (device, mut mine) = phone(&app, "member04").await;
    for batch in 0..5 {
        for n in 0..4000 {
            let n = batch * 4000 + n;
            add_record(&mut mine.doc, &format!("r-{n:05}"), &volunteer(n)).expect("add");
        }
        device.sync(&mut mine).await.expect("accepted");
    }
    let store = &app.state.services.store;
    let (token, id, _) = member(&app, "member04").await;
    assert_eq!(crate::sync::records(&app, &token, &id).await.len(), 20_000);
    let before = store.materialized().dump().await.expect("dump");
    vanguard_core::sync::rebuild::rebuild(store)
        .await
        .expect("rebuild");
    assert_eq!(store.materialized().dump().await.expect("dump"), before);
}
on_both!(a_document_of_twenty_thousand_records_is_stored_and_rebuilt);

async fn a_document_past_its_quota_takes_no_more(db: Db) {
    let mut config = crate::helpers::config("");
    config.sync.document_quota = 48 * 1024;
    // Uncompacted, the document's changes add up quickly.
    config.sync.compact_after = 100_000;
    config.sync.rate_per_member = vanguard_core::rate::Rate::UNLIMITED;
    let app = crate::helpers::start_configured(crate::helpers::TestDb::new(db).await, config).await;
    let (device, mut mine) = phone(&app, "member07").await;
    let mut refused = None;
    for n in 0..400 {
        add_record(&mut mine.doc, &rid(n), &volunteer(n)).expect("add");
        if let Err(e) = device.sync(&mut mine).await {
            refused = Some((n, e));
            break;
        }
    }
    let (n, refusal) = refused.expect("the quota is met");
    assert!(n > 10, "records fit before the quota: {n}");
    assert_eq!(
        (refusal.status, refusal.code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(refusal.message.contains("存储上限"), "{}", refusal.message);
}
on_both!(a_document_past_its_quota_takes_no_more);

async fn sync_requests_are_rate_limited(db: Db) {
    let mut config = crate::helpers::config("");
    config.sync.rate_per_member = vanguard_core::rate::Rate {
        burst: 5.0,
        per_second: 0.5,
    };
    let app = crate::helpers::start_configured(crate::helpers::TestDb::new(db).await, config).await;
    let (device, mine) = phone(&app, "member05").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(device.post(&mine.id.to_string(), Vec::new()).await.0);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let response = crate::helpers::client()
        .post(app.url(&format!("/api/sync/{}", mine.id)))
        .bearer_auth(&device.token)
        .header("x-peer-id", "p")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
}
on_both!(sync_requests_are_rate_limited);

/// One hostile edit: nested objects, a value of some type and size, under
/// a key of some kind.
#[derive(Debug, Clone)]
struct Hostile {
    depth: usize,
    key: String,
    value: HostileValue,
    under_records: bool,
}

#[derive(Debug, Clone)]
enum HostileValue {
    Text(usize),
    Bytes(usize),
    Number(f64),
    Counter(i64),
    List(usize),
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let value = prop_oneof![
        (0usize..20_000).prop_map(HostileValue::Text),
        (0usize..20_000).prop_map(HostileValue::Bytes),
        any::<f64>().prop_map(HostileValue::Number),
        any::<i64>().prop_map(HostileValue::Counter),
        (0usize..300).prop_map(HostileValue::List),
    ];
    (
        0usize..40,
        "[a-z_]{1,8}|schema|year|member_id|records|kind|hours",
        value,
        any::<bool>(),
    )
        .prop_map(|(depth, key, value, under_records)| Hostile {
            depth,
            key,
            value,
            under_records,
        })
}

/// The statuses a refused message may answer, as docs/sync.md lists them.
const DOCUMENTED: [StatusCode; 4] = [
    StatusCode::BAD_REQUEST,
    StatusCode::FORBIDDEN,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::UNPROCESSABLE_ENTITY,
];

async fn hostile_changes(db: Db, cases: Vec<Hostile>) {
    let app = spawn_app(db).await;
    let (device, mine) = phone(&app, "member06").await;
    for case in cases {
        let before = store_unchanged(&app, &mine.id).await;
        let mut replica = Replica::empty(mine.id.clone());
        device.sync(&mut replica).await.expect("fetched");
        let c = case.clone();
        let (status, _, took) = send(&device, &mut replica, move |tx| {
            let mut obj = if c.under_records {
                let records = tx.get(ROOT, "records")?.expect("records").1;
                tx.put_object(&records, "r-hostile", ObjType::Map)?
            } else {
                ROOT
            };
            for _ in 0..c.depth {
                obj = tx.put_object(&obj, "n", ObjType::Map)?;
            }
            match c.value {
                HostileValue::Text(n) => {
                    let text = tx.put_object(&obj, c.key.as_str(), ObjType::Text)?;
                    tx.splice_text(&text, 0, 0, &"字".repeat(n / 3))?;
                }
                HostileValue::Bytes(n) => {
                    tx.put(&obj, c.key.as_str(), ScalarValue::Bytes(vec![7; n]))?
                }
                HostileValue::Number(x) => tx.put(&obj, c.key.as_str(), x)?,
                HostileValue::Counter(x) => {
                    tx.put(&obj, c.key.as_str(), ScalarValue::Counter(x.into()))?
                }
                HostileValue::List(n) => {
                    let list = tx.put_object(&obj, c.key.as_str(), ObjType::List)?;
                    for i in 0..n {
                        tx.insert(&list, i, i as i64)?;
                    }
                }
            }
            Ok(())
        })
        .await;
        assert!(took < QUICK, "{case:?} took {took:?}");
        if status.is_success() {
            continue;
        }
        assert!(DOCUMENTED.contains(&status), "{case:?} answered {status}");
        assert_eq!(
            store_unchanged(&app, &mine.id).await,
            before,
            "{case:?} stored something"
        );
    }
}

fn sample_cases(seed: u64) -> Vec<Hostile> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &{
            let mut s = [0u8; 32];
            s[..8].copy_from_slice(&seed.to_le_bytes());
            s
        }),
    );
    (0..24)
        .map(|_| hostile().new_tree(&mut runner).expect("case").current())
        .collect()
}

/// Generated hostile changes (nesting, sizes, key names, types): each is
/// answered within the time bound with a documented status, and a refused
/// one stores nothing.
async fn generated_hostile_changes_are_answered_quickly_and_refusals_store_nothing(db: Db) {
    hostile_changes(db, sample_cases(17)).await;
}
on_both!(generated_hostile_changes_are_answered_quickly_and_refusals_store_nothing);

/// Random bytes as a sync body, to one document and as a batch: each is
/// answered quickly with a documented status, and nothing is stored.
async fn random_sync_bodies_are_refused_quickly_and_store_nothing(db: Db) {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let app = spawn_app(db).await;
    let (device, mine) = phone(&app, "member07").await;
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[23; 32]),
    );
    let bodies = prop::collection::vec(any::<u8>(), 1..4096);
    let before = store_unchanged(&app, &mine.id).await;
    for _ in 0..24 {
        let body = bodies.new_tree(&mut runner).expect("case").current();
        for target in [mine.id.to_string(), String::new()] {
            let started = Instant::now();
            let (status, answer) = match target.is_empty() {
                false => device.post(&target, body.clone()).await,
                true => device.post_batch(body.clone()).await,
            };
            let took = started.elapsed();
            assert!(took < QUICK, "{} bytes took {took:?}", body.len());
            // Random bytes that happen to frame: each document refused.
            if target.is_empty() && status.is_success() {
                let frames =
                    vanguard_shared::sync::batch::decode_response(&answer).expect("framed answer");
                assert!(frames.iter().all(|f| f.status != 200), "{frames:?}");
                continue;
            }
            assert!(
                DOCUMENTED.contains(&status),
                "{} random bytes to {target:?} answered {status}",
                body.len()
            );
        }
    }
    assert_eq!(store_unchanged(&app, &mine.id).await, before);
}
on_both!(random_sync_bodies_are_refused_quickly_and_store_nothing);
