//! Branch events and their check-in codes, on the host's side. An event is
//! written into the branch's events document through the document gate's
//! server-side edit (`sync::edit`), with the host as its author; the code's
//! secret seed stays in the database, and the host's page asks for the
//! current code.

use crate::storage::{CodeEventRow, EventSeed, Member, Store, StoreError};
use crate::sync::{SyncError, SyncService};
use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc};
use rand::RngCore;
use std::sync::Arc;
pub use vanguard_shared::branch_events::EventDraft;
use vanguard_shared::branch_events::{monthly, monthly_until, EventForm, EventPatch, ListedEvent};
use vanguard_shared::documents::edit::put_event;
use vanguard_shared::documents::schema::window;
use vanguard_shared::documents::{DocId, EventEntry};
use vanguard_shared::event_code::{
    checkin_link, seed_from_bytes, CodeKey, HostKit, HostedEvent, ShownCode,
};
use vanguard_shared::geofence::Geofence;
use vanguard_shared::ledger::Kind;
use vanguard_shared::{OrgKind, OrgRef};

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
    #[error("只有本支部的书记或组织委员可以查看活动列表")]
    NotListed,
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The host's list shows events whose check-in opens within this many
/// hours: open the screen online the day before, and the codes are kept.
const HOSTED_AHEAD_HOURS: i64 = 24;

use crate::policy::hosts;

pub struct EventHost {
    store: Store,
    sync: Arc<SyncService>,
}

impl EventHost {
    pub fn new(store: Store, sync: Arc<SyncService>) -> Self {
        EventHost { store, sync }
    }

    /// Creates an event in the host's branch; answers it as members will read it.
    #[tracing::instrument(skip_all, fields(caller = %host.id))]
    pub async fn create(&self, host: &Member, draft: EventDraft) -> Result<EventEntry, EventError> {
        let times = vec![(draft.start, draft.end)];
        let mut made = self.create_at(host, draft, times).await?;
        made.pop()
            .ok_or_else(|| EventError::Invalid("没有创建活动".into()))
    }

    /// Creates a monthly meeting's events: on `day` of each month from the
    /// draft's month to `until` (`YYYY-MM`, December when blank, next year
    /// allowed), each editable afterwards.
    #[tracing::instrument(skip_all, fields(caller = %host.id))]
    pub async fn create_monthly(
        &self,
        host: &Member,
        draft: EventDraft,
        day: u32,
        until: &str,
    ) -> Result<Vec<EventEntry>, EventError> {
        if !(1..=31).contains(&day) {
            return Err(EventError::Invalid("每月的日期应为 1–31".into()));
        }
        let until = monthly_until(until, draft.start).map_err(|e| EventError::Invalid(e.into()))?;
        let times = monthly(draft.start, draft.end, day, until);
        self.create_at(host, draft, times).await
    }

    /// The draft's events at each of `times`, each year's in one edit of
    /// that year's events document.
    async fn create_at(
        &self,
        host: &Member,
        draft: EventDraft,
        times: Vec<(DateTime<FixedOffset>, Option<DateTime<FixedOffset>>)>,
    ) -> Result<Vec<EventEntry>, EventError> {
        let branch = host.org_id.clone();
        if !hosts(host, &branch) {
            return Err(EventError::Forbidden);
        }
        let title = check_title(&draft.title)?;
        if draft.end.is_some_and(|end| end < draft.start) {
            return Err(EventError::Invalid("结束时间不能早于开始时间".into()));
        }
        if draft
            .end
            .is_some_and(|end| end.year() != draft.start.year())
        {
            return Err(EventError::Invalid("活动须在同一年内开始和结束".into()));
        }
        let group_id = self
            .group_of(&branch, draft.kind, draft.group_id.as_deref())
            .await?;
        let mut made = Vec::with_capacity(times.len());
        for (start, end) in times {
            let event_id = uuid::Uuid::new_v4().to_string();
            let code_key = if draft.with_code {
                Some(self.new_code(&branch, &event_id, start, end).await?)
            } else {
                None
            };
            made.push(EventEntry {
                event_id,
                kind: draft.kind,
                title: title.clone(),
                start,
                end,
                place: draft.place.clone().filter(|p| !p.trim().is_empty()),
                geofence: draft.geofence.clone(),
                code_key,
                group_id: group_id.clone(),
                cancelled: false,
                cancelled_by: None,
                cancelled_at: None,
            });
        }
        let mut years: std::collections::BTreeMap<i32, Vec<&EventEntry>> = Default::default();
        for event in &made {
            years.entry(event.start.year()).or_default().push(event);
        }
        for (year, events) in years {
            let doc = DocId::events(&branch, year);
            // Through the document gate, as the host's own device would write it.
            self.sync
                .edit(host, &doc, |d| {
                    events.iter().try_for_each(|event| put_event(d, event))
                })
                .await?;
        }
        Ok(made)
    }

    /// A group named for a 党小组会 must be a group of the branch; other
    /// kinds belong to the whole branch.
    async fn group_of(
        &self,
        branch: &str,
        kind: Kind,
        group_id: Option<&str>,
    ) -> Result<Option<String>, EventError> {
        let Some(group_id) = group_id.filter(|g| !g.is_empty()) else {
            return Ok(None);
        };
        if kind != Kind::GroupMeeting {
            return Err(EventError::Invalid("只有党小组会可以指定党小组".into()));
        }
        let group = self.store.accounts().organisation(group_id).await?;
        match group {
            Some(g) if g.parent_id.as_deref() == Some(branch) && g.kind == OrgKind::Group => {
                Ok(Some(g.id))
            }
            _ => Err(EventError::Invalid("党小组不属于本支部".into())),
        }
    }

    /// A new secret for an event's codes, kept first: a seed without its
    /// event is never shown, an event without its seed could never be
    /// checked in to. Answers the public key.
    async fn new_code(
        &self,
        branch: &str,
        event_id: &str,
        start: DateTime<FixedOffset>,
        end: Option<DateTime<FixedOffset>>,
    ) -> Result<String, EventError> {
        let mut bytes = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut bytes);
        let seed = seed_from_bytes(bytes);
        let (opens, closes) = window(start, end);
        let key = CodeKey::new(event_id, seed, opens, closes).encode();
        self.store
            .events()
            .put_seed(&EventSeed {
                event_id: event_id.to_string(),
                branch_id: branch.to_string(),
                seed,
                code_key: key.clone(),
                created_at: crate::auth::now_secs(),
            })
            .await?;
        Ok(key)
    }

    /// The branch's events of `year`, newest first, cancelled ones too: for
    /// its officers and group leaders, and committee admins above.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, year = %year))]
    /// `branch_id`: the viewer's own when `None`; a committee admin reads
    /// any branch below.
    pub async fn list(
        &self,
        viewer: &Member,
        branch_id: Option<&str>,
        year: i32,
    ) -> Result<Vec<ListedEvent>, EventError> {
        let branch = branch_id.unwrap_or(&viewer.org_id).to_string();
        let may = crate::policy::lists_events(viewer, &branch) || {
            let chain = self.store.accounts().ancestry(&branch).await?;
            crate::policy::admin_above(viewer, &chain)
                && chain.first().is_some_and(|b| b.kind == OrgKind::Branch)
        };
        if !may {
            return Err(EventError::NotListed);
        }
        let names: std::collections::HashMap<String, String> = self
            .store
            .accounts()
            .members_under(&branch)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        let groups: std::collections::HashMap<String, String> = self
            .store
            .accounts()
            .organisations_under(&branch)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let now = Utc::now();
        let mut out: Vec<ListedEvent> = self
            .store
            .events()
            .of_branch(&branch, year)
            .await?
            .into_iter()
            .map(|row| {
                let e = row.event;
                ListedEvent {
                    kind_label: e.kind.label().to_string(),
                    cancelled_by_name: e.cancelled_by.as_ref().and_then(|m| names.get(m)).cloned(),
                    group_name: e.group_id.as_ref().and_then(|g| groups.get(g)).cloned(),
                    started: e.start <= now,
                    event: e,
                }
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    /// The groups of the viewer's branch, for a 党小组会's form.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn groups(&self, viewer: &Member) -> Result<Vec<OrgRef>, EventError> {
        Ok(self
            .store
            .accounts()
            .organisations_under(&viewer.org_id)
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Group && o.parent_id.as_deref() == Some(&viewer.org_id))
            .map(|o| OrgRef {
                id: o.id,
                name: o.name,
                kind: o.kind,
            })
            .collect())
    }

    /// The console's event form, saved: a new event (or a monthly meeting's
    /// year of them), or an edit of `event_id`. Times are read in the
    /// branch's zone.
    #[tracing::instrument(skip_all, fields(caller = %host.id))]
    pub async fn save_form(
        &self,
        host: &Member,
        event_id: Option<&str>,
        form: &EventForm,
    ) -> Result<Vec<EventEntry>, EventError> {
        let tz = self
            .store
            .accounts()
            .organisation(&host.org_id)
            .await?
            .and_then(|o| o.time_zone.parse().ok())
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let (draft, monthly_day) = form.parse(tz).map_err(|e| EventError::Invalid(e.message))?;
        match (event_id, monthly_day) {
            (Some(event_id), _) => {
                let patch = EventPatch {
                    kind: Some(draft.kind.as_str().to_string()),
                    title: Some(draft.title),
                    start: Some(draft.start.to_rfc3339()),
                    end: Some(draft.end.map(|t| t.to_rfc3339())),
                    place: Some(draft.place),
                    geofence: Some(draft.geofence),
                    cancelled: None,
                };
                Ok(vec![self.update(host, event_id, patch).await?])
            }
            (None, Some(day)) => {
                self.create_monthly(host, draft, day, &form.monthly_until)
                    .await
            }
            (None, None) => Ok(vec![self.create(host, draft).await?]),
        }
    }

    /// Edits or cancels an event of the host's branch; answers it as saved.
    #[tracing::instrument(skip_all, fields(caller = %host.id, event_id = %event_id))]
    pub async fn update(
        &self,
        host: &Member,
        event_id: &str,
        patch: EventPatch,
    ) -> Result<EventEntry, EventError> {
        let row = self
            .store
            .events()
            .event(event_id)
            .await?
            .ok_or(EventError::UnknownEvent)?;
        if !hosts(host, &row.branch_id) {
            return Err(EventError::Forbidden);
        }
        let mut e = row.event.clone();
        if let Some(kind) = &patch.kind {
            e.kind = kind
                .parse()
                .map_err(|err: vanguard_shared::VocabularyError| {
                    EventError::Invalid(err.to_string())
                })?;
        }
        if let Some(title) = &patch.title {
            e.title = check_title(title)?;
        }
        if let Some(start) = &patch.start {
            e.start = time("start", start)?;
        }
        if let Some(end) = &patch.end {
            e.end = end.as_deref().map(|t| time("end", t)).transpose()?;
        }
        if let Some(place) = patch.place {
            e.place = place
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty());
        }
        if let Some(fence) = patch.geofence {
            e.geofence = fence
                .map(|g| Geofence::new(g.lat, g.lon, g.radius_m))
                .transpose()
                .map_err(|err| EventError::Invalid(err.to_string()))?;
        }
        if e.end.is_some_and(|end| end < e.start) {
            return Err(EventError::Invalid("结束时间不能早于开始时间".into()));
        }
        if e.start.year() != row.year || e.end.is_some_and(|end| end.year() != row.year) {
            return Err(EventError::Invalid(format!("活动须在 {} 年内", row.year)));
        }
        if e.kind != Kind::GroupMeeting {
            e.group_id = None;
        }
        match patch.cancelled {
            Some(true) if !e.cancelled => {
                e.cancelled = true;
                e.cancelled_by = Some(host.id.clone());
                e.cancelled_at = Some(Utc::now().fixed_offset());
            }
            Some(false) if e.cancelled => {
                e.cancelled = false;
                e.cancelled_by = None;
                e.cancelled_at = None;
            }
            _ => {}
        }
        let retimed = (e.start, e.end) != (row.event.start, row.event.end);
        let mut new_key = None;
        if retimed && e.code_key.is_some() {
            // The same secret over the new window.
            let seed = self
                .store
                .events()
                .seed(event_id)
                .await?
                .ok_or(EventError::UnknownEvent)?;
            let (opens, closes) = window(e.start, e.end);
            let key = CodeKey::new(event_id, seed.seed, opens, closes).encode();
            e.code_key = Some(key.clone());
            new_key = Some(key);
        }
        if e == row.event {
            return Ok(e);
        }
        let doc = DocId::events(&row.branch_id, row.year);
        self.sync.edit(host, &doc, |d| put_event(d, &e)).await?;
        // Only once the document took the change: a refused re-time (a
        // locked year) leaves the code's key as it was.
        if let Some(key) = new_key {
            self.store.events().set_code_key(event_id, &key).await?;
        }
        Ok(e)
    }

    /// The events with codes the host may show: those not yet closed,
    /// earliest first. Anyone who hosts no branch gets none.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
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
            .filter(|e| {
                let (opens, closes) = window(e.start, e.end);
                closes >= now && opens <= now + Duration::hours(HOSTED_AHEAD_HOURS)
            })
            .collect();
        events.sort_by_key(|e| e.start);
        Ok(events)
    }

    /// An event with a code that `viewer` hosts: its secret, its public
    /// key, and the event as materialized (cancelled ones are gone).
    async fn hosted_code(
        &self,
        viewer: &Member,
        event_id: &str,
    ) -> Result<(EventSeed, CodeKey, EventEntry), EventError> {
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
            .event(event_id)
            .await?
            .filter(|e| e.branch_id == seed.branch_id && !e.event.cancelled)
            .ok_or(EventError::UnknownEvent)?;
        let key = CodeKey::parse(&seed.code_key).map_err(|_| EventError::UnknownEvent)?;
        Ok((seed, key, event.event))
    }

    /// What the host's device keeps to show the event's codes offline,
    /// for the branch's hosts only.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, event_id = %event_id))]
    pub async fn host_kit(
        &self,
        viewer: &Member,
        event_id: &str,
        origin: &str,
    ) -> Result<HostKit, EventError> {
        let (seed, key, event) = self.hosted_code(viewer, event_id).await?;
        Ok(HostKit {
            event_id: event_id.to_string(),
            title: event.title,
            last_code: key.last_code(event_id, seed.seed),
            code_key: seed.code_key,
            origin: origin.to_string(),
        })
    }

    /// The code the host shows now, with the check-in link under `origin`
    /// (`https://host:port`, what the host's own browser reached) as a QR code.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, event_id = %event_id))]
    pub async fn current_code(
        &self,
        viewer: &Member,
        event_id: &str,
        origin: &str,
    ) -> Result<ShownCode, EventError> {
        let (seed, key, event) = self.hosted_code(viewer, event_id).await?;
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
            qr_svg: vanguard_shared::qr::svg(&checkin_url),
            checkin_url,
            code,
            valid_until,
        })
    }
}

/// An event's title as entered: 1–200 characters once trimmed.
fn check_title(title: &str) -> Result<String, EventError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(EventError::Invalid("活动名称应为 1–200 字".into()));
    }
    Ok(title.to_string())
}

/// A time as an edit sends it: RFC 3339 with its offset.
pub fn time(field: &str, text: &str) -> Result<DateTime<FixedOffset>, EventError> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|_| EventError::Invalid(format!("{field} 应为带时区的 RFC 3339 时间")))
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
