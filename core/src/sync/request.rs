//! One sync request, decoded: the message, whether it writes, and the
//! peer's sync state as last stored (or cached) for this document.

use super::hot::HotDoc;
use super::states::PeerKey;
use super::{Peer, SyncError, SyncService};
use automerge::sync::{Message, State};
use vanguard_shared::documents::DocId;
use vanguard_shared::sync::exchange::{self, ExchangeError};

/// The body as a message: `None` for an empty body (the client asks the
/// server to begin).
pub(super) fn decode(body: &[u8]) -> Result<Option<Message>, ExchangeError> {
    (!body.is_empty())
        .then(|| exchange::decode(body))
        .transpose()
}

/// A message that carries changes writes; one that does not decode is
/// treated as a read until it is refused.
pub(super) fn writes(decoded: &Result<Option<Message>, ExchangeError>) -> bool {
    matches!(decoded, Ok(Some(m)) if !m.changes.is_empty())
}

/// What every path of one request needs.
pub(super) struct Request<'a, 'p> {
    pub id: DocId,
    /// `id` as text.
    pub name: String,
    pub peer: &'a Peer<'p>,
    pub key: PeerKey,
    /// The peer's state as stored (or cached) before this request.
    pub stored_state: Option<Vec<u8>>,
    /// Its persistent part: only the heads both sides share survive
    /// between requests, since a device may have talked to another process.
    pub state: State,
}

impl<'a, 'p> Request<'a, 'p> {
    pub async fn new(
        service: &SyncService,
        id: DocId,
        name: String,
        peer: &'a Peer<'p>,
        hot: &Option<HotDoc>,
    ) -> Result<Self, SyncError> {
        let key = PeerKey::of(peer);
        let cached = hot.as_ref().and_then(|h| h.states.get(&key).cloned());
        let stored_state = match cached {
            Some(s) => Some(s),
            None => service.states.get(&name, &key).await?,
        };
        let state = stored_state
            .as_deref()
            .and_then(|s| State::decode(s).ok())
            .unwrap_or_default();
        Ok(Request {
            id,
            name,
            peer,
            key,
            stored_state,
            state,
        })
    }
}
