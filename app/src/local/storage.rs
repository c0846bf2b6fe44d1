//! This device's copy of the member's documents in the browser's local
//! storage (gloo-storage): Automerge saves and sync states as base64, the
//! cached identity, and the device's peer id.

use super::model::{CachedMe, LOCAL_STORAGE_LIMIT};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gloo_storage::{LocalStorage, Storage};
use vanguard_shared::documents::DocId;
use vanguard_shared::ledger::year_end::MyYearEnd;
use vanguard_shared::ledger::Rulebook;
use vanguard_shared::sync::Replica;

const PREFIX: &str = "vanguard/";
const ME: &str = "vanguard/me";
const PEER: &str = "vanguard/peer";
const RULEBOOK: &str = "vanguard/rulebook";
const YEAR_END: &str = "vanguard/year-end";

fn doc_key(id: &DocId) -> String {
    format!("{PREFIX}doc/{id}")
}

/// Changes saved since the document's last full save, appended in order.
fn tail_key(id: &DocId) -> String {
    format!("{PREFIX}tail/{id}")
}

/// Past this many bytes of appended changes, the next save writes the
/// document whole again, so a start never replays a long tail.
const TAIL_LIMIT: usize = 32 * 1024;

fn state_key(id: &DocId) -> String {
    format!("{PREFIX}state/{id}")
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("本机存储空间不足，未能保存。请联网同步后清理浏览器空间")]
    Full,
}

pub fn load_me() -> Option<CachedMe> {
    LocalStorage::get(ME).ok()
}

pub fn save_me(me: &CachedMe) -> Result<(), StorageError> {
    LocalStorage::set(ME, me).map_err(|_| StorageError::Full)
}

pub fn load_rulebook() -> Option<Rulebook> {
    LocalStorage::get(RULEBOOK).ok()
}

/// Keeps the rulebook as the server's JSON, which `load_rulebook` reads.
pub fn save_rulebook(json: &str) -> Result<(), StorageError> {
    LocalStorage::raw()
        .set_item(RULEBOOK, json)
        .map_err(|_| StorageError::Full)
}

pub fn load_year_end() -> Option<MyYearEnd> {
    LocalStorage::get(YEAR_END).ok()
}

pub fn save_year_end(json: &str) -> Result<(), StorageError> {
    LocalStorage::raw()
        .set_item(YEAR_END, json)
        .map_err(|_| StorageError::Full)
}

/// A stable id for this browser, made once (X-Peer-Id).
pub fn peer_id() -> String {
    if let Ok(id) = LocalStorage::get::<String>(PEER) {
        return id;
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    // Without storage the id lasts for this page only: the server just
    // keeps one more sync state.
    let _ = LocalStorage::set(PEER, &id);
    id
}

fn load_bytes(key: &str) -> Option<Vec<u8>> {
    LocalStorage::get::<String>(key)
        .ok()
        .and_then(|b| STANDARD.decode(b).ok())
}

/// The document as this device last saved it, or an empty one to receive.
pub fn load_replica(id: &DocId) -> Replica {
    let state = load_bytes(&state_key(id));
    let Some(doc) = load_bytes(&doc_key(id)) else {
        return Replica::empty(id.clone());
    };
    let restore = |bytes: &[u8]| Replica::restore(id.clone(), bytes, state.as_deref()).ok();
    // A full save followed by the changes appended since: Automerge loads
    // the concatenation as one document. Should the appended part not read,
    // the full save loads alone with what can be salvaged of the rest, and
    // the next save is whole, so the bad bytes do not stay in storage.
    let tail = load_bytes(&tail_key(id));
    let with_tail = tail
        .as_ref()
        .and_then(|tail| restore(&[doc.as_slice(), tail].concat()));
    with_tail
        .or_else(|| {
            let mut replica = restore(&doc)?;
            if let Some(tail) = &tail {
                replica.salvage(tail);
            }
            Some(replica)
        })
        .unwrap_or_else(|| Replica::empty(id.clone()))
}

/// Saves the document and its sync state; the document first, so a full
/// disk never leaves a state that claims more than the saved document holds.
/// Usually only the new changes are appended (a check-in costs its own few
/// hundred bytes, not a save of the whole year); now and then the document
/// is written whole and the appended changes dropped.
pub fn save_replica(replica: &mut Replica) -> Result<(), StorageError> {
    let tail = replica.unsaved().and_then(|new| {
        let mut tail = load_bytes(&tail_key(&replica.id)).unwrap_or_default();
        tail.extend(new);
        (tail.len() <= TAIL_LIMIT).then_some(tail)
    });
    match tail {
        Some(tail) => LocalStorage::set(tail_key(&replica.id), STANDARD.encode(tail)),
        None => {
            LocalStorage::set(doc_key(&replica.id), STANDARD.encode(replica.save_doc())).map(|()| {
                // A crash before this removal only replays changes the
                // full save already holds, which Automerge ignores.
                LocalStorage::delete(tail_key(&replica.id))
            })
        }
    }
    .map_err(|_| StorageError::Full)?;
    replica.mark_saved();
    LocalStorage::set(
        state_key(&replica.id),
        STANDARD.encode(replica.save_state()),
    )
    .map_err(|_| StorageError::Full)
}

/// The browser's local storage and the keys this app keeps in it.
fn app_keys() -> Option<(web_sys::Storage, Vec<String>)> {
    let storage = web_sys::window()?.local_storage().ok().flatten()?;
    let len = storage.length().unwrap_or(0);
    let keys = (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    Some((storage, keys))
}

/// Bytes this app keeps (UTF-16, as browsers count them).
pub fn used_bytes() -> u64 {
    let Some((storage, keys)) = app_keys() else {
        return 0;
    };
    keys.into_iter()
        .map(|k| {
            let v = storage.get_item(&k).ok().flatten().unwrap_or_default();
            ((k.len() + v.len()) * 2) as u64
        })
        .sum::<u64>()
        .min(LOCAL_STORAGE_LIMIT * 2)
}

/// Forgets the member: every document, state and the identity.
pub fn clear_member() {
    let Some((storage, keys)) = app_keys() else {
        return;
    };
    for k in keys.iter().filter(|k| *k != PEER) {
        let _ = storage.remove_item(k);
    }
}

/// Where a host's device keeps an event's codes (`HostKit`): under the
/// app's prefix, so signing out forgets it with the rest.
fn host_key(event_id: &str) -> String {
    format!("{PREFIX}host/{event_id}")
}

pub fn save_host_kit(kit: &vanguard_shared::event_code::HostKit) {
    let _ = LocalStorage::set(host_key(&kit.event_id), kit);
}

pub fn host_kit(event_id: &str) -> Option<vanguard_shared::event_code::HostKit> {
    LocalStorage::get(host_key(event_id)).ok()
}

/// Forgets the codes of events whose check-in has closed: the device keeps
/// an event's codes for its window, nothing more.
pub fn forget_closed_host_kits(now_secs: i64) {
    let Some((storage, keys)) = app_keys() else {
        return;
    };
    let prefix = host_key("");
    for k in keys.iter().filter(|k| k.starts_with(&prefix)) {
        let closed = LocalStorage::get::<vanguard_shared::event_code::HostKit>(k)
            .map_or(true, |kit| kit.closes_at() < now_secs);
        if closed {
            let _ = storage.remove_item(k);
        }
    }
}

/// What the console keeps on this device under `key` (`vanguard/console/…`):
/// decisions and attendance made with no network, until they reach the
/// server. Under the app's prefix, so signing out forgets them too.
pub fn console_get<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    LocalStorage::get(format!("{PREFIX}console/{key}")).ok()
}

pub fn console_set<T: serde::Serialize>(key: &str, value: &T) -> Result<(), StorageError> {
    LocalStorage::set(format!("{PREFIX}console/{key}"), value).map_err(|_| StorageError::Full)
}

pub fn console_delete(key: &str) {
    LocalStorage::delete(format!("{PREFIX}console/{key}"));
}
