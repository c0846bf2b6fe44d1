//! The sync protocol as the app speaks it: the standard Automerge sync
//! messages, a batch framing for many documents, and a client-side replica
//! that drives one document's side of the exchange. No I/O here: the browser,
//! tests and benches bring their own transport.

pub mod batch;
pub mod client;
// The server's side of an exchange; the phone only ever starts one.
#[cfg(not(any(target_arch = "wasm32", feature = "phone-automerge")))]
pub mod exchange;
pub mod replica;

pub use batch::{Frame, FrameError};
pub use client::{ClientError, Refusal, SyncClient};
#[cfg(not(any(target_arch = "wasm32", feature = "phone-automerge")))]
pub use exchange::{exchange, Applied, Exchange, ExchangeError};
pub use replica::{Replica, ReplicaError};
