//! A long export as its page polls it: how far it got, and where its file
//! is once done.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJob {
    pub id: String,
    pub title: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// Branches written so far, of `total`.
    pub done: u64,
    pub total: u64,
    /// Where to download the file, once done.
    pub file: Option<String>,
    pub message: Option<String>,
}
