//! What the server decides and never takes from a client: who decided, that
//! the decided record exists as it now is, which branch an event and an
//! attendance row belong to, and the verdict on a check-in code.

use crate::helpers::{spawn_app, Db, TestApp};
use crate::on_both;
use crate::sync::{decide_at_version, member, records, version_of, volunteer, YEAR};
use crate::sync_client::Device;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_shared::automerge::transaction::Transactable;
use vanguard_shared::automerge::{ObjType, ReadDoc, ROOT};
use vanguard_shared::documents::edit::{add_record, put_event, set_fields};
use vanguard_shared::documents::{DecisionStatus, DocId, EventEntry, NewRecord};
use vanguard_shared::ledger::Kind;

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("time")
}

/// A member's phone with one record synced, and the secretary's desk with
/// the member's check-ins and reviews documents.
struct Scene {
    app: TestApp,
    member_id: String,
    member_token: String,
    phone: Device,
    checkins: vanguard_shared::sync::Replica,
    desk: Device,
    secretary_id: String,
    reviews: vanguard_shared::sync::Replica,
}

async fn scene(db: Db) -> Scene {
    let app = spawn_app(db).await;
    let (member_token, member_id, _) = member(&app, "member01").await;
    let (sec_token, secretary_id, _) = member(&app, "secretary01").await;
    let phone = Device::new(app.url(""), &member_token, "phone");
    let mut checkins = phone.fetch(&DocId::checkins(&member_id, YEAR)).await;
    add_record(&mut checkins.doc, "r-1", &volunteer(1)).expect("add");
    phone.sync(&mut checkins).await.expect("accepted");
    let desk = Device::new(app.url(""), &sec_token, "desk");
    let reviews = desk.fetch(&DocId::reviews(&member_id, YEAR)).await;
    Scene {
        app,
        member_id,
        member_token,
        phone,
        checkins,
        desk,
        secretary_id,
        reviews,
    }
}

async fn status_of(
    app: &TestApp,
    token: &str,
    member_id: &str,
    record_id: &str,
) -> (String, Value) {
    let rows = records(app, token, member_id).await;
    let row = rows
        .into_iter()
        .find(|r| r["record_id"] == record_id)
        .expect("record listed");
    (row["status"].as_str().unwrap_or_default().to_string(), row)
}

async fn a_decision_is_by_its_author_on_a_record_that_exists(db: Db) {
    let mut s = scene(db).await;
    let version = version_of(&s.checkins, "r-1");
    let approve = (DecisionStatus::Approved, None);
    let when = at("2026-05-13T10:00:00+08:00");

    // Naming another reviewer: 403, nothing stored.
    let (other, _, _) = member(&s.app, "secretary02").await;
    let other_id = {
        let me: Value = s.app.get_json("/api/me", &other).await;
        me["member_id"].as_str().unwrap().to_string()
    };
    let mut forged = s.desk.fetch(&s.reviews.id).await;
    decide_at_version(&mut forged, "r-1", approve, &version, &other_id, when);
    let refused = s.desk.sync(&mut forged).await.expect_err("refused");
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.message);

    // A decision on a record the member does not have: 422.
    let mut missing = s.desk.fetch(&s.reviews.id).await;
    decide_at_version(
        &mut missing,
        "r-none",
        approve,
        &version,
        &s.secretary_id,
        when,
    );
    let refused = s.desk.sync(&mut missing).await.expect_err("refused");
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.message
    );

    // A decision on an older version of the record: 422.
    let mut stale = s.desk.fetch(&s.reviews.id).await;
    decide_at_version(
        &mut stale,
        "r-1",
        approve,
        "0000000000000000",
        &s.secretary_id,
        when,
    );
    let refused = s.desk.sync(&mut stale).await.expect_err("refused");
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.message
    );

    // By its author, on the record as it is: approved, and the reviewer is
    // the author.
    decide_at_version(
        &mut s.reviews,
        "r-1",
        approve,
        &version,
        &s.secretary_id,
        when,
    );
    s.desk.sync(&mut s.reviews).await.expect("accepted");
    let (status, row) = status_of(&s.app, &s.member_token, &s.member_id, "r-1").await;
    assert_eq!(status, "approved");
    assert_eq!(row["reviewer"], s.secretary_id.as_str());

    // Changed after its approval (here: kind and hours), the record awaits
    // review again, for the server and the member's phone alike.
    set_fields(
        &mut s.checkins.doc,
        "records",
        "r-1",
        &[("kind", "volunteer".into()), ("hours", 24.0.into())],
    )
    .expect("edit");
    s.phone.sync(&mut s.checkins).await.expect("accepted");
    let (status, row) = status_of(&s.app, &s.member_token, &s.member_id, "r-1").await;
    assert_eq!(status, "submitted", "{row}");
    let reviews = s.phone.fetch(&s.reviews.id).await;
    let views = vanguard_shared::documents::view::records(
        (&s.checkins.doc, &s.checkins.id),
        Some((&reviews.doc, &reviews.id)),
        &[],
        &Default::default(),
    );
    assert_eq!(
        views[0].state,
        vanguard_shared::documents::view::RecordState::Submitted
    );

    // A withdrawal alone does not reopen it.
    let version = version_of(&s.checkins, "r-1");
    decide_at_version(
        &mut s.reviews,
        "r-1",
        approve,
        &version,
        &s.secretary_id,
        when,
    );
    s.desk.sync(&mut s.reviews).await.expect("accepted");
    vanguard_shared::documents::edit::withdraw(&mut s.checkins.doc, "r-1").expect("withdraw");
    s.phone.sync(&mut s.checkins).await.expect("accepted");
    assert_eq!(
        status_of(&s.app, &s.member_token, &s.member_id, "r-1")
            .await
            .0,
        "withdrawn"
    );
}
on_both!(a_decision_is_by_its_author_on_a_record_that_exists);

async fn events_and_attendance_stay_in_their_branch(db: Db) {
    let app = spawn_app(db).await;
    let (officer1, _, me1) = member(&app, "officer01").await;
    let (secretary2, _, _) = member(&app, "secretary02").await;
    let branch1 = me1["branch"]["id"].as_str().unwrap().to_string();
    // Branch 2 creates an event with a code.
    let start = Utc::now().fixed_offset() - Duration::minutes(10);
    let created: Value = app
        .post(
            "/api/events",
            &secretary2,
            json!({ "kind": "theme_day", "title": "二支部主题党日", "start": start.to_rfc3339(), "with_code": true }),
        )
        .await
        .json()
        .await
        .expect("event");
    let theirs = created["event_id"].as_str().unwrap().to_string();
    let hosted_before: Value = app.get_json("/api/events/hosted", &secretary2).await;

    // Branch 1's officer writes that event id into branch 1's events document.
    let desk = Device::new(app.url(""), &officer1, "officer-desk");
    let year = start.format("%Y").to_string().parse().unwrap();
    let mut events = desk.fetch(&DocId::events(&branch1, year)).await;
    let stolen = EventEntry {
        event_id: theirs.clone(),
        kind: Kind::ThemeDay,
        title: "冒用的活动".into(),
        start,
        end: None,
        place: None,
        geofence: None,
        code_key: created["code_key"].as_str().map(str::to_string),
        group_id: None,
        cancelled: false,
        cancelled_by: None,
        cancelled_at: None,
    };
    put_event(&mut events.doc, &stolen).expect("put");
    let refused = desk.sync(&mut events).await.expect_err("refused");
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.message);
    let hosted_after: Value = app.get_json("/api/events/hosted", &secretary2).await;
    assert_eq!(
        hosted_after, hosted_before,
        "branch 2's host list is untouched"
    );

    // Attendance for a member of another branch: refused.
    let (_, member11, _) = member(&app, "member11").await;
    let (officer1_id, mine) = (
        me1["member_id"].as_str().unwrap().to_string(),
        branch1.clone(),
    );
    let mut events = desk.fetch(&DocId::events(&mine, year)).await;
    events
        .doc
        .transact::<_, _, vanguard_shared::automerge::AutomergeError>(|tx| {
            let attendance = tx.get(ROOT, "attendance")?.expect("attendance").1;
            let event = tx.put_object(&attendance, "ev-1", ObjType::Map)?;
            let row = tx.put_object(&event, member11.as_str(), ObjType::Map)?;
            tx.put(&row, "status", "present")?;
            tx.put(&row, "by", officer1_id.as_str())?;
            Ok(())
        })
        .expect("attendance");
    let refused = desk.sync(&mut events).await.expect_err("refused");
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.message
    );

    // For one's own branch's member, by oneself: accepted; by another: 403.
    let (_, member02, _) = member(&app, "member02").await;
    let mut events = desk.fetch(&DocId::events(&mine, year)).await;
    let row_for = |events: &mut vanguard_shared::sync::Replica, who: &str, by: &str| {
        events
            .doc
            .transact::<_, _, vanguard_shared::automerge::AutomergeError>(|tx| {
                let attendance = tx.get(ROOT, "attendance")?.expect("attendance").1;
                let event = match tx.get(&attendance, "ev-2")? {
                    Some((_, e)) => e,
                    None => tx.put_object(&attendance, "ev-2", ObjType::Map)?,
                };
                let row = tx.put_object(&event, who, ObjType::Map)?;
                tx.put(&row, "status", "present")?;
                tx.put(&row, "by", by)?;
                Ok(())
            })
            .expect("attendance");
    };
    // The rows name an event the document holds, begun.
    let held = EventEntry {
        event_id: "ev-2".into(),
        title: "本支部主题党日".into(),
        ..stolen.clone()
    };
    put_event(&mut events.doc, &held).expect("put");
    row_for(&mut events, &member02, &officer1_id);
    desk.sync(&mut events).await.expect("accepted");
    row_for(&mut events, &member02, "someone-else");
    let refused = desk.sync(&mut events).await.expect_err("refused");
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.message);
    assert!(events.doc.get(ROOT, "attendance").expect("read").is_some());
}
on_both!(events_and_attendance_stay_in_their_branch);

/// Attendance synced into the events document meets the sheet's own rules,
/// as the sheet's API applies them: the event is the document's, not
/// cancelled and begun; the member is on its sheet (a 党小组会: of that
/// group); a group leader writes only the group's own meetings. Each
/// refusal stores nothing, and the ledger credits nothing for it.
async fn synced_attendance_obeys_the_sheets_rules(db: Db) {
    let app = spawn_app(db).await;
    let (officer, officer_id, me) = member(&app, "officer01").await;
    let (leader2, leader2_id, _) = member(&app, "member06").await;
    let (_, member02, _) = member(&app, "member02").await;
    let (_, member07, _) = member(&app, "member07").await;
    let branch = me["branch"]["id"].as_str().unwrap().to_string();
    let accounts = app.state.services.store.accounts();
    let group_of =
        |m: Option<vanguard_core::storage::Member>| m.and_then(|m| m.group_id).expect("a group");
    let group1 = group_of(accounts.member(&member02).await.expect("member"));
    let now = Utc::now().fixed_offset();
    let year = now.format("%Y").to_string().parse().unwrap();
    let doc = DocId::events(&branch, year);
    let event = |id: &str, kind: Kind, start| EventEntry {
        event_id: id.into(),
        kind,
        title: format!("活动 {id}"),
        start,
        end: None,
        place: None,
        geofence: None,
        code_key: None,
        group_id: None,
        cancelled: false,
        cancelled_by: None,
        cancelled_at: None,
    };
    let desk = Device::new(app.url(""), &officer, "officer-desk");
    let mut events = desk.fetch(&doc).await;
    let begun = now - Duration::minutes(30);
    for e in [
        event("ev-begun", Kind::PartyLecture, begun),
        event("ev-later", Kind::PartyLecture, now + Duration::minutes(50)),
        EventEntry {
            cancelled: true,
            cancelled_by: Some(officer_id.clone()),
            cancelled_at: Some(now),
            ..event("ev-cancelled", Kind::PartyLecture, begun)
        },
        EventEntry {
            group_id: Some(group1.clone()),
            ..event("ev-group1", Kind::GroupMeeting, begun)
        },
    ] {
        put_event(&mut events.doc, &e).expect("put");
    }
    desk.sync(&mut events)
        .await
        .expect("the events are accepted");

    /// Writes one attendance row from `device` and syncs it.
    async fn mark(
        device: &Device,
        doc: &DocId,
        event_id: &str,
        who: &str,
        by: &str,
    ) -> Result<(), crate::sync_client::Refused> {
        let mut events = device.fetch(doc).await;
        events
            .doc
            .transact::<_, _, vanguard_shared::automerge::AutomergeError>(|tx| {
                let attendance = tx.get(ROOT, "attendance")?.expect("attendance").1;
                let event = match tx.get(&attendance, event_id)? {
                    Some((_, e)) => e,
                    None => tx.put_object(&attendance, event_id, ObjType::Map)?,
                };
                let row = tx.put_object(&event, who, ObjType::Map)?;
                tx.put(&row, "status", "present")?;
                tx.put(&row, "by", by)?;
                Ok(())
            })
            .expect("attendance");
        device.sync(&mut events).await.map(|_| ())
    }
    let refused = |r: Result<(), crate::sync_client::Refused>| r.expect_err("refused").status;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    for (event_id, who, why) in [
        ("ev-later", &member02, "not begun"),
        ("ev-cancelled", &member02, "cancelled"),
        ("ev-none", &member02, "no such event"),
        ("ev-group1", &member07, "another group's member"),
    ] {
        assert_eq!(
            refused(mark(&desk, &doc, event_id, who, &officer_id).await),
            unprocessable,
            "{why}"
        );
    }
    // Group 2's leader may not write group 1's meeting.
    let leader_desk = Device::new(app.url(""), &leader2, "leader-desk");
    assert_eq!(
        refused(mark(&leader_desk, &doc, "ev-group1", &member07, &leader2_id).await),
        StatusCode::FORBIDDEN
    );
    // Nothing of it was stored: the server's document has no such rows.
    let has_rows = |doc: &vanguard_shared::automerge::Automerge, event_id: &str| {
        doc.get(ROOT, "attendance")
            .expect("read")
            .and_then(|(_, a)| doc.get(&a, event_id).expect("read"))
            .is_some()
    };
    let stored = crate::helpers::stored_doc(&app, &doc.to_string()).await;
    for event_id in ["ev-later", "ev-cancelled", "ev-none", "ev-group1"] {
        assert!(!has_rows(&stored, event_id), "{event_id} has no attendance");
    }
    // A begun meeting's row, of a member on its sheet, goes through.
    mark(&desk, &doc, "ev-begun", &member02, &officer_id)
        .await
        .expect("accepted");
    mark(&desk, &doc, "ev-group1", &member02, &officer_id)
        .await
        .expect("accepted");
    let stored = crate::helpers::stored_doc(&app, &doc.to_string()).await;
    assert!(has_rows(&stored, "ev-begun") && has_rows(&stored, "ev-group1"));
}
on_both!(synced_attendance_obeys_the_sheets_rules);

/// The verdict on a check-in code is the server's, computed when the
/// record is stored.
async fn the_code_verdict_is_the_servers(db: Db) {
    let app = spawn_app(db).await;
    let (secretary, _, _) = member(&app, "secretary01").await;
    let (token, id, _) = member(&app, "member02").await;
    let start = Utc::now().fixed_offset() - Duration::minutes(10);
    let created: Value = app
        .post(
            "/api/events",
            &secretary,
            json!({ "kind": "party_lecture", "title": "党课", "start": start.to_rfc3339(), "with_code": true }),
        )
        .await
        .json()
        .await
        .expect("event");
    let event_id = created["event_id"].as_str().unwrap().to_string();
    let shown: Value = app
        .get_json(&format!("/api/events/{event_id}/code"), &secretary)
        .await;
    let code = shown["code"].as_str().unwrap().to_string();
    let phone = Device::new(app.url(""), &token, "phone");
    let year = start.format("%Y").to_string().parse().unwrap();
    let mut mine = phone.fetch(&DocId::checkins(&id, year)).await;
    let now = Utc::now().fixed_offset();
    let checkin = |code: Option<&str>| NewRecord {
        kind: "party_lecture".into(),
        occurred_at: Some(now),
        event_id: Some(event_id.clone()),
        code: code.map(str::to_string),
        ..Default::default()
    };
    add_record(&mut mine.doc, "right", &checkin(Some(&code))).expect("add");
    add_record(&mut mine.doc, "wrong", &checkin(Some("00000-00000"))).expect("add");
    add_record(&mut mine.doc, "none", &checkin(None)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");
    let rows: Vec<Value> = app
        .get_json(&format!("/api/members/{id}/records?year={year}"), &token)
        .await
        .as_array()
        .expect("rows")
        .clone();
    let verdict = |rid: &str| {
        rows.iter()
            .find(|r| r["record_id"] == rid)
            .map(|r| r["code_verdict"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(verdict("right").as_deref(), Some("verified"));
    assert_eq!(verdict("wrong").as_deref(), Some("wrong"));
    assert_eq!(verdict("none").as_deref(), Some("none"));
}
on_both!(the_code_verdict_is_the_servers);
