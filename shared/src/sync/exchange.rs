//! The server's side of one sync exchange, as a pure function: receive a
//! client's message on a fork of the document, validate what it changed, and
//! produce the reply. The caller decides (authorization, storage) whether the
//! fork replaces the document; until then nothing has changed.

use crate::documents::schema::{Entry, Layout};
use crate::documents::DocId;
use crate::documents::SchemaError;
use automerge::sync::{Message, State, SyncDoc};
use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// Not an Automerge sync message, or changes that do not decode.
    #[error("不是有效的同步消息：{0}")]
    Malformed(String),
    #[error("{0}")]
    Schema(#[from] SchemaError),
}

/// What a message changed, ready to be committed.
pub struct Applied {
    /// The changes new to the server, in causal order.
    pub changes: Vec<Change>,
    /// The entries those changes touched, read and valid.
    pub entries: Vec<Entry>,
    pub heads_before: Vec<ChangeHash>,
}

impl Applied {
    /// The new changes as `load_incremental` reads them back: each one's
    /// own bytes, in order (what `save_after` gives, without finding the
    /// changes a second time).
    pub fn change_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.changes.iter().map(|c| c.raw_bytes().len()).sum());
        for change in &self.changes {
            bytes.extend_from_slice(change.raw_bytes());
        }
        bytes
    }
}

pub struct Exchange {
    /// `None` when the message brought nothing new.
    pub applied: Option<Applied>,
    /// The server's reply; `None` when the client is up to date (HTTP 204).
    pub reply: Option<Vec<u8>>,
    pub state: State,
}

pub fn decode(bytes: &[u8]) -> Result<Message, ExchangeError> {
    Message::decode(bytes).map_err(|e| ExchangeError::Malformed(e.to_string()))
}

/// Receives `message` (or begins, when `None`) against `doc` with the peer's
/// sync `state`, leaving `doc` as it was: a message with changes is applied
/// to a fork, answered with the exchange when it applied anything.
pub fn exchange(
    doc: &mut Automerge,
    id: &DocId,
    state: State,
    message: Option<Message>,
) -> Result<(Exchange, Option<Automerge>), ExchangeError> {
    if message.as_ref().is_none_or(|m| m.changes.is_empty()) {
        return Ok((receive(doc, id, state, message)?, None));
    }
    let mut forked = doc.fork();
    let ex = receive(&mut forked, id, state, message)?;
    let forked = ex.applied.is_some().then_some(forked);
    Ok((ex, forked))
}

/// `exchange` on `doc` itself, which saves copying the whole document for
/// every change. The changes are applied before they are validated, so
/// after an error, an `Applied` the caller does not store, or changes left
/// waiting for what they depend on (`missing_deps`), `doc` holds what was
/// not accepted and must be dropped. A message without changes only reads.
pub fn receive(
    doc: &mut Automerge,
    id: &DocId,
    mut state: State,
    message: Option<Message>,
) -> Result<Exchange, ExchangeError> {
    let Some(message) = message else {
        let reply = reply(doc, &mut state);
        return Ok(Exchange {
            applied: None,
            reply,
            state,
        });
    };
    if message.changes.is_empty() {
        // Heads, needs and haves only, the most common request: receiving it
        // reads the document and writes only the sync state.
        doc.receive_sync_message(&mut state, message)
            .map_err(|e| ExchangeError::Malformed(e.to_string()))?;
        let reply = reply(doc, &mut state);
        return Ok(Exchange {
            applied: None,
            reply,
            state,
        });
    }
    let heads_before = doc.get_heads();
    doc.receive_sync_message(&mut state, message)
        .map_err(|e| ExchangeError::Malformed(e.to_string()))?;
    let changes: Vec<Change> = doc.get_changes(&heads_before);
    if missing_deps(doc) {
        // Some changes arrived before what they depend on (a lost request,
        // a bloom filter false positive). A long-lived peer would queue them;
        // this server keeps nothing between requests but what it stores, so
        // it asks the client to forget what it sent and send it again. The
        // reply is made from the document whose queue names the missing
        // changes.
        state.needs_reset = true;
    }
    if changes.is_empty() {
        // Only changes the server already had, or could not place yet.
        let reply = reply(doc, &mut state);
        return Ok(Exchange {
            applied: None,
            reply,
            state,
        });
    }
    // `read_changed` refuses any write to the root's own keys, so the
    // layout found is the one the document was created and accepted with.
    let entries = Layout::located(doc, id)?.read_changed(doc, &changes)?;
    let reply = reply(doc, &mut state);
    Ok(Exchange {
        applied: Some(Applied {
            changes,
            entries,
            heads_before,
        }),
        reply,
        state,
    })
}

/// The actors (hex) of a message's changes, read from the changes before
/// anything is applied; `None` when a chunk is not one change (a message
/// may carry a whole document), so the caller cannot know in advance.
pub fn change_actors(message: &Message) -> Option<BTreeSet<String>> {
    message
        .changes
        .iter()
        .map(|chunk| {
            Change::try_from(chunk)
                .ok()
                .map(|c| c.actor_id().to_hex_string())
        })
        .collect()
}

/// True when `doc` holds changes it cannot apply until others arrive.
pub fn missing_deps(doc: &Automerge) -> bool {
    !doc.get_missing_deps(&[]).is_empty()
}

/// The next message for the peer, or `None` when it is up to date: it has
/// our heads, needs nothing, and we have no changes for it.
fn reply(doc: &Automerge, state: &mut State) -> Option<Vec<u8>> {
    let message = doc.generate_sync_message(state)?;
    let up_to_date = message.changes.is_empty()
        && message.need.is_empty()
        && state.their_heads.as_deref() == Some(message.heads.as_slice());
    (!up_to_date).then(|| message.encode())
}
