//! Who a request comes from. The edge (an API extractor, the pages' server
//! function handler) authenticates once per request and hands this to the
//! services, which check what it may do.

use crate::storage::Member;

#[derive(Debug, Clone)]
pub struct Caller {
    pub member: Member,
    /// The session token the request carried: a password change keeps this
    /// session and ends the member's others.
    pub token: String,
    /// Signed in with a password someone else reset: until the member
    /// chooses their own, the session may only change it (or sign out).
    pub must_change_password: bool,
}
