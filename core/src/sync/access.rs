//! Who may read and write which document (docs/sync.md), decided on every
//! request from the member's roles and place in the tree.

use crate::accounts::Directory;
use crate::storage::{Member, Store, StoreError};
use serde::Serialize;
use vanguard_shared::documents::{DocId, DocKind};
use vanguard_shared::{OrgKind, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

/// A secretary or org officer: who looks after a branch's members and events.
pub(crate) fn officer(member: &Member) -> bool {
    member.active
        && (member.roles.contains(&Role::Secretary) || member.roles.contains(&Role::OrgOfficer))
}

pub(crate) fn admin(member: &Member) -> bool {
    member.active && member.roles.contains(&Role::CommitteeAdmin)
}

/// A group leader: takes attendance for the group's own meetings.
pub(crate) fn group_leader(member: &Member) -> bool {
    member.active && member.group_id.is_some() && member.roles.contains(&Role::GroupLeader)
}

/// What `actor` may do with document `id`; `None`: nothing at all.
pub async fn access(
    store: &Store,
    actor: &Member,
    id: &DocId,
) -> Result<Option<Access>, StoreError> {
    let directory = Directory::new(store);
    // The branch the document belongs to: the member's home unit, or the
    // events document's own branch.
    let branch_id = match id.kind {
        DocKind::Checkins | DocKind::Reviews => {
            if id.owner == actor.id {
                return Ok(Some(if id.kind == DocKind::Checkins {
                    Access::Write
                } else {
                    Access::Read
                }));
            }
            match store.accounts().member(&id.owner).await? {
                Some(owner) => owner.org_id,
                None => return Ok(None),
            }
        }
        DocKind::Events => id.owner.clone(),
    };
    let same_branch = actor.org_id == branch_id;
    let result = match id.kind {
        DocKind::Checkins if same_branch && officer(actor) => Some(Access::Read),
        DocKind::Reviews if same_branch && officer(actor) => Some(Access::Write),
        // A group leader writes only the attendance of the group's own
        // meetings: the gate's integrity check holds them to that.
        DocKind::Events if same_branch && (officer(actor) || group_leader(actor)) => {
            Some(Access::Write)
        }
        DocKind::Events if same_branch => Some(Access::Read),
        _ if admin(actor) => {
            let above = directory
                .ancestry(&branch_id)
                .await?
                .iter()
                .any(|o| o.id == actor.org_id);
            // An admin above reviews a branch's records its own officers
            // cannot (the secretary's own), so writes the reviews.
            let access = if id.kind == DocKind::Reviews {
                Access::Write
            } else {
                Access::Read
            };
            above.then_some(access)
        }
        _ => None,
    };
    Ok(result)
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
        for org in store.accounts().organisations_under(&actor.org_id).await? {
            if org.kind == OrgKind::Branch && org.id != actor.org_id {
                docs.push((DocId::events(&org.id, year), Access::Read));
            }
        }
        for m in store.accounts().members_under(&actor.org_id).await? {
            if m.id != actor.id && !docs.iter().any(|(d, _)| d.owner == m.id) {
                docs.push((DocId::checkins(&m.id, year), Access::Read));
                docs.push((DocId::reviews(&m.id, year), Access::Write));
            }
        }
    }
    Ok(docs)
}
