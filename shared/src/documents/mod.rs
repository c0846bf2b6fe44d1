//! The Automerge documents members and secretaries write (docs/sync.md):
//! their ids, their schema, and how clients edit them.

pub mod edit;
mod error;
mod fields;
pub mod form;
pub mod history;
pub mod id;
pub mod leave;
pub mod schema;
pub mod view;

pub use edit::{EditError, NewRecord};
pub use error::SchemaError;
pub use id::{DocId, DocIdError, DocKind};
pub use schema::{
    create_root, root_actor, AttendanceEntry, CheckinRecord, Decision, DecisionStatus, Entry,
    EventEntry, Layout,
};
