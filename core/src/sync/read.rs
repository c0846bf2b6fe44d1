//! The read path: a message without changes (most requests: "here are my
//! heads"), answered from the cached document brought up to date, with no
//! write lock.

use super::hot::{self, HotDoc};
use super::request::Request;
use super::{Reply, SyncError, SyncService};
use crate::storage::{DocHead, StoreError};
use automerge::sync::Message;
use vanguard_shared::sync::exchange;

impl SyncService {
    pub(super) async fn read(
        &self,
        hot: &mut Option<HotDoc>,
        head: DocHead,
        request: Request<'_, '_>,
        message: Option<Message>,
    ) -> Result<Reply, SyncError> {
        hot::refresh(&self.store, &request.name, hot, head).await?;
        let Some(doc) = hot.as_mut() else {
            return Err(StoreError::Corrupt(format!("{} not loaded", request.name)).into());
        };
        let ex = exchange::receive(&mut doc.doc, &request.id, request.state.clone(), message)?;
        self.keep_state(&request, doc, ex.state.encode());
        Ok(ex.reply)
    }
}
