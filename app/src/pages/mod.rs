//! One module per route.

pub mod checkin;
pub mod home;
pub mod host;
pub mod ledger;
pub mod login;
pub mod members;
pub mod not_found;
pub mod password;
pub mod records;
