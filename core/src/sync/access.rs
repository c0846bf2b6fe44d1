//! Which documents a member reaches, and how (docs/sync.md): the facts the
//! rules need, read for one request; the rules are `policy`'s.

use crate::policy::{self, admin, group_leader, officer};
use crate::storage::{Member, Store, StoreError};
use vanguard_shared::documents::{DocId, DocKind};
use vanguard_shared::OrgKind;

pub use crate::policy::Access;

/// What `actor` may do with document `id`; `None`: nothing at all.
#[tracing::instrument(level = "debug", skip_all, fields(member = %actor.id, doc = %id))]
pub async fn access(
    store: &Store,
    actor: &Member,
    id: &DocId,
) -> Result<Option<Access>, StoreError> {
    let own = id.kind != DocKind::Events && id.owner == actor.id;
    if own {
        return Ok(policy::document_access(actor, id, None, &id.owner, &[]));
    }
    // The branch the document belongs to: its owner's home unit, or the
    // events document's own branch.
    let owner = match id.kind {
        DocKind::Checkins | DocKind::Reviews => match store.accounts().member(&id.owner).await? {
            Some(owner) => Some(owner),
            None => return Ok(None),
        },
        DocKind::Events => None,
    };
    let branch_id = owner
        .as_ref()
        .map_or(id.owner.as_str(), |o| o.org_id.as_str());
    // Only an admin needs what is above the branch: everyone else is
    // decided by the branch alone, with no read.
    let chain = if policy::needs_chain(actor) {
        store.accounts().ancestry(branch_id).await?
    } else {
        Vec::new()
    };
    Ok(policy::document_access(
        actor,
        id,
        owner.as_ref(),
        branch_id,
        &chain,
    ))
}

/// Every document `actor` may reach for `year`, with the access they have:
/// what `GET /api/me` lists and a client keeps in sync.
pub async fn documents_for(
    store: &Store,
    actor: &Member,
    year: i32,
) -> Result<Vec<(DocId, Access)>, StoreError> {
    let mut docs = vec![
        (DocId::checkins(&actor.id, year), Access::Write),
        (DocId::reviews(&actor.id, year), Access::Read),
    ];
    let home = store.accounts().organisation(&actor.org_id).await?;
    let home_is_branch = home.as_ref().is_some_and(|o| o.kind == OrgKind::Branch);
    if home_is_branch {
        let events = if officer(actor) || group_leader(actor) {
            Access::Write
        } else {
            Access::Read
        };
        docs.push((DocId::events(&actor.org_id, year), events));
    }
    if officer(actor) && home_is_branch {
        for m in store.accounts().members_under(&actor.org_id).await? {
            if m.id != actor.id && m.org_id == actor.org_id {
                docs.push((DocId::checkins(&m.id, year), Access::Read));
                docs.push((DocId::reviews(&m.id, year), Access::Write));
            }
        }
    }
    if admin(actor) {
        // Strictly below the admin's own unit: what `policy::admin_above` reaches.
        for org in store.accounts().organisations_under(&actor.org_id).await? {
            if org.kind == OrgKind::Branch && org.id != actor.org_id {
                docs.push((DocId::events(&org.id, year), Access::Read));
            }
        }
        for m in store.accounts().members_under(&actor.org_id).await? {
            let below = m.org_id != actor.org_id;
            if m.id != actor.id && below && !docs.iter().any(|(d, _)| d.owner == m.id) {
                docs.push((DocId::checkins(&m.id, year), Access::Read));
                docs.push((DocId::reviews(&m.id, year), Access::Write));
            }
        }
    }
    Ok(docs)
}
