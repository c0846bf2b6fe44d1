//! The vocabulary of the product, shared by the server and the browser.
//!
//! Nothing here performs I/O: every function is pure, tested natively and
//! compiled to wasm32 for the browser.

// The phone builds against Automerge 0.6, the server against 0.12: the same
// formats and nearly the same API (`automerge_versions`), and 0.6 is 180 KB
// smaller to download. One name for both; the app uses it through here.
#[cfg(not(any(target_arch = "wasm32", feature = "phone-automerge")))]
pub extern crate automerge;
#[cfg(any(target_arch = "wasm32", feature = "phone-automerge"))]
pub extern crate automerge_phone as automerge;

pub mod account;
pub mod attendance;
pub mod audit;
mod automerge_versions;
pub mod branch_events;
mod codes;
pub mod committee;
pub mod decimal;
pub mod documents;
pub mod error_body;
pub mod event_code;
pub mod export_job;
pub mod geofence;
pub mod ledger;
pub mod org;
pub mod qr;
pub mod review;
pub mod roster;
pub mod sorting;
pub mod sync;
pub mod time_text;
pub mod year;

pub use account::{AccountError, Me, MemberSummary, OrgRef, Password, PersonName, Username};
pub use org::{MemberStatus, OrgKind, Role, TimeZone, VocabularyError};
