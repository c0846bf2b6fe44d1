use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn member_id(app: &TestApp, token: &str, username: &str) -> String {
    let list: Vec<Value> = app.get("/api/members", token).await.json().await.unwrap();
    list.iter()
        .find(|m| m["username"] == username)
        .map(|m| m["member_id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{username} in the list"))
}

async fn member_lists_follow_roles(db: Db) {
    let app = spawn_app(db).await;
    let secretary = app.token("secretary01").await;
    let list: Vec<Value> = app
        .get("/api/members", &secretary)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        list.len(),
        12,
        "ten members, the secretary and the officer: {names:?}"
    );
    assert!(names.contains(&"member10") && !names.contains(&"member11"));

    let officer = app.token("officer02").await;
    let list: Vec<Value> = app
        .get("/api/members", &officer)
        .await
        .json()
        .await
        .unwrap();
    assert!(list.iter().all(|m| m["branch"] == "第二党支部"));

    let admin = app.token("admin").await;
    let list: Vec<Value> = app.get("/api/members", &admin).await.json().await.unwrap();
    assert_eq!(list.len(), 25, "the whole committee");

    let member = app.token("member01").await;
    let (status, code) = error_code(app.get("/api/members", &member).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
}
on_both!(member_lists_follow_roles);

async fn password_resets_need_the_right_role_and_scope(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.token("admin").await;
    let member02 = member_id(&app, &admin, "member02").await;
    let member11 = member_id(&app, &admin, "member11").await;
    let reset = |target: &str| format!("/api/members/{target}/password");
    // A password of the secretary's choosing is not read: nobody chooses
    // another's password.
    let body = json!({ "new_password": "chosen-by-secretary" });

    let secretary = app.token("secretary01").await;
    let old_session = app.token("member02").await;
    let response = app.post(&reset(&member02), &secretary, body.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("json");
    let one_time = answer["password"].as_str().expect("one-time").to_string();
    assert!(one_time.len() >= 8 && one_time != "chosen-by-secretary");
    assert_eq!(
        app.login("member02", "chosen-by-secretary").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("member02", DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/me", &old_session).await.status(),
        StatusCode::UNAUTHORIZED,
        "reset ends sessions"
    );
    // The one-time password signs in, and only changing it answers.
    let response = app.login("member02", &one_time).await;
    assert_eq!(response.status(), StatusCode::OK);
    let login: Value = response.json().await.expect("json");
    assert_eq!(login["must_change_password"], true);
    let first = login["token"].as_str().expect("token").to_string();
    let me = app.get_json("/api/me", &first).await;
    assert_eq!(me["must_change_password"], true);
    let year = crate::review::this_year();
    for path in [
        format!("/api/members/{member02}/ledger?year={year}"),
        "/api/members".to_string(),
    ] {
        assert_eq!(
            error_code(app.get(&path, &first).await).await,
            (
                StatusCode::FORBIDDEN,
                "password_change_required".to_string()
            ),
            "{path}"
        );
    }
    let sync = crate::helpers::client()
        .post(app.url("/api/sync"))
        .bearer_auth(&first)
        .header("x-peer-id", "phone")
        .body(Vec::new())
        .send()
        .await
        .expect("request");
    assert_eq!(sync.status(), StatusCode::FORBIDDEN);
    // A page sends the browser to change it; a server function refuses.
    app.sign_in("member02", &one_time).await;
    let page = app.navigate("/records").await;
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(page.headers()["location"], "/password");
    assert_eq!(app.navigate("/password").await.status(), StatusCode::OK);
    assert_eq!(
        error_code(app.sfn("members", &[]).await).await,
        (
            StatusCode::FORBIDDEN,
            "password_change_required".to_string()
        )
    );
    let changed = app
        .post(
            "/api/me/password",
            &first,
            json!({ "current_password": one_time, "new_password": "my-own-password" }),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let ledger = app
        .get(
            &format!("/api/members/{member02}/ledger?year={year}"),
            &first,
        )
        .await;
    assert_eq!(ledger.status(), StatusCode::OK, "free once changed");
    let again: Value = app
        .login("member02", "my-own-password")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["must_change_password"], false);

    // Another branch's member is invisible to this secretary.
    assert_eq!(
        error_code(app.post(&reset(&member11), &secretary, body.clone()).await)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // An officer keeps the ledger but does not reset passwords; nor does a member.
    let officer = app.token("officer01").await;
    assert_eq!(
        error_code(app.post(&reset(&member02), &officer, body.clone()).await)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let member = app.token("member03").await;
    assert_eq!(
        error_code(app.post(&reset(&member02), &member, body.clone()).await)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // The committee admin reaches every branch.
    assert_eq!(
        app.post(&reset(&member11), &admin, body.clone())
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        error_code(app.post(&reset("no-such-id"), &admin, body.clone()).await)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}
on_both!(password_resets_need_the_right_role_and_scope);

async fn changing_ones_password(db: Db) {
    let app = spawn_app(db).await;
    let here = app.token("member05").await;
    let elsewhere = app.token("member05").await;
    let change =
        |current: &str, new: &str| json!({ "current_password": current, "new_password": new });

    let wrong = app
        .post(
            "/api/me/password",
            &here,
            change("wrong-current", "brand-new-pass"),
        )
        .await;
    assert_eq!(error_code(wrong).await.0, StatusCode::FORBIDDEN);
    let short = app
        .post("/api/me/password", &here, change(DEMO_PASSWORD, "short"))
        .await;
    assert_eq!(error_code(short).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .post(
            "/api/me/password",
            &here,
            change(DEMO_PASSWORD, "brand-new-pass"),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.get("/api/me", &here).await.status(),
        StatusCode::OK,
        "the asking session stays"
    );
    assert_eq!(
        app.get("/api/me", &elsewhere).await.status(),
        StatusCode::UNAUTHORIZED,
        "other sessions end"
    );
    assert_eq!(
        app.login("member05", "brand-new-pass").await.status(),
        StatusCode::OK
    );
}
on_both!(changing_ones_password);
