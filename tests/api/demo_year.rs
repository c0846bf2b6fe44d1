//! The demo's year so far: what a newcomer's `make run` shows in the
//! ledgers, the same on every start.

use crate::helpers::{config, start_configured, Db, TestApp, TestDb};
use crate::on_both;
use crate::review::this_year;
use serde_json::Value;
use std::collections::BTreeMap;
use vanguard_server::startup::Config;

async fn demo_with_year(db: Db) -> TestApp {
    let started = std::time::Instant::now();
    let app = start_configured(
        TestDb::new(db).await,
        Config {
            demo_year: true,
            ..config("")
        },
    )
    .await;
    // A figure, not a limit: the issue asks for a first start under 15 s.
    println!(
        "figure: first start with the demo year ({}): {:.2} s",
        app.db.url.split(':').next().unwrap_or(""),
        started.elapsed().as_secs_f64()
    );
    app
}

/// Each branch's table, by member username: (total, grade, pending, returned).
async fn tables(app: &TestApp) -> BTreeMap<String, (String, String, u64, u64)> {
    let mut out = BTreeMap::new();
    for secretary in ["secretary01", "secretary02"] {
        let token = app.token(secretary).await;
        let me = app.get_json("/api/me", &token).await;
        let branch = me["branch"]["id"].as_str().expect("branch").to_string();
        let table = app
            .get_json(
                &format!("/api/branches/{branch}/ledger?year={}", this_year()),
                &token,
            )
            .await;
        for row in table["rows"].as_array().expect("rows") {
            out.insert(
                row["name"].as_str().unwrap_or_default().to_string(),
                (
                    row["total"].to_string(),
                    row["proposed"].as_str().unwrap_or_default().to_string(),
                    row["pending"].as_u64().unwrap_or_default(),
                    row["returned"].as_u64().unwrap_or_default(),
                ),
            );
        }
    }
    out
}

async fn the_demo_year_fills_the_ledgers_the_same_on_every_start(db: Db) {
    let app = demo_with_year(db).await;
    let first = tables(&app).await;
    assert_eq!(first.len(), 24, "both branches' members: {first:?}");
    let grades: Vec<&str> = first.values().map(|(_, g, _, _)| g.as_str()).collect();
    let month = {
        use chrono::Datelike;
        chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("tz"))
            .month()
    };
    // From March on the history is long enough to tell its story.
    if month >= 3 {
        assert!(grades.contains(&"excellent"), "{first:?}");
        assert!(grades.contains(&"qualified"), "{first:?}");
        assert!(first.values().any(|(_, _, _, returned)| *returned > 0));
    }
    assert!(first.values().any(|(_, _, pending, _)| *pending > 0));

    // A member with an unexcused absence sees its deduction on their sheet.
    if month >= 2 {
        let member = app.token("member10").await;
        let me = app.get_json("/api/me", &member).await;
        let sheet: Value = app
            .get_json(
                &format!(
                    "/api/members/{}/ledger?year={}",
                    me["member_id"].as_str().expect("id"),
                    this_year()
                ),
                &member,
            )
            .await;
        let entries = sheet["entries"].as_array().expect("entries");
        assert!(
            entries
                .iter()
                .any(|e| e["granted"].as_f64().is_some_and(|p| p < 0.0) && e["counted"] == true),
            "{sheet}"
        );
        assert!(entries
            .iter()
            .any(|e| e["reviewer_name"] == "赵书记" && e["rule_name"].is_string()));
    }

    // Seeded: a second start on a fresh database tells the same story.
    let again = demo_with_year(db).await;
    assert_eq!(tables(&again).await, first);
}
on_both!(the_demo_year_fills_the_ledgers_the_same_on_every_start);

/// One member, one grade: on the demo year (one branch with its unit's
/// appraisals entered, one without), the branch table, the member's sheet,
/// the evaluation and the committee view propose the same grade for every
/// member, with the same code in the same words.
async fn every_page_proposes_the_same_grade_for_every_member(db: Db) {
    let app = demo_with_year(db).await;
    let year = this_year();
    let admin = app.token("admin").await;
    let committee = app
        .get_json(&format!("/api/committee?year={year}"), &admin)
        .await;
    let mut members = 0;
    let mut held_back = 0;
    for secretary in ["secretary01", "secretary02"] {
        let token = app.token(secretary).await;
        let me = app.get_json("/api/me", &token).await;
        let branch = me["branch"]["id"].as_str().expect("branch").to_string();
        let table = app
            .get_json(
                &format!("/api/branches/{branch}/ledger?year={year}"),
                &token,
            )
            .await;
        let evaluation = app
            .get_json(
                &format!("/api/branches/{branch}/evaluation?year={year}"),
                &token,
            )
            .await;
        let evaluated: BTreeMap<String, String> = evaluation["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["member_id"].as_str().unwrap_or_default().to_string(),
                    r["proposed"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for row in table["rows"].as_array().expect("rows") {
            let id = row["member_id"].as_str().expect("member id");
            let grade = row["proposed"].as_str().expect("grade");
            let sheet = app
                .get_json(&format!("/api/members/{id}/ledger?year={year}"), &token)
                .await;
            assert_eq!(sheet["proposed"], grade, "sheet of {}", row["name"]);
            assert_eq!(sheet["proposed_label"], row["proposed_label"]);
            assert_eq!(
                evaluated.get(id).map(String::as_str),
                Some(grade),
                "evaluation of {}",
                row["name"]
            );
            if sheet["grade_reasons"].as_array().is_some_and(|r| {
                r.iter()
                    .any(|r| r.as_str().is_some_and(|r| r.contains("未录入年度考核")))
            }) {
                held_back += 1;
            }
            *counts.entry(grade.to_string()).or_default() += 1;
            members += 1;
        }
        // The committee counts the same grades for the branch.
        let summary = committee["branches"]
            .as_array()
            .expect("branches")
            .iter()
            .find(|b| b["branch_id"] == branch.as_str())
            .expect("branch on the committee view");
        for pair in summary["grades"].as_array().expect("grades") {
            let grade = pair[0].as_str().expect("grade");
            let n = pair[1].as_u64().expect("count");
            assert_eq!(
                counts.get(grade).copied().unwrap_or_default(),
                n,
                "{branch}: {grade}"
            );
        }
    }
    assert_eq!(members, 24);
    let month = {
        use chrono::Datelike;
        chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("tz"))
            .month()
    };
    // The second branch has no appraisals: whoever would have been 优秀 on
    // points is held back, with the reason, on every page alike.
    if month >= 3 {
        assert!(held_back > 0, "nobody held back for the missing appraisal");
    }
}
on_both!(every_page_proposes_the_same_grade_for_every_member);
