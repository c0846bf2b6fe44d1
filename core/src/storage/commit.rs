//! What one accepted message or server edit stores, as the gate hands it
//! to the writers: the change, the entries it touched, and the server's
//! verdicts, appended with its materialized rows and audit line.

use std::collections::HashMap;
use vanguard_shared::documents::{DocId, Entry};
use vanguard_shared::event_code::CodeVerdict;

/// The server's verdicts on records' codes, by record id (`sync::integrity`).
pub type Verdicts = HashMap<String, CodeVerdict>;

/// Everything one accepted message writes, all or nothing: the change
/// (stored as `expected_seq + 1`), the audit line and the materialized
/// rows. It is stored only if the document is still at `expected_seq`, so a
/// writer in another process that got there first is never overwritten.
#[derive(Debug, Clone)]
pub struct PendingCommit {
    pub id: DocId,
    pub expected_seq: i64,
    pub member_id: String,
    pub peer_id: String,
    pub change: Vec<u8>,
    pub change_hashes: Vec<String>,
    pub entries: Vec<Entry>,
    /// The server's verdicts on the codes of the records it carries.
    pub verdicts: Verdicts,
    pub at: i64,
    /// What a server-side edit did, in words ("通过 3 条"), stored in the
    /// same transaction as the change: never one without the other.
    pub note: Option<super::AuditEvent>,
}
