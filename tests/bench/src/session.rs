//! A signed-in session for a bench's member, straight in the store.

use crate::pg::BoxError;
use vanguard_core::auth::{now_secs, token};
use vanguard_core::storage::{SessionRow, Store};

pub async fn session_for(store: &Store, member_id: &str) -> Result<String, BoxError> {
    let (token, token_hash) = token::new_token();
    let now = now_secs();
    store
        .sessions()
        .insert(&SessionRow {
            token_hash,
            member_id: member_id.to_string(),
            created_at: now,
            expires_at: now + 86_400,
        })
        .await?;
    Ok(token)
}
