//! Pieces several pages share.

pub mod member_frame;
pub mod signed_in;
