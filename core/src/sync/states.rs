//! Peers' sync states, stored behind the exchanges. A stored state only
//! spares a reconnecting device what it already has; an older one is still
//! correct and merely makes the next exchange a little longer (docs/sync.md).
//! So a state is kept in memory when it changes and written in one batch
//! with others about once a second, instead of as one more row in every
//! change's transaction. A crash loses at most the last second's states.

use super::Peer;
use crate::storage::{Store, StoreError, SyncStateRow};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How long a changed state may wait to be stored.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// How often idle and surplus states are forgotten.
const PRUNE_EVERY: u32 = 600;
/// A device not seen for this long starts its next exchange afresh.
pub const IDLE_FOR: Duration = Duration::from_secs(90 * 24 * 3600);
/// Devices whose states a member keeps: phones, a desk, a spare.
pub const DEVICES_PER_MEMBER: i64 = 8;

/// (document, member and device)
/// A member's device, as sync states are kept per document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerKey {
    pub member: String,
    pub device: String,
}

impl PeerKey {
    pub fn of(peer: &Peer<'_>) -> Self {
        PeerKey {
            member: peer.member.id.clone(),
            device: peer.peer_id.to_string(),
        }
    }
}

type Key = (String, PeerKey);

pub struct SyncStates {
    store: Store,
    waiting: Mutex<HashMap<Key, (Vec<u8>, i64)>>,
}

impl SyncStates {
    /// The buffer, and a task that stores it until the buffer is dropped.
    pub fn start(store: Store) -> Arc<Self> {
        let states = Arc::new(SyncStates {
            store,
            waiting: Mutex::default(),
        });
        tokio::spawn(flush_while_alive(Arc::downgrade(&states)));
        states
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (Vec<u8>, i64)>> {
        // A poisoned map only means a panic elsewhere; the map itself is fine.
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The newest state of a device for a document: one still waiting, or
    /// the stored one.
    pub async fn get(&self, doc_id: &str, peer: &PeerKey) -> Result<Option<Vec<u8>>, StoreError> {
        let key = (doc_id.to_string(), peer.clone());
        if let Some((state, _)) = self.waiting().get(&key) {
            return Ok(Some(state.clone()));
        }
        self.store
            .documents()
            .sync_state(doc_id, &peer.member, &peer.device)
            .await
    }

    /// Keeps a device's new state, to be stored with the next batch.
    pub fn put(&self, doc_id: &str, peer: &PeerKey, state: Vec<u8>, at: i64) {
        self.waiting()
            .insert((doc_id.to_string(), peer.clone()), (state, at));
    }

    /// Forgets states idle for `IDLE_FOR`, and each member's beyond their
    /// `DEVICES_PER_MEMBER` most recent devices.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        let idle_before = crate::auth::now_secs() - IDLE_FOR.as_secs() as i64;
        self.store
            .documents()
            .prune_sync_states(idle_before, DEVICES_PER_MEMBER)
            .await
    }

    /// Stores every waiting state. On failure they wait for the next try,
    /// unless a newer state for the same device arrived meanwhile.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let batch = std::mem::take(&mut *self.waiting());
        if batch.is_empty() {
            return Ok(());
        }
        let rows: Vec<SyncStateRow> = batch
            .iter()
            .map(|((doc_id, peer), (state, at))| SyncStateRow {
                doc_id: doc_id.clone(),
                member_id: peer.member.clone(),
                peer_id: peer.device.clone(),
                state: state.clone(),
                at: *at,
            })
            .collect();
        let result = self.store.documents().put_sync_states(&rows).await;
        if result.is_err() {
            let mut waiting = self.waiting();
            for (key, value) in batch {
                waiting.entry(key).or_insert(value);
            }
        }
        result
    }
}

async fn flush_while_alive(states: Weak<SyncStates>) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u32;
    loop {
        tick.tick().await;
        let Some(states) = states.upgrade() else {
            return;
        };
        if let Err(e) = states.flush().await {
            tracing::warn!(error = %e, "storing sync states failed; retrying");
        }
        // At the start, and every ten minutes after.
        if ticks.is_multiple_of(PRUNE_EVERY) {
            if let Err(e) = states.prune().await {
                tracing::warn!(error = %e, "forgetting old sync states failed");
            }
        }
        ticks = ticks.wrapping_add(1);
    }
}
