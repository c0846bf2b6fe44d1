//! Branch events and their check-in codes: created through the events
//! document, shown only to the branch's hosts, checked offline by members.

use crate::helpers::{error_code, spawn_app, stored_doc, Db};
use crate::on_both;
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_shared::documents::view::events;
use vanguard_shared::documents::DocId;
use vanguard_shared::event_code::CodeKey;
use vanguard_shared::ledger::Kind;

async fn branch_of(app: &crate::helpers::TestApp, token: &str) -> String {
    let me = app.get_json("/api/me", token).await;
    me["branch"]["id"].as_str().expect("branch").to_string()
}

async fn a_hosts_code_verifies_against_the_events_document(db: Db) {
    let app = spawn_app(db).await;
    let secretary = app.token("secretary01").await;
    let member = app.token("member01").await;
    let branch = branch_of(&app, &secretary).await;
    let start = Utc::now().fixed_offset() - Duration::minutes(10);
    let created = app
        .post(
            "/api/events",
            &secretary,
            json!({
                "kind": "party_lecture",
                "title": "专题党课",
                "start": start.to_rfc3339(),
                "end": (start + Duration::hours(2)).to_rfc3339(),
                "place": "三楼会议室",
                "with_code": true,
            }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("event");
    let event_id = created["event_id"].as_str().expect("id").to_string();

    // The event is in the branch's events document, with only the public part.
    let year = start.year();
    let doc_id = DocId::events(&branch, year);
    let doc = stored_doc(&app, &doc_id.to_string()).await;
    let event = events(&doc, &doc_id)
        .into_iter()
        .find(|e| e.event_id == event_id)
        .expect("event in the document");
    assert_eq!(
        (event.kind, event.title.as_str()),
        (Kind::PartyLecture, "专题党课")
    );
    let key = CodeKey::parse(event.code_key.as_deref().expect("code key")).expect("key");

    let shown = app
        .get(&format!("/api/events/{event_id}/code"), &secretary)
        .await;
    assert_eq!(shown.status(), StatusCode::OK);
    let shown: Value = shown.json().await.expect("code");
    let code = shown["code"].as_str().expect("code");
    assert_eq!(
        key.verify(&event_id, code, Utc::now().fixed_offset()),
        Ok(())
    );
    assert_ne!(code, created["code_key"].as_str().unwrap_or_default());
    // The QR code carries the check-in form's link, filled in, on the
    // origin the host's browser reached.
    assert_eq!(shown["title"], "专题党课");
    let link = shown["checkin_url"].as_str().expect("link");
    assert!(
        link.starts_with(&app.url("/checkin?")),
        "{link} under {}",
        app.url("")
    );
    assert!(
        link.ends_with(&format!("/checkin?event={event_id}&code={code}")),
        "{link}"
    );
    assert!(shown["qr_svg"].as_str().expect("svg").starts_with("<svg"));

    // The host's list has it; a member hosts nothing.
    let hosted = app.get_json("/api/events/hosted", &secretary).await;
    let hosted = hosted.as_array().expect("list");
    assert!(
        hosted.iter().any(|e| e["event_id"] == event_id.as_str()),
        "{hosted:?}"
    );
    assert!(hosted.iter().all(|e| e["title"].is_string()));
    let none = app.get_json("/api/events/hosted", &member).await;
    assert_eq!(none, json!([]));

    // Only the branch's hosts see codes; members and other branches do not.
    let denied = app
        .get(&format!("/api/events/{event_id}/code"), &member)
        .await;
    assert_eq!(
        error_code(denied).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let other = app.token("secretary02").await;
    let denied = app
        .get(&format!("/api/events/{event_id}/code"), &other)
        .await;
    assert_eq!(error_code(denied).await.0, StatusCode::FORBIDDEN);
    let unknown = app.get("/api/events/no-such-event/code", &secretary).await;
    assert_eq!(
        error_code(unknown).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // Members cannot create events; bad input is refused whole.
    let body = |kind: &str, start: &str| json!({"kind": kind, "title": "x", "start": start, "with_code": true});
    let by_member = app
        .post("/api/events", &member, body("study", &start.to_rfc3339()))
        .await;
    assert_eq!(error_code(by_member).await.0, StatusCode::FORBIDDEN);
    let bad_kind = app
        .post(
            "/api/events",
            &secretary,
            body("karaoke", &start.to_rfc3339()),
        )
        .await;
    assert_eq!(
        error_code(bad_kind).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into())
    );
    let bad_time = app
        .post("/api/events", &secretary, body("study", "tomorrow"))
        .await;
    assert_eq!(
        error_code(bad_time).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let backwards = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "study", "title": "x", "start": start.to_rfc3339(),
                   "end": (start - Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(
        error_code(backwards).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into())
    );
    let untitled = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "study", "title": "  ", "start": start.to_rfc3339(), "with_code": true}),
        )
        .await;
    assert_eq!(
        error_code(untitled).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let after = events(&stored_doc(&app, &doc_id.to_string()).await, &doc_id);
    assert!(
        after.iter().all(|e| e.title != "x"),
        "nothing refused was stored"
    );
}
on_both!(a_hosts_code_verifies_against_the_events_document);

async fn an_event_outside_its_time_shows_no_code(db: Db) {
    let app = spawn_app(db).await;
    let secretary = app.token("secretary01").await;
    let start = Utc::now().fixed_offset() + Duration::days(3);
    let created: Value = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "theme_day", "title": "下周主题党日", "start": start.to_rfc3339(), "with_code": true}),
        )
        .await
        .json()
        .await
        .expect("event");
    let event_id = created["event_id"].as_str().expect("id");
    let shown = app
        .get(&format!("/api/events/{event_id}/code"), &secretary)
        .await;
    assert_eq!(
        error_code(shown).await,
        (StatusCode::CONFLICT, "conflict".into())
    );
}
on_both!(an_event_outside_its_time_shows_no_code);

/// The demo branch has this month's and next month's events, today's
/// 主题党日 with a code its secretary can show now.
async fn the_demo_has_events_with_a_code_open_now(db: Db) {
    let app = spawn_app(db).await;
    let secretary = app.token("secretary01").await;
    let branch = branch_of(&app, &secretary).await;
    let year = (Utc::now().fixed_offset() + Duration::hours(8)).year();
    let doc_id = DocId::events(&branch, year);
    let listed = events(&stored_doc(&app, &doc_id.to_string()).await, &doc_id);
    assert!(listed.len() >= 2, "{listed:?}");
    let today = listed
        .iter()
        .find(|e| e.kind == Kind::ThemeDay && e.code_key.is_some())
        .expect("a theme day with a code");
    let shown = app
        .get(&format!("/api/events/{}/code", today.event_id), &secretary)
        .await;
    assert_eq!(shown.status(), StatusCode::OK);
}
on_both!(the_demo_has_events_with_a_code_open_now);

/// A geofence travels with the event in its document, where phones check
/// positions against it; an impossible fence is refused whole.
async fn an_events_geofence_is_written_into_its_document(db: Db) {
    let app = spawn_app(db).await;
    let secretary = app.token("secretary01").await;
    let branch = branch_of(&app, &secretary).await;
    let start = Utc::now().fixed_offset() + Duration::days(2);
    let body = |radius: f64, title: &str| {
        json!({"kind": "volunteer", "title": title, "start": start.to_rfc3339(),
               "geofence": {"lat": 30.2741, "lon": 120.1551, "radius_m": radius}})
    };
    let created = app
        .post("/api/events", &secretary, body(250.0, "社区志愿服务"))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("event");
    let doc_id = DocId::events(&branch, start.year());
    let stored = events(&stored_doc(&app, &doc_id.to_string()).await, &doc_id);
    let fence = stored
        .iter()
        .find(|e| e.event_id == created["event_id"].as_str().unwrap_or_default())
        .and_then(|e| e.geofence.clone())
        .expect("the fence is in the document");
    assert_eq!(
        (fence.lat, fence.lon, fence.radius_m),
        (30.2741, 120.1551, 250.0)
    );
    assert!(fence.contains(30.2750, 120.1551) && !fence.contains(30.2800, 120.1551));

    let refused = app
        .post("/api/events", &secretary, body(0.0, "没有范围"))
        .await;
    assert_eq!(
        error_code(refused).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into())
    );
    let after = events(&stored_doc(&app, &doc_id.to_string()).await, &doc_id);
    assert!(after.iter().all(|e| e.title != "没有范围"));
}
on_both!(an_events_geofence_is_written_into_its_document);

fn today_start(event: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(event["start"].as_str().expect("start")).expect("time")
}

/// The host's pages render on the server: the list of events with codes,
/// and the code screen with the code as text and the QR picture.
async fn the_host_pages_show_the_code_as_text_and_qr(db: Db) {
    let app = spawn_app(db).await;
    let secretary = app.token("secretary01").await;
    let hosted = app.get_json("/api/events/hosted", &secretary).await;
    let today = hosted
        .as_array()
        .and_then(|l| l.first())
        .expect("the demo's open theme day");
    let event_id = today["event_id"].as_str().expect("id");
    let list = app.html("/host").await;
    assert!(
        list.contains(&format!(r#"href="/host/{event_id}""#)),
        "{list}"
    );
    let home = app.html("/").await;
    assert!(
        home.contains(r#"href="/host""#),
        "a host's home page links there"
    );
    let screen = app.html(&format!("/host/{event_id}")).await;
    assert!(screen.contains("<svg"), "{screen}");
    // The code on the screen is a real code of this event, checked the way
    // a member's phone checks it.
    let shown = screen
        .split("class=\"code-text\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("the code as text in {screen}"));
    let branch = branch_of(&app, &secretary).await;
    let doc_id = DocId::events(&branch, today_start(today).year());
    let key = events(&stored_doc(&app, &doc_id.to_string()).await, &doc_id)
        .into_iter()
        .find(|e| e.event_id == event_id)
        .and_then(|e| e.code_key)
        .map(|k| CodeKey::parse(&k).expect("key"))
        .expect("the event's key");
    assert_eq!(
        key.verify(event_id, shown, Utc::now().fixed_offset()),
        Ok(())
    );

    // A member is told, in words, that hosting is not theirs.
    app.token("member01").await;
    let refused = app.html("/host").await;
    assert!(
        refused.contains("只有支部书记或组织委员可以主持签到"),
        "{refused}"
    );
    let refused = app.html(&format!("/host/{event_id}")).await;
    assert!(
        refused.contains("只有本支部的书记或组织委员可以主持活动"),
        "{refused}"
    );
}
on_both!(the_host_pages_show_the_code_as_text_and_qr);

/// December plans January: next year's events are created and listed by
/// year; a committee admin reads a branch below (read-only), another
/// branch's secretary does not.
async fn next_years_events_are_planned_and_read_across_the_tree(db: Db) {
    use crate::fixtures::Branch;
    use crate::review::{this_year, token_of};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let other = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let next = this_year() + 1;
    let january = format!("{next}-01-09T09:00:00+08:00");
    let created = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "theme_day", "title": "一月主题党日", "start": january}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("events")
            .iter()
            .map(|e| e["title"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let this = app.get_json("/api/events", &secretary).await;
    assert!(
        !titles(&this).contains(&"一月主题党日".to_string()),
        "{this}"
    );
    let planned = app
        .get_json(&format!("/api/events?year={next}"), &secretary)
        .await;
    assert_eq!(titles(&planned), ["一月主题党日"], "{planned}");

    let admin = app.token("admin").await;
    let read = app
        .get_json(
            &format!("/api/events?year={next}&branch={}", branch.id),
            &admin,
        )
        .await;
    assert_eq!(titles(&read), ["一月主题党日"]);
    let outsider = token_of(&app, &other.secretary).await;
    let refused = app
        .get(
            &format!("/api/events?year={next}&branch={}", branch.id),
            &outsider,
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // A monthly meeting set up in December runs into next year, each
    // event in its own year's document.
    let december = format!("{}-12-20T15:00:00+08:00", this_year());
    let monthly = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "party_lecture", "title": "月度党课", "start": december,
                   "monthly_day": 20, "monthly_until": format!("{next}-03")}),
        )
        .await;
    assert_eq!(monthly.status(), StatusCode::CREATED);
    let made: Value = monthly.json().await.expect("events");
    assert_eq!(made.as_array().map(Vec::len), Some(4), "{made}");
    let planned = app
        .get_json(&format!("/api/events?year={next}"), &secretary)
        .await;
    assert_eq!(
        titles(&planned)
            .iter()
            .filter(|t| t.as_str() == "月度党课")
            .count(),
        3
    );
    let too_far = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "party_lecture", "title": "太远", "start": december,
                   "monthly_day": 20, "monthly_until": format!("{}-12", next + 1)}),
        )
        .await;
    assert_eq!(too_far.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The admin reads, and does not write, a branch's calendar.
    let written = app
        .post(
            "/api/events",
            &admin,
            json!({"kind": "theme_day", "title": "上级代建", "start": january}),
        )
        .await;
    assert!(written.status().is_client_error(), "{}", written.status());
}
on_both!(next_years_events_are_planned_and_read_across_the_tree);
