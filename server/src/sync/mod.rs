//! The server's end of document sync: authorize, apply, validate, store,
//! materialize, reply. One request is one Automerge sync message for one
//! document (or a batch of them, see `batch`).
//!
//! A message without changes (most requests: "here are my heads") is
//! answered from the hot copy with no write lock. A message with changes is
//! applied to a fork of the hot copy and handed to the group committer,
//! which stores it with other requests' in one transaction, only if the
//! document did not move on meanwhile. Otherwise (a document not cached, a
//! new actor, another process's write in between) it is redone under the
//! document's lock. Either way the fork replaces the document only after the
//! changes, the audit line, the materialized rows and the sync state
//! committed together.

pub mod access;
pub mod committer;
pub mod compaction;
pub mod hot;
pub mod rebuild;
pub mod states;

use crate::storage::{DocTx, Member, NewDocument, PendingCommit, SharedStore, StoreError};
use access::Access;
use automerge::sync::State;
use hot::{HotDocs, Slot};
use std::collections::{BTreeSet, HashMap};
use tokio::sync::mpsc;
use vanguard_shared::documents::{create_root, root_actor, DocId, SchemaError};
use vanguard_shared::sync::batch;
use vanguard_shared::sync::exchange::{self, Applied, ExchangeError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("文档不存在")]
    UnknownDocument,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ExchangeError> for SyncError {
    fn from(err: ExchangeError) -> Self {
        match err {
            ExchangeError::Malformed(m) => SyncError::Malformed(format!("不是有效的同步消息：{m}")),
            ExchangeError::Schema(e) => SyncError::Schema(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Documents kept in memory.
    pub hot_capacity: usize,
    /// Stored changes after which a document is compacted.
    pub compact_after: i64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            body_limit: 4 * 1024 * 1024,
            hot_capacity: 4096,
            compact_after: 32,
        }
    }
}

/// Who is syncing, from which device.
pub struct Peer<'a> {
    pub member: &'a Member,
    /// The client's device id: 1–64 of `[A-Za-z0-9_-]`.
    pub peer_id: &'a str,
}

pub struct SyncService {
    store: SharedStore,
    hot: HotDocs,
    committer: committer::Committer,
    /// Actor id to the member it is bound to, as far as this process has seen.
    actors: std::sync::Mutex<HashMap<String, String>>,
    config: SyncConfig,
    compactor: mpsc::UnboundedSender<String>,
    states: std::sync::Arc<states::SyncStates>,
}

/// The actors of changes that write: refused where the user may only read,
/// or where a change claims the server's own root actor.
fn writable_actors(
    access: Access,
    changes: &[automerge::Change],
) -> Result<BTreeSet<String>, SyncError> {
    if access != Access::Write {
        return Err(SyncError::Forbidden("只能读取此文档，不能修改".into()));
    }
    let actors: BTreeSet<String> = changes
        .iter()
        .map(|c| c.actor_id().to_hex_string())
        .collect();
    if actors.contains(&root_actor().to_hex_string()) {
        return Err(SyncError::Forbidden(
            "修改使用了服务器保留的作者标识".into(),
        ));
    }
    Ok(actors)
}

/// What an accepted message stores.
fn pending(id: &DocId, peer: &Peer<'_>, expected_seq: i64, applied: Applied) -> PendingCommit {
    PendingCommit {
        id: id.clone(),
        expected_seq,
        member_id: peer.member.id.clone(),
        peer_id: peer.peer_id.to_string(),
        change: applied.change_bytes(),
        change_hashes: applied
            .changes
            .iter()
            .map(|c| c.hash().to_string())
            .collect(),
        entries: applied.entries,
        at: now(),
    }
}

/// Makes a stored message's document the cached copy, keeping the cached
/// sync states.
fn install(hot: &mut Option<hot::HotDoc>, doc: automerge::Automerge, seq: i64) -> &mut hot::HotDoc {
    let states = hot.take().map(|h| h.states).unwrap_or_default();
    hot.insert(hot::HotDoc { doc, seq, states })
}

/// A write request as the hot path needs it.
struct HotWrite<'a, 'p> {
    id: &'a DocId,
    /// `id` as text.
    name: &'a str,
    peer: &'a Peer<'p>,
    /// (member, device)
    key: (String, String),
    /// The peer's state as stored (or cached) before this request.
    stored_state: &'a Option<Vec<u8>>,
    state: &'a State,
    message: &'a automerge::sync::Message,
}

fn foreign_actor() -> SyncError {
    SyncError::Forbidden("修改的作者标识属于其他成员，已拒绝".into())
}

fn now() -> i64 {
    crate::auth::now_secs()
}

impl SyncService {
    /// The service and the receiving end of its compaction queue, which
    /// `compaction::run` drains.
    pub fn new(store: SharedStore, config: SyncConfig) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (compactor, queue) = mpsc::unbounded_channel();
        let service = SyncService {
            hot: HotDocs::new(config.hot_capacity),
            committer: committer::Committer::start(store.clone()),
            states: states::SyncStates::start(store.clone()),
            actors: Default::default(),
            store,
            config,
            compactor,
        };
        (service, queue)
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub(crate) fn slot(&self, id: &str) -> Slot {
        self.hot.slot(id)
    }

    /// Creates the roots of documents that do not exist yet. Every process
    /// creates byte-identical roots, so a race is harmless.
    pub async fn ensure_documents(&self, ids: &[DocId]) -> Result<(), StoreError> {
        let names: Vec<String> = ids.iter().map(DocId::to_string).collect();
        let existing: BTreeSet<String> = self
            .store
            .existing_documents(&names)
            .await?
            .into_iter()
            .collect();
        let at = now();
        let missing: Vec<NewDocument> = ids
            .iter()
            .filter(|id| !existing.contains(&id.to_string()))
            .map(|id| NewDocument {
                id: id.clone(),
                snapshot: create_root(id).save(),
                at,
            })
            .collect();
        if !missing.is_empty() {
            self.store.create_documents(&missing).await?;
        }
        Ok(())
    }

    /// One sync message for one document. Answers the server's reply, or
    /// `None` when the client is up to date.
    pub async fn sync(
        &self,
        peer: &Peer<'_>,
        doc_id: &str,
        body: &[u8],
    ) -> Result<Option<Vec<u8>>, SyncError> {
        let id: DocId = doc_id.parse().map_err(|_| SyncError::UnknownDocument)?;
        let name = id.to_string();
        // Decoded first to know whether this writes; a bad body is reported
        // after the document and access checks.
        let decoded = (!body.is_empty())
            .then(|| exchange::decode(body))
            .transpose();
        let writes = matches!(&decoded, Ok(Some(m)) if !m.changes.is_empty());

        let slot = self.slot(&name);
        let mut hot = slot.lock().await;
        // A write to a cached document needs no head now: it is read under
        // the lock. A read must see what other processes stored.
        let head = if writes && hot.is_some() {
            None
        } else {
            Some(
                self.store
                    .document_head(&name)
                    .await?
                    .ok_or(SyncError::UnknownDocument)?,
            )
        };
        let access = access::access(&self.store, peer.member, &id)
            .await?
            .ok_or_else(|| SyncError::Forbidden("无权访问此文档".into()))?;
        let message = decoded?;
        let key = (peer.member.id.clone(), peer.peer_id.to_string());
        let cached_state = hot.as_ref().and_then(|h| h.states.get(&key).cloned());
        let stored_state = match cached_state {
            Some(s) => Some(s),
            None => {
                self.states
                    .get(&name, &peer.member.id, peer.peer_id)
                    .await?
            }
        };
        // Only the persistent part (the heads both sides share) survives
        // between requests: a device may have talked to another process.
        let state = stored_state
            .as_deref()
            .and_then(|s| State::decode(s).ok())
            .unwrap_or_default();

        if let (false, Some(head)) = (writes, head) {
            hot::refresh(&self.store, &name, &mut hot, head).await?;
            let Some(doc) = hot.as_mut() else {
                return Err(StoreError::Corrupt(format!("{name} not loaded")).into());
            };
            let ex = exchange::receive(&mut doc.doc, &id, state, message)?;
            self.keep_state(&name, peer, doc, key, stored_state, ex.state.encode());
            return Ok(ex.reply);
        }

        // The common write: the cached copy is current as far as this
        // process knows, and the message's changes are all by actors known
        // to be this member's. Applied to the cached copy itself (no copy of
        // the document per change) and stored by the group committer, with
        // no lock held; stored only if no other process moved the document
        // on meanwhile. Whatever goes wrong after the changes are applied
        // drops the copy, which is then loaded afresh from what is stored.
        if let Some(message) = message.as_ref().filter(|_| writes) {
            if let Some(taken) = hot.take_if(|_| {
                access == Access::Write
                    && exchange::change_actors(message).is_some_and(|actors| {
                        !actors.contains(&root_actor().to_hex_string())
                            && self.all_bound(&actors, &peer.member.id)
                    })
            }) {
                if let Some(reply) = self
                    .write_hot(
                        &mut hot,
                        taken,
                        HotWrite {
                            id: &id,
                            name: &name,
                            peer,
                            key: key.clone(),
                            stored_state: &stored_state,
                            state: &state,
                            message,
                        },
                    )
                    .await?
                {
                    drop(hot);
                    return Ok(reply);
                }
            }
        }

        // The locked path: a document not cached, actors seen for the first
        // time, another process's write in between, or a refusal to confirm
        // on the current document.
        let mut tx = self
            .store
            .begin_document(&name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        hot::refresh_locked(tx.as_mut(), &name, &mut hot).await?;
        let Some(doc) = hot.as_mut() else {
            return Err(StoreError::Corrupt(format!("{name} not loaded")).into());
        };
        let (ex, forked) = exchange::exchange(&mut doc.doc, &id, state, message)?;
        let (Some(applied), Some(forked)) = (ex.applied, forked) else {
            // Changes the server already had: nothing to write but the state.
            drop(tx);
            self.keep_state(&name, peer, doc, key, stored_state, ex.state.encode());
            return Ok(ex.reply);
        };
        let actors = writable_actors(access, &applied.changes)?;
        let new_actors = self
            .check_actors(tx.as_mut(), actors, &peer.member.id)
            .await?;
        let head = tx.head();
        let commit = pending(&id, peer, head.seq, applied);
        tx.commit(&commit, &new_actors).await?;
        self.remember_actors(&new_actors, &peer.member.id);
        let doc = install(&mut hot, forked, head.seq + 1);
        self.keep_state(&name, peer, doc, key, stored_state, ex.state.encode());
        drop(hot);
        if head.seq + 1 - head.snapshot_seq >= self.config.compact_after {
            // The queue outlives requests; a closed one means shutdown.
            let _ = self.compactor.send(name);
        }
        Ok(ex.reply)
    }

    /// The hot write: `taken` is the cached copy, out of its slot while
    /// the changes are applied to it. Answers the reply once the message is
    /// stored (or held nothing new) and the copy is back in `hot`; `None`
    /// when the locked path must redo the message on the stored document.
    async fn write_hot(
        &self,
        hot: &mut Option<hot::HotDoc>,
        mut taken: hot::HotDoc,
        write: HotWrite<'_, '_>,
    ) -> Result<Option<Option<Vec<u8>>>, SyncError> {
        let HotWrite {
            id,
            name,
            peer,
            key,
            stored_state: stored,
            state,
            message,
        } = write;
        let seq = taken.seq;
        // A refusal is confirmed (or not) on the stored document.
        let Ok(ex) = exchange::receive(&mut taken.doc, id, state.clone(), Some(message.clone()))
        else {
            return Ok(None);
        };
        let committed = match ex.applied {
            // Changes waiting for others are not stored: not kept either.
            None if exchange::missing_deps(&taken.doc) => return Ok(None),
            // Changes the server already had: only the state.
            None => false,
            Some(applied) => {
                if !self
                    .committer
                    .commit(pending(id, peer, seq, applied))
                    .await?
                {
                    return Ok(None);
                }
                taken.seq = seq + 1;
                true
            }
        };
        self.keep_state(
            name,
            peer,
            &mut taken,
            key,
            stored.clone(),
            ex.state.encode(),
        );
        *hot = Some(taken);
        if committed && (seq + 1) % self.config.compact_after.max(1) == 0 {
            let _ = self.compactor.send(name.to_string());
        }
        Ok(Some(ex.reply))
    }

    /// Keeps a peer's new sync state with the cached document, and has it
    /// stored (`states`) when it differs from the one it replaces.
    fn keep_state(
        &self,
        name: &str,
        peer: &Peer<'_>,
        doc: &mut hot::HotDoc,
        key: (String, String),
        stored: Option<Vec<u8>>,
        state: Vec<u8>,
    ) {
        if stored.as_deref() != Some(state.as_slice()) {
            self.states
                .put(name, &peer.member.id, peer.peer_id, state.clone(), now());
        }
        doc.states.insert(key, state);
    }

    /// Every actor of the changes must be bound to this member, or new (and
    /// then bound to them by the commit). Answers the new ones. Bindings
    /// never change once made, so known ones are answered from memory.
    async fn check_actors(
        &self,
        tx: &mut dyn DocTx,
        actors: BTreeSet<String>,
        member_id: &str,
    ) -> Result<Vec<String>, SyncError> {
        let unknown: Vec<String> = {
            let known = self.actors.lock().unwrap_or_else(|e| e.into_inner());
            let mut unknown = Vec::new();
            for actor in actors {
                match known.get(&actor) {
                    Some(owner) if owner == member_id => {}
                    Some(_) => return Err(foreign_actor()),
                    None => unknown.push(actor),
                }
            }
            unknown
        };
        if unknown.is_empty() {
            return Ok(unknown);
        }
        let owners = tx.actor_owners(&unknown).await?;
        if owners
            .iter()
            .any(|(_, owner)| owner.as_deref() != Some(member_id))
        {
            return Err(foreign_actor());
        }
        let bound: Vec<String> = owners.into_iter().map(|(actor, _)| actor).collect();
        self.remember_actors(&bound, member_id);
        Ok(unknown.into_iter().filter(|a| !bound.contains(a)).collect())
    }

    /// True when every actor is known, from memory, to belong to `member_id`.
    fn all_bound(&self, actors: &BTreeSet<String>, member_id: &str) -> bool {
        let known = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors
            .iter()
            .all(|a| known.get(a).is_some_and(|owner| owner == member_id))
    }

    fn remember_actors(&self, actors: &[String], member_id: &str) {
        let mut known = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        // A bound on memory; forgetting only costs a lookup.
        if known.len() > 100_000 {
            known.clear();
        }
        for actor in actors {
            known.insert(actor.clone(), member_id.to_string());
        }
    }

    /// A batch: each document is synced on its own, so one refused message
    /// does not hold back the others. A database failure ends the batch.
    #[allow(clippy::type_complexity)]
    pub async fn sync_batch(
        &self,
        peer: &Peer<'_>,
        body: &[u8],
    ) -> Result<Vec<(String, Result<Option<Vec<u8>>, SyncError>)>, SyncError> {
        let messages =
            batch::decode_request(body).map_err(|e| SyncError::Malformed(e.to_string()))?;
        let mut results = Vec::with_capacity(messages.len());
        for (doc_id, message) in messages {
            match self.sync(peer, &doc_id, &message).await {
                Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
                result => results.push((doc_id, result)),
            }
        }
        Ok(results)
    }
}
