//! The audit log: sign-ins, password resets and published rulebooks are in
//! it beside the documents' changes, and the database itself refuses to
//! change or remove a line.

use crate::helpers::{spawn_app, Db, TestApp, DEMO_PASSWORD};
use crate::on_both;
use reqwest::StatusCode;
use serde_json::json;

async fn lines(app: &TestApp, action: &str) -> Vec<(i64, String, String, Option<String>)> {
    app.state
        .services
        .store
        .audit()
        .of_action(action)
        .await
        .expect("audit")
}

/// Runs one statement on the test's database, outside the server.
async fn raw(app: &TestApp, sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    let url = &app.db.url;
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

async fn sign_ins_and_resets_are_audited_and_the_log_cannot_be_changed(db: Db) {
    let app = spawn_app(db).await;
    app.token("member02").await;
    let wrong = app.login("member03", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let member02 = app.get_json("/api/me", &app.token("member02").await).await;
    let signed_in = lines(&app, "login").await;
    assert!(
        signed_in
            .iter()
            .any(|(_, who, _, _)| who == member02["member_id"].as_str().unwrap_or_default()),
        "{signed_in:?}"
    );
    let failed = lines(&app, "login_failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].1, "member03");

    let secretary = app.token("secretary01").await;
    let target = member02["member_id"].as_str().expect("id").to_string();
    let reset = app
        .post(
            &format!("/api/members/{target}/password"),
            &secretary,
            json!({}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    let secretary_id = app.get_json("/api/me", &secretary).await["member_id"]
        .as_str()
        .expect("id")
        .to_string();
    let resets = lines(&app, "password_reset").await;
    assert_eq!(resets.len(), 1);
    assert_eq!(
        (resets[0].1.as_str(), resets[0].2.as_str()),
        (secretary_id.as_str(), target.as_str())
    );
    assert_eq!(
        app.login("member02", DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Not even the database's own user changes or removes a line.
    for sql in [
        "UPDATE audit_log SET member_id = 'someone-else'",
        "DELETE FROM audit_log",
    ] {
        let refused = raw(&app, sql).await.expect_err(sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    assert_eq!(lines(&app, "password_reset").await, resets);
}
on_both!(sign_ins_and_resets_are_audited_and_the_log_cannot_be_changed);

/// The trail as people read it: a secretary sees their branch's lines and
/// no other's, filtered by kind, member and date; a committee admin sees
/// every branch below; a member is refused; the CSV opens in Excel.
async fn the_trail_is_read_within_its_scope(db: Db) {
    use crate::fixtures::Branch;
    use crate::review::{check_in, this_year, token_of, visit};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let other = Branch::create(&app, 1).await;
    let member = &branch.members[0];
    check_in(&app, member, "audited-rec", visit(20))
        .await
        .expect("check in");
    check_in(&app, &other.members[0], "elsewhere-rec", visit(20))
        .await
        .expect("check in");
    let secretary = token_of(&app, &branch.secretary).await;
    let decided = app
        .post(
            "/api/reviews",
            &secretary,
            json!({"member_id": member.id, "record_id": "audited-rec", "status": "approved"}),
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK);

    let all = app.get_json("/api/audit", &secretary).await;
    let lines = all.as_array().expect("lines");
    let subjects: Vec<&str> = lines.iter().filter_map(|l| l["subject"].as_str()).collect();
    assert!(
        lines.iter().any(|l| l["kind"] == "review"
            && l["actor"] == branch.secretary.name.as_str()
            && l["subject"]
                .as_str()
                .is_some_and(|s| s.contains(&member.name))),
        "the decision: {all}"
    );
    assert!(
        lines.iter().any(|l| l["kind"] == "checkin"),
        "the member's check-in: {all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "review_decided" && l["detail"] == "审核：通过 走访"),
        "what the decision was: {all}"
    );
    // Fixtures share names across branches: tell them apart by id.
    assert!(
        !lines
            .iter()
            .any(|l| l["actor_id"] == other.members[0].id.as_str()),
        "another branch's lines stay out: {subjects:?}"
    );
    for l in lines {
        for key in ["at", "actor", "kind", "subject", "detail"] {
            assert!(l.get(key).is_some(), "{key} in {l}");
        }
    }
    // Filters: by kind, by member (username or id), by date.
    let logins = app.get_json("/api/audit?kind=login", &secretary).await;
    assert!(logins
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["kind"] == "login"));
    assert!(!logins.as_array().expect("lines").is_empty());
    let about = app
        .get_json(
            &format!("/api/audit?member={}", member.username),
            &secretary,
        )
        .await;
    assert!(about.as_array().expect("lines").iter().all(|l| l["subject"]
        .as_str()
        .is_some_and(|s| s.contains(&member.name))));
    let future = app
        .get_json(
            &format!(
                "/api/audit?from={}-12-31&to={}-12-31",
                this_year() + 1,
                this_year() + 1
            ),
            &secretary,
        )
        .await;
    assert_eq!(future, json!([]));
    let bad = app.get("/api/audit?kind=nonsense", &secretary).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The admin above sees both branches; a member sees nothing.
    let admin = app.token("admin").await;
    let everything = app.get_json("/api/audit", &admin).await;
    let actors: Vec<&str> = everything
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["actor_id"].as_str())
        .collect();
    assert!(actors.contains(&other.members[0].id.as_str()) && actors.contains(&member.id.as_str()));
    let refused = app.get("/api/audit", &token_of(&app, member).await).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let csv = app.get("/api/audit.csv?kind=review", &secretary).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let bytes = csv.bytes().await.expect("bytes");
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(
        text.contains("审核与调整") && text.contains(&member.name),
        "{text}"
    );
}
on_both!(the_trail_is_read_within_its_scope);

/// A line people can read: its actor by name and username, an admin above
/// included; the door it came through; what changed in words; found by
/// name as well as username.
async fn the_trail_says_who_by_which_door_and_what_in_words(db: Db) {
    use crate::fixtures::Branch;
    use crate::review::{check_in, this_year, token_of, visit};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let member = &branch.members[0];
    check_in(&app, member, "worded-rec", visit(20))
        .await
        .expect("check in");
    let secretary = token_of(&app, &branch.secretary).await;
    let decided = app
        .post(
            "/api/reviews",
            &secretary,
            json!({"member_id": member.id, "record_id": "worded-rec", "status": "returned", "reason": "请补充照片"}),
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK);
    // The committee admin above locks and reopens the year.
    let admin = app.token("admin").await;
    let year_path = |tail: &str| {
        format!(
            "/api/branches/{}/evaluation/{tail}?year={}",
            branch.id,
            this_year()
        )
    };
    let locked = app
        .post(&year_path("lock"), &admin, json!({"confirm": true}))
        .await;
    assert_eq!(locked.status(), StatusCode::OK);
    let reopened = app
        .post(
            &year_path("reopen"),
            &admin,
            json!({"reason": "群众有异议"}),
        )
        .await;
    assert_eq!(reopened.status(), StatusCode::OK);

    let trail = app.get_json("/api/audit", &secretary).await;
    let lines = trail.as_array().expect("lines");
    let line = |kind: &str| {
        lines
            .iter()
            .find(|l| l["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {trail}"))
    };
    let reopening = line("evaluation_reopened");
    let admin_me = app.get_json("/api/me", &admin).await;
    assert_eq!(reopening["actor"], admin_me["name"], "{reopening}");
    assert_eq!(reopening["actor_username"], "admin");
    assert_eq!(reopening["door"], "接口");
    let decision = line("review_decided");
    assert_eq!(decision["detail"], "审核：退回 走访（请补充照片）");
    assert_eq!(
        decision["actor_username"],
        branch.secretary.username.as_str()
    );
    assert_eq!(line("checkin")["door"], "手机同步");
    assert_eq!(line("login")["door"], "登录");
    for l in lines {
        let device = l["device"].as_str().unwrap_or_default();
        assert_ne!(l["door"], "", "every line says its door: {l}");
        assert!(
            !(l["actor"] == l["actor_id"] && l["actor_id"] != "cli"),
            "no actor shown as an id: {l} ({device})"
        );
    }

    // Found by name, as people remember them.
    let by_name = app
        .get_json(
            &format!("/api/audit?actor={}", branch.secretary.name),
            &secretary,
        )
        .await;
    let by_name = by_name.as_array().expect("lines");
    assert!(!by_name.is_empty());
    assert!(by_name
        .iter()
        .all(|l| l["actor_id"] == branch.secretary.id.as_str()));
}
on_both!(the_trail_says_who_by_which_door_and_what_in_words);
