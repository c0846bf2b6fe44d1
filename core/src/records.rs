//! A member's materialized records, as the records API and the console show
//! them: to whoever may read the member's check-ins, and as not found to
//! anyone else.

use crate::storage::{Member, RecordRow, Store, StoreError};
use crate::sync::access;
use serde::Serialize;
use vanguard_shared::documents::id::is_plain_id;
use vanguard_shared::documents::view::RecordState;
use vanguard_shared::documents::DocId;
use vanguard_shared::event_code::CodeVerdict;
use vanguard_shared::year::{self, YearError};

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("成员不存在")]
    NotFound,
    #[error(transparent)]
    Year(#[from] YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One record in the JSON API (docs/sync.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordJson {
    pub record_id: String,
    pub kind: String,
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The server's verdict on the code: verified | wrong | none.
    pub code_verdict: &'static str,
    /// The record's version: what a decision on it names.
    pub version: Option<String>,
    /// submitted | approved | returned | withdrawn
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
}

impl From<RecordRow> for RecordJson {
    fn from(r: RecordRow) -> Self {
        // A review of an earlier version of the record no longer stands.
        let stands = r.standing_decision().is_some();
        let status = RecordState::of(r.withdrawn, r.standing_decision()).code();
        let code_verdict = r
            .code_verdict
            .as_deref()
            .and_then(CodeVerdict::parse)
            .unwrap_or(CodeVerdict::None)
            .as_str();
        RecordJson {
            record_id: r.record_id,
            kind: r.kind,
            occurred_at: r.occurred_at,
            event_id: r.event_id,
            hours: r.hours,
            place: r.place,
            lat: r.lat,
            lon: r.lon,
            note: r.note,
            code: r.code,
            code_verdict,
            version: r.version,
            status,
            reason: r.review_reason.filter(|_| stands),
            reviewer: r.reviewer.filter(|_| stands),
        }
    }
}

/// Members' records, as those who may read them see them.
pub struct Records<'a> {
    store: &'a Store,
}

impl<'a> Records<'a> {
    pub fn new(store: &'a Store) -> Self {
        Records { store }
    }
}

impl Records<'_> {
    /// The records of `member_id` in `year` (the current one when `None`),
    /// oldest first.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, member = %member_id))]
    pub async fn member_records(
        &self,
        viewer: &Member,
        member_id: &str,
        year: Option<i32>,
    ) -> Result<Vec<RecordJson>, RecordsError> {
        let store = self.store;
        let year = year::requested(year, chrono::Utc::now())?;
        let id = DocId::checkins(member_id, year);
        // Outside one's scope looks the same as absent.
        if !is_plain_id(member_id) || access::access(store, viewer, &id).await?.is_none() {
            return Err(RecordsError::NotFound);
        }
        let rows = store.reports().member_records(member_id, year).await?;
        Ok(rows.into_iter().map(RecordJson::from).collect())
    }
}
