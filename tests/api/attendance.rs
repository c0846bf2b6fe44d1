//! Events as the console keeps them (edit, cancel, a monthly meeting set up
//! once), leave requests, and attendance sheets: who may take them, what
//! they are prefilled with, and what they cost in the ledger, on the server
//! and on the phone alike.

use crate::fixtures::Branch;
use crate::helpers::{error_code, spawn_app, stored_doc, Db, TestApp};
use crate::on_both;
use crate::review::{ago, check_in, queue, token_of};
use crate::sync_client::Device;
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_shared::documents::schema::LEAVE;
use vanguard_shared::documents::view::{self, attendance_of};
use vanguard_shared::documents::{DocId, NewRecord};
use vanguard_shared::ledger::{self, default_rulebook, LedgerInput, Mode, Outcome};

async fn create_event(app: &TestApp, token: &str, body: Value) -> String {
    let created = app.post("/api/events", token, body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("event");
    created["event_id"].as_str().expect("id").to_string()
}

async fn patch(app: &TestApp, token: &str, event_id: &str, body: Value) -> reqwest::Response {
    crate::helpers::client()
        .patch(app.url(&format!("/api/events/{event_id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn put_sheet(app: &TestApp, token: &str, event_id: &str, rows: Value) -> reqwest::Response {
    crate::helpers::client()
        .put(app.url(&format!("/api/events/{event_id}/attendance")))
        .bearer_auth(token)
        .json(&json!({ "rows": rows }))
        .send()
        .await
        .expect("request")
}

fn row<'a>(sheet: &'a Value, member_id: &str) -> &'a Value {
    sheet["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["member_id"] == member_id)
        .expect("row")
}

fn leave_for(event_id: &str) -> NewRecord {
    NewRecord {
        kind: LEAVE.into(),
        occurred_at: Some(ago(0)),
        event_id: Some(event_id.to_string()),
        note: Some("出差".into()),
        ..Default::default()
    }
}

fn check_in_at(event_id: &str, minutes_ago: i64) -> NewRecord {
    NewRecord {
        kind: "theme_day".into(),
        occurred_at: Some(ago(minutes_ago)),
        event_id: Some(event_id.to_string()),
        ..Default::default()
    }
}

/// A theme day that starts in three hours, a member's leave for it approved,
/// then moved to have begun two hours ago; another member checked in.
async fn a_sheet_is_prefilled_from_evidence_and_saving_it_records_absences(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 3).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let start = ago(-180);
    let event_id = create_event(
        &app,
        &secretary,
        json!({"kind": "theme_day", "title": "主题党日", "start": start.to_rfc3339()}),
    )
    .await;
    let (came, away, absent) = (&branch.members[0], &branch.members[1], &branch.members[2]);
    check_in(&app, away, "leave-1", leave_for(&event_id))
        .await
        .expect("leave asked");
    let asked = queue(&app, &secretary).await;
    assert!(asked
        .iter()
        .any(|i| i["record_id"] == "leave-1" && i["kind"] == "leave"));
    let approved = app
        .post(
            "/api/reviews",
            &secretary,
            json!({"member_id": away.id, "record_id": "leave-1", "status": "approved"}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);

    // Before it starts the sheet shows the leave, and cannot be saved.
    let early = app
        .get_json(&format!("/api/events/{event_id}/attendance"), &secretary)
        .await;
    assert_eq!(early["may_edit"], false);
    assert_eq!(row(&early, &away.id)["evidence"], "leave_approved");
    let refused = put_sheet(&app, &secretary, &event_id, json!([])).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let begun = ago(120);
    let moved = patch(
        &app,
        &secretary,
        &event_id,
        json!({"start": begun.to_rfc3339(), "end": (begun + Duration::hours(3)).to_rfc3339()}),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::OK);
    check_in(&app, came, "came-1", check_in_at(&event_id, 100))
        .await
        .expect("checked in");

    // Neither reviewed nor with a verified code: 待确认, never 出席 unseen.
    let unseen = app
        .get_json(&format!("/api/events/{event_id}/attendance"), &secretary)
        .await;
    assert_eq!(row(&unseen, &came.id)["evidence"], "checked_in_unconfirmed");
    assert_eq!(row(&unseen, &came.id)["outcome"], Value::Null);
    let approved = app
        .post(
            "/api/reviews",
            &secretary,
            json!({"member_id": came.id, "record_id": "came-1", "status": "approved"}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);

    let sheet = app
        .get_json(&format!("/api/events/{event_id}/attendance"), &secretary)
        .await;
    assert_eq!(sheet["may_edit"], true);
    assert_eq!(sheet["confirmed"], false);
    // Every member of the branch, officers too.
    assert_eq!(sheet["expected"], 5);
    assert_eq!(row(&sheet, &came.id)["outcome"], "present");
    assert_eq!(row(&sheet, &came.id)["evidence"], "checked_in");
    assert_eq!(row(&sheet, &away.id)["outcome"], "excused_personal");
    assert_eq!(row(&sheet, &away.id)["leave_reason"], "出差");
    assert_eq!(row(&sheet, &absent.id)["outcome"], Value::Null);

    // Confirming: whoever is still 未到 is recorded as absent. The
    // secretary's own row is not theirs to mark (another officer does).
    let rows: Vec<Value> = sheet["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| {
            let own = r["member_id"] == branch.secretary.id.as_str();
            assert_eq!(
                r["own"] == true,
                own,
                "only the secretary's own row is marked own"
            );
            !own
        })
        .map(|r| {
            let outcome = r["outcome"].as_str().unwrap_or("unexcused");
            json!({"member_id": r["member_id"], "outcome": outcome})
        })
        .collect();
    let saved = put_sheet(&app, &secretary, &event_id, json!(rows)).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: Value = saved.json().await.expect("sheet");
    assert_eq!(saved["confirmed"], true);
    assert_eq!(row(&saved, &absent.id)["outcome"], "unexcused");
    assert_eq!(row(&saved, &absent.id)["recorded"], true);
    assert_eq!(saved["present"], 1);

    // The rows are in the events document, by the secretary.
    let doc_id = DocId::events(&branch.id, begun.year());
    let doc = stored_doc(&app, &doc_id.to_string()).await;
    let absent_rows = attendance_of(&doc, &doc_id, &absent.id);
    assert_eq!(absent_rows.len(), 1);
    assert_eq!(absent_rows[0].outcome, Outcome::Unexcused);
    assert_eq!(
        absent_rows[0].by.as_deref(),
        Some(branch.secretary.id.as_str())
    );

    // An unexcused absence costs what the rulebook says; a leave nothing,
    // listed under leave; both on the server and on the member's phone.
    let book = default_rulebook();
    let deduction = book
        .rules
        .iter()
        .find(|r| &*r.id == "theme_day")
        .map(|r| match &r.pricing {
            ledger::rulebook::Pricing::ByOutcome(by) => by[&Outcome::Unexcused],
            other => panic!("theme day priced {other:?}"),
        })
        .expect("theme day rule");
    assert!(deduction.is_negative());
    for (person, expected) in [(absent, deduction), (away, ledger::Points::ZERO)] {
        let token = token_of(&app, person).await;
        let server: Value = app
            .get_json(
                &format!(
                    "/api/members/{}/ledger?year={}&mode=provisional",
                    person.id,
                    begun.year()
                ),
                &token,
            )
            .await;
        let entry = server["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["source"]["id"] == format!("attendance:{event_id}"))
            .cloned()
            .unwrap_or_else(|| panic!("no attendance entry in {server}"));
        assert_eq!(entry["granted"], json!(expected), "{entry}");

        // The phone computes the same from its own copies.
        app.get_json(&format!("/api/me?year={}", begun.year()), &token)
            .await;
        let phone = Device::new(app.url(""), &token, "phone");
        let checkins = phone
            .fetch(&DocId::checkins(&person.id, begun.year()))
            .await;
        let reviews = phone.fetch(&DocId::reviews(&person.id, begun.year())).await;
        let events_doc = phone.fetch(&doc_id).await;
        let events = view::events(&events_doc.doc, &events_doc.id);
        let records = view::records(
            (&checkins.doc, &checkins.id),
            Some((&reviews.doc, &reviews.id)),
            &events,
            &Default::default(),
        );
        let rows = attendance_of(&events_doc.doc, &events_doc.id, &person.id);
        let facts = view::facts(&records, &events, &rows);
        let local = ledger::compute(
            &book,
            &LedgerInput {
                member_id: &person.id,
                year: begun.year(),
                time_zone: chrono_tz::Asia::Shanghai,
                records: &facts,
                adjustments: &[],
                vetoes: &[],
                job: None,
            },
            Mode::Provisional,
        );
        assert_eq!(json!(local.total), server["total"], "{}", person.name);
        if expected == ledger::Points::ZERO {
            assert_eq!(entry["section"], "leave_and_trips");
        }
    }
}
on_both!(a_sheet_is_prefilled_from_evidence_and_saving_it_records_absences);

async fn attendance_is_taken_by_officers_and_a_group_leader_for_the_groups_meeting(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create_with_group(&app, 2).await;
    let group = branch.group.clone().expect("group");
    let secretary = token_of(&app, &branch.secretary).await;
    let start = ago(60);
    let theme_day = create_event(
        &app,
        &secretary,
        json!({"kind": "theme_day", "title": "主题党日", "start": start.to_rfc3339()}),
    )
    .await;
    let group_meeting = create_event(
        &app,
        &secretary,
        json!({"kind": "group_meeting", "title": "党小组会", "start": start.to_rfc3339(),
               "group_id": group.id}),
    )
    .await;
    let member = &branch.members[0];
    let present = json!([{"member_id": member.id, "outcome": "present"}]);

    // A member takes no attendance and creates no events.
    let plain = token_of(&app, member).await;
    let refused = put_sheet(&app, &plain, &theme_day, present.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = app
        .get(&format!("/api/events/{theme_day}/attendance"), &plain)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = app
        .post(
            "/api/events",
            &plain,
            json!({"kind": "study", "title": "x", "start": start.to_rfc3339()}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Another branch's secretary sees nothing of this one.
    let stranger = app.token("secretary01").await;
    let refused = app
        .get(&format!("/api/events/{theme_day}/attendance"), &stranger)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = put_sheet(&app, &stranger, &theme_day, present.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The org officer takes the branch's attendance.
    let officer = token_of(&app, &branch.officer).await;
    let saved = put_sheet(&app, &officer, &theme_day, present.clone()).await;
    assert_eq!(saved.status(), StatusCode::OK);

    // The group leader: the group's meeting, with the group's rows only.
    let leader = token_of(&app, &group.leader).await;
    let refused = put_sheet(&app, &leader, &theme_day, present.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let sheet = app
        .get_json(&format!("/api/events/{group_meeting}/attendance"), &leader)
        .await;
    assert_eq!(sheet["expected"], 3, "two members and the leader: {sheet}");
    let saved = put_sheet(&app, &leader, &group_meeting, present).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let outsider = json!([{"member_id": branch.officer.id, "outcome": "present"}]);
    let refused = put_sheet(&app, &leader, &group_meeting, outsider).await;
    assert_eq!(
        error_code(refused).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into())
    );
    let unknown = json!([{"member_id": member.id, "outcome": "asleep"}]);
    let refused = put_sheet(&app, &leader, &group_meeting, unknown).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A leader syncing the events document directly is held to the same.
    let desk = Device::new(app.url(""), &leader, "leader-desk");
    let doc_id = DocId::events(&branch.id, start.year());
    let mut events = desk.fetch(&doc_id).await;
    let event = view::events(&events.doc, &events.id)
        .into_iter()
        .find(|e| e.event_id == theme_day)
        .expect("theme day");
    vanguard_shared::documents::edit::put_event(
        &mut events.doc,
        &vanguard_shared::documents::EventEntry {
            title: "改名".into(),
            ..event
        },
    )
    .expect("edit");
    let refused = desk.sync(&mut events).await.expect_err("refused");
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
on_both!(attendance_is_taken_by_officers_and_a_group_leader_for_the_groups_meeting);

async fn leave_is_asked_before_the_event_and_never_after_a_check_in(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let begun = create_event(
        &app,
        &secretary,
        json!({"kind": "theme_day", "title": "已开始", "start": ago(30).to_rfc3339()}),
    )
    .await;
    let later = create_event(
        &app,
        &secretary,
        json!({"kind": "branch_meeting", "title": "未开始", "start": ago(-240).to_rfc3339()}),
    )
    .await;
    let member = &branch.members[0];
    let refused = check_in(&app, member, "leave-late", leave_for(&begun))
        .await
        .expect_err("refused");
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.message.contains("已开始"), "{}", refused.message);

    let other = &branch.members[1];
    let early = NewRecord {
        kind: "branch_meeting".into(),
        ..check_in_at(&later, 1)
    };
    check_in(&app, other, "early", early)
        .await
        .expect("checked in");
    let refused = check_in(&app, other, "leave-after", leave_for(&later))
        .await
        .expect_err("refused");
    assert!(refused.message.contains("已签到"), "{}", refused.message);
    check_in(&app, member, "leave-ok", leave_for(&later))
        .await
        .expect("a leave before the start");
}
on_both!(leave_is_asked_before_the_event_and_never_after_a_check_in);

async fn events_are_edited_cancelled_and_set_up_monthly(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let start = ago(-60);
    let event_id = create_event(
        &app,
        &secretary,
        json!({"kind": "party_lecture", "title": "党课", "start": start.to_rfc3339(), "with_code": true}),
    )
    .await;
    let member = token_of(&app, &branch.members[0]).await;
    let refused = patch(&app, &member, &event_id, json!({"title": "改"})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let stranger = app.token("secretary01").await;
    let refused = patch(&app, &stranger, &event_id, json!({"cancelled": true})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let bad = patch(&app, &secretary, &event_id, json!({"title": " "})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let edited = patch(
        &app,
        &secretary,
        &event_id,
        json!({"title": "专题党课", "place": "三楼"}),
    )
    .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let cancelled = patch(&app, &secretary, &event_id, json!({"cancelled": true})).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let list = app
        .get_json(&format!("/api/events?year={}", start.year()), &secretary)
        .await;
    let listed = list
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["event_id"] == event_id.as_str())
        .cloned()
        .expect("a cancelled event stays listed");
    assert_eq!(listed["title"], "专题党课");
    assert_eq!(listed["place"], "三楼");
    assert_eq!(listed["cancelled"], true);
    assert_eq!(listed["cancelled_by"], branch.secretary.id.as_str());
    assert_eq!(listed["cancelled_by_name"], branch.secretary.name.as_str());
    assert!(listed["cancelled_at"].is_string());
    let refused = app
        .get(&format!("/api/events?year={}", start.year()), &member)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A monthly theme day, set up once: this month's to December's.
    let first = ago(-30);
    let created = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "theme_day", "title": "主题党日", "start": first.to_rfc3339(),
                   "monthly_day": first.day(), "with_code": true}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let made: Value = created.json().await.expect("events");
    let made = made.as_array().expect("a list");
    assert_eq!(made.len(), 13 - first.month() as usize);
    let keys: std::collections::BTreeSet<&str> =
        made.iter().filter_map(|e| e["code_key"].as_str()).collect();
    assert_eq!(keys.len(), made.len(), "each its own code");
    let _ = Utc::now();
}
on_both!(events_are_edited_cancelled_and_set_up_monthly);
