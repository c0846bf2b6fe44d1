//! The `vanguard` binary's library: configuration and the command line, the
//! HTTP router, and startup. The services themselves are `vanguard-core`.

pub mod cli;
pub mod http;
pub mod precompress;
pub mod startup;
pub mod state;

/// The allocator the server binary runs on, and its benchmark with it:
/// every sync applies, validates and encodes Automerge changes, which makes
/// many small, short-lived allocations; glibc's malloc spent about a seventh
/// of the sync benchmark's CPU in them.
pub use mimalloc::MiMalloc as ServerAllocator;
