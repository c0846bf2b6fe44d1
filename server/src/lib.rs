//! The 先锋台账 server: HTTP, auth, storage, and the Leptos app it renders.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod events;
pub mod http;
pub mod precompress;
pub mod startup;
pub mod state;
pub mod storage;
pub mod sync;
pub mod ui;

/// The allocator the server binary runs on, and its benchmark with it:
/// every sync applies, validates and encodes Automerge changes, which makes
/// many small, short-lived allocations; glibc's malloc spent about a seventh
/// of the sync benchmark's CPU in them.
pub use mimalloc::MiMalloc as ServerAllocator;
