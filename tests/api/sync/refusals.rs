//! Every refusal is an error and stores nothing: bad input, the body limit,
//! and actors bound to another member.

use super::*;
use crate::helpers::{client, config, spawn_app, start_configured, Db, TestDb};
use crate::on_both;
use crate::sync_client::Device;
use reqwest::StatusCode;
use vanguard_core::sync::SyncConfig;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DecisionStatus, DocId, NewRecord};
use vanguard_shared::sync::Replica;

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
    decide_on(
        &mut reviews,
        &mine,
        &rid(1),
        (DecisionStatus::Approved, None),
        &id,
        at("2026-05-13T10:00:00+08:00"),
    );
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

async fn a_members_year_holds_at_most_its_cap_of_records(db: Db) {
    let app = start_configured(
        TestDb::new(db).await,
        vanguard_server::startup::Config {
            sync: SyncConfig {
                records_per_year: 3,
                ..SyncConfig::default()
            },
            ..config("")
        },
    )
    .await;
    let (token, id, _) = member(&app, "member01").await;
    let checkins = DocId::checkins(&id, YEAR);
    let phone = Device::new(app.url(""), &token, "phone");
    let mut mine = phone.fetch(&checkins).await;
    for n in 1..=3 {
        add_record(&mut mine.doc, &rid(n), &volunteer(n)).expect("add");
        phone.sync(&mut mine).await.expect("within the cap");
    }
    let before = store_unchanged(&app, &checkins).await;
    add_record(&mut mine.doc, &rid(4), &volunteer(4)).expect("add");
    let refused = phone.sync(&mut mine).await.expect_err("past the cap");
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(
        refused.message.contains("最多 3 条记录"),
        "{}",
        refused.message
    );
    assert_eq!(store_unchanged(&app, &checkins).await, before);
    assert_eq!(records(&app, &token, &id).await.len(), 3);
}
on_both!(a_members_year_holds_at_most_its_cap_of_records);
