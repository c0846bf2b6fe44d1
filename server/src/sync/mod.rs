//! The server's end of document sync: authorize, apply, validate, store,
//! materialize, reply. One request is one Automerge sync message for one
//! document (or a batch of them, see `batch`).
//!
//! A message without changes (most requests: "here are my heads") is
//! answered from the hot copy with no write lock. A message with changes is
//! applied to a fork of the document under the document's lock; the fork
//! replaces the document only after the changes, the audit line, the
//! materialized rows and the sync state committed in one transaction.

pub mod access;
pub mod compaction;
pub mod hot;
pub mod rebuild;

use crate::storage::{DocCommit, Member, NewDocument, SharedStore, StoreError};
use access::Access;
use automerge::sync::State;
use hot::{HotDocs, Slot};
use std::collections::BTreeSet;
use tokio::sync::mpsc;
use vanguard_shared::documents::{create_root, root_actor, DocId, SchemaError};
use vanguard_shared::sync::batch;
use vanguard_shared::sync::exchange::{self, ExchangeError};

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
    config: SyncConfig,
    compactor: mpsc::UnboundedSender<String>,
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
        let head = self
            .store
            .document_head(&name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        let access = access::access(&self.store, peer.member, &id)
            .await?
            .ok_or_else(|| SyncError::Forbidden("无权访问此文档".into()))?;
        let message = if body.is_empty() {
            None
        } else {
            Some(exchange::decode(body)?)
        };
        let writes = message.as_ref().is_some_and(|m| !m.changes.is_empty());
        let stored_state = self
            .store
            .sync_state(&name, &peer.member.id, peer.peer_id)
            .await?;
        // Only the persistent part (the heads both sides share) survives
        // between requests: a device may have talked to another process.
        let state = stored_state
            .as_deref()
            .and_then(|s| State::decode(s).ok())
            .unwrap_or_default();

        let slot = self.slot(&name);
        let mut hot = slot.lock().await;
        if !writes {
            hot::refresh(&self.store, &name, &mut hot, head).await?;
            let Some(doc) = hot.as_mut() else {
                return Err(StoreError::Corrupt(format!("{name} not loaded")).into());
            };
            let ex = exchange::exchange(&mut doc.doc, &id, state, message)?;
            let encoded = ex.state.encode();
            if stored_state.as_deref() != Some(encoded.as_slice()) {
                self.store
                    .put_sync_state(&name, &peer.member.id, peer.peer_id, &encoded, now())
                    .await?;
            }
            return Ok(ex.reply);
        }

        let mut tx = self
            .store
            .begin_document(&name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        hot::refresh_locked(tx.as_mut(), &name, &mut hot).await?;
        let Some(doc) = hot.as_mut() else {
            return Err(StoreError::Corrupt(format!("{name} not loaded")).into());
        };
        let ex = exchange::exchange(&mut doc.doc, &id, state, message)?;
        let Some(applied) = ex.applied else {
            // Changes the server already had: nothing to write but the state.
            drop(tx);
            self.store
                .put_sync_state(
                    &name,
                    &peer.member.id,
                    peer.peer_id,
                    &ex.state.encode(),
                    now(),
                )
                .await?;
            return Ok(ex.reply);
        };
        if access != Access::Write {
            return Err(SyncError::Forbidden("只能读取此文档，不能修改".into()));
        }
        let actors: BTreeSet<String> = applied
            .changes
            .iter()
            .map(|c| c.actor_id().to_hex_string())
            .collect();
        if actors.contains(&root_actor().to_hex_string()) {
            return Err(SyncError::Forbidden(
                "修改使用了服务器保留的作者标识".into(),
            ));
        }
        let actors: Vec<String> = actors.into_iter().collect();
        let owners = tx.actor_owners(&actors).await?;
        if owners
            .iter()
            .any(|(_, owner)| owner.as_deref() != Some(peer.member.id.as_str()))
        {
            return Err(SyncError::Forbidden(
                "修改的作者标识属于其他成员，已拒绝".into(),
            ));
        }
        let new_actors: Vec<String> = actors
            .into_iter()
            .filter(|a| !owners.iter().any(|(known, _)| known == a))
            .collect();
        let hashes: Vec<String> = applied
            .changes
            .iter()
            .map(|c| c.hash().to_string())
            .collect();
        let change = applied.doc.save_after(&applied.heads_before);
        let state = ex.state.encode();
        let seq = tx.head().seq + 1;
        let snapshot_seq = tx.head().snapshot_seq;
        tx.commit(DocCommit {
            id: &id,
            member_id: &peer.member.id,
            peer_id: peer.peer_id,
            change: &change,
            change_hashes: &hashes,
            new_actors: &new_actors,
            entries: &applied.entries,
            sync_state: &state,
            at: now(),
        })
        .await?;
        *hot = Some(hot::HotDoc {
            doc: applied.doc,
            seq,
        });
        drop(hot);
        if seq - snapshot_seq >= self.config.compact_after {
            // The queue outlives requests; a closed one means shutdown.
            let _ = self.compactor.send(name);
        }
        Ok(ex.reply)
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
