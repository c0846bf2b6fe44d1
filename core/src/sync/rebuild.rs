//! Re-materializes every stored document into the relational tables: after
//! a change to the materialization, or to check that the tables and the
//! documents agree.

use super::hot::from_stored;
use super::integrity;
use crate::storage::Verdicts;
use crate::storage::{Store, StoreError};
use vanguard_shared::documents::{DocId, DocKind, Layout};

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("document {id}: {message}")]
    Document { id: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rebuilds all documents; answers how many. Events first: the verdicts on
/// records' check-in codes are checked against the events' keys.
pub async fn rebuild(store: &Store) -> Result<usize, RebuildError> {
    let mut ids = store.documents().ids().await?;
    ids.sort_by_key(|name| !name.starts_with("events:"));
    for name in &ids {
        let fail = |message: String| RebuildError::Document {
            id: name.clone(),
            message,
        };
        let id: DocId = name
            .parse()
            .map_err(|e: vanguard_shared::documents::DocIdError| fail(e.to_string()))?;
        let stored = store
            .documents()
            .load(name)
            .await?
            .ok_or_else(|| fail("vanished during the rebuild".into()))?;
        let doc = from_stored(name, stored)?.doc;
        let entries = Layout::check(&doc, &id)
            .and_then(|layout| layout.read_all(&doc))
            .map_err(|e| fail(e.to_string()))?;
        let verdicts = match id.kind {
            DocKind::Checkins => match store.accounts().member(&id.owner).await? {
                Some(member) => integrity::code_verdicts(store, &member.org_id, &entries).await?,
                None => Verdicts::new(),
            },
            _ => Verdicts::new(),
        };
        store
            .materialized()
            .rebuild(&id, &entries, &verdicts)
            .await?;
    }
    Ok(ids.len())
}
