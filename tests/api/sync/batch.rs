//! The batch endpoint, and a phone polling all its documents through it.

use super::*;
use crate::helpers::{spawn_app, Db};
use crate::on_both;
use crate::sync_client::Device;
use reqwest::StatusCode;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DecisionStatus, DocId, NewRecord};
use vanguard_shared::sync::{Replica, SyncClient};

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
    let (sec_token, sec_id, _) = member(&app, "secretary01").await;
    let desk = Device::new(app.url(""), &sec_token, "desk");
    let mut review = desk.fetch(&DocId::reviews(&id, YEAR)).await;
    let approved_at = at("2026-05-13T10:00:00+08:00");
    let on_phone = sync.replica(&checkins).expect("checkins");
    let (v1, v3) = (version_of(on_phone, &rid(1)), version_of(on_phone, &rid(3)));
    decide_at_version(
        &mut review,
        &rid(1),
        (DecisionStatus::Approved, None),
        &v1,
        &sec_id,
        approved_at,
    );
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
    decide_at_version(
        theirs,
        &rid(3),
        (DecisionStatus::Approved, None),
        &v3,
        &id,
        approved_at,
    );
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
