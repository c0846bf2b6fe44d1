//! A device's side of syncing all its documents through the batch endpoint
//! (docs/sync.md): which messages to send, what the answer means for each
//! document, what to do after a refusal or a lost request, and which
//! entries the server does not hold yet. No I/O: the app (or a test) posts
//! the bodies and hands back the answers.

use super::batch::{self, Frame};
use super::replica::{Replica, ReplicaError};
use crate::error_body::ErrorBody;

/// A document the server refused in the last answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub doc_id: String,
    pub status: u16,
    /// The stable error code (`invalid_input`, `forbidden`, ...).
    pub code: String,
    /// The server's message, in Chinese, naming the entry and field.
    pub message: String,
    /// Local entries given up to get past the refusal: the app shows them
    /// so the user can correct and enter them again.
    pub dropped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("服务器应答格式错误：{0}")]
    Frames(#[from] batch::FrameError),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    #[error("同步未能完成：服务器应答的轮次过多")]
    TooManyRounds,
}

/// The most request/answer rounds one poll may take: a poll that needs
/// more is stuck, and is retried later from a fresh state.
pub const MAX_ROUNDS: usize = 12;

pub struct SyncClient {
    replicas: Vec<Replica>,
    /// Documents in the request awaiting an answer.
    in_flight: Vec<String>,
    rounds: usize,
}

impl SyncClient {
    pub fn new(replicas: Vec<Replica>) -> Self {
        SyncClient {
            replicas,
            in_flight: Vec::new(),
            rounds: 0,
        }
    }

    pub fn replicas(&self) -> &[Replica] {
        &self.replicas
    }

    pub fn replicas_mut(&mut self) -> &mut [Replica] {
        &mut self.replicas
    }

    pub fn replica(&self, doc_id: &str) -> Option<&Replica> {
        self.replicas.iter().find(|r| r.id.to_string() == doc_id)
    }

    pub fn replica_mut(&mut self, doc_id: &str) -> Option<&mut Replica> {
        self.replicas
            .iter_mut()
            .find(|r| r.id.to_string() == doc_id)
    }

    /// Adds a document the server listed that this device does not hold yet.
    pub fn add(&mut self, replica: Replica) {
        if self.replica(&replica.id.to_string()).is_none() {
            self.replicas.push(replica);
        }
    }

    /// Starts a poll: every document describes what it has instead of
    /// assuming what the server has, so the server tells what other
    /// devices stored meanwhile.
    pub fn start_poll(&mut self) {
        for r in &mut self.replicas {
            r.reconnect();
        }
        self.in_flight.clear();
        self.rounds = 0;
    }

    /// The body of the next batch request, or `None` when the poll is done.
    pub fn next_request(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        if self.rounds >= MAX_ROUNDS {
            return Err(ClientError::TooManyRounds);
        }
        let messages: Vec<(String, Vec<u8>)> = self
            .replicas
            .iter_mut()
            .filter_map(|r| r.outgoing().map(|m| (r.id.to_string(), m)))
            .collect();
        self.in_flight = messages.iter().map(|(id, _)| id.clone()).collect();
        if messages.is_empty() {
            return Ok(None);
        }
        self.rounds += 1;
        Ok(Some(batch::encode_request(&messages)))
    }

    /// Applies the server's answer to the last request: `None` for 204.
    /// A refused document is rebuilt on what the server confirmed, keeping
    /// every entry that is still valid (422), or giving up its local
    /// changes where the user may not write (403); the others go on.
    pub fn handle_answer(&mut self, body: Option<&[u8]>) -> Result<Vec<Refusal>, ClientError> {
        let frames = match body {
            Some(b) => batch::decode_response(b)?,
            None => Vec::new(),
        };
        let mut refusals = Vec::new();
        for doc_id in std::mem::take(&mut self.in_flight) {
            let Some(replica) = self.replica_mut(&doc_id) else {
                continue;
            };
            match frames.iter().find(|f| f.doc_id == doc_id) {
                None => replica.settled(),
                Some(Frame {
                    status: 200, body, ..
                }) => replica.incoming(body)?,
                // The server's answer was full: this document comes in the
                // next round of the same poll. Nothing was refused.
                Some(Frame { status: 503, .. }) => replica.reconnect(),
                Some(frame) => {
                    let parsed = ErrorBody::read(&frame.body);
                    let dropped = match frame.status {
                        422 => replica.recover()?,
                        403 => replica.discard_local()?,
                        // 404, 400 or a server fault: keep everything and
                        // try again on the next poll.
                        _ => {
                            replica.reconnect();
                            Vec::new()
                        }
                    };
                    refusals.push(Refusal {
                        doc_id,
                        status: frame.status,
                        code: parsed.error,
                        message: parsed.message,
                        dropped,
                    });
                }
            }
        }
        Ok(refusals)
    }

    /// The request got no answer (no network, a timeout, a 5xx): nothing is
    /// assumed about what the server received, and nothing local is lost.
    pub fn request_failed(&mut self) {
        for doc_id in std::mem::take(&mut self.in_flight) {
            if let Some(r) = self.replica_mut(&doc_id) {
                r.reconnect();
            }
        }
    }

    /// Entries of `collection` in document `doc_id` that the server does
    /// not hold yet (待同步), as far as this device knows.
    pub fn unconfirmed(&self, doc_id: &str, collection: &str) -> Vec<String> {
        self.replica(doc_id)
            .map(|r| r.unconfirmed(collection))
            .unwrap_or_default()
    }
}
