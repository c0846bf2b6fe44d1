//! The services of 先锋台账: accounts, auth, events and their attendance,
//! the document gate and sync, records and their review, and the storage
//! under them. Plain async functions that
//! take the caller and check its permission; no HTTP and no UI, so the JSON
//! API and the pages' server functions call the very same code.

pub mod accounts;
pub mod attendance;
pub mod audit_trail;
pub mod auth;
pub mod caller;
pub mod charts;
pub mod committee;
pub mod cpu;
pub mod demo;
pub mod door;
pub mod error;
pub mod events;
pub mod export_jobs;
pub mod exports;
pub mod ledger;
pub mod policy;
pub mod rate;
pub mod records;
pub mod review;
pub mod rulebooks;
pub mod services;
pub mod sheet_file;
pub mod storage;
pub mod sync;
pub mod year_end;

pub use caller::Caller;
pub use error::ServiceError;
pub use services::{Background, Services, ServicesConfig};
