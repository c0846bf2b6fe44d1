//! The vocabulary of the product, shared by the server and the browser.
//!
//! Nothing here performs I/O: every function is pure, tested natively and
//! compiled to wasm32 for the browser.

pub mod account;
pub mod documents;
pub mod event_code;
pub mod geofence;
pub mod ledger;
pub mod org;
pub mod sync;

pub use account::{AccountError, Me, MemberSummary, OrgRef, Password, PersonName, Username};
pub use org::{MemberStatus, OrgKind, Role, TimeZone, VocabularyError};
