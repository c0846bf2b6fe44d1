//! Documents kept in memory between requests. Loading a year's document
//! from scratch costs tens of milliseconds; applying one change, a fraction
//! of one. Each cached copy remembers the stored sequence number it holds,
//! and catches up with changes other processes stored before it is used.

use super::states::PeerKey;
use crate::storage::{DocHead, DocTx, Store, StoreError, StoredDoc};
use automerge::Automerge;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub struct HotDoc {
    pub doc: Automerge,
    /// The last stored change this copy includes.
    pub seq: i64,
    /// Persisted sync states by (member, device), written through to the
    /// store. One older than the stored state (the device meanwhile talked
    /// to another process) is still correct: it only makes the next
    /// message a little larger.
    pub states: HashMap<PeerKey, Vec<u8>>,
    /// About what the document takes in storage: its snapshot and the
    /// changes stored after it, for the quota (`SyncConfig::document_quota`).
    pub bytes: u64,
}

impl HotDoc {
    pub fn new(doc: Automerge, seq: i64, bytes: u64) -> Self {
        HotDoc {
            doc,
            seq,
            states: HashMap::new(),
            bytes,
        }
    }
}

/// One document's slot: the async lock serializes this process's work on
/// the document, and holds the cached copy if there is one.
pub type Slot = Arc<tokio::sync::Mutex<Option<HotDoc>>>;

pub struct HotDocs {
    slots: Mutex<HashMap<String, (Slot, u64)>>,
    clock: AtomicU64,
    capacity: usize,
}

impl HotDocs {
    pub fn new(capacity: usize) -> Self {
        HotDocs {
            slots: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            capacity: capacity.max(1),
        }
    }

    pub fn slot(&self, id: &str) -> Slot {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        // A poisoned map only means a panic elsewhere; the map itself is fine.
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((slot, used)) = slots.get_mut(id) {
            *used = tick;
            return slot.clone();
        }
        if slots.len() >= self.capacity {
            // Evict the least recently used eighth; a slot in use stays
            // alive through its Arc and is simply no longer shared.
            let mut by_age: Vec<(u64, String)> = slots
                .iter()
                .map(|(k, (_, used))| (*used, k.clone()))
                .collect();
            by_age.sort();
            for (_, key) in by_age.into_iter().take(self.capacity.div_ceil(8)) {
                slots.remove(&key);
            }
        }
        let slot: Slot = Arc::new(tokio::sync::Mutex::new(None));
        slots.insert(id.to_string(), (slot.clone(), tick));
        slot
    }
}

fn corrupt(id: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("document {id}: {e}"))
}

static FULL_LOADS: AtomicU64 = AtomicU64::new(0);

/// How many times this process has loaded a document from scratch: once per
/// document it serves, unless the cache evicted it or a compaction overtook it.
pub fn full_loads() -> u64 {
    FULL_LOADS.load(Ordering::Relaxed)
}

pub fn from_stored(id: &str, stored: StoredDoc) -> Result<HotDoc, StoreError> {
    FULL_LOADS.fetch_add(1, Ordering::Relaxed);
    let mut doc = Automerge::load(&stored.snapshot).map_err(|e| corrupt(id, e))?;
    let mut bytes = stored.snapshot.len() as u64;
    for (_, change) in &stored.changes {
        doc.load_incremental(change).map_err(|e| corrupt(id, e))?;
        bytes += change.len() as u64;
    }
    Ok(HotDoc::new(doc, stored.head.seq, bytes))
}

/// Applies changes in order; false (and `hot` unusable) if they do not
/// follow on from `hot.seq`: a compaction removed some meanwhile.
fn apply(id: &str, hot: &mut HotDoc, changes: Vec<(i64, Vec<u8>)>) -> Result<bool, StoreError> {
    for (seq, change) in changes {
        if seq != hot.seq + 1 {
            return Ok(false);
        }
        hot.doc
            .load_incremental(&change)
            .map_err(|e| corrupt(id, e))?;
        hot.seq = seq;
        hot.bytes += change.len() as u64;
    }
    Ok(true)
}

/// True when the cached copy is as new as `head`, or can catch up with it
/// by applying changes. A head read before a write this process made since
/// is older than the copy: the copy is current.
fn can_catch_up(hot: &Option<HotDoc>, head: DocHead) -> bool {
    hot.as_ref().is_some_and(|h| h.seq >= head.snapshot_seq)
}

/// Brings the cached copy up to `head` (or later), reading without a lock.
pub async fn refresh(
    store: &Store,
    id: &str,
    hot: &mut Option<HotDoc>,
    head: DocHead,
) -> Result<(), StoreError> {
    if can_catch_up(hot, head) {
        if let Some(h) = hot.as_mut() {
            if h.seq >= head.seq {
                return Ok(());
            }
            let changes = store.documents().changes_after(id, h.seq).await?;
            if apply(id, h, changes)? {
                return Ok(());
            }
        }
    }
    let stored = store
        .documents()
        .load(id)
        .await?
        .ok_or_else(|| corrupt(id, "vanished"))?;
    *hot = Some(from_stored(id, stored)?);
    Ok(())
}

/// Brings the cached copy up to the locked head, inside the transaction.
pub async fn refresh_locked(
    tx: &mut DocTx,
    id: &str,
    hot: &mut Option<HotDoc>,
) -> Result<(), StoreError> {
    let head = tx.head();
    if can_catch_up(hot, head) {
        if let Some(h) = hot.as_mut() {
            if h.seq >= head.seq {
                return Ok(());
            }
            let changes = tx.changes_after(h.seq).await?;
            if apply(id, h, changes)? && h.seq == head.seq {
                return Ok(());
            }
        }
    }
    let stored = tx.load().await?;
    *hot = Some(from_stored(id, stored)?);
    Ok(())
}
