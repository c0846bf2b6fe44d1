//! Who may do what, as the doors answer it: every role of the demo's tree
//! (a committee over two branches) against every kind of action, through
//! the real API and the gate's document rule, on both databases. The table
//! is docs/architecture.md's "Who may do what" written as expectations.

use crate::helpers::{spawn_app, Db, TestApp};
use crate::on_both;
use crate::review::this_year;
use crate::sync_client::Device;
use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_core::policy::{self, Access};
use vanguard_core::storage::Member;
use vanguard_shared::automerge::transaction::Transactable;
use vanguard_shared::automerge::{ObjType, ReadDoc, ROOT};
use vanguard_shared::documents::DocId;

/// The roles, in the columns' order: the committee admin; the first
/// branch's secretary, officer, a group leader and a plain member; the
/// second branch's secretary and a plain member.
const ROLES: [&str; 7] = [
    "admin",
    "secretary01",
    "officer01",
    "member01",
    "member02",
    "secretary02",
    "member11",
];

/// One action and who may take it: `allowed` has one letter per role of
/// [`ROLES`], `Y` allowed, `.` refused.
struct Action {
    name: &'static str,
    method: &'static str,
    path: String,
    body: Value,
    allowed: &'static str,
}

/// A refusal by the policy: the door answers 401, 403 or 404 (it does not
/// say whether what it hides exists). Anything else means the policy let
/// the caller through, whatever the input then made of it (422, 409).
fn refused(status: StatusCode) -> bool {
    matches!(status.as_u16(), 401 | 403 | 404)
}

async fn call(app: &TestApp, token: &str, a: &Action) -> StatusCode {
    let client = crate::helpers::client();
    let url = app.url(&a.path);
    let request = match a.method {
        "GET" => client.get(url),
        "POST" => client.post(url).json(&a.body),
        "PUT" => client.put(url).json(&a.body),
        other => panic!("method {other}"),
    };
    request
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
}

async fn member(app: &TestApp, username: &str) -> Member {
    app.state
        .services
        .store
        .accounts()
        .member_by_username(username)
        .await
        .expect("member")
        .expect(username)
}

async fn every_role_meets_every_action_as_the_policy_says(db: Db) {
    let app = spawn_app(db).await;
    let year = this_year();
    let b1 = member(&app, "secretary01").await.org_id;
    let b2 = member(&app, "secretary02").await.org_id;
    let committee = member(&app, "admin").await.org_id;
    let target = member(&app, "member03").await;
    let m3 = target.id.clone();
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push(app.token(role).await);
    }
    let get = |name, path: String, allowed| Action {
        name,
        method: "GET",
        path,
        body: Value::Null,
        allowed,
    };
    let actions = vec![
        get(
            "read the branch table",
            format!("/api/branches/{b1}/ledger?year={year}"),
            "YYY....",
        ),
        get(
            "export the branch table",
            format!("/api/branches/{b1}/ledger.csv?year={year}"),
            "YYY....",
        ),
        get(
            "read a member's sheet",
            format!("/api/members/{m3}/ledger?year={year}"),
            "YYY....",
        ),
        get(
            "export a member's sheet",
            format!("/api/members/{m3}/ledger.xlsx?year={year}"),
            "YYY....",
        ),
        get(
            "read a member's records",
            format!("/api/members/{m3}/records?year={year}"),
            "YYY....",
        ),
        get(
            "read the evaluation",
            format!("/api/branches/{b1}/evaluation?year={year}"),
            "YYY....",
        ),
        get(
            "export the evaluation",
            format!("/api/branches/{b1}/evaluation.csv?year={year}"),
            "YYY....",
        ),
        get(
            "read the job side",
            format!("/api/branches/{b1}/job-results?year={year}"),
            "YYY....",
        ),
        get(
            "read the 六化 sheet",
            format!("/api/branches/{b1}/assessment?year={year}"),
            "YYY....",
        ),
        get(
            "read the other branch's table",
            format!("/api/branches/{b2}/ledger?year={year}"),
            "Y....Y.",
        ),
        get(
            "view the committee",
            format!("/api/committee?year={year}"),
            "Y......",
        ),
        get(
            "export the committee view",
            format!("/api/committee.csv?year={year}"),
            "Y......",
        ),
        get("read the audit trail", "/api/audit".into(), "YYY..Y."),
        get("read the roster", "/api/roster".into(), "YYY..Y."),
        get(
            "read the branch's rulebook",
            format!("/api/orgs/{b1}/rulebook"),
            "YYYYY..",
        ),
        get(
            "read the committee's rulebook",
            format!("/api/orgs/{committee}/rulebook"),
            "YYYYYYY",
        ),
        Action {
            name: "preview the branch's rulebook",
            method: "POST",
            path: format!("/api/orgs/{b1}/rulebook/preview"),
            body: json!({"text": "not a rulebook"}),
            allowed: ".Y.....",
        },
        Action {
            name: "preview the committee's rulebook",
            method: "POST",
            path: format!("/api/orgs/{committee}/rulebook/preview"),
            body: json!({"text": "not a rulebook"}),
            allowed: "Y......",
        },
        Action {
            name: "override a member's grade",
            method: "PUT",
            path: format!("/api/branches/{b1}/evaluation/{m3}?year={year}"),
            body: json!({"grade": "excellent", "reason": " "}),
            allowed: "YYY....",
        },
        Action {
            name: "enter the job side",
            method: "PUT",
            path: format!("/api/branches/{b1}/job-results?year={year}"),
            body: json!([]),
            allowed: "YYY....",
        },
        Action {
            name: "reset a member's password",
            method: "POST",
            path: format!("/api/members/{m3}/password"),
            body: json!({"new_password": "x"}),
            allowed: "YY.....",
        },
        Action {
            name: "reopen the year",
            method: "POST",
            path: format!("/api/branches/{b1}/evaluation/reopen?year={year}"),
            body: json!({"reason": " "}),
            allowed: "Y......",
        },
    ];
    let mut wrong = Vec::new();
    for a in &actions {
        for (r, role) in ROLES.iter().enumerate() {
            let status = call(&app, &tokens[r], a).await;
            let expected = a.allowed.as_bytes()[r] == b'Y';
            if refused(status) == expected {
                wrong.push(format!("{role} / {}: {status}", a.name));
            }
        }
    }

    // Locking changes the year, so the refused try first; the first allowed
    // locks it and the next allowed ones are answered 409, past the policy.
    let lock = Action {
        name: "lock the year",
        method: "POST",
        path: format!("/api/branches/{b1}/evaluation/lock?year={year}"),
        body: json!({"confirm": true}),
        allowed: "YYY....",
    };
    let mut order: Vec<usize> = (0..ROLES.len()).collect();
    order.sort_by_key(|&r| lock.allowed.as_bytes()[r] == b'Y');
    for r in order {
        let status = call(&app, &tokens[r], &lock).await;
        let expected = lock.allowed.as_bytes()[r] == b'Y';
        if refused(status) == expected {
            wrong.push(format!("{} / {}: {status}", ROLES[r], lock.name));
        }
    }

    // The gate's rule for documents: the same roles, the first branch's
    // documents.
    let chain = app
        .state
        .services
        .store
        .accounts()
        .ancestry(&b1)
        .await
        .expect("chain");
    let docs = [
        (
            "the member's check-ins",
            DocId::checkins(&m3, year),
            ["R", "R", "R", "", "", "", ""],
        ),
        (
            "the member's reviews",
            DocId::reviews(&m3, year),
            ["W", "W", "W", "", "", "", ""],
        ),
        (
            "the branch's events",
            DocId::events(&b1, year),
            ["R", "W", "W", "W", "R", "", ""],
        ),
    ];
    for (what, id, expected) in &docs {
        for (r, role) in ROLES.iter().enumerate() {
            let actor = member(&app, role).await;
            let access = policy::document_access(&actor, id, Some(&target), &b1, &chain);
            let got = match access {
                Some(Access::Write) => "W",
                Some(Access::Read) => "R",
                None => "",
            };
            if got != expected[r] {
                wrong.push(format!(
                    "{role} / {what}: {got:?}, expected {:?}",
                    expected[r]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the doors disagree with the policy:\n{}",
        wrong.join("\n")
    );
}
on_both!(every_role_meets_every_action_as_the_policy_says);

/// Nobody decides about themselves, through any door: the secretary may
/// not mark their own attendance (API, page, sync), enter their own job
/// appraisal, or override or veto their own grade; each refusal is a 403
/// naming the rule, and the branch's other officer does it instead.
async fn nobody_decides_about_themselves(db: Db) {
    let app = spawn_app(db).await;
    let year = this_year();
    let secretary = member(&app, "secretary01").await;
    let b1 = secretary.org_id.clone();
    let me = secretary.id.clone();
    let sec = app.token("secretary01").await;
    let off = app.token("officer01").await;
    let started = chrono::Utc::now().fixed_offset() - chrono::Duration::minutes(20);
    let event: Value = app
        .post(
            "/api/events",
            &sec,
            json!({"kind": "party_lecture", "title": "党课", "start": started.to_rfc3339()}),
        )
        .await
        .json()
        .await
        .expect("event");
    let event_id = event["event_id"].as_str().expect("event id").to_string();
    let own_rows = json!([{"member_id": me, "outcome": "present"}]);
    let own_row = json!({ "rows": own_rows });
    let put = |token: &str, path: String, body: Value| {
        crate::helpers::client()
            .put(app.url(&path))
            .bearer_auth(token.to_string())
            .json(&body)
            .send()
    };
    let refused = |r: reqwest::Response| async move {
        let status = r.status();
        let body: Value = r.json().await.expect("error body");
        (
            status,
            body["message"].as_str().unwrap_or_default().to_string(),
        )
    };
    let cases = [
        (
            "attendance (API)",
            put(
                &sec,
                format!("/api/events/{event_id}/attendance"),
                own_row.clone(),
            )
            .await,
            policy::OWN_ATTENDANCE,
        ),
        (
            "job appraisal (API)",
            put(
                &sec,
                format!("/api/branches/{b1}/job-results?year={year}"),
                json!([{"member_id": me, "appraisal": "excellent"}]),
            )
            .await,
            policy::OWN_JOB,
        ),
        (
            "override (API)",
            put(
                &sec,
                format!("/api/branches/{b1}/evaluation/{me}?year={year}"),
                json!({"override": "excellent", "reason": "自评优秀"}),
            )
            .await,
            policy::OWN_GRADE,
        ),
        (
            "veto (API)",
            put(
                &sec,
                format!("/api/branches/{b1}/evaluation/{me}/veto?year={year}"),
                json!({"veto_id": "any", "reason": "撤销自己的否决"}),
            )
            .await,
            policy::OWN_VETO,
        ),
    ];
    for (what, response, rule) in cases {
        let (status, message) = refused(response.expect("answered")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {message}");
        assert_eq!(message, rule, "{what}");
    }

    // The page's door: the same refusals from the server functions.
    app.sign_in("secretary01", crate::helpers::DEMO_PASSWORD)
        .await;
    let own_rows = own_rows.to_string();
    let jobs = json!([{"member_id": me, "appraisal": "excellent"}]).to_string();
    for (name, form) in [
        (
            "save_attendance",
            vec![("event_id", event_id.as_str()), ("rows", own_rows.as_str())],
        ),
        (
            "save_job_sheet",
            vec![("branch", b1.as_str()), ("rows", jobs.as_str())],
        ),
        (
            "override_grade",
            vec![
                ("branch", b1.as_str()),
                ("member_id", me.as_str()),
                ("grade", "excellent"),
                ("reason", "自评优秀"),
            ],
        ),
    ] {
        let response = app.sfn(name, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
    }

    // The sync door: the secretary's desk writing their own row.
    let desk = Device::new(app.url(""), &sec, "secretary-desk");
    let doc = DocId::events(&b1, started.year());
    let mut events = desk.fetch(&doc).await;
    events
        .doc
        .transact::<_, _, vanguard_shared::automerge::AutomergeError>(|tx| {
            let attendance = tx.get(ROOT, "attendance")?.expect("attendance").1;
            let at_event = match tx.get(&attendance, event_id.as_str())? {
                Some((_, e)) => e,
                None => tx.put_object(&attendance, event_id.as_str(), ObjType::Map)?,
            };
            let row = tx.put_object(&at_event, me.as_str(), ObjType::Map)?;
            tx.put(&row, "status", "present")?;
            tx.put(&row, "by", me.as_str())?;
            Ok(())
        })
        .expect("row");
    let refusal = desk.sync(&mut events).await.expect_err("refused");
    assert_eq!(refusal.status, StatusCode::FORBIDDEN, "{}", refusal.message);

    // The other officer records the secretary's own, as the rule asks.
    let done = put(&off, format!("/api/events/{event_id}/attendance"), own_row).await;
    assert_eq!(done.expect("answered").status(), StatusCode::OK);
    let done = put(
        &off,
        format!("/api/branches/{b1}/job-results?year={year}"),
        json!([{"member_id": me, "appraisal": "competent"}]),
    )
    .await;
    assert_eq!(done.expect("answered").status(), StatusCode::OK);
    // The secretary's sheet shows their own row as not theirs to mark.
    let sheet = app
        .get_json(&format!("/api/events/{event_id}/attendance"), &sec)
        .await;
    let mine = sheet["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["member_id"] == me.as_str())
        .expect("own row");
    assert_eq!(mine["own"], true);
    assert_eq!(mine["outcome"], "present");
}
on_both!(nobody_decides_about_themselves);

/// A secretary who makes an officer's account, or resets a real officer's
/// password, gets no puppet: that account decides nothing of the
/// secretary's that year (their records wait for the committee admin
/// above), by the API and by sync.
async fn a_secretarys_puppet_decides_nothing_for_them(db: Db) {
    use vanguard_shared::documents::edit::add_record;
    let app = spawn_app(db).await;
    let year = this_year();
    let secretary = member(&app, "secretary01").await;
    let b1 = secretary.org_id.clone();
    let me = secretary.id.clone();
    let sec = app.token("secretary01").await;
    let admin = app.token("admin").await;
    let put = |token: &str, path: String, body: Value| {
        crate::helpers::client()
            .put(app.url(&path))
            .bearer_auth(token.to_string())
            .json(&body)
            .send()
    };
    // The secretary makes an 组织委员 with a password of their choosing.
    let made = put(
        &sec,
        "/api/roster".into(),
        json!({"username": "puppet01", "name": "傀儡", "status": "full", "branch_id": b1,
               "roles": ["org_officer"], "active": true, "password": "chosen-by-secretary"}),
    )
    .await
    .expect("answered");
    assert_eq!(made.status(), StatusCode::OK);
    let login: Value = app
        .login("puppet01", "chosen-by-secretary")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        login["must_change_password"], true,
        "not the secretary's to keep"
    );
    let puppet = login["token"].as_str().expect("token").to_string();
    let changed = app
        .post(
            "/api/me/password",
            &puppet,
            json!({"current_password": "chosen-by-secretary", "new_password": "puppet-own-1"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    // The secretary's record, waiting.
    let services = &app.state.services;
    services.documents_of(&secretary, year).await.expect("docs");
    let record = vanguard_shared::documents::NewRecord {
        kind: "visit".into(),
        occurred_at: Some(crate::review::ago(60)),
        place: Some("幸福社区".into()),
        ..Default::default()
    };
    services
        .sync
        .edit(&secretary, &DocId::checkins(&me, year), |d| {
            add_record(d, "sec-visit", &record)
        })
        .await
        .expect("record");
    let queue = app
        .get_json(&format!("/api/review/queue?year={year}"), &puppet)
        .await;
    assert!(
        !queue.to_string().contains("sec-visit"),
        "not in the puppet's queue: {queue}"
    );
    let refused = |r: reqwest::Response| async move {
        let status = r.status();
        let body: Value = r.json().await.expect("error body");
        (
            status,
            body["message"].as_str().unwrap_or_default().to_string(),
        )
    };
    let approve = json!({"member_id": me, "record_id": "sec-visit", "status": "approved"});
    let cases = [
        (
            "review",
            app.post("/api/reviews", &puppet, approve.clone()).await,
        ),
        (
            "override",
            put(
                &puppet,
                format!("/api/branches/{b1}/evaluation/{me}?year={year}"),
                json!({"override": "excellent", "reason": "书记优秀"}),
            )
            .await
            .expect("answered"),
        ),
        (
            "job appraisal",
            put(
                &puppet,
                format!("/api/branches/{b1}/job-results?year={year}"),
                json!([{"member_id": me, "appraisal": "excellent"}]),
            )
            .await
            .expect("answered"),
        ),
    ];
    for (what, response) in cases {
        assert_eq!(
            refused(response).await,
            (StatusCode::FORBIDDEN, policy::VOUCHED.to_string()),
            "{what}"
        );
    }
    // The sync door: the puppet's phone writing a decision on the record.
    let phone = Device::new(app.url(""), &puppet, "puppet-phone");
    let mut reviews = phone.fetch(&DocId::reviews(&me, year)).await;
    let puppet_id = app.get_json("/api/me", &puppet).await["member_id"]
        .as_str()
        .expect("id")
        .to_string();
    let version = app
        .get_json(&format!("/api/review/queue?year={year}"), &admin)
        .await
        .as_array()
        .expect("queue")
        .iter()
        .find(|i| i["record_id"] == "sec-visit")
        .map(|i| i["version"].clone())
        .expect("in the admin's queue");
    let version = version.as_str().expect("version").to_string();
    let verdict = vanguard_shared::documents::edit::Verdict {
        status: vanguard_shared::documents::DecisionStatus::Approved,
        reason: None,
        version: &version,
        seen: None,
    };
    let now = chrono::Utc::now().fixed_offset();
    vanguard_shared::documents::edit::decide_over(
        &mut reviews.doc,
        "sec-visit",
        verdict,
        &puppet_id,
        now,
        None,
    )
    .expect("decision");
    let refusal = phone.sync(&mut reviews).await.expect_err("refused");
    assert_eq!(refusal.status, StatusCode::FORBIDDEN, "{}", refusal.message);

    // The committee admin above decides it.
    let approved = app.post("/api/reviews", &admin, approve.clone()).await;
    assert_eq!(approved.status(), StatusCode::OK);

    // A real officer decides the secretary's grade until the secretary
    // resets their password; from then on, not that year.
    let officer = app.token("officer01").await;
    let officer_id = member(&app, "officer01").await.id;
    let grade = |token: String| {
        put(
            &token,
            format!("/api/branches/{b1}/evaluation/{me}?year={year}"),
            json!({"override": "qualified", "reason": "支委会议定"}),
        )
    };
    assert_eq!(
        grade(officer).await.expect("answered").status(),
        StatusCode::OK
    );
    let reset: Value = app
        .post(
            &format!("/api/members/{officer_id}/password"),
            &sec,
            json!({}),
        )
        .await
        .json()
        .await
        .expect("reset");
    let one_time = reset["password"].as_str().expect("one-time");
    let officer: Value = app
        .login("officer01", one_time)
        .await
        .json()
        .await
        .expect("json");
    let officer = officer["token"].as_str().expect("token").to_string();
    app.post(
        "/api/me/password",
        &officer,
        json!({"current_password": one_time, "new_password": "officer-own-1"}),
    )
    .await;
    assert_eq!(
        refused(grade(officer).await.expect("answered")).await,
        (StatusCode::FORBIDDEN, policy::VOUCHED.to_string())
    );
}
on_both!(a_secretarys_puppet_decides_nothing_for_them);
