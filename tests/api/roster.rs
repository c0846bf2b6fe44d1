//! The roster: a secretary adds, edits, deactivates and imports within the
//! branch but never makes secretaries; a committee admin moves members
//! between branches and groups and gives every branch role; each change is
//! in the audit trail; members are refused.

use crate::fixtures::{Branch, PASSWORD};
use crate::helpers::{client, spawn_app, Db, TestApp};
use crate::on_both;
use crate::review::token_of;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

async fn put(app: &TestApp, token: &str, body: Value) -> Response {
    client()
        .put(app.url("/api/roster"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn import(app: &TestApp, token: &str, csv: &str) -> Response {
    client()
        .post(app.url("/api/roster/import?file=members.csv"))
        .bearer_auth(token)
        .body(csv.to_string())
        .send()
        .await
        .expect("request")
}

async fn the_roster_is_kept_within_each_ones_charge(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create_with_group(&app, 2).await;
    let other = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let admin = app.token("admin").await;

    let roster = app.get_json("/api/roster", &secretary).await;
    let branches = roster["branches"].as_array().expect("branches");
    assert_eq!(branches.len(), 1, "a secretary keeps their own branch");
    assert_eq!(branches[0]["branch_id"], branch.id.as_str());
    assert_eq!(roster["assignable"], json!(["group_leader", "org_officer"]));

    // Add a member: a password is made when none is given, and it works.
    let added = put(
        &app,
        &secretary,
        json!({"username": "newcomer-1", "name": "新同志", "status": "probationary",
               "branch_id": branch.id, "active": true}),
    )
    .await;
    assert_eq!(added.status(), StatusCode::OK);
    let added: Value = added.json().await.expect("json");
    let password = added["password"]
        .as_str()
        .expect("a generated password")
        .to_string();
    assert_eq!(
        app.login("newcomer-1", &password).await.status(),
        StatusCode::OK
    );
    let new_id = added["member"]["member_id"]
        .as_str()
        .expect("id")
        .to_string();
    // The same username again, a secretary made by a secretary, a member
    // put in another branch: each refused.
    let again = put(
        &app,
        &secretary,
        json!({"username": "newcomer-1", "name": "重名", "status": "full", "branch_id": branch.id, "active": true}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let edit = |roles: Value, branch_id: &str, active: bool| {
        json!({"member_id": new_id, "username": "newcomer-1", "name": "新同志", "status": "full",
               "branch_id": branch_id, "roles": roles, "active": active})
    };
    let r = put(
        &app,
        &secretary,
        edit(json!(["secretary"]), &branch.id, true),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = put(&app, &secretary, edit(json!([]), &other.id, true)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // An officer role, then deactivation: the member no longer signs in.
    let r = put(
        &app,
        &secretary,
        edit(json!(["org_officer"]), &branch.id, true),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = put(
        &app,
        &secretary,
        edit(json!(["org_officer"]), &branch.id, false),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(
        app.login("newcomer-1", &password).await.status(),
        StatusCode::OK
    );
    // A secretary cannot deactivate themselves.
    let me = json!({"member_id": branch.secretary.id, "username": branch.secretary.username,
                    "name": branch.secretary.name, "status": "full", "branch_id": branch.id,
                    "roles": ["secretary"], "active": false});
    assert_eq!(
        put(&app, &secretary, me).await.status(),
        StatusCode::FORBIDDEN
    );

    // The committee admin moves a member to the other branch and makes a secretary.
    let mover = &branch.members[0];
    let moved = put(
        &app,
        &admin,
        json!({"member_id": mover.id, "username": mover.username, "name": mover.name,
               "status": "full", "branch_id": other.id, "roles": ["secretary"], "active": true}),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(moved["member"]["branch_id"], other.id.as_str());
    let lines = app
        .state
        .services
        .store
        .audit()
        .of_action("member_changed")
        .await
        .expect("audit");
    assert!(
        lines.iter().any(
            |(_, _, subject, detail)| subject == &format!("member:{}", mover.id)
                && detail
                    .as_deref()
                    .is_some_and(|d| d.contains("调出") && d.contains("支部书记"))
        ),
        "{lines:?}"
    );
    assert!(lines.len() >= 4, "every change: {lines:?}");

    // A member sees no roster.
    let plain = token_of(&app, &branch.members[1]).await;
    assert_eq!(
        app.get("/api/roster", &plain).await.status(),
        StatusCode::FORBIDDEN
    );
}
on_both!(the_roster_is_kept_within_each_ones_charge);

async fn a_secretary_imports_members_into_their_branch_only(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let bad = format!(
        "用户名,姓名,支部\nimp-a,甲,{}\nimp-b,乙,别的支部\n",
        branch.name
    );
    let r = import(&app, &secretary, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("第 3 行 支部"),
        "{body}"
    );
    assert_eq!(
        app.login("imp-a", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let good = format!(
        "用户名,姓名,支部,密码\nimp-a,甲,{0},imported-pass-1\nimp-b,乙,{0},\n",
        branch.name
    );
    let r = import(&app, &secretary, &good).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["members"], 2);
    assert_eq!(
        body["generated_passwords"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.login("imp-a", "imported-pass-1").await.status(),
        StatusCode::OK
    );
}
on_both!(a_secretary_imports_members_into_their_branch_only);

/// An import is previewed first and stores nothing; a group that does not
/// exist is a typo until the import says to make it.
async fn an_import_previews_and_a_typo_makes_no_group(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create_with_group(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let send = |query: &'static str, csv: String| {
        let url = app.url(&format!("/api/roster/import?file=members.csv{query}"));
        let token = secretary.clone();
        async move {
            client()
                .post(url)
                .bearer_auth(token)
                .body(csv)
                .send()
                .await
                .expect("request")
        }
    };
    let orgs_before = app.get_json("/api/roster", &secretary).await;
    let csv = format!(
        "用户名,姓名,支部,党小组\nnew-a,甲,{0},\nnew-b,乙,{0},第三党小组\n",
        branch.name
    );

    let preview = send("&dry_run=true", csv.clone()).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview: Value = preview.json().await.expect("json");
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["members"], 2);
    assert_eq!(
        preview["organisations"],
        json!([format!("{} / 第三党小组", branch.name)])
    );
    assert_eq!(preview["added"][1]["username"], "new-b");
    assert_eq!(preview["added"][1]["group"], "第三党小组");
    assert_eq!(preview["generated_passwords"], json!([]));
    assert_eq!(
        app.login("new-a", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "a preview stores nobody"
    );

    // Imported without consent: refused naming the row; nothing stored.
    let refused = send("", csv.clone()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = refused.json().await.expect("json");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("第 3 行 党小组：“第三党小组”不存在"),
        "{refused}"
    );
    assert_eq!(
        app.get_json("/api/roster", &secretary).await,
        orgs_before,
        "no member, no group"
    );

    // With consent, the group is made and the passwords come back.
    let done = send("&create_organisations=true", csv).await;
    assert_eq!(done.status(), StatusCode::OK);
    let done: Value = done.json().await.expect("json");
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["members"], 2);
    assert_eq!(done["organisations_created"], 1);
    assert_eq!(
        done["generated_passwords"].as_array().map(Vec::len),
        Some(2)
    );
}
on_both!(an_import_previews_and_a_typo_makes_no_group);

/// A workbook of well under a megabyte whose shared strings unpack to
/// `size` bytes: what a zip bomb sent as a roster looks like.
fn bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/workbook.xml", options).expect("part");
        zip.write_all(b"<workbook/>").expect("write");
        zip.start_file("xl/sharedStrings.xml", options)
            .expect("part");
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..size >> 20 {
            zip.write_all(&chunk).expect("write");
        }
        zip.finish().expect("zip");
    }
    out.into_inner()
}

/// The roster import and the job-result import refuse a zip bomb before
/// reading it, with a clear 422, and store nothing.
async fn a_zip_bomb_is_refused_before_it_is_read(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let before = app.get_json("/api/roster", &secretary).await;
    let body = bomb(256 << 20);
    println!(
        "figure: a {} KiB file that unpacks to 256 MiB",
        body.len() / 1024
    );
    for path in [
        "/api/roster/import?file=members.xlsx".to_string(),
        format!(
            "/api/branches/{}/job-results/import?file=jobs.xlsx",
            branch.id
        ),
    ] {
        let started = std::time::Instant::now();
        let response = client()
            .post(app.url(&path))
            .bearer_auth(&secretary)
            .body(body.clone())
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body: Value = response.json().await.expect("error body");
        println!("figure: {path} refused in {:?}", started.elapsed());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        // Refused for what it would unpack to, before anything read it.
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("解压后超过"), "{path}: {message}");
    }
    assert_eq!(app.get_json("/api/roster", &secretary).await, before);
}
on_both!(a_zip_bomb_is_refused_before_it_is_read);
