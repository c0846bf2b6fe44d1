//! This device's copy of the member's documents in the browser's local
//! storage (gloo-storage): Automerge saves and sync states as base64, the
//! cached identity, and the device's peer id.

use super::model::{CachedMe, LOCAL_STORAGE_LIMIT};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gloo_storage::{LocalStorage, Storage};
use vanguard_shared::documents::DocId;
use vanguard_shared::ledger::Rulebook;
use vanguard_shared::sync::Replica;

const PREFIX: &str = "vanguard/";
const ME: &str = "vanguard/me";
const PEER: &str = "vanguard/peer";
const RULEBOOK: &str = "vanguard/rulebook";

fn doc_key(id: &DocId) -> String {
    format!("{PREFIX}doc/{id}")
}

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

pub fn save_rulebook(book: &Rulebook) -> Result<(), StorageError> {
    LocalStorage::set(RULEBOOK, book).map_err(|_| StorageError::Full)
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

/// The document as this device last saved it, or an empty one to receive.
pub fn load_replica(id: &DocId) -> Replica {
    let doc = LocalStorage::get::<String>(doc_key(id))
        .ok()
        .and_then(|b| STANDARD.decode(b).ok());
    let state = LocalStorage::get::<String>(state_key(id))
        .ok()
        .and_then(|b| STANDARD.decode(b).ok());
    match doc {
        Some(doc) => Replica::restore(id.clone(), &doc, state.as_deref())
            .unwrap_or_else(|_| Replica::empty(id.clone())),
        None => Replica::empty(id.clone()),
    }
}

/// Saves the document and its sync state; the document first, so a full
/// disk never leaves a state that claims more than the saved document holds.
pub fn save_replica(replica: &Replica) -> Result<(), StorageError> {
    LocalStorage::set(doc_key(&replica.id), STANDARD.encode(replica.save_doc()))
        .map_err(|_| StorageError::Full)?;
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
