//! The server-rendered pages, seen as HTML (the browser tests see them hydrated).

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;

async fn login_page_and_guarded_pages(db: Db) {
    let app = spawn_app(db).await;
    let html = app.html("/login").await;
    assert!(
        html.contains(r#"<label for="username">用户名</label>"#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="password">密码</label>"#));
    assert!(html.contains(r#"<button type="submit">登录"#), "{html}");
    assert!(html.contains("/pkg/vanguard.js"), "hydration script");

    // An anonymous browser is sent to the login page.
    let home = app.navigate("/").await;
    assert_eq!(home.status(), StatusCode::FOUND);
    assert_eq!(home.headers()["location"], "/login");

    app.token("secretary01").await; // the client now carries the cookie
    let home = app.navigate("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("赵书记") && html.contains("第一党支部") && html.contains("支部书记"),
        "{html}"
    );
    assert!(html.contains(r#"href="/members""#) && html.contains(r#"href="/password""#));
    let members = app.html("/members").await;
    assert!(
        members.contains("王建国"),
        "the member list renders on the server"
    );

    let missing = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("页面不存在"));
    let api_missing = app
        .client
        .get(app.url("/api/no-such"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(api_missing).await,
        (StatusCode::NOT_FOUND, "not_found".to_string())
    );
}
on_both!(login_page_and_guarded_pages);
