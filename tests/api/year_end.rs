//! The year-end evaluation: the job side imported all or nothing, the dual
//! standard's proposals, the 优秀 quota flagged, overrides with reasons, the
//! lock that freezes the year until a committee admin reopens it, the public
//! notice a member reads, the exports read back, and who may do each.

use crate::fixtures::{Branch, Person};
use crate::helpers::{client, error_code, spawn_app, Db, TestApp};
use crate::on_both;
use crate::review::{check_in, this_year, token_of, visit};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

fn path(branch: &Branch, tail: &str) -> String {
    format!("/api/branches/{}/{tail}", branch.id)
}

fn with_year(p: &str) -> String {
    let sep = if p.contains('?') { '&' } else { '?' };
    format!("{p}{sep}year={}", this_year())
}

async fn put(app: &TestApp, p: &str, token: &str, body: Value) -> Response {
    client()
        .put(app.url(&with_year(p)))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn import(
    app: &TestApp,
    branch: &Branch,
    token: &str,
    file: &str,
    body: Vec<u8>,
) -> Response {
    client()
        .post(app.url(&with_year(&path(
            branch,
            &format!("job-results/import?file={file}"),
        ))))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn evaluation(app: &TestApp, branch: &Branch, token: &str) -> Value {
    app.get_json(&with_year(&path(branch, "evaluation")), token)
        .await
}

fn row<'a>(v: &'a Value, who: &Person) -> &'a Value {
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["member_id"] == who.id.as_str())
        .unwrap_or_else(|| panic!("no row of {} in {v}", who.id))
}

async fn override_grade(
    app: &TestApp,
    branch: &Branch,
    token: &str,
    who: &Person,
    grade: Option<&str>,
    reason: &str,
) -> Response {
    put(
        app,
        &path(branch, &format!("evaluation/{}", who.id)),
        token,
        json!({"override": grade, "reason": reason}),
    )
    .await
}

async fn post(app: &TestApp, p: &str, token: &str, body: Value) -> Response {
    app.post(&with_year(p), token, body).await
}

async fn the_year_end_runs_from_job_side_to_notice(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 3).await;
    let other = Branch::create(&app, 1).await;
    let [m1, m2, m3] = [&branch.members[0], &branch.members[1], &branch.members[2]];
    let secretary = token_of(&app, &branch.secretary).await;
    let other_secretary = token_of(&app, &other.secretary).await;
    let member = token_of(&app, m1).await;
    let admin = app.token("admin").await;

    // A bad file is refused whole, each error naming its row and field.
    let bad = format!(
        "\u{feff}用户名,年度考核,交办任务,完成任务\n{},优秀,10,10\n{},很好,,\nnobody,称职,,\n{},称职,2,3\n",
        m1.username, m2.username, m3.username
    );
    let (status, message) =
        error_code_message(import(&app, &branch, &secretary, "job.csv", bad.into_bytes()).await)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for said in ["第 3 行 年度考核", "第 4 行 用户名", "第 5 行 任务"] {
        assert!(message.contains(said), "{said} in {message}");
    }
    let sheet = app
        .get_json(&with_year(&path(&branch, "job-results")), &secretary)
        .await;
    assert!(
        sheet["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["appraisal"].is_null()),
        "nothing stored: {sheet}"
    );
    // Only the branch's deciders import.
    let good = format!(
        "用户名,年度考核,交办任务,完成任务,备注\n{},优秀,10,8,\n{},不称职,,,年度考核未通过\n{},合格,,,\n",
        m1.username, m2.username, m3.username
    );
    let refused = import(
        &app,
        &branch,
        &other_secretary,
        "job.csv",
        good.clone().into_bytes(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let imported = import(&app, &branch, &secretary, "job.csv", good.into_bytes()).await;
    assert_eq!(imported.status(), StatusCode::OK);
    assert_eq!(imported.json::<Value>().await.expect("json")["saved"], 3);

    // The job side is priced and decides: 不称职 fails it, whatever else.
    let v = evaluation(&app, &branch, &secretary).await;
    assert_eq!(v["locked"], false);
    assert_eq!(v["progress"], "proposed");
    assert_eq!(row(&v, m1)["job_result"], "excellent");
    assert_eq!(row(&v, m3)["job_result"], "competent", "合格 maps to 称职");
    let failing = row(&v, m2);
    assert_eq!(failing["job_result"], "incompetent");
    assert_ne!(failing["proposed"], "excellent");
    assert!(
        failing["reasons"].to_string().contains("年度考核不称职"),
        "{failing}"
    );
    // 100 base + 20 for 优秀 + 8 of 10 task points.
    assert_eq!(row(&v, m1)["job_score"].as_f64(), Some(28.0));
    assert_eq!(v["quota"]["limit"], 1);
    assert_eq!(v["quota"]["exceeded"], false);
    // The sheet lists the appraisal under 工作完成情况.
    let sheet = app
        .get_json(
            &format!("/api/members/{}/ledger?year={}", m1.id, this_year()),
            &secretary,
        )
        .await;
    let job_lines: Vec<&Value> = sheet["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["section"] == "work_completion" && e["side"] == "job")
        .collect();
    assert!(
        job_lines.iter().any(|e| e["what"] == "年度考核：优秀"),
        "{sheet}"
    );

    // Overrides need a reason; two 优秀 of three exceed the quota, flagged.
    let (status, _) =
        error_code(override_grade(&app, &branch, &secretary, m1, Some("excellent"), "  ").await)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for who in [m1, m3] {
        let r = override_grade(
            &app,
            &branch,
            &secretary,
            who,
            Some("excellent"),
            "支部大会评议推荐",
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let v = evaluation(&app, &branch, &secretary).await;
    assert_eq!(v["quota"]["excellent"], 2);
    assert_eq!(v["quota"]["exceeded"], true);
    let overridden = row(&v, m3);
    assert_eq!(overridden["final"], "excellent");
    assert_ne!(
        overridden["proposed"], "excellent",
        "the proposal stays beside it"
    );
    assert_eq!(overridden["override_reason"], "支部大会评议推荐");
    assert_eq!(overridden["override_by"], branch.secretary.name.as_str());
    // A veto forces the result, whatever the points and the override.
    let veto_path = path(&branch, &format!("evaluation/{}/veto", m1.id));
    let veto = |body: Value| put(&app, &veto_path, &secretary, body);
    let r = veto(json!({"veto_id": "discipline", "reason": ""})).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a veto needs its facts"
    );
    let r = veto(json!({"veto_id": "no-such-item", "reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = veto(json!({"veto_id": "discipline", "reason": "受到党内警告处分"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let vetoed: Value = r.json().await.expect("json");
    let m1_row = row(&vetoed, m1);
    assert_eq!(m1_row["proposed"], "unqualified", "{m1_row}");
    assert!(m1_row["reasons"].to_string().contains("一票否决"));
    assert_eq!(m1_row["vetoes"][0], "受到党纪处分（受到党内警告处分）");
    let r = veto(json!({"veto_id": "discipline", "withdraw": true})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cleared: Value = r.json().await.expect("json");
    assert_ne!(row(&cleared, m1)["proposed"], "unqualified");

    // Withdraw one: back under the quota.
    let r = override_grade(&app, &branch, &secretary, m3, None, "").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        evaluation(&app, &branch, &secretary).await["quota"]["exceeded"],
        false
    );

    // Who may not: a member, another branch's secretary.
    let (status, _) = error_code(
        app.get(&with_year(&path(&branch, "evaluation")), &member)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = post(
        &app,
        &path(&branch, "evaluation/lock"),
        &other_secretary,
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A notice needs a locked year.
    let notice = json!({"starts_on": "2026-12-20", "ends_on": "2026-12-26",
                        "objection": "向支部书记当面或书面反映", "named": ["excellent", "unqualified"]});
    let r = put(&app, &path(&branch, "notice"), &secretary, notice.clone()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // A record submitted before the lock is decided after it: counted on
    // the sheet as after the lock, and the locked grade stays.
    check_in(&app, m1, "late-rec", visit(30))
        .await
        .expect("check in");
    // Unfinished work: the lock asks first, and says what.
    let asked = post(
        &app,
        &path(&branch, "evaluation/lock"),
        &secretary,
        json!({}),
    )
    .await;
    assert_eq!(asked.status(), StatusCode::CONFLICT);
    let asked: Value = asked.json().await.expect("json");
    assert_eq!(asked["error"], "conflict");
    let codes: Vec<&str> = asked["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"pending_reviews"), "{asked}");
    let waiting = asked["warnings"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["code"] == "pending_reviews"))
        .expect("pending");
    assert_eq!(waiting["message"], "1 条记录还在等待审核");
    // The page shows the same list before the secretary confirms.
    let shown = evaluation(&app, &branch, &secretary).await;
    assert_eq!(shown["warnings"], asked["warnings"]);
    assert_eq!(shown["locked"], false, "nothing locked by asking");
    let locked = post(
        &app,
        &path(&branch, "evaluation/lock"),
        &secretary,
        json!({"confirm": true}),
    )
    .await;
    assert_eq!(locked.status(), StatusCode::OK);
    let locked: Value = locked.json().await.expect("json");
    assert_eq!(locked["locked"], true);
    assert_eq!(locked["progress"], "locked");
    let r = override_grade(&app, &branch, &secretary, m3, Some("basic"), "复核").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let again = format!("用户名,年度考核\n{},称职\n", m2.username);
    let r = import(
        &app,
        &branch,
        &secretary,
        "job.csv",
        again.clone().into_bytes(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let before = evaluation(&app, &branch, &secretary).await;
    let decided = app
        .post(
            "/api/reviews",
            &secretary,
            json!({"member_id": m1.id, "record_id": "late-rec", "status": "approved"}),
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK, "the daily work goes on");
    assert_eq!(
        evaluation(&app, &branch, &secretary).await["rows"],
        before["rows"],
        "the locked evaluation does not move"
    );
    assert!(
        before["rows"][0].get("counted").is_none(),
        "what the snapshot counted is not served"
    );
    let sheet = app
        .get_json(
            &with_year(&format!("/api/members/{}/ledger", m1.id)),
            &secretary,
        )
        .await;
    assert_eq!(
        sheet["locked"]["final"],
        row(&before, m1)["final"],
        "{sheet}"
    );
    assert_eq!(sheet["locked"]["total"], row(&before, m1)["total"]);
    let marked: Vec<&Value> = sheet["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["after_lock"] == true)
        .collect();
    assert_eq!(marked.len(), 1, "{sheet}");
    assert_eq!(marked[0]["record_id"], "late-rec");
    assert_ne!(
        sheet["total"], sheet["locked"]["total"],
        "the live total moved"
    );
    // Next month is planned after the lock too.
    let planned = app
        .post(
            "/api/events",
            &secretary,
            json!({"kind": "theme_day", "title": "锁定后的主题党日",
                   "start": (chrono::Utc::now() + chrono::Duration::hours(2)).fixed_offset().to_rfc3339()}),
        )
        .await;
    assert_eq!(
        planned.status(),
        StatusCode::CREATED,
        "an event after the lock"
    );
    let r = post(
        &app,
        &path(&branch, "evaluation/lock"),
        &secretary,
        json!({"confirm": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "locked twice");

    // The notice, and the member reads it on the phone's API.
    let r = put(&app, &path(&branch, "notice"), &secretary, notice).await;
    assert_eq!(r.status(), StatusCode::OK);
    let seen = app
        .get_json(&format!("/api/notice?year={}", this_year()), &member)
        .await;
    let named: Vec<(String, String)> = seen["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or("").into(),
                e["grade"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [(m1.name.clone(), "excellent".to_string())],
        "{seen}"
    );
    assert_eq!(seen["objection"], "向支部书记当面或书面反映");
    // What the phone keeps: the member's own job result and the notice.
    let mine = app
        .get_json(&format!("/api/year-end?year={}", this_year()), &member)
        .await;
    assert_eq!(mine["job"]["appraisal"], "excellent");
    assert_eq!(mine["job"]["tasks"], json!([10, 8]));
    assert_eq!(mine["notice"]["entries"], seen["entries"]);
    let outsider = app
        .get_json(
            &format!("/api/notice?year={}", this_year()),
            &token_of(&app, &other.members[0]).await,
        )
        .await;
    assert!(
        outsider.is_null(),
        "another branch's notice is not theirs: {outsider}"
    );

    // Only a committee admin above reopens, and only with a reason.
    let r = post(
        &app,
        &path(&branch, "evaluation/reopen"),
        &secretary,
        json!({"reason": "再议"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(
        &app,
        &path(&branch, "evaluation/reopen"),
        &admin,
        json!({"reason": ""}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &app,
        &path(&branch, "evaluation/reopen"),
        &admin,
        json!({"reason": "群众有异议，重新评议"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let reopened: Value = r.json().await.expect("json");
    assert_eq!(reopened["locked"], false);
    assert_eq!(reopened["lock"]["reopen_reason"], "群众有异议，重新评议");
    let r = import(&app, &branch, &secretary, "job.csv", again.into_bytes()).await;
    assert_eq!(r.status(), StatusCode::OK, "open again");
    let withdrawn = app
        .get_json(&format!("/api/notice?year={}", this_year()), &member)
        .await;
    assert!(withdrawn.is_null(), "a reopened year's notice is withdrawn");

    // Every decision is in the audit trail.
    let store = &app.state.services.store;
    for action in [
        "job_results",
        "grade_override",
        "veto_recorded",
        "evaluation_locked",
        "evaluation_reopened",
        "notice_published",
    ] {
        let lines = store.audit().of_action(action).await.expect("audit");
        assert!(!lines.is_empty(), "{action}");
    }
}
on_both!(the_year_end_runs_from_job_side_to_notice);

async fn error_code_message(r: Response) -> (StatusCode, String) {
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    (
        status,
        body["message"].as_str().unwrap_or_default().to_string(),
    )
}

async fn the_evaluation_exports_read_back_as_the_page_shows(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let rows = json!([
        {"member_id": branch.members[0].id, "appraisal": "excellent", "tasks_assigned": 4, "tasks_completed": 4},
        {"member_id": branch.members[1].id, "appraisal": "basic"},
    ]);
    let r = put(&app, &path(&branch, "job-results"), &secretary, rows).await;
    assert_eq!(r.status(), StatusCode::OK);
    // A row naming someone else's member is refused whole.
    let r = put(
        &app,
        &path(&branch, "job-results"),
        &secretary,
        json!([{"member_id": "nobody", "appraisal": "excellent"}]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = evaluation(&app, &branch, &secretary).await;

    let xlsx = app
        .get(&with_year(&path(&branch, "evaluation.xlsx")), &secretary)
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.expect("bytes");
    use calamine::{Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("workbook");
    let range = book.worksheet_range_at(0).expect("sheet").expect("range");
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert!(
        cells[0][0].contains(&branch.name),
        "title row: {:?}",
        cells[0]
    );
    let header = &cells[1];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    for r in v["rows"].as_array().expect("rows") {
        let line = cells
            .iter()
            .find(|c| c[col("姓名")] == r["name"].as_str().unwrap_or_default())
            .expect("the member's line");
        assert_eq!(line[col("总分")].parse::<f64>().ok(), r["total"].as_f64());
        let grade: vanguard_shared::ledger::Grade =
            serde_json::from_value(r["final"].clone()).expect("grade");
        assert_eq!(line[col("最终等次")], grade.label());
    }
    let csv = app
        .get(&with_year(&path(&branch, "evaluation.csv")), &secretary)
        .await;
    let text = csv.bytes().await.expect("bytes");
    assert!(
        text.starts_with("\u{feff}".as_bytes()),
        "a byte order mark for Excel"
    );
    let text = String::from_utf8(text.to_vec()).expect("utf-8");
    assert!(
        text.contains("最终等次") && text.contains("基本称职"),
        "{text}"
    );
}
on_both!(the_evaluation_exports_read_back_as_the_page_shows);

async fn the_committee_sees_its_branches_and_their_assessment(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let secretary = token_of(&app, &branch.secretary).await;
    let admin = app.token("admin").await;
    let summary = |v: &Value| -> Value {
        v["branches"]
            .as_array()
            .expect("branches")
            .iter()
            .find(|b| b["branch_id"] == branch.id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no {} in {v}", branch.id))
    };

    let v = app.get_json(&with_year("/api/committee"), &admin).await;
    let mine = summary(&v);
    assert_eq!(mine["members"], 4);
    assert_eq!(mine["progress"], "not_started");
    assert!(mine["liuhua"].is_null());
    assert_eq!(v["ranked"], false, "never ranked unless turned on");
    assert!(mine["rank"].is_null());
    let theme = mine["meetings"]
        .as_array()
        .expect("meetings")
        .iter()
        .find(|m| m["kind"] == "theme_day")
        .expect("theme days");
    assert_eq!(theme["period"], "month");
    // A new branch has held none of the months due so far.
    assert_eq!(theme["year"][0], 0);
    assert!(theme["year"][1].as_u64().unwrap_or(0) >= 1);
    let grades: u64 = mine["grades"]
        .as_array()
        .expect("grades")
        .iter()
        .map(|g| g[1].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(grades, 4, "every member counted: {mine}");
    // Only committee admins see it.
    let r = app.get(&with_year("/api/committee"), &secretary).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The branch checks itself; the committee's spot-check prevails.
    let own = put(
        &app,
        &path(&branch, "assessment?stage=self_check"),
        &secretary,
        json!([{"item_id": "1", "score": "met", "note": "已划分两个党小组"},
               {"item_id": "2", "score": "partly"}]),
    )
    .await;
    assert_eq!(own.status(), StatusCode::OK);
    let own: Value = own.json().await.expect("json");
    assert_eq!(own["total"].as_f64(), Some(7.5));
    let r = put(
        &app,
        &path(&branch, "assessment?stage=spot_check"),
        &secretary,
        json!([{"item_id": "1", "score": "not_met"}]),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a branch does not spot-check itself"
    );
    let r = put(
        &app,
        &path(&branch, "assessment?stage=self_check"),
        &secretary,
        json!([{"item_id": "1", "score": "great"}]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let spot = put(
        &app,
        &path(&branch, "assessment?stage=spot_check"),
        &admin,
        json!([{"item_id": "1", "score": "not_met", "note": "第二党小组未建"}]),
    )
    .await;
    assert_eq!(spot.status(), StatusCode::OK);
    let spot: Value = spot.json().await.expect("json");
    assert_eq!(spot["total"].as_f64(), Some(2.5));
    let item = &spot["items"][0];
    assert_eq!(
        (item["self_score"].as_str(), item["spot_score"].as_str()),
        (Some("met"), Some("not_met"))
    );

    // Locked, with its 六化 score, in the committee's view and its export.
    let r = post(
        &app,
        &path(&branch, "evaluation/lock"),
        &secretary,
        json!({"confirm": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = app.get_json(&with_year("/api/committee"), &admin).await;
    let mine = summary(&v);
    assert_eq!(mine["progress"], "locked");
    assert_eq!(mine["liuhua"][0].as_f64(), Some(2.5));
    assert_eq!(mine["liuhua"][1], "未达标");
    let xlsx = app.get(&with_year("/api/committee.xlsx"), &admin).await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.expect("bytes");
    use calamine::{Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("workbook");
    let range = book.worksheet_range_at(0).expect("sheet").expect("range");
    let line: Vec<String> = range
        .rows()
        .find(|r| r.first().is_some_and(|c| c.to_string() == branch.name))
        .expect("the branch's row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        line.contains(&"已锁定".to_string()) && line.contains(&"2.5".to_string()),
        "{line:?}"
    );
}
on_both!(the_committee_sees_its_branches_and_their_assessment);

async fn a_committee_export_runs_in_the_background_with_progress(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 3).await;
    let admin = app.token("admin").await;
    let secretary = token_of(&app, &branch.secretary).await;
    let refused = post(&app, "/api/exports/committee-ledger", &secretary, json!({})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // One branch locked: its final grades beside the proposals.
    let locked = post(
        &app,
        &path(&branch, "evaluation/lock"),
        &secretary,
        json!({"confirm": true}),
    )
    .await;
    assert_eq!(locked.status(), StatusCode::OK);
    let locked: Value = locked.json().await.expect("json");
    let started = post(&app, "/api/exports/committee-ledger", &admin, json!({})).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let job: Value = started.json().await.expect("json");
    let id = job["id"].as_str().expect("id").to_string();
    let total = job["total"].as_u64().expect("total");
    assert!(total >= 3, "the demo's branches and the fixture's: {job}");
    // Someone else's job is not theirs to read.
    let r = app.get(&format!("/api/exports/{id}"), &secretary).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let mut status = job;
    for _ in 0..300 {
        if status["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = app.get_json(&format!("/api/exports/{id}"), &admin).await;
        assert!(status["done"].as_u64() <= Some(total));
    }
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["done"].as_u64(), Some(total));
    let file = app
        .get(status["file"].as_str().expect("file"), &admin)
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    let bytes = file.bytes().await.expect("bytes");
    use calamine::{Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("workbook");
    let range = book.worksheet_range_at(0).expect("sheet").expect("range");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[1][0], "支部");
    let col = |name: &str| {
        rows[1]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", rows[1]))
    };
    let (proposed, last) = (col("预估等次"), col("最终等次"));
    assert_eq!(last, proposed + 1, "side by side");
    let label = |g: &Value| match g.as_str() {
        Some("excellent") => "优秀",
        Some("qualified") => "合格",
        Some("basic") => "基本合格",
        Some("unqualified") => "不合格",
        _ => "?",
    };
    for r in rows.iter().filter(|r| r[0] == branch.name) {
        let shown = locked["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|e| e["name"] == r[1].as_str())
            .map(|e| label(&e["final"]));
        assert_eq!(Some(r[last].as_str()), shown, "{r:?}");
    }
    assert!(
        rows.iter()
            .skip(2)
            .filter(|r| r[0] != branch.name)
            .all(|r| r[last].is_empty()),
        "open years have no final grade yet"
    );
    let ours = rows.iter().filter(|r| r[0] == branch.name).count();
    assert_eq!(
        ours, 5,
        "the fixture's secretary, officer and three members"
    );
    let store = &app.state.services.store;
    let members_below = store
        .accounts()
        .members_under(
            &store
                .accounts()
                .organisation(&branch.id)
                .await
                .expect("org")
                .expect("branch")
                .parent_id
                .expect("committee"),
        )
        .await
        .expect("members")
        .into_iter()
        .filter(|m| {
            m.active
                && m.roles
                    .iter()
                    .all(|r| *r != vanguard_shared::Role::CommitteeAdmin)
        })
        .count();
    assert_eq!(
        rows.len() - 2,
        members_below,
        "every member of every branch, once"
    );
}
on_both!(a_committee_export_runs_in_the_background_with_progress);

/// Decisions made at the very moment of the lock: each is stored, and on
/// each member's sheet either the locked total counted it or it is marked
/// after the lock. Never lost, never counted by half.
async fn decisions_racing_the_lock_are_in_the_snapshot_or_marked_after(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 12).await;
    let secretary = token_of(&app, &branch.secretary).await;
    for m in &branch.members {
        check_in(&app, m, "race-rec", visit(60))
            .await
            .expect("check in");
    }
    let ledger = |m: &Person| {
        let path = with_year(&format!("/api/members/{}/ledger", m.id));
        let app = &app;
        let secretary = &secretary;
        async move { app.get_json(&path, secretary).await }
    };
    let before = ledger(&branch.members[0]).await["total"].clone();
    // All at once: the lock among the decisions.
    let mut sent = tokio::task::JoinSet::new();
    let lock_url = app.url(&with_year(&path(&branch, "evaluation/lock")));
    let token = secretary.clone();
    sent.spawn(async move {
        let r = client()
            .post(lock_url)
            .bearer_auth(token)
            .json(&json!({"confirm": true}))
            .send()
            .await
            .expect("lock");
        ("lock".to_string(), r.status())
    });
    for m in &branch.members {
        let (url, token, member_id) = (app.url("/api/reviews"), secretary.clone(), m.id.clone());
        sent.spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(token)
                .json(
                    &json!({"member_id": member_id, "record_id": "race-rec", "status": "approved"}),
                )
                .send()
                .await
                .expect("decision");
            (member_id, r.status())
        });
    }
    while let Some(answer) = sent.join_next().await {
        let (what, status) = answer.expect("task");
        assert_eq!(status, StatusCode::OK, "{what}: nothing lost to the lock");
    }
    let (mut inside, mut after) = (0, 0);
    for m in &branch.members {
        let sheet = ledger(m).await;
        let entry = sheet["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["record_id"] == "race-rec")
            .cloned()
            .expect("the decided record on the sheet");
        assert_eq!(entry["counted"], true, "{entry}");
        let marked = entry["after_lock"] == true;
        let locked_total = &sheet["locked"]["total"];
        if marked {
            after += 1;
            assert_eq!(
                locked_total, &before,
                "marked after, so not in the lock: {sheet}"
            );
        } else {
            inside += 1;
            assert_eq!(
                locked_total, &sheet["total"],
                "counted by the lock: {sheet}"
            );
            assert_ne!(locked_total, &before, "{sheet}");
        }
    }
    assert_eq!(inside + after, branch.members.len());
    println!("racing the lock: {inside} in the snapshot, {after} marked after it");
}
on_both!(decisions_racing_the_lock_are_in_the_snapshot_or_marked_after);
