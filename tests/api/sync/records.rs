//! A synced record reaches the tables, the audit log and the records API;
//! a reviewer's decision reaches the member.

use super::*;
use crate::helpers::{spawn_app, Db};
use crate::on_both;
use crate::sync_client::Device;
use reqwest::StatusCode;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DecisionStatus, DocId};

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
    // member01 leads a group, so writes its meetings' attendance into the
    // branch's events; a plain member reads them.
    let events_access = |me: &serde_json::Value| {
        me["docs"]
            .as_array()
            .expect("docs")
            .iter()
            .find(|d| d["id"].as_str().is_some_and(|s| s.starts_with("events:")))
            .map(|d| d["access"].clone())
    };
    assert_eq!(events_access(&me), Some("write".into()));
    let (_, _, plain) = member(&app, "member02").await;
    assert_eq!(events_access(&plain), Some("read".into()));

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
        .services
        .store
        .audit()
        .of_document(&checkins.to_string())
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
    let (sec_token, sec_id, sec_me) = member(&app, "secretary01").await;
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
    decide_on(
        &mut review,
        &theirs,
        &rid(1),
        (DecisionStatus::Approved, None),
        &sec_id,
        at("2026-05-13T10:00:00+08:00"),
    );
    decide_on(
        &mut review,
        &theirs,
        &rid(2),
        (DecisionStatus::Returned, Some("时长与签到记录不符")),
        &sec_id,
        at("2026-05-13T10:01:00+08:00"),
    );
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
