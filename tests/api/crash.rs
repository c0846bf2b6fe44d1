//! Crash safety: the server binary is killed with SIGKILL in the middle of a
//! stream of syncs from several phones. After a restart every record the
//! server had answered for is there, every stored document loads, the
//! phones resync what was in flight, and a rebuild gives the same tables.

use crate::helpers::{client, config, start_configured, stored_doc, Db, TestDb};
use crate::on_both;
use crate::sync_client::Device;
use automerge::ReadDoc;
use chrono::DateTime;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DocId, NewRecord};
use vanguard_shared::sync::Replica;

const YEAR: i32 = 2026;
const PHONES: [&str; 3] = ["member01", "member02", "member11"];

/// The `vanguard` binary cargo built beside this test.
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("vanguard"))
        .expect("target dir");
    assert!(
        bin.exists(),
        "{} missing: build it with `cargo build -p vanguard-server`",
        bin.display()
    );
    bin
}

/// The server as its own process, so it can be killed without warning.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    async fn start(database_url: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(server_binary())
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("VANGUARD_ADDR", format!("127.0.0.1:{port}"))
            .env("VANGUARD_SITE_ROOT", &config("").site_root)
            .env("VANGUARD_DEMO", "1")
            // The phones' documents start empty: no demo year in them.
            .env("VANGUARD_DEMO_YEAR", "0")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("server starts");
        // Owned at once, so a failed start still kills and reaps it (Drop).
        let process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if let Ok(r) = client()
                .get(format!("{}/healthz", process.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return process;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server process did not come up");
    }

    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login(base: &str, username: &str) -> (String, String) {
    let http = client();
    let body: Value = http
        .post(format!("{base}/api/login"))
        .json(&json!({ "username": username, "password": crate::helpers::DEMO_PASSWORD }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    let id = body["member_id"].as_str().expect("id").to_string();
    // /api/me creates the member's documents.
    let me = http
        .get(format!("{base}/api/me?year={YEAR}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    (token, id)
}

fn record(n: usize) -> NewRecord {
    NewRecord {
        kind: "visit".into(),
        occurred_at: DateTime::parse_from_rfc3339("2026-07-01T15:00:00+08:00").ok(),
        place: Some("幸福村".into()),
        note: Some(format!("走访困难党员 第 {n} 户")),
        ..Default::default()
    }
}

/// Adds a record and syncs it, over and over, until the server goes away.
/// Answers the replica and the ids of the records the server answered for.
async fn stream(
    device: Device,
    mut replica: Replica,
    phone: usize,
    accepted_by_phone: Arc<Vec<AtomicUsize>>,
) -> (Replica, Vec<String>) {
    let doc_id = replica.id.to_string();
    let mut accepted = Vec::new();
    for n in 0.. {
        let rid = format!("{phone:08}-0000-4000-8000-{n:012}");
        add_record(&mut replica.doc, &rid, &record(n)).expect("add");
        // One request carries the new record; the server's answer (200 or
        // 204) means it is stored.
        let Some(out) = replica.outgoing() else {
            panic!("a new record always makes a message");
        };
        match device.try_post(&doc_id, out).await {
            Ok((StatusCode::OK, body)) => replica.incoming(&body).expect("reply"),
            Ok((StatusCode::NO_CONTENT, _)) => replica.settled(),
            Ok((status, body)) => panic!("{status}: {}", String::from_utf8_lossy(&body)),
            Err(_) => return (replica, accepted),
        }
        accepted.push(rid);
        accepted_by_phone[phone].fetch_add(1, Ordering::Relaxed);
    }
    unreachable!()
}

async fn a_killed_server_keeps_every_record_it_accepted(db: Db) {
    let test_db = TestDb::new(db).await;
    let process = Process::start(&test_db.url).await;
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new(PHONES.iter().map(|_| AtomicUsize::new(0)).collect());
    let mut streams = Vec::new();
    let mut phones = Vec::new();
    for (i, name) in PHONES.iter().enumerate() {
        let (token, id) = login(&process.base, name).await;
        let device = Device::new(process.base.clone(), &token, "phone");
        let replica = device.fetch(&DocId::checkins(&id, YEAR)).await;
        phones.push((token, id));
        streams.push(tokio::spawn(stream(device, replica, i, counts.clone())));
    }
    // Kill mid-stream: the phones are sending as fast as the server answers.
    // Every phone must have been answered at least once first, or the test
    // proves nothing for it; on a busy machine one phone's first answer can
    // come after the others' ninetieth.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let each: Vec<usize> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        if each.iter().sum::<usize>() >= 90 && each.iter().all(|n| *n > 0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every phone answered within 60 s: {each:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.kill_9();
    let mut results = Vec::new();
    for s in streams {
        results.push(s.await.expect("stream ends"));
    }

    let app = start_configured(test_db, config("")).await;
    let store = &app.state.services.store;
    // Nothing partial: every stored document loads with all its changes.
    for id in store.documents().ids().await.expect("ids") {
        let doc = stored_doc(&app, &id).await;
        assert!(doc.get_missing_deps(&[]).is_empty(), "{id} is complete");
    }
    let mut accepted_sum = 0;
    for ((token, id), (mut replica, accepted)) in phones.iter().zip(results) {
        assert!(!accepted.is_empty(), "{id} streamed before the kill");
        accepted_sum += accepted.len();
        let listed: BTreeSet<String> = app
            .get(&format!("/api/members/{id}/records?year={YEAR}"), token)
            .await
            .json::<Vec<Value>>()
            .await
            .expect("records")
            .iter()
            .map(|r| r["record_id"].as_str().expect("id").to_string())
            .collect();
        for rid in &accepted {
            assert!(listed.contains(rid), "{rid} was accepted before the kill");
        }
        // The phone resyncs: what was in flight arrives now, and both sides agree.
        let device = Device::new(app.url(""), token, "phone");
        replica.reconnect();
        device.sync(&mut replica).await.expect("resync");
        let doc = stored_doc(&app, &replica.id.to_string()).await;
        assert_eq!(doc.get_heads(), replica.doc.get_heads());
        let listed = app
            .get(&format!("/api/members/{id}/records?year={YEAR}"), token)
            .await
            .json::<Vec<Value>>()
            .await
            .expect("records")
            .len();
        assert_eq!(listed, accepted.len() + 1, "every record the phone made");
    }
    assert!(accepted_sum >= 90);
    let before = store.materialized().dump().await.expect("dump");
    vanguard_core::sync::rebuild::rebuild(store)
        .await
        .expect("rebuild");
    assert_eq!(store.materialized().dump().await.expect("dump"), before);
}
on_both!(a_killed_server_keeps_every_record_it_accepted);
