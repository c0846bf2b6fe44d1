//! The review queue and decisions: who waits for whom, the evidence and
//! flags of each record, decisions bound to their author, and what the
//! member sees afterwards.

use crate::fixtures::{Branch, Person, PASSWORD};
use crate::helpers::{error_code, spawn_app, Db, TestApp};
use crate::on_both;
use crate::sync_client::{Device, Refused};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DocId, NewRecord};

/// The current year in China time, as the queue's default.
pub fn this_year() -> i32 {
    vanguard_shared::year::requested(None, Utc::now()).expect("year")
}

/// Now, in China time, `minutes` ago.
pub fn ago(minutes: i64) -> DateTime<FixedOffset> {
    let china = FixedOffset::east_opt(8 * 3600).expect("offset");
    (Utc::now() - Duration::minutes(minutes)).with_timezone(&china)
}

pub async fn token_of(app: &TestApp, person: &Person) -> String {
    let response = app.login(&person.username, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "login {}",
        person.username
    );
    let body: Value = response.json().await.expect("login");
    body["token"].as_str().expect("token").to_string()
}

/// A record made on `person`'s phone and synced.
pub async fn check_in(
    app: &TestApp,
    person: &Person,
    record_id: &str,
    record: NewRecord,
) -> Result<(), Refused> {
    let token = token_of(app, person).await;
    let year = record.occurred_at.map_or_else(this_year, |t| {
        use chrono::Datelike;
        t.year()
    });
    // As the phone does: `/api/me` first, which makes the year's documents.
    let me = app.get(&format!("/api/me?year={year}"), &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let phone = Device::new(app.url(""), &token, &format!("phone-{}", person.id));
    let mut mine = phone.fetch(&DocId::checkins(&person.id, year)).await;
    add_record(&mut mine.doc, record_id, &record).expect("add");
    phone.sync(&mut mine).await.map(|_| ())
}

pub fn visit(minutes_ago: i64) -> NewRecord {
    NewRecord {
        kind: "visit".into(),
        occurred_at: Some(ago(minutes_ago)),
        place: Some("幸福社区".into()),
        note: Some("走访困难党员".into()),
        ..Default::default()
    }
}

pub async fn queue(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app
        .get_json(&format!("/api/review/queue?year={}", this_year()), token)
        .await;
    body.as_array().expect("queue").clone()
}

fn item<'a>(queue: &'a [Value], record_id: &str) -> Option<&'a Value> {
    queue.iter().find(|i| i["record_id"] == record_id)
}

async fn decide(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/reviews", token, body).await
}

async fn record_status(app: &TestApp, token: &str, member_id: &str, record_id: &str) -> Value {
    let list = app
        .get_json(
            &format!("/api/members/{member_id}/records?year={}", this_year()),
            token,
        )
        .await;
    list.as_array()
        .expect("records")
        .iter()
        .find(|r| r["record_id"] == record_id)
        .cloned()
        .expect("record listed")
}

async fn a_secretary_approves_one_record_and_returns_another_with_a_reason(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let member = &branch.members[0];
    check_in(&app, member, "rec-approve", visit(90))
        .await
        .expect("synced");
    check_in(&app, member, "rec-return", visit(300))
        .await
        .expect("synced");
    let secretary = token_of(&app, &branch.secretary).await;

    let waiting = queue(&app, &secretary).await;
    let approve = item(&waiting, "rec-approve").expect("in the queue");
    assert_eq!(approve["member_id"], member.id.as_str());
    assert_eq!(approve["member_name"], member.name.as_str());
    assert_eq!(approve["kind"], "visit");
    assert_eq!(approve["place"], "幸福社区");
    assert_eq!(approve["code"], "none");
    assert_eq!(approve["flags"], json!([]));
    // Oldest first.
    let position = |id: &str| waiting.iter().position(|i| i["record_id"] == id);
    assert!(position("rec-return") < position("rec-approve"));

    let approved = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-approve", "status": "approved"}),
    )
    .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.expect("decision");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["by"], branch.secretary.id.as_str());

    // A return needs its reason.
    let bare = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-return", "status": "returned", "reason": "  "}),
    )
    .await;
    assert_eq!(
        error_code(bare).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into())
    );
    let returned = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-return", "status": "returned", "reason": "请补充走访照片"}),
    )
    .await;
    assert_eq!(returned.status(), StatusCode::OK);

    // The member sees both, and the queue no longer holds them.
    let member_token = token_of(&app, member).await;
    let one = record_status(&app, &member_token, &member.id, "rec-approve").await;
    assert_eq!(one["status"], "approved");
    assert_eq!(one["reviewer"], branch.secretary.id.as_str());
    let two = record_status(&app, &member_token, &member.id, "rec-return").await;
    assert_eq!(two["status"], "returned");
    assert_eq!(two["reason"], "请补充走访照片");
    let left = queue(&app, &secretary).await;
    assert!(item(&left, "rec-approve").is_none() && item(&left, "rec-return").is_none());

    // The decisions are in the audit log under the secretary's name.
    let audit = app
        .state
        .services
        .store
        .audit()
        .of_document(&DocId::reviews(&member.id, this_year()).to_string())
        .await
        .expect("audit");
    assert!(
        audit.iter().any(|a| a.member_id == branch.secretary.id),
        "{audit:?}"
    );
}
on_both!(a_secretary_approves_one_record_and_returns_another_with_a_reason);

async fn reviewers_are_the_branchs_officers_and_never_oneself(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let member = &branch.members[0];
    check_in(&app, member, "rec-m", visit(60))
        .await
        .expect("synced");
    check_in(&app, &branch.secretary, "rec-sec", visit(60))
        .await
        .expect("synced");
    check_in(&app, &branch.officer, "rec-off", visit(60))
        .await
        .expect("synced");
    let approve = |member_id: &str, record_id: &str| json!({"member_id": member_id, "record_id": record_id, "status": "approved"});

    // A member reviews nothing.
    let plain = token_of(&app, member).await;
    let refused = app
        .get(&format!("/api/review/queue?year={}", this_year()), &plain)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = decide(&app, &plain, approve(&member.id, "rec-m")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Another branch's secretary neither sees nor decides.
    let stranger = app.token("secretary01").await;
    let theirs = queue(&app, &stranger).await;
    assert!(theirs.iter().all(|i| i["member_id"] != member.id.as_str()));
    let refused = decide(&app, &stranger, approve(&member.id, "rec-m")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The secretary's own record waits for the org officer, not for them.
    let secretary = token_of(&app, &branch.secretary).await;
    let officer = token_of(&app, &branch.officer).await;
    let mine = queue(&app, &secretary).await;
    assert!(item(&mine, "rec-sec").is_none());
    assert!(item(&mine, "rec-off").is_some());
    let refused = decide(&app, &secretary, approve(&branch.secretary.id, "rec-sec")).await;
    assert_eq!(
        error_code(refused).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let officers = queue(&app, &officer).await;
    assert!(item(&officers, "rec-sec").is_some());
    assert!(item(&officers, "rec-off").is_none());
    let refused = decide(&app, &officer, approve(&branch.officer.id, "rec-off")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let done = decide(&app, &officer, approve(&branch.secretary.id, "rec-sec")).await;
    assert_eq!(done.status(), StatusCode::OK);
    // The org officer reviews members too.
    let done = decide(&app, &officer, approve(&member.id, "rec-m")).await;
    assert_eq!(done.status(), StatusCode::OK);

    // A committee admin above reviews a branch's secretary.
    check_in(&app, &branch.secretary, "rec-sec-2", visit(30))
        .await
        .expect("synced");
    let admin = app.token("admin").await;
    let admins = queue(&app, &admin).await;
    assert!(item(&admins, "rec-sec-2").is_some(), "{admins:?}");
    let done = decide(&app, &admin, approve(&branch.secretary.id, "rec-sec-2")).await;
    assert_eq!(done.status(), StatusCode::OK);

    // Unknown records and members are not found.
    let missing = decide(&app, &secretary, approve(&member.id, "no-such-record")).await;
    assert_eq!(
        error_code(missing).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let missing = decide(&app, &secretary, approve("no-such-member", "rec-m")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
on_both!(reviewers_are_the_branchs_officers_and_never_oneself);

async fn the_queue_shows_the_servers_code_verdict_and_flags_in_words(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let start = ago(20);
    let created: Value = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "theme_day", "title": "主题党日", "start": start.to_rfc3339(),
                   "end": (start + Duration::hours(2)).to_rfc3339(), "with_code": true}),
        )
        .await
        .json()
        .await
        .expect("event");
    let event_id = created["event_id"].as_str().expect("id").to_string();
    let shown = app
        .get_json(&format!("/api/events/{event_id}/code"), &secretary)
        .await;
    let code = shown["code"].as_str().expect("code").to_string();
    let at_event = |code: &str| NewRecord {
        kind: "theme_day".into(),
        occurred_at: Some(ago(5)),
        event_id: Some(event_id.clone()),
        code: Some(code.to_string()),
        ..Default::default()
    };
    let (right, wrong) = (&branch.members[0], &branch.members[1]);
    check_in(&app, right, "rec-right", at_event(&code))
        .await
        .expect("synced");
    check_in(&app, wrong, "rec-wrong", at_event("ZZZZZZ"))
        .await
        .expect("synced");
    // The same member at the same event twice: a likely duplicate.
    check_in(&app, wrong, "rec-again", at_event("ZZZZZZ"))
        .await
        .expect("synced");
    // Twenty hours in one record, and a time in the future.
    let long = NewRecord {
        kind: "volunteer".into(),
        occurred_at: Some(ago(600)),
        hours: Some(20.0),
        ..Default::default()
    };
    check_in(&app, right, "rec-long", long)
        .await
        .expect("synced");

    let waiting = queue(&app, &secretary).await;
    let verified = item(&waiting, "rec-right").expect("listed");
    assert_eq!(verified["code"], "verified");
    assert_eq!(verified["event_title"], "主题党日");
    assert_eq!(verified["flags"], json!([]));
    let refused = item(&waiting, "rec-wrong").expect("listed");
    assert_eq!(refused["code"], "wrong");
    assert_eq!(refused["flags"], json!(["duplicate", "wrong_code"]));
    let long = item(&waiting, "rec-long").expect("listed");
    assert_eq!(long["flags"], json!(["long_hours"]));
    assert_eq!(long["hours"], 20.0);
}
on_both!(the_queue_shows_the_servers_code_verdict_and_flags_in_words);

async fn a_bulk_approval_is_checked_whole_before_anything_is_stored(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 3).await;
    for (n, m) in branch.members.iter().enumerate() {
        check_in(&app, m, &format!("bulk-{n}"), visit(60 + n as i64))
            .await
            .expect("synced");
    }
    let secretary = token_of(&app, &branch.secretary).await;
    let all: Vec<Value> = branch
        .members
        .iter()
        .enumerate()
        .map(|(n, m)| json!({"member_id": m.id, "record_id": format!("bulk-{n}"), "status": "approved"}))
        .collect();
    // One bad item refuses the whole list.
    let mut with_bad = all.clone();
    with_bad.push(
        json!({"member_id": branch.members[0].id, "record_id": "nope", "status": "approved"}),
    );
    let refused = app.post("/api/reviews", &secretary, json!(with_bad)).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(queue(&app, &secretary).await.len(), 3);

    let done = app.post("/api/reviews", &secretary, json!(all)).await;
    assert_eq!(done.status(), StatusCode::OK);
    let made: Value = done.json().await.expect("decisions");
    assert_eq!(made.as_array().map(Vec::len), Some(3));
    assert!(queue(&app, &secretary).await.is_empty());
}
on_both!(a_bulk_approval_is_checked_whole_before_anything_is_stored);

/// Two reviewers decide one record differently (one of them offline, say):
/// both decisions stay in the document's history, the later stands, and
/// the queue asks for a second look naming both; a second look clears it.
async fn two_reviewers_disagreeing_are_flagged_for_a_second_look(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let member = &branch.members[0];
    check_in(&app, member, "rec-both", visit(60))
        .await
        .expect("synced");
    let secretary = token_of(&app, &branch.secretary).await;
    let officer = token_of(&app, &branch.officer).await;
    let seen = item(&queue(&app, &officer).await, "rec-both").expect("listed")["version"]
        .as_str()
        .expect("version")
        .to_string();

    let approved = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-both", "status": "approved"}),
    )
    .await;
    assert_eq!(approved.status(), StatusCode::OK);
    // The officer's decision, made on what they saw before.
    let returned = decide(
        &app,
        &officer,
        json!({"member_id": member.id, "record_id": "rec-both", "status": "returned",
               "reason": "照片不清楚", "version": seen}),
    )
    .await;
    assert_eq!(returned.status(), StatusCode::OK);

    let flagged = queue(&app, &secretary).await;
    let again = item(&flagged, "rec-both").expect("back for a second look");
    assert_eq!(again["flags"], json!(["conflict"]));
    assert_eq!(
        again["conflict"]["earlier_by"],
        branch.secretary.id.as_str()
    );
    assert_eq!(again["conflict"]["earlier_status"], "approved");
    assert_eq!(again["conflict"]["by_name"], branch.officer.name.as_str());
    assert_eq!(again["conflict"]["status"], "returned");
    // The one that stands is the later: the member sees it returned.
    let member_token = token_of(&app, member).await;
    let now = record_status(&app, &member_token, &member.id, "rec-both").await;
    assert_eq!(now["status"], "returned");
    // Both are in the document's history.
    let doc =
        crate::helpers::stored_doc(&app, &DocId::reviews(&member.id, this_year()).to_string())
            .await;
    assert!(doc.get_changes(&[]).len() >= 3, "root and two decisions");

    // The secretary looks again and agrees: the flag is gone.
    let agreed = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-both", "status": "returned", "reason": "同意退回"}),
    )
    .await;
    assert_eq!(agreed.status(), StatusCode::OK);
    assert!(item(&queue(&app, &secretary).await, "rec-both").is_none());

    // A decision on a version the record no longer has is refused.
    let stale = decide(
        &app,
        &officer,
        json!({"member_id": member.id, "record_id": "rec-both", "status": "approved",
               "version": "0000000000000000"}),
    )
    .await;
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
on_both!(two_reviewers_disagreeing_are_flagged_for_a_second_look);

/// 150 approvals sent at once (the secretary's desk clicking through a
/// backlog with several tabs, or a script): every one is answered 200 and
/// stored, each with its own audit line; SQLite's writers wait their turn
/// for the write lock instead of failing.
async fn concurrent_approvals_each_land_with_their_audit_line(db: Db) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 10).await;
    let services = app.state.services.clone();
    let year = this_year();
    let mut waiting = Vec::new();
    for (i, person) in branch.members.iter().enumerate() {
        let member = services
            .store
            .accounts()
            .member(&person.id)
            .await
            .expect("store")
            .expect("member");
        services
            .documents_of(&member, year)
            .await
            .expect("documents");
        let ids: Vec<String> = (0..15).map(|n| format!("rec-{i}-{n}")).collect();
        services
            .sync
            .edit(&member, &DocId::checkins(&person.id, year), |doc| {
                for (n, id) in ids.iter().enumerate() {
                    add_record(doc, id, &visit(30 + n as i64))?;
                }
                Ok(())
            })
            .await
            .expect("seeded");
        waiting.extend(ids.into_iter().map(|id| (person.id.clone(), id)));
    }
    let secretary = token_of(&app, &branch.secretary).await;
    let started = std::time::Instant::now();
    let mut sent = tokio::task::JoinSet::new();
    for (member_id, record_id) in waiting.clone() {
        let url = app.url("/api/reviews");
        let token = secretary.clone();
        sent.spawn(async move {
            let response = crate::helpers::client()
                .post(url)
                .bearer_auth(token)
                .json(
                    &json!({"member_id": member_id, "record_id": record_id, "status": "approved"}),
                )
                .send()
                .await
                .expect("request");
            (record_id, response.status())
        });
    }
    let mut refused = Vec::new();
    while let Some(answer) = sent.join_next().await {
        let (record_id, status) = answer.expect("task");
        if status != StatusCode::OK {
            refused.push((record_id, status));
        }
    }
    eprintln!("150 approvals answered in {:?}", started.elapsed());
    assert_eq!(refused, vec![], "every approval is answered 200");
    assert!(queue(&app, &secretary).await.is_empty(), "nothing waits");
    for person in &branch.members {
        let doc = format!("reviews:{}:{year}", person.id);
        let audit = services
            .store
            .audit()
            .of_document(&doc)
            .await
            .expect("audit");
        assert_eq!(audit.len(), 15, "{doc}: one audit line per approval");
        assert!(audit.iter().all(|a| a.member_id == branch.secretary.id));
    }
    // And each said what it did, in the same transaction.
    let said = services
        .store
        .audit()
        .of_action("review_decided")
        .await
        .expect("audit");
    assert_eq!(said.len(), 150);
}
on_both!(concurrent_approvals_each_land_with_their_audit_line);

async fn an_approval_edited_afterwards_comes_back_marked_with_what_was_decided(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let member = &branch.members[0];
    let volunteering = NewRecord {
        kind: "volunteer".into(),
        occurred_at: Some(ago(120)),
        hours: Some(3.0),
        place: Some("社区服务站".into()),
        ..Default::default()
    };
    check_in(&app, member, "rec-hours", volunteering)
        .await
        .expect("synced");
    let secretary = token_of(&app, &branch.secretary).await;
    let approved = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-hours", "status": "approved"}),
    )
    .await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert!(item(&queue(&app, &secretary).await, "rec-hours").is_none());

    // The member makes it eight hours on the phone.
    let token = token_of(&app, member).await;
    let phone = Device::new(app.url(""), &token, &format!("phone-{}", member.id));
    let mut mine = phone.fetch(&DocId::checkins(&member.id, this_year())).await;
    vanguard_shared::documents::edit::set_fields(
        &mut mine.doc,
        "records",
        "rec-hours",
        &[("hours", 8.0.into())],
    )
    .expect("edit");
    phone.sync(&mut mine).await.expect("synced");

    // A new question: flagged, with the hours as approved and who approved.
    let waiting = queue(&app, &secretary).await;
    let back = item(&waiting, "rec-hours").expect("back in the queue");
    assert_eq!(back["hours"], 8.0);
    assert!(
        back["flags"]
            .as_array()
            .expect("flags")
            .contains(&json!("changed_after_decision")),
        "{back}"
    );
    assert_eq!(back["previous"], json!({"hours": 3.0}));
    assert_eq!(back["previous_decision"]["status"], "approved");
    assert_eq!(
        back["previous_decision"]["by"],
        branch.secretary.id.as_str()
    );
    assert_eq!(
        back["previous_decision"]["by_name"],
        branch.secretary.name.as_str()
    );
    assert!(back["previous_decision"]["at"].is_string(), "{back}");
    let member_sees = record_status(&app, &token, &member.id, "rec-hours").await;
    assert_eq!(member_sees["status"], "submitted");

    // Decided again on the new version, it leaves the queue; edited once
    // more, the latest decision is what it shows.
    let again = decide(
        &app,
        &secretary,
        json!({"member_id": member.id, "record_id": "rec-hours", "status": "approved", "version": back["version"]}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(item(&queue(&app, &secretary).await, "rec-hours").is_none());
    let mut mine = phone.fetch(&DocId::checkins(&member.id, this_year())).await;
    vanguard_shared::documents::edit::set_fields(
        &mut mine.doc,
        "records",
        "rec-hours",
        &[("place", "党群服务中心".into())],
    )
    .expect("edit");
    phone.sync(&mut mine).await.expect("synced");
    let back = item(&queue(&app, &secretary).await, "rec-hours")
        .cloned()
        .expect("back again");
    assert_eq!(back["previous"], json!({"place": "社区服务站"}));
}
on_both!(an_approval_edited_afterwards_comes_back_marked_with_what_was_decided);
