//! Pieces both bundles' pages share.

pub mod frame;
pub mod member_frame;
pub mod not_found;
pub mod signed_in;
