//! The locked write: a document not cached, actors seen for the first time,
//! a member who may only read, another process's write in between, or a
//! refusal to confirm on the current document. The message is applied to a
//! fork of the document brought up to date under its lock, and committed
//! in one transaction with any new actor bindings; the fork replaces the
//! cached copy only once that committed.

use super::access::Access;
use super::actors::writable_actors;
use super::hot::{self, HotDoc};
use super::request::Request;
use super::{pending, Reply, SyncError, SyncService};
use crate::storage::StoreError;
use automerge::sync::Message;
use vanguard_shared::sync::exchange;

/// Makes a stored document the cached copy, keeping the cached sync states.
pub(super) fn install(
    hot: &mut Option<HotDoc>,
    doc: automerge::Automerge,
    seq: i64,
) -> &mut HotDoc {
    let states = hot.take().map(|h| h.states).unwrap_or_default();
    hot.insert(HotDoc { doc, seq, states })
}

impl SyncService {
    pub(super) async fn write_locked(
        &self,
        hot: &mut Option<HotDoc>,
        access: Access,
        request: Request<'_, '_>,
        message: Option<Message>,
    ) -> Result<Reply, SyncError> {
        let mut tx = self
            .store
            .documents()
            .begin(&request.name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        hot::refresh_locked(&mut tx, &request.name, hot).await?;
        let Some(doc) = hot.as_mut() else {
            return Err(StoreError::Corrupt(format!("{} not loaded", request.name)).into());
        };
        let (ex, forked) =
            exchange::exchange(&mut doc.doc, &request.id, request.state.clone(), message)?;
        let (Some(applied), Some(forked)) = (ex.applied, forked) else {
            // Changes the server already had: nothing to write but the state.
            drop(tx);
            self.keep_state(&request, doc, ex.state.encode());
            return Ok(ex.reply);
        };
        let member_id = &request.peer.member.id;
        let actors = writable_actors(access, &applied.changes)?;
        let new_actors = self.actors.check(&mut tx, actors, member_id).await?;
        let head = tx.head();
        let commit = pending(
            &request.id,
            member_id,
            request.peer.peer_id,
            head.seq,
            applied,
        );
        tx.commit(&commit, &new_actors).await?;
        self.actors.remember(&new_actors, member_id);
        let doc = install(hot, forked, head.seq + 1);
        self.keep_state(&request, doc, ex.state.encode());
        if head.seq + 1 - head.snapshot_seq >= self.config.compact_after {
            self.compact_soon(&request.name);
        }
        Ok(ex.reply)
    }
}
