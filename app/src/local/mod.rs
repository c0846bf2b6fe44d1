//! The member's data on this device: their documents kept in the browser,
//! the sync that carries them to the server, and the signals pages read.
//! Pages render the same thing on the server and at hydration (nothing read
//! yet); local data arrives in an `Effect`, after hydration, never during
//! render.

#[cfg(feature = "hydrate")]
mod device;
#[cfg(feature = "hydrate")]
mod driver;
#[cfg(feature = "hydrate")]
mod geo;
pub mod model;
#[cfg(feature = "hydrate")]
mod net;
#[cfg(feature = "hydrate")]
pub(crate) mod storage;

use leptos::prelude::*;
pub use model::{CachedMe, Snapshot, SyncStatus};
use vanguard_shared::documents::NewRecord;

/// How long a withdrawal waits on this device before it is synced: the
/// time the member has to take it back.
pub const UNDO_SECONDS: u64 = 10;

/// The signals every member page shares; provided once by the app.
#[derive(Clone, Copy)]
pub struct Local {
    /// Bumped whenever a document on this device changes.
    pub revision: RwSignal<u64>,
    pub status: RwSignal<SyncStatus>,
    /// Set once local data has been read (or found missing).
    pub loaded: RwSignal<bool>,
    /// Local storage use, in bytes, and the browser's quota estimate.
    pub storage: RwSignal<Option<model::StorageUse>>,
    /// A new version of the app is installed and waits for a reload.
    pub update_ready: RwSignal<bool>,
}

impl Local {
    pub fn provide() -> Local {
        let local = Local {
            revision: RwSignal::new(0),
            status: RwSignal::new(SyncStatus::Starting),
            loaded: RwSignal::new(false),
            storage: RwSignal::new(None),
            update_ready: RwSignal::new(false),
        };
        provide_context(local);
        local
    }

    pub fn get() -> Local {
        expect_context::<Local>()
    }

    /// Reads this device's data and starts syncing; once per page load.
    pub fn start(self) {
        #[cfg(feature = "hydrate")]
        driver::start(self);
    }

    /// What the pages show, or `None` before local data is read or when no
    /// member has signed in on this device.
    pub fn snapshot(self) -> Option<Snapshot> {
        let revision = self.revision.get();
        #[cfg(feature = "hydrate")]
        {
            device::snapshot(revision)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = revision;
            None
        }
    }

    /// The snapshot's records of the year with their states, newest first:
    /// read from the device's documents when a page shows them.
    pub fn records(self, snapshot: &Snapshot) -> Vec<vanguard_shared::documents::view::RecordView> {
        #[cfg(feature = "hydrate")]
        {
            device::records(snapshot)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = snapshot;
            Vec::new()
        }
    }

    /// The member's rows on the branch's attendance sheets (the officers'
    /// word on each occurrence), read from the device's events document.
    pub fn attendance(self) -> Vec<vanguard_shared::documents::view::Attended> {
        #[cfg(feature = "hydrate")]
        {
            device::attendance()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Vec::new()
        }
    }

    /// The time now in the member's time zone (a snapshot's `now` is from
    /// when it was read).
    pub fn now(self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        #[cfg(feature = "hydrate")]
        {
            device::with(|d| device::now(&d.me))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            None
        }
    }

    /// A member has signed in on this device (their data may be offline).
    pub fn has_member(self) -> bool {
        self.revision.track();
        #[cfg(feature = "hydrate")]
        {
            device::with(|_| ()).is_some()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            false
        }
    }

    /// Saves a check-in or leave request on this device, then syncs it.
    /// Answers the new record's id, or what is wrong in words.
    pub fn add_record(self, record: NewRecord) -> Result<String, String> {
        #[cfg(feature = "hydrate")]
        {
            let performance = web_sys::window().and_then(|w| w.performance());
            let started = performance.as_ref().map(|p| p.now());
            let id = device::add_record(record)?;
            // How long saving took (edit, validation, local storage): a mark
            // the browser tests read and report.
            if let (Some(p), Some(t0), Some(root)) = (
                performance,
                started,
                web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element()),
            ) {
                let _ = root.set_attribute(
                    "data-last-save-ms",
                    &vanguard_shared::decimal::fixed(p.now() - t0, 1),
                );
            }
            self.changed();
            Ok(id)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = record;
            Err("页面尚未加载完成".into())
        }
    }

    /// Withdraws a record (撤回); the document keeps its history. The
    /// sync waits a little, so the member may still take it back (撤销).
    pub fn withdraw(self, record_id: &str) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            device::withdraw(record_id)?;
            self.revision.update(|r| *r += 1);
            driver::sync_after(self, UNDO_SECONDS);
            Ok(())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = record_id;
            Err("页面尚未加载完成".into())
        }
    }

    /// Takes back a withdrawal that has not reached the server yet (撤销).
    pub fn restore(self, record_id: &str) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            device::restore(record_id)?;
            self.changed();
            Ok(())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = record_id;
            Err("页面尚未加载完成".into())
        }
    }

    /// What the member's corrections changed (更正：时长 2 → 3), oldest
    /// first, from the document's own history.
    pub fn corrections(self) -> Vec<vanguard_shared::documents::history::Correction> {
        let revision = self.revision.get();
        #[cfg(feature = "hydrate")]
        {
            device::corrections(revision)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = revision;
            Vec::new()
        }
    }

    /// Corrects a record's note and hours (更正); earlier values stay in
    /// the document's history.
    pub fn correct(
        self,
        record_id: &str,
        note: Option<String>,
        hours: Option<f64>,
    ) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            device::correct(record_id, note, hours)?;
            self.changed();
            Ok(())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (record_id, note, hours);
            Err("页面尚未加载完成".into())
        }
    }

    /// Signs out: warns first when records are not on the server yet, then
    /// clears this member's documents and cached pages.
    pub fn logout(self) {
        #[cfg(feature = "hydrate")]
        driver::logout(self);
    }

    /// The phone's position, asked for once; `done` gets it or why not.
    pub fn locate(self, done: impl Fn(Result<(f64, f64), String>) + 'static) {
        #[cfg(feature = "hydrate")]
        geo::locate(done);
        #[cfg(not(feature = "hydrate"))]
        done(Err("页面尚未加载完成".into()));
    }

    /// Reloads into the new version of the app.
    pub fn apply_update(self) {
        #[cfg(feature = "hydrate")]
        driver::apply_update();
    }

    #[cfg(feature = "hydrate")]
    fn changed(self) {
        self.revision.update(|r| *r += 1);
        driver::sync_soon(self);
    }
}
