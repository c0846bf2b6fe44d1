//! The one error a document's schema gives: which entry and field break it.
//! Its own file so the field readers and the schema both use it without
//! importing each other.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A change that breaks the schema, naming the entry and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub struct SchemaError {
    /// The record, event or decision id; `None` for the document's root.
    pub entry: Option<String>,
    pub field: String,
    pub message: String,
}

impl SchemaError {
    pub fn new(entry: Option<String>, field: &str, message: impl Into<String>) -> Self {
        SchemaError {
            entry,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "条目 {entry} 的字段 {}：{}", self.field, self.message),
            None => write!(f, "文档字段 {}：{}", self.field, self.message),
        }
    }
}
