//! This device's member and their documents, held in memory for the page's
//! life and saved to local storage after every change. Edits go through the
//! same `shared` functions every client uses, and are read back through the
//! server's own validation before they are kept: nothing half-saved.

use super::model::{CachedMe, Snapshot};
use super::storage;
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use std::cell::RefCell;
use vanguard_shared::documents::edit::{self, EditError};
use vanguard_shared::documents::history::{self, Correction};
use vanguard_shared::documents::view::RecordView;
use vanguard_shared::documents::{view, DocId, Layout, NewRecord};
use vanguard_shared::ledger::year_end::MyYearEnd;
use vanguard_shared::ledger::Rulebook;
use vanguard_shared::sync::{Replica, SyncClient};

pub struct Device {
    pub me: CachedMe,
    pub peer_id: String,
    pub client: SyncClient,
    /// The rulebook the server last sent, for the provisional ledger.
    pub rulebook: Option<Rulebook>,
    /// The member's job result and branch notice, as last fetched.
    pub year_end: Option<MyYearEnd>,
}

thread_local! {
    static DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
    /// The last snapshot and the revision it was read at: every page part
    /// shares one reading of the documents per change.
    static SNAPSHOT: RefCell<Option<(u64, Snapshot)>> = const { RefCell::new(None) };
    static RECORDS: RefCell<Option<(u64, Vec<RecordView>)>> = const { RefCell::new(None) };
    static CORRECTIONS: RefCell<Option<(u64, Vec<Correction>)>> = const { RefCell::new(None) };
}

pub fn with<R>(f: impl FnOnce(&mut Device) -> R) -> Option<R> {
    DEVICE.with(|d| d.borrow_mut().as_mut().map(f))
}

/// Opens the member's documents from local storage.
pub fn open(me: CachedMe) {
    let replicas = me.docs().iter().map(storage::load_replica).collect();
    let device = Device {
        me,
        peer_id: storage::peer_id(),
        client: SyncClient::new(replicas),
        rulebook: storage::load_rulebook(),
        year_end: storage::load_year_end(),
    };
    DEVICE.with(|d| *d.borrow_mut() = Some(device));
}

/// Another member signed in, or the year turned: start over from storage.
pub fn reopen_if_changed(me: CachedMe) {
    let same = with(|d| d.me == me).unwrap_or(false);
    if !same {
        open(me);
    }
}

pub fn close() {
    DEVICE.with(|d| *d.borrow_mut() = None);
    SNAPSHOT.with(|s| *s.borrow_mut() = None);
    RECORDS.with(|r| *r.borrow_mut() = None);
}

pub fn now(me: &CachedMe) -> DateTime<FixedOffset> {
    let millis = js_sys::Date::now() as i64;
    let utc = Utc
        .timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default();
    utc.with_timezone(&me.tz()).fixed_offset()
}

/// A reading kept for one revision of local data: every page part asks for
/// it, and it changes only when the revision does.
type Cached<T> = std::thread::LocalKey<RefCell<Option<(u64, T)>>>;

fn cached<T: Clone>(
    cell: &'static Cached<T>,
    revision: u64,
    read: impl FnOnce() -> Option<T>,
) -> Option<T> {
    let hit = cell.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(at, _)| *at == revision)
            .map(|(_, value)| value.clone())
    });
    if hit.is_some() {
        return hit;
    }
    let fresh = read()?;
    cell.with(|c| *c.borrow_mut() = Some((revision, fresh.clone())));
    Some(fresh)
}

pub fn snapshot(revision: u64) -> Option<Snapshot> {
    cached(&SNAPSHOT, revision, || {
        crate::mark("vanguard-snapshot-start");
        let fresh = read_snapshot(revision);
        crate::mark("vanguard-snapshot-read");
        fresh
    })
}

fn read_snapshot(revision: u64) -> Option<Snapshot> {
    with(|d| {
        // Both cheap, whatever the number of records.
        let events =
            d.me.events_doc()
                .and_then(|id| d.client.replica(&id.to_string()))
                .map(|r| view::events(&r.doc, &r.id))
                .unwrap_or_default();
        let unconfirmed = d
            .client
            .unconfirmed(&d.me.checkins_doc().to_string(), "records")
            .into_iter()
            .collect();
        let writable = d
            .client
            .replica(&d.me.checkins_doc().to_string())
            .is_some_and(Replica::has_root);
        Snapshot {
            rulebook: d.rulebook.clone(),
            year_end: d.year_end.clone().filter(|y| y.year == d.me.year),
            writable,
            now: now(&d.me),
            me: d.me.clone(),
            unconfirmed,
            revision,
            events,
        }
    })
}

/// Every record of the year with its state, read when a page shows them
/// (not for the check-in form: a year's records take a while to read on a
/// slow phone). Kept for the snapshot's revision, from its events and
/// unconfirmed records.
pub fn records(snapshot: &Snapshot) -> Vec<RecordView> {
    cached(&RECORDS, snapshot.revision, || {
        with(|d| {
            let replica = |id: &DocId| d.client.replica(&id.to_string());
            replica(&d.me.checkins_doc())
                .map(|c| {
                    view::records(
                        (&c.doc, &c.id),
                        replica(&d.me.reviews_doc()).map(|r| (&r.doc, &r.id)),
                        &snapshot.events,
                        &snapshot.unconfirmed,
                    )
                })
                .unwrap_or_default()
        })
    })
    .unwrap_or_default()
}

/// The member's rows on the branch's attendance sheets, read when the
/// ledger is shown.
pub fn attendance() -> Vec<view::Attended> {
    with(|d| {
        d.me.events_doc()
            .and_then(|id| d.client.replica(&id.to_string()))
            .map(|r| view::attendance_of(&r.doc, &r.id, &d.me.member_id))
            .unwrap_or_default()
    })
    .unwrap_or_default()
}

/// Runs one edit of the member's checkins document: the edited entry must
/// read back valid, and the document must reach storage, or the edit is
/// undone and the reason given.
fn edit_checkins(
    record_id: &str,
    apply: impl FnOnce(&mut vanguard_shared::automerge::Automerge) -> Result<(), EditError>,
) -> Result<(), String> {
    with(|d| {
        let id = d.me.checkins_doc();
        let replica = d
            .client
            .replica_mut(&id.to_string())
            .ok_or_else(|| EditError::NoRoot.to_string())?;
        if !replica.has_root() {
            return Err(EditError::NoRoot.to_string());
        }
        let before = replica.doc.get_heads();
        let undo = |replica: &mut Replica| {
            replica.doc = replica
                .doc
                .fork_at(&before)
                .unwrap_or_else(|_| replica.doc.fork())
        };
        apply(&mut replica.doc).map_err(|e| e.to_string())?;
        let layout = Layout::find(&replica.doc, &id);
        if let Some(Err(e)) = layout.map(|l| l.read(&replica.doc, "records", record_id)) {
            undo(replica);
            return Err(e.to_string());
        }
        if let Err(e) = storage::save_replica(replica) {
            undo(replica);
            return Err(e.to_string());
        }
        Ok(())
    })
    .unwrap_or_else(|| Err("本机尚无登录的党员，请联网登录".into()))
}

pub fn add_record(record: NewRecord) -> Result<String, String> {
    let record_id = uuid::Uuid::new_v4().to_string();
    edit_checkins(&record_id, |doc| edit::add_record(doc, &record_id, &record))?;
    Ok(record_id)
}

pub fn withdraw(record_id: &str) -> Result<(), String> {
    edit_checkins(record_id, |doc| edit::withdraw(doc, record_id))
}

/// Takes a withdrawal back (撤销) before it reaches the server.
pub fn restore(record_id: &str) -> Result<(), String> {
    edit_checkins(record_id, |doc| {
        edit::set_fields(doc, "records", record_id, &[("withdrawn", false.into())])
    })
}

/// What each correction changed, oldest first, from the checkins
/// document's own history; read when the records page shows them.
pub fn corrections(revision: u64) -> Vec<Correction> {
    cached(&CORRECTIONS, revision, || {
        with(|d| {
            let id = d.me.checkins_doc();
            d.client
                .replica(&id.to_string())
                .map(|c| history::corrections(&c.doc, &id))
                .unwrap_or_default()
        })
    })
    .unwrap_or_default()
}

pub fn correct(record_id: &str, note: Option<String>, hours: Option<f64>) -> Result<(), String> {
    let mut fields: Vec<(&str, vanguard_shared::automerge::ScalarValue)> = Vec::new();
    if let Some(note) = note {
        fields.push(("note", note.into()));
    }
    if let Some(hours) = hours {
        fields.push(("hours", hours.into()));
    }
    edit_checkins(record_id, |doc| {
        edit::set_fields(doc, "records", record_id, &fields)
    })
}

/// Saves every document and its sync state after a sync round.
pub fn save_all() -> Result<(), storage::StorageError> {
    with(|d| {
        d.client
            .replicas_mut()
            .iter_mut()
            .try_for_each(storage::save_replica)
    })
    .unwrap_or(Ok(()))
}
