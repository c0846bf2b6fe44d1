//! The server's own edits: a secretary's decision made on a console page,
//! an event created from a form. The edit is made on a fork of the document
//! brought up to date under its lock, by an actor bound to the member it is
//! made for, and then passes exactly what a synced change passes: the
//! member's access, the actor binding, the schema check of every entry the
//! edit touched, and one transaction with the change, its materialized rows
//! and its audit line. Nothing of a refused edit is stored.

use super::actors::writable_actors;
use super::hot;
use super::locked_write::install;
use super::{access, integrity, pending, SyncError, SyncService};
use crate::storage::{AuditEvent, Member, StoreError};
use automerge::{ActorId, Automerge, Change};
use sha2::{Digest, Sha256};
use vanguard_shared::documents::{DocId, EditError, Layout};
use vanguard_shared::sync::exchange::Applied;

pub use crate::storage::EDIT_DEVICE;

/// The actor of the server's edits for one member: the same in every process,
/// so the member's binding holds, and never a phone's (those are random).
fn edit_actor(member_id: &str) -> ActorId {
    let digest = Sha256::digest(format!("vanguard-server-edit:{member_id}").as_bytes());
    ActorId::from(&digest[..16])
}

impl SyncService {
    /// Makes `edit` on document `id` for `author`, as if the author's own
    /// device had synced it. Answers whether anything changed.
    pub async fn edit(
        &self,
        author: &Member,
        id: &DocId,
        edit: impl FnOnce(&mut Automerge) -> Result<(), EditError>,
    ) -> Result<bool, SyncError> {
        self.edit_noted(author, id, None, edit).await
    }

    /// The same, with what the edit did in words (`note`), stored in the
    /// change's own transaction: the decision and its audit line together
    /// or neither.
    #[tracing::instrument(level = "debug", skip_all, fields(caller = %author.id, id = %id))]
    pub async fn edit_noted(
        &self,
        author: &Member,
        id: &DocId,
        note: Option<AuditEvent>,
        edit: impl FnOnce(&mut Automerge) -> Result<(), EditError>,
    ) -> Result<bool, SyncError> {
        let access = access::access(&self.store, author, id)
            .await?
            .ok_or_else(|| SyncError::Forbidden("无权访问此文档".into()))?;
        self.ensure_documents(std::slice::from_ref(id)).await?;
        let name = id.to_string();
        let slot = self.slot(&name);
        let mut hot = slot.lock().await;
        let mut tx = self
            .store
            .documents()
            .begin(&name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        hot::refresh_locked(&mut tx, &name, &mut hot).await?;
        let Some(current) = hot.as_mut() else {
            return Err(StoreError::Corrupt(format!("{name} not loaded")).into());
        };
        let heads_before = current.doc.get_heads();
        let mut forked = current.doc.fork();
        forked.set_actor(edit_actor(&author.id));
        edit(&mut forked)?;
        let changes: Vec<Change> = forked.get_changes(&heads_before);
        if changes.is_empty() {
            return Ok(false);
        }
        let entries = Layout::located(&forked, id)?.read_changed(&forked, &changes)?;
        let actors = writable_actors(access, &changes)?;
        let verdicts = integrity::check(
            &self.store,
            author,
            id,
            &forked,
            &changes,
            &entries,
            self.config.records_per_year,
        )
        .await?;
        let new_actors = self.actors.check(&mut tx, actors, &author.id).await?;
        let head = tx.head();
        let bytes = current.bytes;
        let applied = Applied {
            changes,
            entries,
            heads_before,
        };
        let mut commit = pending(
            id,
            &author.id,
            crate::door::edit_device(),
            head.seq,
            applied,
            verdicts,
        );
        commit.note = note;
        let added = commit.change.len() as u64;
        tx.commit(&commit, &new_actors).await?;
        self.actors.remember(&new_actors, &author.id);
        install(&mut hot, forked, head.seq + 1, bytes + added);
        if head.seq + 1 - head.snapshot_seq >= self.config.compact_after {
            self.compact_soon(&name);
        }
        Ok(true)
    }
}
