//! Official ledgers on the server: a member's sheet and the branch table,
//! priced by the shared engine with the organisation's rulebook in force,
//! and publishing a new rulebook version after its preview.

use crate::fixtures::Branch;
use crate::helpers::{client, error_code, spawn_app, Db, TestApp};
use crate::on_both;
use crate::review::{check_in, this_year, token_of, visit};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use vanguard_shared::ledger::{
    self, default_rulebook, Kind, LedgerInput, Mode, Points, RecordFact, Review, Rulebook,
};

async fn sheet(app: &TestApp, token: &str, member_id: &str, mode: &str) -> Value {
    app.get_json(
        &format!(
            "/api/members/{member_id}/ledger?year={}&mode={mode}",
            this_year()
        ),
        token,
    )
    .await
}

fn entry<'a>(sheet: &'a Value, record_id: &str) -> &'a Value {
    sheet["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["record_id"] == record_id)
        .unwrap_or_else(|| panic!("no entry {record_id} in {sheet}"))
}

async fn decide(app: &TestApp, token: &str, member_id: &str, record_id: &str, status: &str) {
    let response = app
        .post(
            "/api/reviews",
            token,
            json!({"member_id": member_id, "record_id": record_id, "status": status,
                   "reason": (status == "returned").then_some("照片看不清，请补充说明")}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "decide {record_id}");
}

async fn post_text(app: &TestApp, path: &str, token: &str, body: &str) -> reqwest::Response {
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(body.to_string())
        .send()
        .await
        .expect("request")
}

fn points(v: &Value) -> Points {
    serde_json::from_value(v.clone()).expect("points")
}

async fn the_official_ledger_follows_decisions_and_equals_the_engine(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let member = &branch.members[0];
    check_in(&app, member, "rec-a", visit(120))
        .await
        .expect("a");
    check_in(&app, member, "rec-b", visit(60)).await.expect("b");
    let mine = token_of(&app, member).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let base = default_rulebook().base;

    // Before review: nothing counts officially; the provisional counts both.
    let before = sheet(&app, &mine, &member.id, "official").await;
    assert_eq!(points(&before["total"]), base);
    assert_eq!(entry(&before, "rec-a")["note"]["note"], "awaiting_review");
    assert_eq!(before["pending"], 2);
    let provisional = sheet(&app, &mine, &member.id, "provisional").await;
    assert_eq!(
        points(&provisional["total"]),
        base + Points::whole(4),
        "{provisional}"
    );

    // The branch table, read (and kept) before the decisions…
    let table_path = format!("/api/branches/{}/ledger?year={}", branch.id, this_year());
    let row_of = |table: &Value| {
        table["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["member_id"] == member.id.as_str())
            .cloned()
            .expect("the member's row")
    };
    let before_table = row_of(&app.get_json(&table_path, &secretary).await);
    assert_eq!(
        (
            before_table["pending"].clone(),
            points(&before_table["total"])
        ),
        (json!(2), base)
    );

    decide(&app, &secretary, &member.id, "rec-a", "approved").await;
    decide(&app, &secretary, &member.id, "rec-b", "returned").await;
    // …is current after them.
    let after_table = row_of(&app.get_json(&table_path, &secretary).await);
    assert_eq!(
        (
            after_table["pending"].clone(),
            after_table["returned"].clone(),
            points(&after_table["total"])
        ),
        (json!(0), json!(1), base + Points::whole(2))
    );
    let after = sheet(&app, &mine, &member.id, "official").await;
    let a = entry(&after, "rec-a");
    assert_eq!(
        (a["counted"].clone(), points(&a["granted"])),
        (json!(true), Points::whole(2))
    );
    assert_eq!(a["rule_id"], "visit");
    assert_eq!(a["rule_name"], "走访");
    assert_eq!(a["reviewer"], branch.secretary.id.as_str());
    assert_eq!(a["reviewer_name"], branch.secretary.name.as_str());
    assert!(a["date"].as_str().is_some_and(|d| d.len() == 10), "{a}");
    let b = entry(&after, "rec-b");
    assert_eq!(b["counted"], false);
    assert_eq!(b["note"]["note"], "returned");
    assert_eq!(b["note_label"], "已退回：照片看不清，请补充说明");
    assert!(b["history"].to_string().contains("照片看不清"), "{b}");
    assert_eq!(
        (after["pending"].clone(), after["returned"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(after["rulebook_id"], "default");
    // Its charts, drawn on the server, say the same in words.
    let charts = after["charts"].as_array().expect("charts");
    assert_eq!(charts.len(), 3, "{after}");
    assert_eq!(
        charts[1]["alt"], "走访 1",
        "one counted visit: {}",
        charts[1]
    );
    assert!(charts[1]["svg"]
        .as_str()
        .is_some_and(|svg| svg.matches("<rect").count() == 1));
    assert!(after["rulebook_label"]
        .as_str()
        .is_some_and(|l| l.contains("第 1 版")));

    // The same facts through the shared engine give the same ledger.
    let at = |id: &str| {
        chrono::DateTime::parse_from_rfc3339(
            entry(&after, id)["occurred_at"].as_str().expect("time"),
        )
        .expect("rfc3339")
    };
    let facts = [
        RecordFact {
            record_id: Arc::from("rec-a"),
            kind: Kind::Visit,
            occurred_at: at("rec-a"),
            outcome: None,
            hours: None,
            review: Review::Approved {
                by: Arc::from(branch.secretary.id.as_str()),
            },
            occurrence: None,
        },
        RecordFact {
            record_id: Arc::from("rec-b"),
            kind: Kind::Visit,
            occurred_at: at("rec-b"),
            outcome: None,
            hours: None,
            review: Review::Returned {
                by: Arc::from(branch.secretary.id.as_str()),
                reason: "照片看不清，请补充说明".into(),
            },
            occurrence: None,
        },
    ];
    let engine = ledger::compute(
        &default_rulebook(),
        &LedgerInput {
            member_id: &member.id,
            year: this_year(),
            time_zone: chrono_tz::Asia::Shanghai,
            records: &facts,
            adjustments: &[],
            vetoes: &[],
            job: None,
        },
        Mode::Official,
    );
    assert_eq!(points(&after["total"]), engine.total);
    assert_eq!(after["sections"], json!(engine.sections));
    assert_eq!(after["sides"], json!(engine.sides));
    assert_eq!(after["proposed"], json!(engine.proposed));
    for e in &engine.entries {
        let ledger::Source::Record(id) = &e.source else {
            continue;
        };
        let served = entry(&after, id);
        assert_eq!(
            (points(&served["granted"]), served["counted"].as_bool()),
            (e.granted, Some(e.counted)),
            "{id}"
        );
    }
}
on_both!(the_official_ledger_follows_decisions_and_equals_the_engine);

async fn ledgers_are_read_only_by_those_who_may(db: Db) {
    let app = spawn_app(db).await;
    let one = Branch::create(&app, 2).await;
    let two = Branch::create(&app, 1).await;
    check_in(&app, &one.members[0], "rec-1", visit(30))
        .await
        .expect("synced");
    let member = token_of(&app, &one.members[0]).await;
    let other_member = token_of(&app, &one.members[1]).await;
    let secretary_one = token_of(&app, &one.secretary).await;
    let officer_one = token_of(&app, &one.officer).await;
    let year = this_year();

    // A member reads their own sheet, not another's.
    let response = app
        .get(
            &format!("/api/members/{}/ledger?year={year}", one.members[0].id),
            &other_member,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The branch table: its secretary and officer, nobody else.
    let table = app
        .get_json(
            &format!("/api/branches/{}/ledger?year={year}", one.id),
            &officer_one,
        )
        .await;
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4, "{table}");
    let row = rows
        .iter()
        .find(|r| r["member_id"] == one.members[0].id.as_str())
        .expect("the member's row");
    assert_eq!(
        (row["pending"].clone(), row["returned"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(row["proposed"], "qualified");
    assert_eq!(row["status_label"], "正式");
    assert!(row.get("rank").is_none(), "ranking is off by default");
    assert_eq!(table["ranking"], false);
    let titles: Vec<&str> = table["charts"]
        .as_array()
        .expect("charts")
        .iter()
        .filter_map(|c| c["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "每月计入台账的记录（条）",
            "按类型计入台账的记录（条）",
            "各类会议出勤率"
        ]
    );
    for (token, path) in [
        (
            &secretary_one,
            format!("/api/branches/{}/ledger?year={year}", two.id),
        ),
        (
            &member,
            format!("/api/branches/{}/ledger?year={year}", one.id),
        ),
    ] {
        let (status, code) = error_code(app.get(&path, token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{path}"
        );
    }
    // The demo's committee admin reads both tables.
    let admin = app.token("admin").await;
    app.get_json(
        &format!("/api/branches/{}/ledger?year={year}", two.id),
        &admin,
    )
    .await;
}
on_both!(ledgers_are_read_only_by_those_who_may);

/// The shipped rulebook for this year with the visit rule's points doubled.
fn doubled_visits() -> String {
    let text = vanguard_shared::ledger::rulebook::DEFAULT_TOML
        .replace("year = 2026", &format!("year = {}", this_year()))
        .replace(
            "points = 2\ncaps = [{ period = \"year\", max = 12 }]",
            "points = 4\ncaps = [{ period = \"year\", max = 24 }]",
        );
    let book = Rulebook::from_toml("doubled", &text).expect("valid");
    assert_eq!(
        book.rule_for(Kind::Visit).map(|(_, r)| r.caps[0].max),
        Some(Points::whole(24))
    );
    text
}

async fn a_published_rulebook_prices_totals_as_its_preview_said(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let other = Branch::create(&app, 0).await;
    check_in(&app, &branch.members[0], "rec-v", visit(30))
        .await
        .expect("synced");
    let secretary = token_of(&app, &branch.secretary).await;
    decide(&app, &secretary, &branch.members[0].id, "rec-v", "approved").await;
    let year = this_year();
    let rulebook_path = format!("/api/orgs/{}/rulebook", branch.id);

    // A broken upload names its line and stores nothing.
    let broken = doubled_visits().replace("kind = \"visit\"", "kind = \"picnic\"");
    let lines: Vec<&str> = broken.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "id = \"visit\"")
        .expect("the visit rule");
    let line = (0..at)
        .rev()
        .find(|i| lines[*i] == "[[rules]]")
        .expect("header")
        + 1;
    let response = post_text(
        &app,
        &format!("{rulebook_path}/preview"),
        &secretary,
        &broken,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("error");
    let message = body["message"].as_str().expect("message");
    // The line of the rule's `[[rules]]` header, and the rule named.
    assert!(
        message.contains(&format!("第 {line} 行"))
            && message.contains("“visit”")
            && message.contains("picnic"),
        "{message}"
    );
    let response = post_text(&app, &rulebook_path, &secretary, &broken).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let overview = app
        .get_json(&format!("{rulebook_path}?year={year}"), &secretary)
        .await;
    assert_eq!(
        (overview["shipped"].clone(), overview["versions"].clone()),
        (json!(true), json!([]))
    );

    // Only the branch's own secretary publishes for it.
    let plain = token_of(&app, &branch.members[1]).await;
    let stranger = token_of(&app, &other.secretary).await;
    for token in [&plain, &stranger] {
        let response = post_text(&app, &rulebook_path, token, &doubled_visits()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    // The preview names every member, the changed one first.
    let preview: Value = post_text(
        &app,
        &format!("{rulebook_path}/preview"),
        &secretary,
        &doubled_visits(),
    )
    .await
    .json()
    .await
    .expect("preview");
    let rows = preview["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4, "{preview}");
    assert_eq!(rows[0]["member_id"], branch.members[0].id.as_str());
    assert_eq!(preview["changed"], 1);
    assert_eq!(preview["version"], 1);
    let said = points(&rows[0]["new_total"]);
    assert_eq!(said, points(&rows[0]["current_total"]) + Points::whole(2));

    let published: Value = post_text(&app, &rulebook_path, &secretary, &doubled_visits())
        .await
        .json()
        .await
        .expect("published");
    assert_eq!(published["version"], 1);
    let mine = token_of(&app, &branch.members[0]).await;
    let after = sheet(&app, &mine, &branch.members[0].id, "official").await;
    assert_eq!(points(&after["total"]), said);
    assert_eq!(after["rulebook_version"], 1);
    assert!(
        after["rulebook_label"]
            .as_str()
            .is_some_and(|l| l.contains(&branch.name)),
        "{after}"
    );
    // The phone prices its provisional ledger by the same rulebook.
    let phone = app
        .get_json(&format!("/api/rulebook?year={year}"), &mine)
        .await;
    let visit_rule = phone["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "visit")
        .cloned()
        .expect("visit rule");
    assert_eq!(visit_rule["pricing"], json!({"flat": 4}), "{visit_rule}");
    // Another branch keeps the committee's (the shipped default).
    let theirs = token_of(&app, &other.secretary).await;
    let phone = app
        .get_json(&format!("/api/rulebook?year={year}"), &theirs)
        .await;
    assert_eq!(phone["id"], "default");

    // Published in the audit log, with who and which version.
    let audit = app
        .state
        .services
        .store
        .audit()
        .of_document(&format!("rulebook:{}:{year}", branch.id))
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].member_id, branch.secretary.id);
    assert_eq!(
        audit[0].change_hashes,
        vec!["published version 1".to_string()]
    );

    // The downloaded copy says its version and uploads as the next one.
    let toml = app
        .get(
            &format!("/api/orgs/{}/rulebook.toml?year={year}", branch.id),
            &secretary,
        )
        .await
        .text()
        .await
        .expect("toml");
    assert!(toml.contains("version = 1\n"), "{toml}");
    let again: Value = post_text(&app, &rulebook_path, &secretary, &toml)
        .await
        .json()
        .await
        .expect("published");
    assert_eq!(again["version"], 2);
}
on_both!(a_published_rulebook_prices_totals_as_its_preview_said);

async fn a_committee_publishes_after_its_shipped_first_version(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let admin = app.token("admin").await;
    let me = app.get_json("/api/me", &admin).await;
    let committee = me["committee"]["id"]
        .as_str()
        .expect("committee")
        .to_string();
    let path = format!("/api/orgs/{committee}/rulebook");
    let published: Value = post_text(&app, &path, &admin, &doubled_visits())
        .await
        .json()
        .await
        .expect("published");
    assert_eq!(published["version"], 2, "{published}");
    let overview = app
        .get_json(&format!("{path}?year={}", this_year()), &admin)
        .await;
    let versions: Vec<i64> = overview["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(versions, vec![2, 1]);
    // A branch with none of its own is priced by the committee's.
    let member = token_of(&app, &branch.members[0]).await;
    let phone = app
        .get_json(&format!("/api/rulebook?year={}", this_year()), &member)
        .await;
    assert_eq!(phone["version"], 2);
}
on_both!(a_committee_publishes_after_its_shipped_first_version);

async fn a_sheet_shows_what_a_correction_changed(db: Db) {
    use crate::review::ago;
    use crate::sync_client::Device;
    use vanguard_shared::documents::edit::set_fields;
    use vanguard_shared::documents::{DocId, NewRecord};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let member = &branch.members[0];
    let volunteering = NewRecord {
        kind: "volunteer".into(),
        occurred_at: Some(ago(90)),
        hours: Some(2.0),
        note: Some("打扫卫生".into()),
        ..Default::default()
    };
    check_in(&app, member, "rec-v", volunteering)
        .await
        .expect("synced");
    let token = token_of(&app, member).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let before = sheet(&app, &secretary, &member.id, "provisional").await;
    assert_eq!(entry(&before, "rec-v")["history"], json!([]));

    // The member corrects the hours on their phone.
    let phone = Device::new(app.url(""), &token, "phone-correct");
    let mut mine = phone.fetch(&DocId::checkins(&member.id, this_year())).await;
    set_fields(
        &mut mine.doc,
        "records",
        "rec-v",
        &[("hours", automerge::ScalarValue::F64(3.5))],
    )
    .expect("correct");
    phone.sync(&mut mine).await.expect("synced");

    let after = sheet(&app, &secretary, &member.id, "provisional").await;
    let e = entry(&after, "rec-v");
    assert_eq!(e["history"], json!(["更正：时长 2 → 3.5"]), "{e}");
    assert_eq!(e["hours"], json!(3.5));
}
on_both!(a_sheet_shows_what_a_correction_changed);

/// The branch table and a sheet as .xlsx and CSV, read back: the same
/// totals and grades as the page's JSON, Chinese intact.
async fn exports_hold_what_the_pages_show(db: Db) {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    check_in(&app, &branch.members[0], "rec-x", visit(30))
        .await
        .expect("synced");
    let secretary = token_of(&app, &branch.secretary).await;
    decide(&app, &secretary, &branch.members[0].id, "rec-x", "approved").await;
    let year = this_year();
    let table = app
        .get_json(
            &format!("/api/branches/{}/ledger?year={year}", branch.id),
            &secretary,
        )
        .await;

    let response = app
        .get(
            &format!("/api/branches/{}/ledger.xlsx?year={year}", branch.id),
            &secretary,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("filename*=UTF-8''"));
    let bytes = response.bytes().await.expect("xlsx").to_vec();
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let range = book.worksheet_range("台账").expect("the sheet");
    let title = range
        .get_value((0, 0))
        .map(|d| d.to_string())
        .unwrap_or_default();
    assert!(
        title.contains(&branch.name)
            && title.contains(&year.to_string())
            && title.contains("第 1 版"),
        "{title}"
    );
    let header: Vec<String> = (0..13)
        .filter_map(|c| range.get_value((1, c)).map(|d| d.to_string()))
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}")) as u32
    };
    for row in table["rows"].as_array().expect("rows") {
        let r = (2..range.height() as u32)
            .find(|r| {
                range.get_value((*r, 0))
                    == Some(&Data::String(
                        row["name"].as_str().unwrap_or_default().into(),
                    ))
            })
            .unwrap_or_else(|| panic!("{} in the workbook", row["name"]));
        assert_eq!(
            range.get_value((r, col("总分"))),
            Some(&Data::Float(row["total"].as_f64().expect("total"))),
            "{}",
            row["name"]
        );
        assert_eq!(
            range.get_value((r, col("预估等次"))),
            Some(&Data::String(
                row["proposed_label"].as_str().unwrap_or_default().into()
            ))
        );
    }

    let csv = app
        .get(
            &format!("/api/branches/{}/ledger.csv?year={year}", branch.id),
            &secretary,
        )
        .await
        .bytes()
        .await
        .expect("csv")
        .to_vec();
    assert!(
        csv.starts_with(&[0xEF, 0xBB, 0xBF]),
        "Excel needs the byte order mark"
    );
    let text = String::from_utf8(csv).expect("utf-8");
    assert!(
        text.contains(&branch.members[0].name) && text.contains("组织生活情况"),
        "{text}"
    );

    // A member's sheet, to the member; not to another branch's secretary.
    let mine = token_of(&app, &branch.members[0]).await;
    let path = format!(
        "/api/members/{}/ledger.xlsx?year={year}",
        branch.members[0].id
    );
    let bytes = app
        .get(&path, &mine)
        .await
        .bytes()
        .await
        .expect("xlsx")
        .to_vec();
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let range = book.worksheet_range("台账").expect("the sheet");
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|d| d.to_string()))
        .collect();
    assert!(
        cells.iter().any(|c| c == "走访") && cells.iter().any(|c| c == "总分"),
        "{cells:?}"
    );
    let stranger = app.token("secretary01").await;
    assert_eq!(
        app.get(&path, &stranger).await.status(),
        StatusCode::NOT_FOUND
    );
}
on_both!(exports_hold_what_the_pages_show);

async fn heavy_answers_are_rate_limited(db: Db) {
    use crate::helpers::{config, start_configured, TestDb};
    use vanguard_core::rate::{HeavyRates, Rate};
    let rate = Rate {
        burst: 3.0,
        per_second: 0.01,
    };
    let app = start_configured(
        TestDb::new(db).await,
        vanguard_server::startup::Config {
            heavy: HeavyRates {
                per_member: rate,
                per_address: Rate {
                    burst: 100.0,
                    per_second: 0.01,
                },
            },
            ..config("")
        },
    )
    .await;
    let token = app.token("member01").await;
    let me = app.get_json("/api/me", &token).await;
    let id = me["member_id"].as_str().expect("id").to_string();
    let path = format!("/api/members/{id}/ledger?year={}", this_year());
    for _ in 0..3 {
        assert_eq!(app.get(&path, &token).await.status(), StatusCode::OK);
    }
    // The fourth within the burst's budget waits, by any door.
    let response = app.get(&path, &token).await;
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!(wait >= 1, "Retry-After {wait}");
    let (status, code) = error_code(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let queue = app.get("/api/review/queue", &token).await;
    assert_eq!(queue.status(), StatusCode::TOO_MANY_REQUESTS);
    app.sign_in("member01", crate::helpers::DEMO_PASSWORD).await;
    let page = app
        .sfn(
            "member_sheet",
            &[("member_id", &id), ("provisional", "true")],
        )
        .await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    // Light requests, and everyone else, are not held back.
    assert_eq!(app.get("/api/me", &token).await.status(), StatusCode::OK);
    let health = client().get(app.url("/healthz")).send().await.expect("up");
    assert_eq!(health.status(), StatusCode::OK);
    let other = app.token("member02").await;
    let other_id = app.get_json("/api/me", &other).await["member_id"]
        .as_str()
        .expect("id")
        .to_string();
    let theirs = format!("/api/members/{other_id}/ledger?year={}", this_year());
    assert_eq!(app.get(&theirs, &other).await.status(), StatusCode::OK);
}
on_both!(heavy_answers_are_rate_limited);

async fn a_rulebook_is_stored_as_it_was_previewed(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 1).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let year = this_year();
    let rulebook_path = format!("/api/orgs/{}/rulebook", branch.id);
    // A quoted key is the same key; a multi-line string is one string.
    let quoted = doubled_visits()
        .replacen(
            &format!("\nyear = {year}"),
            &format!("\n\"year\" = {year}"),
            1,
        )
        .replacen(
            "name = \"志愿服务（每小时）\"",
            "name = \"\"\"志愿服务\n（每小时）\"\"\"",
            1,
        );
    assert!(quoted.contains("\"year\" =") && quoted.contains("\"\"\""));
    let preview = post_text(
        &app,
        &format!("{rulebook_path}/preview"),
        &secretary,
        &quoted,
    )
    .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let published = post_text(&app, &rulebook_path, &secretary, &quoted).await;
    assert_eq!(published.status(), StatusCode::OK);
    // Everything priced by it still answers.
    let mine = token_of(&app, &branch.members[0]).await;
    let sheet_now = sheet(&app, &mine, &branch.members[0].id, "official").await;
    assert_eq!(sheet_now["rulebook_version"], 1);
    app.get_json(
        &format!("/api/branches/{}/ledger?year={year}", branch.id),
        &secretary,
    )
    .await;
    let phone = app
        .get_json(&format!("/api/rulebook?year={year}"), &mine)
        .await;
    let volunteer = phone["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["kind"] == "volunteer")
        .cloned()
        .expect("volunteer rule");
    assert_eq!(volunteer["name"], "志愿服务\n（每小时）");
    let admin = app.token("admin").await;
    app.get_json(&format!("/api/committee?year={year}"), &admin)
        .await;
    let toml = app
        .get(&format!("{rulebook_path}.toml?year={year}"), &secretary)
        .await
        .text()
        .await
        .expect("toml");
    let back = Rulebook::from_toml("downloaded", &toml).expect("reads back");
    assert_eq!((back.year, back.version), (year, 1), "{toml}");
    assert!(toml.contains("version = 1\n"), "{toml}");

    // A number past what the engine may add is refused, naming it.
    let huge = doubled_visits().replacen("tasks = 10 ", "tasks = 9300000000000 ", 1);
    assert_ne!(huge, doubled_visits());
    for path in [format!("{rulebook_path}/preview"), rulebook_path.clone()] {
        let response = post_text(&app, &path, &secretary, &huge).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        let body: Value = response.json().await.expect("error");
        let message = body["message"].as_str().expect("message");
        assert!(
            message.contains("任务完成分值") && message.contains("10000"),
            "{message}"
        );
    }
    let overview = app
        .get_json(&format!("{rulebook_path}?year={year}"), &secretary)
        .await;
    assert_eq!(overview["versions"].as_array().map(Vec::len), Some(1));
}
on_both!(a_rulebook_is_stored_as_it_was_previewed);
