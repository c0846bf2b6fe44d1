//! The server over real HTTP, on a fresh SQLite file and a fresh PostgreSQL
//! database per test. One binary, so the server compiles into tests once.

mod fixtures;
mod helpers;
mod sync_client;

mod accounts;
mod attendance;
mod audit;
mod crash;
mod demo_year;
mod events;
mod gate;
mod hostile;
mod import;
mod integrity;
mod ledger;
mod login;
mod pages;
mod policy;
mod review;
mod roster;
mod small;
mod storage;
mod surface;
mod sync;
mod year_end;
