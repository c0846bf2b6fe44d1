//! Branch events and their check-in codes, on the host's side. An event is
//! written into the branch's events document through the document gate's
//! server-side edit (`sync::edit`), with the host as its author; the code's
//! secret seed stays in the database, and the host's page asks for the
//! current code.

mod qr;

use crate::storage::{CodeEventRow, EventSeed, Member, Store, StoreError};
use crate::sync::{SyncError, SyncService};
use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc};
use rand::RngCore;
use std::sync::Arc;
use vanguard_shared::documents::edit::put_event;
use vanguard_shared::documents::{DocId, EventEntry};
use vanguard_shared::event_code::{checkin_link, seed_from_bytes, CodeKey, HostedEvent, ShownCode};
use vanguard_shared::geofence::Geofence;
use vanguard_shared::ledger::Kind;

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("只有本支部的书记或组织委员可以主持活动")]
    Forbidden,
    #[error("活动不存在或没有签到码")]
    UnknownEvent,
    #[error("签到尚未开始或已经结束")]
    NotOpen,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An event as a secretary enters it.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub kind: Kind,
    pub title: String,
    pub start: DateTime<FixedOffset>,
    pub end: Option<DateTime<FixedOffset>>,
    pub place: Option<String>,
    /// Members check in with a rotating code the host shows.
    pub with_code: bool,
    /// Where a check-in's position must be to count as at the event.
    pub geofence: Option<Geofence>,
}

/// Check-in opens this long before the start; a code-less end closes it
/// this long after.
const OPENS_BEFORE: i64 = 30;
const DEFAULT_LENGTH_HOURS: i64 = 3;

fn hosts(member: &Member, branch_id: &str) -> bool {
    member.org_id == branch_id && crate::sync::access::officer(member)
}

pub struct EventHost {
    store: Store,
    sync: Arc<SyncService>,
}

impl EventHost {
    pub fn new(store: Store, sync: Arc<SyncService>) -> Self {
        EventHost { store, sync }
    }

    /// Creates an event in the host's branch; answers it as members will read it.
    pub async fn create(&self, host: &Member, draft: EventDraft) -> Result<EventEntry, EventError> {
        let branch = host.org_id.clone();
        if !hosts(host, &branch) {
            return Err(EventError::Forbidden);
        }
        let title = draft.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(EventError::Invalid("活动名称应为 1–200 字".into()));
        }
        if draft.end.is_some_and(|end| end < draft.start) {
            return Err(EventError::Invalid("结束时间不能早于开始时间".into()));
        }
        let event_id = uuid::Uuid::new_v4().to_string();
        let code_key = if draft.with_code {
            let mut bytes = [0u8; 8];
            rand::thread_rng().fill_bytes(&mut bytes);
            let seed = seed_from_bytes(bytes);
            let opens = draft.start - Duration::minutes(OPENS_BEFORE);
            let key = CodeKey::new(&event_id, seed, opens, closes(draft.start, draft.end)).encode();
            // The seed first: a seed without its event is never shown, an
            // event without its seed could never be checked in to.
            self.store
                .events()
                .put_seed(&EventSeed {
                    event_id: event_id.clone(),
                    branch_id: branch.clone(),
                    seed,
                    code_key: key.clone(),
                    created_at: crate::auth::now_secs(),
                })
                .await?;
            Some(key)
        } else {
            None
        };
        let event = EventEntry {
            event_id,
            kind: draft.kind,
            title,
            start: draft.start,
            end: draft.end,
            place: draft.place.filter(|p| !p.trim().is_empty()),
            geofence: draft.geofence,
            code_key,
            cancelled: false,
        };
        let doc = DocId::events(&branch, draft.start.year());
        // Through the document gate, as the host's own device would write it.
        self.sync.edit(host, &doc, |d| put_event(d, &event)).await?;
        Ok(event)
    }

    /// The events with codes the host may show: those not yet closed,
    /// earliest first. Anyone who hosts no branch gets none.
    pub async fn hosted(&self, viewer: &Member) -> Result<Vec<HostedEvent>, EventError> {
        if !hosts(viewer, &viewer.org_id) {
            return Ok(Vec::new());
        }
        let now = Utc::now().fixed_offset();
        let mut events: Vec<HostedEvent> = self
            .store
            .events()
            .with_codes(&viewer.org_id)
            .await?
            .into_iter()
            .filter_map(hosted_event)
            .filter(|e| closes(e.start, e.end) >= now)
            .collect();
        events.sort_by_key(|e| e.start);
        Ok(events)
    }

    /// The code the host shows now, with the check-in link under `origin`
    /// (`https://host:port`, what the host's own browser reached) as a QR code.
    pub async fn current_code(
        &self,
        viewer: &Member,
        event_id: &str,
        origin: &str,
    ) -> Result<ShownCode, EventError> {
        let seed = self
            .store
            .events()
            .seed(event_id)
            .await?
            .ok_or(EventError::UnknownEvent)?;
        if !hosts(viewer, &seed.branch_id) {
            return Err(EventError::Forbidden);
        }
        let event = self
            .store
            .events()
            .with_codes(&seed.branch_id)
            .await?
            .into_iter()
            .find(|e| e.event_id == event_id)
            .and_then(hosted_event)
            .ok_or(EventError::UnknownEvent)?;
        let key = CodeKey::parse(&seed.code_key).map_err(|_| EventError::UnknownEvent)?;
        let now = Utc::now().fixed_offset();
        let code = key
            .code_at(event_id, seed.seed, now)
            .ok_or(EventError::NotOpen)?;
        let window_end = key.opens + (key.window_at(now) + 1) * key.window_secs;
        // In the event's own time zone, as the host reads the clock.
        let valid_until = DateTime::from_timestamp(window_end, 0)
            .unwrap_or_default()
            .with_timezone(event.start.offset());
        let checkin_url = format!("{origin}{}", checkin_link(event_id, &code));
        Ok(ShownCode {
            event_id: event_id.to_string(),
            title: event.title,
            qr_svg: qr::svg(&checkin_url),
            checkin_url,
            code,
            valid_until,
        })
    }
}

/// When check-in to an event closes: its end, or a few hours after its start.
fn closes(
    start: DateTime<FixedOffset>,
    end: Option<DateTime<FixedOffset>>,
) -> DateTime<FixedOffset> {
    end.unwrap_or(start + Duration::hours(DEFAULT_LENGTH_HOURS))
}

/// A row as the host's list shows it; a row with unreadable times (never
/// written by this server) is left out rather than failing the list.
fn hosted_event(row: CodeEventRow) -> Option<HostedEvent> {
    let start = DateTime::parse_from_rfc3339(&row.starts_at).ok()?;
    let end = match row.ends_at {
        Some(t) => Some(DateTime::parse_from_rfc3339(&t).ok()?),
        None => None,
    };
    Some(HostedEvent {
        event_id: row.event_id,
        title: row.title,
        start,
        end,
        place: row.place,
    })
}

/// The origin a browser reached this server at (`scheme://host:port`), for
/// links other phones open: the scheme a proxy forwards, and the Host the
/// browser sent, if it is only a host name and port (nothing a forged
/// header could smuggle into the link).
pub fn origin(host: Option<&str>, forwarded_proto: Option<&str>) -> String {
    let host = host
        .map(str::trim)
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:3000");
    let scheme = match forwarded_proto.map(str::trim) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}
