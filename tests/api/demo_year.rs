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
