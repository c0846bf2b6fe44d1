use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn login_answers_token_and_sets_cookie(db: Db) {
    let app = spawn_app(db).await;
    let response = app.login("member01", DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("vanguard_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "王建国");
    assert_eq!(body["roles"], json!(["member", "group_leader"]));
    let token = body["token"].as_str().unwrap();

    // The Bearer token works on its own...
    let me: Value = app.get("/api/me", token).await.json().await.unwrap();
    assert_eq!(me["member_id"], body["member_id"]);
    assert_eq!(me["branch"]["name"], "第一党支部");
    assert_eq!(me["group"]["name"], "第一党小组");
    assert_eq!(me["committee"]["name"], "机关党委");
    // ...and so does the cookie the same login set (the client keeps it).
    let via_cookie = app.client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(via_cookie.status(), StatusCode::OK);
}
on_both!(login_answers_token_and_sets_cookie);

async fn wrong_credentials_are_401_alike(db: Db) {
    let app = spawn_app(db).await;
    let wrong = error_code(app.login("member01", "not-the-password").await).await;
    let unknown = error_code(app.login("nobody-here", "not-the-password").await).await;
    assert_eq!(
        wrong,
        (StatusCode::UNAUTHORIZED, "invalid_credentials".to_string())
    );
    assert_eq!(
        unknown, wrong,
        "an unknown user looks exactly like a wrong password"
    );

    let malformed = app
        .client
        .post(app.url("/api/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(malformed).await,
        (StatusCode::BAD_REQUEST, "bad_request".to_string())
    );
    let anonymous = app.client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(
        error_code(anonymous).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".to_string())
    );
    let forged = app.get("/api/me", "0123456789abcdef").await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}
on_both!(wrong_credentials_are_401_alike);

async fn repeated_failures_are_throttled(db: Db) {
    let app = spawn_app(db).await;
    for attempt in 0..5 {
        let response = app.login("member02", "guess-number-x").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let blocked = app.login("member02", DEMO_PASSWORD).await;
    assert_eq!(
        blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "Retry-After {retry}");
    assert_eq!(error_code(blocked).await.1, "too_many_attempts");
    // Another account from the same address is unaffected.
    assert_eq!(
        app.login("member03", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
}
on_both!(repeated_failures_are_throttled);

async fn one_address_guessing_many_accounts_is_throttled(db: Db) {
    let auth = vanguard_core::auth::AuthConfig {
        max_failures_per_ip: 3,
        ..Default::default()
    };
    let app = spawn_app_with(db, auth).await;
    for user in ["member06", "member07", "member08"] {
        assert_eq!(
            app.login(user, "guess-number-x").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = app.login("member09", DEMO_PASSWORD).await;
    assert_eq!(
        blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a fourth account from the same address waits"
    );
    assert!(blocked.headers().contains_key("retry-after"));
}
on_both!(one_address_guessing_many_accounts_is_throttled);

async fn sessions_survive_a_restart_and_end_at_logout(db: Db) {
    let app = spawn_app(db).await;
    let token = app.token("member04").await;
    let app = app.restart().await;
    let me = app.get("/api/me", &token).await;
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the session outlived the process"
    );

    let logout = app.post("/api/logout", &token, json!({})).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(logout.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        app.get("/api/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
on_both!(sessions_survive_a_restart_and_end_at_logout);
