//! The locked write: a document not cached, actors seen for the first time,
//! a member who may only read, another process's write in between, or a
//! refusal to confirm on the current document. Everything that costs is
//! done before the document's lock is taken (on SQLite, the database's one
//! write lock): the copy is brought up to date, the message applied to a
//! fork, its limits, schema and integrity checked. The lock is held only to
//! bind new actors and commit the change, its rows and its audit line, so
//! a heavy message never holds up another member's write. If another
//! writer stored first meanwhile, the work is done again on its document.

use super::access::Access;
use super::actors::writable_actors;
use super::hot::{self, HotDoc};
use super::limits::Checked;
use super::request::Request;
use super::{integrity, pending, Reply, SyncError, SyncService};
use crate::storage::{StoreError, Verdicts};
use automerge::sync::Message;
use std::collections::BTreeSet;
use vanguard_shared::sync::exchange::{self, Applied, Exchange};

/// Makes a stored document the cached copy, keeping the cached sync states.
pub(super) fn install(
    hot: &mut Option<HotDoc>,
    doc: automerge::Automerge,
    seq: i64,
    bytes: u64,
) -> &mut HotDoc {
    let states = hot.take().map(|h| h.states).unwrap_or_default();
    hot.insert(HotDoc {
        doc,
        seq,
        states,
        bytes,
    })
}

/// A message applied to a fork of the document at `seq` and checked, ready
/// to be committed.
struct Prepared {
    ex: Exchange,
    forked: automerge::Automerge,
    applied: Applied,
    actors: BTreeSet<String>,
    verdicts: Verdicts,
    seq: i64,
    bytes: u64,
}

enum Outcome {
    /// Nothing to store but the peer's state: answered.
    Answered(Reply),
    Write(Box<Prepared>),
}

impl SyncService {
    pub(super) async fn write_locked(
        &self,
        hot: &mut Option<HotDoc>,
        access: Access,
        request: Request<'_, '_>,
        message: Message,
        checked: &Checked,
    ) -> Result<Reply, SyncError> {
        let head = self
            .store
            .documents()
            .head(&request.name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        hot::refresh(&self.store, &request.name, hot, head).await?;
        let mut prepared = match self
            .prepare(hot, access, &request, message.clone(), checked)
            .await?
        {
            Outcome::Answered(reply) => return Ok(reply),
            Outcome::Write(prepared) => prepared,
        };
        let mut tx = self
            .store
            .documents()
            .begin(&request.name)
            .await?
            .ok_or(SyncError::UnknownDocument)?;
        if tx.head().seq != prepared.seq {
            // Another writer stored first: once more, on its document.
            hot::refresh_locked(&mut tx, &request.name, hot).await?;
            prepared = match self
                .prepare(hot, access, &request, message, checked)
                .await?
            {
                Outcome::Answered(reply) => return Ok(reply),
                Outcome::Write(prepared) => prepared,
            };
        }
        let Prepared {
            ex,
            forked,
            applied,
            actors,
            verdicts,
            seq,
            bytes,
        } = *prepared;
        let member_id = &request.peer.member.id;
        let new_actors = self.actors.check(&mut tx, actors, member_id).await?;
        let head = tx.head();
        let commit = pending(
            &request.id,
            member_id,
            request.peer.peer_id,
            seq,
            applied,
            verdicts,
        );
        let added = commit.change.len() as u64;
        tx.commit(&commit, &new_actors).await?;
        self.actors.remember(&new_actors, member_id);
        let doc = install(hot, forked, seq + 1, bytes + added);
        self.keep_state(&request, doc, ex.state.encode());
        if seq + 1 - head.snapshot_seq >= self.config.compact_after {
            self.compact_soon(&request.name);
        }
        Ok(ex.reply)
    }

    /// Applies the message to a fork of the cached document and checks it:
    /// its depth and the quota, the schema, who may write, and integrity.
    async fn prepare(
        &self,
        hot: &mut Option<HotDoc>,
        access: Access,
        request: &Request<'_, '_>,
        message: Message,
        checked: &Checked,
    ) -> Result<Outcome, SyncError> {
        let Some(doc) = hot.as_mut() else {
            return Err(StoreError::Corrupt(format!("{} not loaded", request.name)).into());
        };
        self.fits(doc, checked)?;
        let (ex, forked) = exchange::exchange(
            &mut doc.doc,
            &request.id,
            request.state.clone(),
            Some(message),
        )?;
        let (Some(applied), Some(forked)) = (ex.applied, forked) else {
            // Changes the server already had: nothing to write but the state.
            let reply = ex.reply;
            self.keep_state(request, doc, ex.state.encode());
            return Ok(Outcome::Answered(reply));
        };
        let actors = writable_actors(access, &applied.changes)?;
        let verdicts = integrity::check(
            &self.store,
            request.peer.member,
            &request.id,
            &forked,
            &applied.changes,
            &applied.entries,
            self.config.records_per_year,
        )
        .await?;
        Ok(Outcome::Write(Box::new(Prepared {
            ex: Exchange {
                applied: None,
                reply: ex.reply,
                state: ex.state,
            },
            forked,
            applied,
            actors,
            verdicts,
            seq: doc.seq,
            bytes: doc.bytes,
        })))
    }
}
