//! Document sync over the real endpoints: records reach the tables, reviews
//! reach members, every refusal stores nothing, two processes lose nothing.

use crate::helpers::{
    client, config, spawn_app, start_configured, stored_doc, Db, TestApp, TestDb,
};
use crate::on_both;
use crate::sync_client::Device;
use chrono::{DateTime, FixedOffset};
use reqwest::StatusCode;
use serde_json::Value;
use vanguard_server::sync::{compaction, SyncConfig};
use vanguard_shared::documents::edit::{add_record, decide};
use vanguard_shared::documents::{DecisionStatus, DocId, NewRecord};
use vanguard_shared::sync::{Replica, SyncClient};

const YEAR: i32 = 2026;

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("time")
}

fn volunteer(n: usize) -> NewRecord {
    NewRecord {
        kind: "volunteer".into(),
        occurred_at: Some(at("2026-05-12T09:30:00+08:00")),
        hours: Some(2.5),
        place: Some("社区服务中心".into()),
        note: Some(format!("第 {n} 次清扫楼道")),
        ..Default::default()
    }
}

fn rid(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Logs in and answers (token, member id, `/api/me` for the year).
async fn member(app: &TestApp, username: &str) -> (String, String, Value) {
    let token = app.token(username).await;
    let me: Value = app
        .get(&format!("/api/me?year={YEAR}"), &token)
        .await
        .json()
        .await
        .expect("me");
    let id = me["member_id"].as_str().expect("id").to_string();
    (token, id, me)
}

async fn records(app: &TestApp, token: &str, member_id: &str) -> Vec<Value> {
    let response = app
        .get(
            &format!("/api/members/{member_id}/records?year={YEAR}"),
            token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("records")
}

fn access_of(me: &Value, id: &str) -> Option<String> {
    me["docs"]
        .as_array()
        .expect("docs")
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| d["access"].as_str().expect("access").to_string())
}

async fn a_record_reaches_the_tables_and_the_audit_log(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, me) = member(&app, "member01").await;
    let checkins = DocId::checkins(&id, YEAR);
    assert_eq!(
        access_of(&me, &checkins.to_string()).as_deref(),
        Some("write")
    );
    assert_eq!(
        access_of(&me, &DocId::reviews(&id, YEAR).to_string()).as_deref(),
        Some("read")
    );
    assert!(me["docs"]
        .as_array()
        .expect("docs")
        .iter()
        .any(
            |d| d["id"].as_str().is_some_and(|s| s.starts_with("events:")) && d["access"] == "read"
        ));

    let phone = Device::new(app.url(""), &token, "phone-1");
    let mut replica = phone.fetch(&checkins).await;
    add_record(&mut replica.doc, &rid(1), &volunteer(1)).expect("add");
    let requests = phone.sync(&mut replica).await.expect("accepted");
    assert_eq!(requests, 1, "a new record costs one request");

    let rows = records(&app, &token, &id).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["record_id"], rid(1).as_str());
    assert_eq!(r["kind"], "volunteer");
    assert_eq!(r["hours"], 2.5);
    assert_eq!(r["place"], "社区服务中心");
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["occurred_at"], "2026-05-12T09:30:00+08:00");

    let audit = app
        .state
        .store
        .audit_log(&checkins.to_string())
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].member_id, id);
    assert_eq!(audit[0].peer_id, "phone-1");
    assert_eq!(audit[0].change_hashes.len(), 1);
    assert_eq!(audit[0].change_hashes[0].len(), 64);

    // A second device of the same member receives the record.
    let tablet = Device::new(app.url(""), &token, "tablet-1");
    let copy = tablet.fetch(&checkins).await;
    assert_eq!(copy.doc.get_heads(), replica.doc.get_heads());
}
on_both!(a_record_reaches_the_tables_and_the_audit_log);

async fn a_review_reaches_the_member_and_the_records_api(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, _) = member(&app, "member01").await;
    let (sec_token, _, sec_me) = member(&app, "secretary01").await;
    let reviews = DocId::reviews(&id, YEAR);
    assert_eq!(
        access_of(&sec_me, &reviews.to_string()).as_deref(),
        Some("write")
    );
    assert_eq!(
        access_of(&sec_me, &DocId::checkins(&id, YEAR).to_string()).as_deref(),
        Some("read")
    );

    let phone = Device::new(app.url(""), &token, "phone");
    let mut mine = phone.fetch(&DocId::checkins(&id, YEAR)).await;
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    add_record(&mut mine.doc, &rid(2), &volunteer(2)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");

    let desk = Device::new(app.url(""), &sec_token, "desk");
    // The secretary reads the member's check-ins...
    let theirs = desk.fetch(&DocId::checkins(&id, YEAR)).await;
    assert_eq!(theirs.doc.get_heads(), mine.doc.get_heads());
    // ...and decides in the member's reviews document.
    let mut review = desk.fetch(&reviews).await;
    decide(
        &mut review.doc,
        &rid(1),
        DecisionStatus::Approved,
        None,
        "赵书记",
        at("2026-05-13T10:00:00+08:00"),
    )
    .expect("decide");
    decide(
        &mut review.doc,
        &rid(2),
        DecisionStatus::Returned,
        Some("时长与签到记录不符"),
        "赵书记",
        at("2026-05-13T10:01:00+08:00"),
    )
    .expect("decide");
    desk.sync(&mut review).await.expect("accepted");

    let rows = records(&app, &token, &id).await;
    let status: Vec<_> = rows
        .iter()
        .map(|r| (r["status"].as_str().unwrap_or(""), r["reason"].as_str()))
        .collect();
    assert_eq!(
        status,
        vec![("approved", None), ("returned", Some("时长与签到记录不符"))]
    );
    // The member's phone receives the decisions.
    let mine_reviews = phone.fetch(&reviews).await;
    assert_eq!(mine_reviews.doc.get_heads(), review.doc.get_heads());
    // Another branch's secretary may not read them.
    let (other, _, _) = member(&app, "secretary02").await;
    let (status, _) = Device::new(app.url(""), &other, "x")
        .post(&reviews.to_string(), Vec::new())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = app
        .get(&format!("/api/members/{id}/records?year={YEAR}"), &other)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
on_both!(a_review_reaches_the_member_and_the_records_api);

/// Runs `attempt` and checks that nothing of the document changed.
async fn store_unchanged(app: &TestApp, doc: &DocId) -> (Option<i64>, usize, Vec<String>) {
    let head = app
        .state
        .store
        .document_head(&doc.to_string())
        .await
        .expect("head")
        .map(|h| h.seq);
    let audit = app
        .state
        .store
        .audit_log(&doc.to_string())
        .await
        .expect("audit")
        .len();
    let rows = app.state.store.dump_materialized().await.expect("dump");
    (head, audit, rows)
}

async fn every_refusal_is_an_error_and_stores_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, _) = member(&app, "member01").await;
    let (_, other_id, _) = member(&app, "member02").await;
    let checkins = DocId::checkins(&id, YEAR);
    let phone = Device::new(app.url(""), &token, "phone");
    let mut mine = phone.fetch(&checkins).await;
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");
    let before = store_unchanged(&app, &checkins).await;

    // 401: no session.
    let response = client()
        .post(app.url(&format!("/api/sync/{checkins}")))
        .header("x-peer-id", "p")
        .send()
        .await
        .expect("request");
    let (status, code) = crate::helpers::error_code(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    // 400: no device id, or a bad one.
    let response = client()
        .post(app.url(&format!("/api/sync/{checkins}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, _) = Device::new(app.url(""), &token, "bad peer!")
        .post(&checkins.to_string(), Vec::new())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // 404: not a document id; a document that does not exist.
    for doc in [
        "nonsense",
        "checkins:nobody:2026",
        &format!("checkins:{id}:2031"),
    ] {
        let (status, body) = phone.post(doc, Vec::new()).await;
        let refused = crate::sync_client::refused(status, &body);
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{doc}"
        );
    }
    // 403: another member's check-ins, not even to read.
    let (status, body) = phone
        .post(&DocId::checkins(&other_id, YEAR).to_string(), Vec::new())
        .await;
    assert_eq!(crate::sync_client::refused(status, &body).code, "forbidden");
    // 400: not a sync message.
    let (status, body) = phone
        .post(&checkins.to_string(), b"\x42garbage".to_vec())
        .await;
    assert_eq!(
        crate::sync_client::refused(status, &body).code,
        "bad_request"
    );

    // 422: a record that breaks the schema; the message names record and field.
    let mut bad = Replica::restore(checkins.clone(), &mine.save_doc(), Some(&mine.save_state()))
        .expect("copy");
    add_record(
        &mut bad.doc,
        &rid(2),
        &NewRecord {
            kind: "karaoke".into(),
            ..volunteer(2)
        },
    )
    .expect("add");
    let refused = phone.sync(&mut bad).await.expect_err("refused");
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
    );
    assert!(
        refused.message.contains(&rid(2)) && refused.message.contains("kind"),
        "{}",
        refused.message
    );
    let mut bad = Replica::restore(checkins.clone(), &mine.save_doc(), None).expect("copy");
    add_record(
        &mut bad.doc,
        &rid(3),
        &NewRecord {
            hours: Some(500.0),
            ..volunteer(3)
        },
    )
    .expect("add");
    let refused = phone.sync(&mut bad).await.expect_err("refused");
    assert!(
        refused.status == StatusCode::UNPROCESSABLE_ENTITY && refused.message.contains("hours"),
        "{}",
        refused.message
    );

    // 403: writing to a document one may only read (the member's reviews).
    let mut reviews = phone.fetch(&DocId::reviews(&id, YEAR)).await;
    decide(
        &mut reviews.doc,
        &rid(1),
        DecisionStatus::Approved,
        None,
        "me",
        at("2026-05-13T10:00:00+08:00"),
    )
    .expect("decide");
    let refused = phone.sync(&mut reviews).await.expect_err("refused");
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    assert_eq!(
        store_unchanged(&app, &checkins).await,
        before,
        "nothing stored"
    );
    let rows = records(&app, &token, &id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0]["status"], "submitted",
        "the refused self-approval left no trace"
    );

    // The refused client recovers: its valid records survive, the bad one is dropped.
    add_record(&mut bad.doc, &rid(4), &volunteer(4)).expect("add");
    let dropped = bad.recover().expect("recover");
    assert_eq!(dropped, vec![rid(3)]);
    phone.sync(&mut bad).await.expect("accepted after recovery");
    let ids: Vec<_> = records(&app, &token, &id)
        .await
        .iter()
        .map(|r| r["record_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids, vec![rid(1), rid(4)]);
}
on_both!(every_refusal_is_an_error_and_stores_nothing);

async fn a_body_over_the_limit_is_413(db: Db) {
    let app = start_configured(
        TestDb::new(db).await,
        vanguard_server::startup::Config {
            sync: SyncConfig {
                body_limit: 1024,
                ..SyncConfig::default()
            },
            ..config("")
        },
    )
    .await;
    let (token, id, _) = member(&app, "member01").await;
    let checkins = DocId::checkins(&id, YEAR).to_string();
    let before = store_unchanged(&app, &DocId::checkins(&id, YEAR)).await;
    let (status, body) = Device::new(app.url(""), &token, "p")
        .post(&checkins, vec![0x42; 4096])
        .await;
    let refused = crate::sync_client::refused(status, &body);
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert_eq!(
        store_unchanged(&app, &DocId::checkins(&id, YEAR)).await,
        before
    );
}
on_both!(a_body_over_the_limit_is_413);

async fn an_actor_belongs_to_the_member_who_first_used_it(db: Db) {
    let app = spawn_app(db).await;
    let (token1, id1, _) = member(&app, "member01").await;
    let (token2, id2, _) = member(&app, "member02").await;
    let one = Device::new(app.url(""), &token1, "one");
    let mut first = one.fetch(&DocId::checkins(&id1, YEAR)).await;
    add_record(&mut first.doc, &rid(1), &volunteer(1)).expect("add");
    one.sync(&mut first).await.expect("accepted");
    // member02 writes their own document under member01's actor id.
    let two = Device::new(app.url(""), &token2, "two");
    let mut second = two.fetch(&DocId::checkins(&id2, YEAR)).await;
    second.doc.set_actor(first.doc.get_actor().clone());
    add_record(&mut second.doc, &rid(2), &volunteer(2)).expect("add");
    let refused = two.sync(&mut second).await.expect_err("refused");
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(records(&app, &token2, &id2).await.is_empty());
}
on_both!(an_actor_belongs_to_the_member_who_first_used_it);

async fn a_batch_syncs_many_documents_and_an_idle_reconnect_is_one_request(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, me) = member(&app, "member01").await;
    let phone = Device::new(app.url(""), &token, "phone");
    let mut replicas: Vec<Replica> = me["docs"]
        .as_array()
        .expect("docs")
        .iter()
        .map(|d| Replica::empty(d["id"].as_str().expect("id").parse().expect("doc id")))
        .collect();
    assert_eq!(replicas.len(), 3);
    let (requests, refusals) = phone.sync_batch(&mut replicas).await;
    assert!(refusals.is_empty());
    assert!(
        requests <= 2,
        "three documents arrive in {requests} requests"
    );
    assert!(replicas.iter().all(Replica::has_root));

    let mine = replicas
        .iter_mut()
        .find(|r| r.id == DocId::checkins(&id, YEAR))
        .expect("checkins");
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    let (requests, _) = phone.sync_batch(&mut replicas).await;
    assert_eq!(requests, 1);
    assert_eq!(records(&app, &token, &id).await.len(), 1);

    // A reconnect weeks later with nothing new: one request, answered 204.
    let mut restored: Vec<Replica> = replicas
        .iter()
        .map(|r| {
            Replica::restore(r.id.clone(), &r.save_doc(), Some(&r.save_state())).expect("restore")
        })
        .collect();
    let (requests, refusals) = phone.sync_batch(&mut restored).await;
    assert_eq!((requests, refusals.len()), (1, 0));

    // A refused document in a batch does not hold back the others.
    let (mine, rest) = restored.split_first_mut().expect("docs");
    let _ = rest;
    let target = if mine.id.kind == vanguard_shared::documents::DocKind::Checkins {
        mine
    } else {
        restored
            .iter_mut()
            .find(|r| r.id == DocId::checkins(&id, YEAR))
            .expect("checkins")
    };
    add_record(
        &mut target.doc,
        &rid(2),
        &NewRecord {
            kind: "karaoke".into(),
            ..volunteer(2)
        },
    )
    .expect("add");
    let (_, refusals) = phone.sync_batch(&mut restored).await;
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].1.status, StatusCode::UNPROCESSABLE_ENTITY);
}
on_both!(a_batch_syncs_many_documents_and_an_idle_reconnect_is_one_request);

async fn a_phone_polls_all_its_documents_and_gets_past_a_refusal(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, me) = member(&app, "member01").await;
    let phone = Device::new(app.url(""), &token, "phone");
    let replicas: Vec<Replica> = me["docs"]
        .as_array()
        .expect("docs")
        .iter()
        .map(|d| Replica::empty(d["id"].as_str().expect("id").parse().expect("doc id")))
        .collect();
    let mut sync = SyncClient::new(replicas);
    let (_, refusals) = phone.poll(&mut sync).await;
    assert!(refusals.is_empty(), "{refusals:?}");
    assert!(sync.replicas().iter().all(Replica::has_root));

    // Offline: two good records and one the server will refuse.
    let checkins = DocId::checkins(&id, YEAR).to_string();
    let bad = rid(2);
    let mine = sync.replica_mut(&checkins).expect("checkins");
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    let karaoke = NewRecord {
        kind: "karaoke".into(),
        ..volunteer(2)
    };
    add_record(&mut mine.doc, &bad, &karaoke).expect("add");
    add_record(&mut mine.doc, &rid(3), &volunteer(3)).expect("add");
    let mut pending = sync.unconfirmed(&checkins, "records");
    pending.sort();
    assert_eq!(pending, vec![rid(1), rid(2), rid(3)]);

    let (_, refusals) = phone.poll(&mut sync).await;
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let refusal = &refusals[0];
    assert_eq!(
        (refusal.status, refusal.code.as_str()),
        (422, "invalid_input")
    );
    assert!(refusal.message.contains(&bad), "{}", refusal.message);
    assert_eq!(refusal.dropped, vec![bad.clone()]);
    assert!(sync.unconfirmed(&checkins, "records").is_empty());
    let mut listed: Vec<String> = records(&app, &token, &id)
        .await
        .iter()
        .map(|r| r["record_id"].as_str().expect("id").to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, vec![rid(1), rid(3)]);

    // Nothing new: one request, answered 204.
    let (requests, refusals) = phone.poll(&mut sync).await;
    assert_eq!((requests, refusals.len()), (1, 0));

    // The secretary's approval arrives in the next poll.
    let (sec_token, _, _) = member(&app, "secretary01").await;
    let desk = Device::new(app.url(""), &sec_token, "desk");
    let mut review = desk.fetch(&DocId::reviews(&id, YEAR)).await;
    let approved_at = at("2026-05-13T10:00:00+08:00");
    decide(
        &mut review.doc,
        &rid(1),
        DecisionStatus::Approved,
        None,
        "赵书记",
        approved_at,
    )
    .expect("decide");
    desk.sync(&mut review).await.expect("accepted");
    phone.poll(&mut sync).await;
    let reviews = DocId::reviews(&id, YEAR).to_string();
    assert_eq!(
        sync.replica(&reviews).expect("reviews").doc.get_heads(),
        review.doc.get_heads()
    );

    // A member may not approve their own record: refused, and the phone
    // goes back to the server's reviews document.
    let theirs = sync.replica_mut(&reviews).expect("reviews");
    decide(
        &mut theirs.doc,
        &rid(3),
        DecisionStatus::Approved,
        None,
        "自己",
        approved_at,
    )
    .expect("decide locally");
    let (_, refusals) = phone.poll(&mut sync).await;
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(
        (refusals[0].status, refusals[0].dropped.clone()),
        (403, vec![rid(3)])
    );
    phone.poll(&mut sync).await;
    assert_eq!(
        sync.replica(&reviews).expect("reviews").doc.get_heads(),
        review.doc.get_heads()
    );
    let statuses: Vec<(String, String)> = records(&app, &token, &id)
        .await
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().expect("id").to_string(),
                r["status"].as_str().expect("status").to_string(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(rid(1), "approved".to_string())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(rid(3), "submitted".to_string())),
        "{statuses:?}"
    );
}
on_both!(a_phone_polls_all_its_documents_and_gets_past_a_refusal);

async fn rebuild_and_compaction_keep_the_same_tables(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, _) = member(&app, "member01").await;
    let (sec_token, _, _) = member(&app, "secretary01").await;
    let checkins = DocId::checkins(&id, YEAR);
    let phone = Device::new(app.url(""), &token, "phone");
    let mut mine = phone.fetch(&checkins).await;
    for n in 1..=40 {
        add_record(&mut mine.doc, &rid(n), &volunteer(n)).expect("add");
        phone.sync(&mut mine).await.expect("accepted");
    }
    let desk = Device::new(app.url(""), &sec_token, "desk");
    let mut review = desk.fetch(&DocId::reviews(&id, YEAR)).await;
    decide(
        &mut review.doc,
        &rid(3),
        DecisionStatus::Returned,
        Some("缺少照片"),
        "赵书记",
        at("2026-05-13T10:00:00+08:00"),
    )
    .expect("decide");
    desk.sync(&mut review).await.expect("accepted");

    let store = &app.state.store;
    // The background compactor may have run already; compact what is left.
    compaction::compact(&app.state.sync, &checkins.to_string())
        .await
        .expect("compact");
    let head = store
        .document_head(&checkins.to_string())
        .await
        .expect("head")
        .expect("doc");
    assert_eq!(head.snapshot_seq, head.seq, "compacted: {head:?}");
    let stored = store
        .load_document(&checkins.to_string())
        .await
        .expect("load")
        .expect("doc");
    assert!(stored.changes.is_empty());
    let reloaded = automerge::Automerge::load(&stored.snapshot).expect("snapshot loads");
    assert_eq!(reloaded.get_heads(), mine.doc.get_heads());

    let before = store.dump_materialized().await.expect("dump");
    assert_eq!(
        before.iter().filter(|l| l.starts_with("records:")).count(),
        40
    );
    // Lose one document's rows, then rebuild everything from the documents.
    store.rematerialize(&checkins, &[]).await.expect("wipe");
    assert_ne!(store.dump_materialized().await.expect("dump"), before);
    let count = vanguard_server::sync::rebuild::rebuild(store)
        .await
        .expect("rebuild");
    assert!(count >= 3);
    assert_eq!(store.dump_materialized().await.expect("dump"), before);
    // The phone syncs on after compaction with nothing to exchange.
    assert_eq!(phone.sync(&mut mine).await.expect("in sync"), 0);
    add_record(&mut mine.doc, &rid(41), &volunteer(41)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");
    assert_eq!(records(&app, &token, &id).await.len(), 41);
}
on_both!(rebuild_and_compaction_keep_the_same_tables);

/// A member's phone holding its check-ins document, fetched.
async fn member_phone(db: Db) -> (TestApp, String, Device, Replica) {
    let app = spawn_app(db).await;
    let (token, id, _) = member(&app, "member01").await;
    let phone = Device::new(app.url(""), &token, "phone");
    let mine = phone.fetch(&DocId::checkins(&id, YEAR)).await;
    (app, id, phone, mine)
}

/// A document loaded without a lock while it is compacted: the head and the
/// changes come from two reads, and a compaction between them must never
/// leave a copy that claims changes it lacks.
async fn a_document_read_during_compaction_is_never_torn(db: Db) {
    let (app, _, phone, mut mine) = member_phone(db).await;
    let name = mine.id.to_string();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = tokio::spawn({
        let (store, name, done) = (app.state.store.clone(), name.clone(), done.clone());
        async move {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let stored = store
                    .load_document(&name)
                    .await
                    .expect("load")
                    .expect("doc");
                let mut doc = automerge::Automerge::load(&stored.snapshot).expect("snapshot");
                for (_, change) in &stored.changes {
                    doc.load_incremental(change).expect("change");
                }
                let phone_changes = doc
                    .get_changes(&[])
                    .iter()
                    .filter(|c| *c.actor_id() != vanguard_shared::documents::root_actor())
                    .count();
                // One stored change per accepted message, one record each.
                assert_eq!(phone_changes as i64, stored.head.seq, "{:?}", stored.head);
                reads += 1;
            }
            reads
        }
    });
    for n in 1..=40 {
        add_record(&mut mine.doc, &rid(n), &volunteer(n)).expect("add");
        phone.sync(&mut mine).await.expect("accepted");
        compaction::compact(&app.state.sync, &name)
            .await
            .expect("compact");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.await.expect("reads agree with their heads");
    assert!(reads > 0);
}
on_both!(a_document_read_during_compaction_is_never_torn);

/// Sync states are written behind the exchanges: a device's state reaches
/// the store within a few seconds, and is the state after its last sync.
async fn a_devices_sync_state_is_stored_soon_after_it_syncs(db: Db) {
    let (app, id, phone, mut mine) = member_phone(db).await;
    let name = mine.id.to_string();
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");
    let mut stored = None;
    for _ in 0..50 {
        stored = app
            .state
            .store
            .sync_state(&name, &id, "phone")
            .await
            .expect("read state");
        let shared = stored
            .as_deref()
            .and_then(|s| automerge::sync::State::decode(s).ok())
            .map(|s| s.shared_heads);
        if shared.as_deref() == Some(mine.doc.get_heads().as_slice()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the state after the last sync was not stored within 5 s: {stored:?}");
}
on_both!(a_devices_sync_state_is_stored_soon_after_it_syncs);

async fn two_processes_on_one_database_lose_nothing(db: Db) {
    let app = spawn_app(db).await;
    let sibling = app.sibling().await;
    let (token, id, _) = member(&app, "member01").await;
    let checkins = DocId::checkins(&id, YEAR);
    let a = Device::new(app.url(""), &token, "phone-a");
    let b = Device::new(sibling.url(""), &token, "phone-b");
    let mut ra = a.fetch(&checkins).await;
    let mut rb = b.fetch(&checkins).await;
    let run = |device: Device, mut replica: Replica, offset: usize| async move {
        for n in 0..15 {
            add_record(&mut replica.doc, &rid(offset + n), &volunteer(offset + n)).expect("add");
            device.sync(&mut replica).await.expect("accepted");
        }
        replica
    };
    let (ra2, rb2) = tokio::join!(run(a, ra, 100), run(b, rb, 200));
    ra = ra2;
    rb = rb2;
    let a = Device::new(app.url(""), &token, "phone-a");
    let b = Device::new(sibling.url(""), &token, "phone-b");
    // A poll starts afresh, so the server tells what the other process stored.
    for replica in [&mut ra, &mut rb] {
        replica.reconnect();
    }
    a.sync(&mut ra).await.expect("sync");
    b.sync(&mut rb).await.expect("sync");
    ra.reconnect();
    a.sync(&mut ra).await.expect("sync");
    assert_eq!(ra.doc.get_heads(), rb.doc.get_heads());
    assert_eq!(records(&app, &token, &id).await.len(), 30);
    let doc = stored_doc(&app, &checkins.to_string()).await;
    assert_eq!(doc.get_heads(), ra.doc.get_heads());
}
on_both!(two_processes_on_one_database_lose_nothing);
