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
            json!({"new_password": "fresh-password-9"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
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
