//! Plain data the member pages show: who is signed in on this device, their
//! year as read from the local documents, and the sync's state in words.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use vanguard_shared::documents::view::{Attended, RecordView};
use vanguard_shared::documents::{DocId, EventEntry};
use vanguard_shared::ledger::year_end::MyYearEnd;
use vanguard_shared::ledger::{self, Ledger, LedgerInput, Mode, Rulebook};
use vanguard_shared::Role;

/// What this device remembers of `GET /api/me`, so pages work offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedMe {
    pub member_id: String,
    pub name: String,
    /// For the navigation: what the member's roles may open. Absent from
    /// what older versions kept.
    #[serde(default)]
    pub roles: Vec<Role>,
    pub branch_id: Option<String>,
    pub branch_name: Option<String>,
    pub time_zone: String,
    pub year: i32,
}

impl CachedMe {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    pub fn checkins_doc(&self) -> DocId {
        DocId::checkins(&self.member_id, self.year)
    }

    pub fn reviews_doc(&self) -> DocId {
        DocId::reviews(&self.member_id, self.year)
    }

    /// The branch's events; a member outside a branch has none.
    pub fn events_doc(&self) -> Option<DocId> {
        self.branch_id
            .as_deref()
            .map(|branch| DocId::events(branch, self.year))
    }

    /// The member's own documents for the year: the phone syncs only these.
    pub fn docs(&self) -> Vec<DocId> {
        let mut docs = vec![self.checkins_doc(), self.reviews_doc()];
        docs.extend(self.events_doc());
        docs
    }
}

/// The member's year as this device holds it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub me: CachedMe,
    /// The server's root of the checkins document has arrived: writing is safe.
    pub writable: bool,
    pub events: Vec<EventEntry>,
    /// Records changed on this device and not on the server yet (待同步).
    pub unconfirmed: BTreeSet<String>,
    /// The change of local data this was read at; the records are read
    /// from it only when a page asks for them.
    pub revision: u64,
    pub now: DateTime<FixedOffset>,
    /// Fetched with the identity; `None` until the device has been online once.
    pub rulebook: Option<Rulebook>,
    /// The member's job result and branch notice of this year, if fetched.
    pub year_end: Option<MyYearEnd>,
}

/// A snapshot is read once per revision of the device's data and kept
/// (`device::snapshot`): the same revision is the same snapshot. Comparing
/// the revision alone keeps the field-by-field comparison (of every event)
/// out of the phone's download.
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision
    }
}

impl Snapshot {
    /// How many records wait for the server (待同步).
    pub fn pending(&self) -> usize {
        self.unconfirmed.len()
    }

    /// The ledger of `records` and `attendance` (this snapshot's, read by
    /// `Local::records` and `Local::attendance`), by the same engine the
    /// server runs: provisional, or official (the reviewed records only, as
    /// the server's is once this device has synced).
    pub fn ledger(
        &self,
        records: &[RecordView],
        attendance: &[Attended],
        mode: Mode,
    ) -> Option<Ledger> {
        let facts = vanguard_shared::documents::view::facts(records, &self.events, attendance);
        let book = self.rulebook.as_ref()?;
        Some(ledger::compute(
            book,
            &LedgerInput {
                member_id: &self.me.member_id,
                year: self.me.year,
                time_zone: self.me.tz(),
                records: &facts,
                adjustments: &[],
                vetoes: &[],
                job: self.year_end.as_ref().and_then(|y| y.job.as_ref()),
            },
            mode,
        ))
    }

    /// What each ledger entry priced from an attendance row is about, by
    /// its fact id: the event's title with the outcome, and its day.
    pub fn attendance_titles(&self, attendance: &[Attended]) -> Vec<(String, String, String)> {
        attendance
            .iter()
            .filter_map(|row| {
                let event = self.events.iter().find(|e| e.event_id == row.event_id)?;
                Some((
                    vanguard_shared::documents::view::attendance_fact_id(&row.event_id),
                    format!("{}（{}）", event.title, row.outcome.label()),
                    vanguard_shared::time_text::md(&event.start),
                ))
            })
            .collect()
    }

    /// Events a member may still check in to or ask leave for: from the
    /// start of today on, earliest first.
    pub fn upcoming(&self) -> Vec<&EventEntry> {
        let today = self.now.date_naive();
        self.events
            .iter()
            .filter(|e| {
                e.end
                    .unwrap_or(e.start)
                    .with_timezone(&self.now.timezone())
                    .date_naive()
                    >= today
            })
            .collect()
    }
}

/// The sync, as the status line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStatus {
    /// Before local data is read: the same on the server and at hydration.
    Starting,
    /// No member has signed in on this device.
    SignedOut,
    Offline {
        pending: usize,
    },
    Syncing,
    /// Everything is on the server; the local time of the last sync.
    Synced {
        at: String,
    },
    Pending {
        pending: usize,
    },
    Failed {
        message: String,
        pending: usize,
    },
}

impl SyncStatus {
    pub fn text(&self) -> String {
        let waiting = |n: &usize| {
            if *n > 0 {
                format!("，{n} 条待同步")
            } else {
                String::new()
            }
        };
        match self {
            SyncStatus::Starting => "正在读取本机数据…".into(),
            SyncStatus::SignedOut => "未登录".into(),
            SyncStatus::Offline { pending } => format!("离线{}", waiting(pending)),
            SyncStatus::Syncing => "同步中…".into(),
            SyncStatus::Synced { at } => format!("已同步（{at}）"),
            SyncStatus::Pending { pending } => format!("{pending} 条待同步"),
            SyncStatus::Failed { message, pending } => {
                format!("同步失败：{message}{}", waiting(pending))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageUse {
    /// Bytes this app keeps in local storage.
    pub local_bytes: u64,
    /// The origin's usage and quota, when the browser tells.
    pub usage: Option<f64>,
    pub quota: Option<f64>,
    pub persisted: bool,
}

/// Browsers give local storage about 5 MiB per origin.
pub const LOCAL_STORAGE_LIMIT: u64 = 5 * 1024 * 1024;

impl StorageUse {
    /// Warn at 80% of either limit.
    pub fn nearly_full(&self) -> bool {
        let origin_full =
            matches!((self.usage, self.quota), (Some(u), Some(q)) if q > 0.0 && u / q > 0.8);
        self.local_bytes * 5 > LOCAL_STORAGE_LIMIT * 4 || origin_full
    }
}
