//! Who may do what, as the doors answer it: every role of the demo's tree
//! (a committee over two branches) against every kind of action, through
//! the real API and the gate's document rule, on both databases. The table
//! is docs/architecture.md's "Who may do what" written as expectations.

use crate::helpers::{spawn_app, Db, TestApp};
use crate::on_both;
use crate::review::this_year;
use reqwest::StatusCode;
use serde_json::{json, Value};
use vanguard_core::policy::{self, Access};
use vanguard_core::storage::Member;
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
        body: json!({}),
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
