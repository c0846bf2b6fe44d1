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

/// The pages' server functions check permissions in the services, as the
/// JSON API does: called as the page calls them.
async fn server_functions_check_the_caller(db: Db) {
    use crate::fixtures::{Branch, PASSWORD};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let target = &branch.members[0];
    let form = [("member_id", target.id.as_str()), ("new", "reset-by-sfn-1")];

    // Anonymous: 401.
    let anonymous = app.sfn("reset_password", &form).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // A plain member of the branch: 403.
    app.sign_in(&branch.members[1].username, PASSWORD).await;
    let member = app.sfn("reset_password", &form).await;
    assert_eq!(member.status(), StatusCode::FORBIDDEN);

    // Another branch's secretary: as if the member did not exist.
    app.sign_in("secretary01", DEMO_PASSWORD).await;
    let outsider = app.sfn("reset_password", &form).await;
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let listed = app.sfn("members", &[]).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let listed: serde_json::Value = listed.json().await.expect("members");
    assert!(!listed.to_string().contains(&target.id), "{listed}");

    // The branch's org officer looks after its members but resets no password.
    app.sign_in(&branch.officer.username, PASSWORD).await;
    let listed: serde_json::Value = app.sfn("members", &[]).await.json().await.expect("members");
    assert!(listed.to_string().contains(&branch.name), "{listed}");
    let officer = app.sfn("reset_password", &form).await;
    assert_eq!(officer.status(), StatusCode::FORBIDDEN);

    // The branch's own secretary resets it, and the new password works.
    app.sign_in(&branch.secretary.username, PASSWORD).await;
    let reset = app.sfn("reset_password", &form).await;
    assert_eq!(reset.status(), StatusCode::OK);
    let one_time: String = reset.json().await.expect("one-time password");
    let listed: serde_json::Value = app.sfn("members", &[]).await.json().await.expect("members");
    assert!(listed.to_string().contains(&target.id), "{listed}");
    // A password the secretary typed is not the one set: the one-time one is.
    assert_eq!(
        app.login(&target.username, "reset-by-sfn-1").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&target.username, &one_time).await.status(),
        StatusCode::OK
    );
}
on_both!(server_functions_check_the_caller);

/// The branch ledger, a member's sheet and the rulebook render on the
/// server for an officer; their server functions refuse outsiders.
async fn ledger_and_rulebook_pages(db: Db) {
    use crate::fixtures::{Branch, PASSWORD};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    app.sign_in(&branch.secretary.username, PASSWORD).await;
    let table = app.html("/console/ledger").await;
    assert!(
        table.contains(&branch.name) && table.contains(&branch.members[1].name),
        "{table}"
    );
    assert!(table.contains(&format!(
        "href=\"/console/members/{}/ledger\"",
        branch.members[0].id
    )));
    assert!(table.contains("组织生活情况") && table.contains("预估等次"));
    assert!(table.contains(&format!("/api/branches/{}/ledger.xlsx?year=", branch.id)));
    let sheet = app
        .html(&format!("/console/members/{}/ledger", branch.members[0].id))
        .await;
    assert!(
        sheet.contains(&format!("{} 的积分清单", branch.members[0].name)),
        "{sheet}"
    );
    let rulebook = app.html("/console/rulebook").await;
    assert!(
        rulebook.contains("计分规则")
            && rulebook.contains("主题党日")
            && rulebook.contains("发布新版本"),
        "{rulebook}"
    );

    // A committee admin chooses a branch, then reads its table.
    app.sign_in("admin", DEMO_PASSWORD).await;
    let picker = app.html("/console/ledger").await;
    assert!(
        picker.contains(&branch.name)
            && picker.contains("第二党支部")
            && picker.contains(&format!("/console/ledger?branch={}", branch.id)),
        "{picker}"
    );
    let chosen = app
        .html(&format!("/console/ledger?branch={}", branch.id))
        .await;
    assert!(chosen.contains(&branch.members[1].name), "{chosen}");

    // A plain member: no branch table, no publishing.
    app.sign_in(&branch.members[0].username, PASSWORD).await;
    let refused = app.sfn("branch_ledger", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = app.sfn("publish_rulebook", &[("toml", "id = \"x\"")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Another branch's secretary sees nothing of this member's sheet.
    app.sign_in("secretary01", DEMO_PASSWORD).await;
    let refused = app
        .sfn(
            "member_sheet",
            &[
                ("member_id", branch.members[0].id.as_str()),
                ("provisional", "false"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}
on_both!(ledger_and_rulebook_pages);

/// The year-end pages render on the server for a secretary, step by step;
/// their server functions refuse a member and another branch's secretary.
async fn year_end_pages(db: Db) {
    use crate::fixtures::{Branch, PASSWORD};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    app.sign_in(&branch.secretary.username, PASSWORD).await;
    let job = app.html("/console/evaluation/job").await;
    assert!(
        job.contains("年度业务考核")
            && job.contains(&branch.members[1].name)
            && job.contains("从 Excel 或 CSV 导入")
            && job.contains("已录入 0 / 4 人"),
        "{job}"
    );
    let evaluation = app.html("/console/evaluation").await;
    assert!(
        evaluation.contains("年度党员民主评议")
            && evaluation.contains("建议等次及依据")
            && evaluation.contains("未录入业务考核结果")
            && evaluation.contains("锁定本年度评议")
            && evaluation.contains(&format!(
                "/api/branches/{}/evaluation.xlsx?year=",
                branch.id
            )),
        "{evaluation}"
    );
    let notice = app.html("/console/evaluation/notice").await;
    assert!(notice.contains("评议尚未锁定"), "{notice}");
    // January closes last year's review: the page and its functions take a year.
    let last = (crate::review::this_year() - 1).to_string();
    let earlier = app.html(&format!("/console/evaluation?year={last}")).await;
    assert!(
        earlier.contains(&format!("{last} 年度党员民主评议"))
            && earlier.contains("aria-label=\"年度\""),
        "{earlier}"
    );
    let asked = app.sfn("evaluation", &[("year", last.as_str())]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let asked: serde_json::Value = asked.json().await.expect("json");
    assert_eq!(asked["year"].to_string(), last);
    // Through the page's server functions: lock, then publish the notice.
    // The demo year has unfinished work: the page lists it, and the lock
    // goes through only once each item shown is confirmed.
    assert!(evaluation.contains("锁定前请注意"), "{evaluation}");
    let asked = app.sfn("lock_evaluation", &[]).await;
    assert_eq!(asked.status(), StatusCode::CONFLICT);
    let partly = app
        .sfn("lock_evaluation", &[("confirmed", "over_quota")])
        .await;
    assert_eq!(partly.status(), StatusCode::CONFLICT);
    let locked = app
        .sfn(
            "lock_evaluation",
            &[(
                "confirmed",
                "over_quota,job_missing,pending_reviews,events_without_sheet",
            )],
        )
        .await;
    assert_eq!(locked.status(), StatusCode::OK);
    let published = app
        .sfn(
            "publish_notice",
            &[
                ("starts_on", "2026-12-20"),
                ("ends_on", "2026-12-26"),
                ("objection", "向支部书记反映"),
                ("named", "excellent,unqualified"),
            ],
        )
        .await;
    assert_eq!(published.status(), StatusCode::OK);
    let notice = app.html("/console/evaluation/notice").await;
    assert!(
        notice.contains("民主评议党员结果公示") && notice.contains("2026-12-20 至 2026-12-26"),
        "{notice}"
    );

    // A committee admin picks the branch first, under their own navigation.
    app.sign_in("admin", DEMO_PASSWORD).await;
    let picker = app.html("/console/evaluation").await;
    let nav = picker
        .split("aria-label=\"党委管理\"")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .unwrap_or_else(|| panic!("the admin's navigation: {picker}"));
    assert!(
        nav.contains("各支部概况") && nav.contains("六化评定") && !nav.contains("主持签到"),
        "{nav}"
    );
    let events = app.html("/console/events").await;
    assert!(
        events.contains("上级党委查看各支部的活动与考勤（只读）") && !events.contains("新建活动"),
        "{events}"
    );
    assert!(
        picker.contains(&format!("/console/evaluation?branch={}", branch.id)),
        "{picker}"
    );
    let chosen = app
        .html(&format!("/console/evaluation?branch={}", branch.id))
        .await;
    assert!(chosen.contains("重新开启评议"), "{chosen}");

    // Outsiders are refused by the server functions themselves.
    app.sign_in(&branch.members[0].username, PASSWORD).await;
    let refused = app.sfn("evaluation", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    app.sign_in("secretary01", DEMO_PASSWORD).await;
    let refused = app
        .sfn("lock_evaluation", &[("branch", branch.id.as_str())])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
on_both!(year_end_pages);

/// The home page says what waits: for a secretary, the review queue's
/// length (as the JSON API counts it) and the pages to open; a plain
/// member has none of that. Signing out is on the home page only.
async fn home_page_says_what_waits(db: Db) {
    let app = spawn_app(db).await;
    let token = app.token("secretary01").await;
    let queue: serde_json::Value = app
        .get("/api/review/queue", &token)
        .await
        .json()
        .await
        .expect("queue");
    let waiting = queue.as_array().expect("a list").len();
    let home = app.html("/").await;
    assert!(
        home.contains("待我处理")
            && home.contains(&format!("待审核记录 {waiting} 条"))
            && home.contains(r#"href="/members""#)
            && home.contains("退出登录"),
        "{home}"
    );
    let console = app.html("/console").await;
    assert!(!console.contains("退出登录"), "{console}");
    let answer: serde_json::Value = app.sfn("waiting", &[]).await.json().await.expect("json");
    assert_eq!(answer["reviews"].as_u64(), Some(waiting as u64));

    app.sign_in("member09", DEMO_PASSWORD).await;
    let home = app.html("/").await;
    assert!(
        home.contains("您好，周明") && !home.contains("待我处理"),
        "{home}"
    );
    let answer: serde_json::Value = app.sfn("waiting", &[]).await.json().await.expect("json");
    assert!(answer["reviews"].is_null(), "{answer}");
    assert_eq!(answer["attendance"], serde_json::json!([]));
}
on_both!(home_page_says_what_waits);
