//! The services of 先锋台账: accounts, auth, events, the document gate and
//! sync, records, and the storage under them. Plain async functions that
//! take the caller and check its permission; no HTTP and no UI, so the JSON
//! API and the pages' server functions call the very same code.

pub mod accounts;
pub mod auth;
pub mod caller;
pub mod error;
pub mod events;
pub mod rate;
pub mod records;
pub mod services;
pub mod storage;
pub mod sync;

pub use caller::Caller;
pub use error::ServiceError;
pub use services::{Background, Services, ServicesConfig};
