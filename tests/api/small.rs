//! The small holes an attack pass found: documents for years nobody keeps,
//! sync states without end, a reactivated member's old session, the check-in
//! link taken from the Host header, a refused re-time that changed the code.

use crate::fixtures::Branch;
use crate::helpers::{client, config, spawn_app, start_configured, Db, TestDb};
use crate::on_both;
use crate::review::{this_year, token_of};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_core::storage::SyncStateRow;

async fn only_this_year_and_next_get_documents(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.token("admin").await;
    let far = app.get_json("/api/me?year=2040", &admin).await;
    assert_eq!(far["docs"], json!([]), "nothing made for 2040");
    let me = far["member_id"].as_str().expect("id").to_string();
    let response = client()
        .post(app.url(&format!("/api/sync/checkins:{me}:2040")))
        .bearer_auth(&admin)
        .header("x-peer-id", "desk")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // December plans January: next year's documents are made.
    let next = this_year() + 1;
    let planned = app.get_json(&format!("/api/me?year={next}"), &admin).await;
    assert!(!planned["docs"].as_array().expect("docs").is_empty());
}
on_both!(only_this_year_and_next_get_documents);

async fn sync_states_are_bounded_per_member_and_expire(db: Db) {
    let app = spawn_app(db).await;
    let store = &app.state.services.store;
    let member = store
        .accounts()
        .credentials("member01")
        .await
        .expect("store")
        .expect("member")
        .member_id;
    let doc = format!("checkins:{member}:{}", this_year());
    // The member's documents, as their phone's first sync makes them.
    let token = app.token("member01").await;
    app.get_json("/api/me", &token).await;
    let now = Utc::now().timestamp();
    let mut rows: Vec<SyncStateRow> = (0..12)
        .map(|n| SyncStateRow {
            doc_id: doc.clone(),
            member_id: member.clone(),
            peer_id: format!("device-{n:02}"),
            state: vec![1, 2, 3],
            at: now - 100 + n,
        })
        .collect();
    rows.push(SyncStateRow {
        peer_id: "forgotten-phone".into(),
        at: now - 200 * 24 * 3600,
        ..rows[0].clone()
    });
    store
        .documents()
        .put_sync_states(&rows)
        .await
        .expect("stored");
    let idle_before = now - 90 * 24 * 3600;
    let gone = store
        .documents()
        .prune_sync_states(idle_before, 8)
        .await
        .expect("pruned");
    assert_eq!(gone, 5, "the idle one and the four least recent");
    for n in 0..12 {
        let kept = store
            .documents()
            .sync_state(&doc, &member, &format!("device-{n:02}"))
            .await
            .expect("read")
            .is_some();
        assert_eq!(kept, n >= 4, "device-{n:02}");
    }
}
on_both!(sync_states_are_bounded_per_member_and_expire);

async fn reactivation_does_not_revive_old_sessions(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let person = &branch.members[0];
    let old = token_of(&app, person).await;
    let edit = |active: bool| {
        json!({"member_id": person.id, "username": person.username, "name": "成员",
               "status": "full", "branch_id": branch.id, "roles": [], "active": active})
    };
    let put = |body: Value| {
        client()
            .put(app.url("/api/roster"))
            .bearer_auth(&secretary)
            .json(&body)
            .send()
    };
    assert_eq!(
        put(edit(false)).await.expect("answered").status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/me", &old).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        put(edit(true)).await.expect("answered").status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/me", &old).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old session stays ended"
    );
    let fresh = token_of(&app, person).await;
    assert_eq!(app.get("/api/me", &fresh).await.status(), StatusCode::OK);
}
on_both!(reactivation_does_not_revive_old_sessions);

async fn the_check_in_link_is_the_public_address(db: Db) {
    let app = start_configured(
        TestDb::new(db).await,
        vanguard_server::startup::Config {
            public_url: Some("https://dj.example.cn/".into()),
            ..config("")
        },
    )
    .await;
    let secretary = app.token("secretary01").await;
    let start = Utc::now().fixed_offset() - Duration::minutes(10);
    let created: Value = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "party_lecture", "title": "党课", "start": start.to_rfc3339(),
                   "with_code": true}),
        )
        .await
        .json()
        .await
        .expect("event");
    let event_id = created["event_id"].as_str().expect("id");
    let shown: Value = client()
        .get(app.url(&format!("/api/events/{event_id}/code")))
        .bearer_auth(&secretary)
        .header("host", "evil.example:80")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("code");
    let link = shown["checkin_url"].as_str().expect("link");
    assert!(
        link.starts_with("https://dj.example.cn/checkin?event="),
        "{link}"
    );
}
on_both!(the_check_in_link_is_the_public_address);

async fn a_re_time_after_the_lock_moves_the_code_and_a_refused_one_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let start = Utc::now().fixed_offset() - Duration::minutes(30);
    let created: Value = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "party_lecture", "title": "党课", "start": start.to_rfc3339(),
                   "with_code": true}),
        )
        .await
        .json()
        .await
        .expect("event");
    let event_id = created["event_id"].as_str().expect("id").to_string();
    let store = &app.state.services.store;
    let key = || async {
        store
            .events()
            .seed(&event_id)
            .await
            .expect("read")
            .expect("seed")
            .code_key
    };
    let before = key().await;
    let locked = app
        .post(
            &format!(
                "/api/branches/{}/evaluation/lock?year={}",
                branch.id,
                this_year()
            ),
            &secretary,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(locked.status(), StatusCode::OK);
    // The lock fixes the grades, not the calendar.
    let retime = |start: DateTime<FixedOffset>, end: Option<DateTime<FixedOffset>>| {
        client()
            .patch(app.url(&format!("/api/events/{event_id}")))
            .bearer_auth(&secretary)
            .json(&json!({"start": start.to_rfc3339(), "end": end.map(|e| e.to_rfc3339())}))
            .send()
    };
    let moved = retime(start - Duration::minutes(30), None)
        .await
        .expect("request");
    assert_eq!(moved.status(), StatusCode::OK);
    let after = key().await;
    assert_ne!(after, before, "the code follows the new window");
    let refused = retime(start, Some(start - Duration::hours(1)))
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(key().await, after, "a refused re-time keeps the key");
}
on_both!(a_re_time_after_the_lock_moves_the_code_and_a_refused_one_changes_nothing);
