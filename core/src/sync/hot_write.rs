//! The common write: the cached copy is current as far as this process
//! knows, and the message's changes are all by actors known to be this
//! member's. The message is applied to the cached copy itself (no copy of
//! the document per change) and stored by the group committer, with no lock
//! held; stored only if no other process moved the document on meanwhile.
//! Whatever goes wrong after the changes are applied drops the copy, and the
//! locked write redoes the message on the document loaded afresh.

use super::access::Access;
use super::hot::HotDoc;
use super::request::Request;
use super::{integrity, pending, Reply, SyncError, SyncService};
use crate::storage::Member;
use automerge::sync::Message;
use vanguard_shared::documents::root_actor;
use vanguard_shared::sync::exchange;

pub(super) enum HotOutcome {
    /// Stored (or nothing new to store), and the copy is back in its slot.
    Answered(Reply),
    /// The locked write must redo the message; the cached copy is gone.
    Redo,
}

impl SyncService {
    /// Whether a write may take the hot path: a cached copy, write access,
    /// and changes whose actors are all known to be this member's.
    pub(super) fn may_write_hot(
        &self,
        hot: &Option<HotDoc>,
        access: Access,
        message: &Message,
        member: &Member,
    ) -> bool {
        hot.is_some()
            && access == Access::Write
            && exchange::change_actors(message).is_some_and(|actors| {
                !actors.contains(&root_actor().to_hex_string())
                    && self.actors.all_bound(&actors, &member.id)
            })
    }

    pub(super) async fn write_hot(
        &self,
        hot: &mut Option<HotDoc>,
        request: &Request<'_, '_>,
        message: &Message,
    ) -> Result<HotOutcome, SyncError> {
        // Out of its slot while the changes are applied to it.
        let Some(mut taken) = hot.take() else {
            return Ok(HotOutcome::Redo);
        };
        let seq = taken.seq;
        // A refusal is confirmed (or not) on the stored document.
        let Ok(ex) = exchange::receive(
            &mut taken.doc,
            &request.id,
            request.state.clone(),
            Some(message.clone()),
        ) else {
            return Ok(HotOutcome::Redo);
        };
        let committed = match ex.applied {
            // Changes waiting for others are not stored: not kept either.
            None if exchange::missing_deps(&taken.doc) => return Ok(HotOutcome::Redo),
            // Changes the server already had: only the state.
            None => false,
            Some(applied) => {
                // A refusal here too is confirmed on the stored document.
                let Ok(verdicts) = integrity::check(
                    &self.store,
                    request.peer.member,
                    &request.id,
                    &taken.doc,
                    &applied.changes,
                    &applied.entries,
                    self.config.records_per_year,
                )
                .await
                else {
                    return Ok(HotOutcome::Redo);
                };
                let commit = pending(
                    &request.id,
                    &request.key.member,
                    &request.key.device,
                    seq,
                    applied,
                    verdicts,
                );
                let bytes = commit.change.len() as u64;
                if !self.committer.commit(commit).await? {
                    return Ok(HotOutcome::Redo);
                }
                taken.seq = seq + 1;
                taken.bytes += bytes;
                true
            }
        };
        self.keep_state(request, &mut taken, ex.state.encode());
        *hot = Some(taken);
        // The copy does not know its snapshot: every so many changes.
        if committed && (seq + 1) % self.config.compact_after.max(1) == 0 {
            self.compact_soon(&request.name);
        }
        Ok(HotOutcome::Answered(ex.reply))
    }
}
