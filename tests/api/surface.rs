//! The web surface as an attacker with a page on another origin, or a
//! member with a bad request, meets it: forgery refused, the encodings the
//! pages send and no other, security headers on every response, errors as
//! JSON, redirects only inside the app.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;

async fn forged_requests_from_another_origin_are_refused(db: Db) {
    let app = spawn_app(db).await;
    app.sign_in("secretary01", DEMO_PASSWORD).await;
    let members: serde_json::Value = app.sfn("members", &[]).await.json().await.expect("members");
    let target = members
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["username"] == "member04")
        .expect("member04")["member_id"]
        .as_str()
        .expect("id")
        .to_string();
    let other_port = format!("http://127.0.0.1:{}", app.addr.port() + 1);
    let form = [("member_id", target.as_str()), ("new", "forged-reset-1")];

    // A page on another port of the same host posts the form with the
    // secretary's cookie: refused, and the password unchanged.
    let forged = app
        .client
        .post(app.url("/sfn/reset_password"))
        .header("origin", &other_port)
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(
        error_code(forged).await,
        (StatusCode::FORBIDDEN, "forbidden".to_string())
    );
    let same_site = app
        .client
        .post(app.url("/sfn/reset_password"))
        .header("sec-fetch-site", "same-site")
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(same_site.status(), StatusCode::FORBIDDEN);
    let logout = app
        .client
        .post(app.url("/sfn/logout"))
        .header("origin", &other_port)
        .send()
        .await
        .expect("request");
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    // As text/plain, even from the app's own origin: not what pages send.
    let plain = app
        .client
        .post(app.url("/sfn/reset_password"))
        .header("origin", app.url(""))
        .header("content-type", "text/plain")
        .body("member_id=x&new=forged-reset-1")
        .send()
        .await
        .expect("request");
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        app.login("member04", "forged-reset-1").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The API's state changes too.
    let api = app
        .client
        .post(app.url("/api/logout"))
        .header("origin", &other_port)
        .send()
        .await
        .expect("request");
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    // The app's own page still works.
    assert_eq!(
        app.sfn("reset_password", &form).await.status(),
        StatusCode::OK
    );
}
on_both!(forged_requests_from_another_origin_are_refused);

async fn every_response_carries_the_security_headers(db: Db) {
    let app = spawn_app(db).await;
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .expect("page");
    let headers = page.headers().clone();
    let html = page.text().await.expect("html");
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    // The page's inline scripts carry the policy's nonce.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    for path in ["/login", "/api/me", "/pkg/vanguard.css", "/healthz"] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h.contains_key("content-security-policy"), "{path}");
    }
    // Behind HTTPS (as a proxy says), the session cookie is Secure.
    let over_https = app
        .client
        .post(app.url("/api/login"))
        .header("x-forwarded-proto", "https")
        .json(&serde_json::json!({ "username": "member01", "password": DEMO_PASSWORD }))
        .send()
        .await
        .expect("login");
    let cookies: Vec<String> = over_https
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}
on_both!(every_response_carries_the_security_headers);

async fn bad_input_answers_json_and_redirects_stay_in_the_app(db: Db) {
    let app = spawn_app(db).await;
    let token = app.token("member01").await;
    let bad_query = app.get("/api/me?year=not-a-year", &token).await;
    assert_eq!(
        error_code(bad_query).await,
        (StatusCode::BAD_REQUEST, "bad_request".to_string())
    );
    // A server function's arguments that do not decode: 400, JSON.
    app.sign_in("secretary01", DEMO_PASSWORD).await;
    let bad_args = app.sfn("reset_password", &[("nonsense", "1")]).await;
    assert_eq!(bad_args.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = bad_args.json().await.expect("JSON");
    assert_eq!(body["error"], "bad_request", "{body}");
    // A form posted without script goes back to where it came from, but
    // never to another site.
    let evil = app
        .client
        .post(app.url("/sfn/login"))
        .header("accept", "text/html")
        .header("referer", "https://evil.example/phish")
        .form(&[("username", "member01"), ("password", "wrong-password")])
        .send()
        .await
        .expect("request");
    if let Some(location) = evil.headers().get("location") {
        let location = location.to_str().expect("location");
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{location}"
        );
    }
    let home = app
        .client
        .post(app.url("/sfn/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login?next=/members"))
        .form(&[("username", "member01"), ("password", "wrong-password")])
        .send()
        .await
        .expect("request");
    if let Some(location) = home.headers().get("location") {
        assert!(
            location.to_str().expect("location").starts_with("/login"),
            "{location:?}"
        );
    }
}
on_both!(bad_input_answers_json_and_redirects_stay_in_the_app);
