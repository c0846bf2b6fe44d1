//! The sync protocol as the app speaks it: the standard Automerge sync
//! messages, a batch framing for many documents, and a client-side replica
//! that drives one document's side of the exchange. No I/O here: the browser,
//! tests and benches bring their own transport.

pub mod batch;
pub mod client;
pub mod exchange;
pub mod replica;

pub use batch::{Frame, FrameError};
pub use client::{ClientError, Refusal, SyncClient};
pub use exchange::{exchange, Applied, Exchange, ExchangeError};
pub use replica::{Replica, ReplicaError};
