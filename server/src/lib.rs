//! The 先锋台账 server: HTTP, auth, storage, and the Leptos app it renders.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod events;
pub mod http;
pub mod startup;
pub mod state;
pub mod storage;
pub mod sync;
pub mod ui;
