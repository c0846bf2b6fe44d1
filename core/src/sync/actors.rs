//! The actor book: each Automerge actor id belongs to the member who first
//! wrote with it (the `actors` table), and a change by that actor from
//! anyone else is refused. Bindings never change once made, so this process
//! remembers the ones it has seen and asks the database only about new ones.

use super::access::Access;
use super::SyncError;
use crate::storage::DocTx;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use vanguard_shared::documents::root_actor;

fn foreign_actor() -> SyncError {
    SyncError::Forbidden("修改的作者标识属于其他成员，已拒绝".into())
}

/// The actors of changes that write: refused where the user may only read,
/// or where a change claims the server's own root actor.
pub(super) fn writable_actors(
    access: Access,
    changes: &[automerge::Change],
) -> Result<BTreeSet<String>, SyncError> {
    if access != Access::Write {
        return Err(SyncError::Forbidden("只能读取此文档，不能修改".into()));
    }
    let actors: BTreeSet<String> = changes
        .iter()
        .map(|c| c.actor_id().to_hex_string())
        .collect();
    if actors.contains(&root_actor().to_hex_string()) {
        return Err(SyncError::Forbidden(
            "修改使用了服务器保留的作者标识".into(),
        ));
    }
    Ok(actors)
}

/// Actor id to the member it is bound to, as far as this process has seen.
#[derive(Default)]
pub(super) struct ActorBook {
    known: Mutex<HashMap<String, String>>,
}

impl ActorBook {
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A poisoned map only means a panic elsewhere; the map itself is fine.
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True when every actor is known, from memory, to belong to `member_id`.
    pub fn all_bound(&self, actors: &BTreeSet<String>, member_id: &str) -> bool {
        let known = self.known();
        actors
            .iter()
            .all(|a| known.get(a).is_some_and(|owner| owner == member_id))
    }

    pub fn remember(&self, actors: &[String], member_id: &str) {
        let mut known = self.known();
        // A bound on memory; forgetting only costs a lookup.
        if known.len() > 100_000 {
            known.clear();
        }
        for actor in actors {
            known.insert(actor.clone(), member_id.to_string());
        }
    }

    /// Every actor of the changes must be bound to this member, or new (and
    /// then bound to them by the commit). Answers the new ones.
    pub async fn check(
        &self,
        tx: &mut DocTx,
        actors: BTreeSet<String>,
        member_id: &str,
    ) -> Result<Vec<String>, SyncError> {
        let unknown: Vec<String> = {
            let known = self.known();
            let mut unknown = Vec::new();
            for actor in actors {
                match known.get(&actor) {
                    Some(owner) if owner == member_id => {}
                    Some(_) => return Err(foreign_actor()),
                    None => unknown.push(actor),
                }
            }
            unknown
        };
        if unknown.is_empty() {
            return Ok(unknown);
        }
        let owners = tx.actor_owners(&unknown).await.map_err(SyncError::from)?;
        if owners
            .iter()
            .any(|(_, owner)| owner.as_deref() != Some(member_id))
        {
            return Err(foreign_actor());
        }
        let bound: Vec<String> = owners.into_iter().map(|(actor, _)| actor).collect();
        self.remember(&bound, member_id);
        Ok(unknown.into_iter().filter(|a| !bound.contains(a)).collect())
    }
}
