//! Document sync over the real endpoints, by topic: records and reviews
//! reach the tables and the members, every refusal stores nothing, batches,
//! storage (compaction, rebuild, sync states), and two processes on one
//! database. The helpers here are what several topics share.

mod batch;
mod processes;
mod records;
mod refusals;
mod storage;

use crate::helpers::{spawn_app, Db, TestApp};
use crate::sync_client::Device;
use chrono::{DateTime, FixedOffset};
use reqwest::StatusCode;
use serde_json::Value;
use vanguard_shared::documents::edit::{decide, Verdict};
use vanguard_shared::documents::{DecisionStatus, DocId, Entry, Layout, NewRecord};
use vanguard_shared::sync::Replica;

pub const YEAR: i32 = 2026;

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("time")
}

pub fn volunteer(n: usize) -> NewRecord {
    NewRecord {
        kind: "volunteer".into(),
        occurred_at: Some(at("2026-05-12T09:30:00+08:00")),
        hours: Some(2.5),
        place: Some("社区服务中心".into()),
        note: Some(format!("第 {n} 次清扫楼道")),
        ..Default::default()
    }
}

pub fn rid(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Logs in and answers (token, member id, `/api/me` for the year).
pub async fn member(app: &TestApp, username: &str) -> (String, String, Value) {
    let token = app.token(username).await;
    let me: Value = app
        .get(&format!("/api/me?year={YEAR}"), &token)
        .await
        .json()
        .await
        .expect("me");
    let id = me["member_id"].as_str().expect("id").to_string();
    (token, id, me)
}

pub async fn records(app: &TestApp, token: &str, member_id: &str) -> Vec<Value> {
    let response = app
        .get(
            &format!("/api/members/{member_id}/records?year={YEAR}"),
            token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("records")
}

pub fn access_of(me: &Value, id: &str) -> Option<String> {
    me["docs"]
        .as_array()
        .expect("docs")
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| d["access"].as_str().expect("access").to_string())
}

/// Runs `attempt` and checks that nothing of the document changed.
pub async fn store_unchanged(app: &TestApp, doc: &DocId) -> (Option<i64>, usize, Vec<String>) {
    let head = app
        .state
        .services
        .store
        .documents()
        .head(&doc.to_string())
        .await
        .expect("head")
        .map(|h| h.seq);
    let audit = app
        .state
        .services
        .store
        .audit()
        .of_document(&doc.to_string())
        .await
        .expect("audit")
        .len();
    let rows = app
        .state
        .services
        .store
        .materialized()
        .dump()
        .await
        .expect("dump");
    (head, audit, rows)
}

/// A member's phone holding its check-ins document, fetched.
pub async fn member_phone(db: Db) -> (TestApp, String, Device, Replica) {
    let app = spawn_app(db).await;
    let (token, id, _) = member(&app, "member01").await;
    let phone = Device::new(app.url(""), &token, "phone");
    let mine = phone.fetch(&DocId::checkins(&id, YEAR)).await;
    (app, id, phone, mine)
}

/// The version of a record as a replica of the checkins document holds it:
/// what a decision on it names.
pub fn version_of(checkins: &Replica, record_id: &str) -> String {
    let layout = Layout::find(&checkins.doc, &checkins.id).expect("layout");
    match layout.read(&checkins.doc, "records", record_id) {
        Ok(Entry::Record(r)) => r.version(),
        other => panic!("record {record_id}: {other:?}"),
    }
}

/// A reviewer's decision, as their device writes it into the member's
/// reviews document, on the record as `checkins` holds it.
pub fn decide_on(
    reviews: &mut Replica,
    checkins: &Replica,
    record_id: &str,
    (status, reason): (DecisionStatus, Option<&str>),
    by: &str,
    at: DateTime<FixedOffset>,
) {
    let version = version_of(checkins, record_id);
    decide_at_version(reviews, record_id, (status, reason), &version, by, at);
}

/// The same, on a record whose version the caller read.
pub fn decide_at_version(
    reviews: &mut Replica,
    record_id: &str,
    (status, reason): (DecisionStatus, Option<&str>),
    version: &str,
    by: &str,
    at: DateTime<FixedOffset>,
) {
    let verdict = Verdict {
        status,
        reason,
        version,
        seen: None,
    };
    decide(&mut reviews.doc, record_id, verdict, by, at).expect("decide");
}
