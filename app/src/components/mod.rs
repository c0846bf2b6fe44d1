//! Pieces several pages share.

pub mod signed_in;
