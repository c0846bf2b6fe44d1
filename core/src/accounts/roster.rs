//! The roster (`/console/members`, `PUT /api/roster`): a committee admin
//! adds, edits and deactivates the members of every branch below, moves a
//! member to another branch or group and gives the roles 党小组长, 组织委员
//! and 支部书记; a branch secretary does the same within the branch, except
//! making (or unmaking) secretaries. Every change is one audit line.
//!
//! A member who moves keeps their past years where they were: their
//! documents are theirs, and each year-end row names the branch it was
//! decided in.

use super::{new_id, AccountsError};
use crate::auth::{now_secs, password, AuthError};
use crate::storage::{AuditEvent, Member, NewMember, Organisation, Store, StoreError};
use vanguard_shared::roster::{MemberInput, MemberSaved, Roster, RosterBranch, RosterMember};
use vanguard_shared::{OrgKind, Password, PersonName, Role, Username};

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("成员不存在")]
    UnknownMember,
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whose roster the viewer keeps: the branches they may change or read.
struct Charge {
    branches: Vec<Organisation>,
    keeps: crate::policy::RosterCharge,
}

async fn charge(store: &Store, viewer: &Member) -> Result<Charge, RosterError> {
    let Some(keeps) = crate::policy::keeps_roster(viewer) else {
        return Err(RosterError::Forbidden(
            "只有书记、组织委员或党委管理员可以管理成员",
        ));
    };
    let mut branches: Vec<Organisation> = store
        .accounts()
        .organisations_under(&viewer.org_id)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Branch)
        .collect();
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Charge { branches, keeps })
}

fn roster_member(m: &Member) -> RosterMember {
    RosterMember {
        member_id: m.id.clone(),
        username: m.username.clone(),
        name: m.name.clone(),
        status: m.status,
        roles: m.roles.clone(),
        branch_id: m.org_id.clone(),
        group_id: m.group_id.clone(),
        active: m.active,
    }
}

/// The roster of the part of the tree a member keeps.
pub struct Rosters<'a> {
    store: &'a Store,
}

impl<'a> Rosters<'a> {
    pub fn new(store: &'a Store) -> Self {
        Rosters { store }
    }
}

impl Rosters<'_> {
    /// Every branch in the viewer's charge, its groups and members (active or
    /// not), by name.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn list(&self, viewer: &Member) -> Result<Roster, RosterError> {
        let store = self.store;
        let c = charge(store, viewer).await?;
        let mut members = store.accounts().members_under(&viewer.org_id).await?;
        members.sort_by(|a, b| (!a.active, &a.name).cmp(&(!b.active, &b.name)));
        let mut out = Vec::with_capacity(c.branches.len());
        for b in &c.branches {
            let groups: Vec<(String, String)> = store
                .accounts()
                .organisations_under(&b.id)
                .await?
                .into_iter()
                .filter(|o| o.kind == OrgKind::Group)
                .map(|o| (o.id, o.name))
                .collect();
            out.push(RosterBranch {
                branch_id: b.id.clone(),
                name: b.name.clone(),
                groups,
                members: members
                    .iter()
                    .filter(|m| m.org_id == b.id)
                    .map(roster_member)
                    .collect(),
            });
        }
        Ok(Roster {
            branches: out,
            assignable: crate::policy::assignable_roles(c.keeps),
            editable: c.keeps.editable,
        })
    }

    /// Adds or changes one member, all checked before anything is stored.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn save(
        &self,
        viewer: &Member,
        input: &MemberInput,
    ) -> Result<MemberSaved, RosterError> {
        let store = self.store;
        let c = charge(store, viewer).await?;
        if !c.keeps.editable {
            return Err(RosterError::Forbidden("组织委员只能查看名单"));
        }
        let in_charge = |branch_id: &str| c.branches.iter().find(|b| b.id == branch_id);
        let branch = in_charge(&input.branch_id)
            .ok_or(RosterError::Forbidden("只能把成员放在您负责的支部"))?
            .clone();
        let name = PersonName::parse(&input.name).map_err(|e| invalid("姓名", e))?;
        let group_id = match input.group_id.as_deref().filter(|g| !g.is_empty()) {
            Some(g) => {
                let group = store
                    .accounts()
                    .organisation(g)
                    .await?
                    .filter(|o| {
                        o.kind == OrgKind::Group && o.parent_id.as_deref() == Some(&branch.id)
                    })
                    .ok_or_else(|| RosterError::Invalid("党小组不属于所选支部".into()))?;
                Some(group.id)
            }
            None => None,
        };
        let mut roles = vec![Role::Member];
        for r in &input.roles {
            if !roles.contains(r) && *r != Role::Member {
                roles.push(*r);
            }
        }
        if roles.contains(&Role::GroupLeader) && group_id.is_none() {
            return Err(RosterError::Invalid("党小组长须属于一个党小组".into()));
        }
        let allowed = crate::policy::assignable_roles(c.keeps);
        let existing = match &input.member_id {
            Some(id) => Some(
                store
                    .accounts()
                    .member(id)
                    .await?
                    .filter(|m| in_charge(&m.org_id).is_some())
                    .ok_or(RosterError::UnknownMember)?,
            ),
            None => None,
        };
        let before: Vec<Role> = existing
            .as_ref()
            .map(|m| m.roles.clone())
            .unwrap_or_default();
        // Each role added or removed must be one the viewer gives; a
        // committee admin's own role is never changed here.
        for r in Role::ALL {
            let changed = roles.contains(&r) != before.contains(&r);
            if r == Role::CommitteeAdmin && before.contains(&r) {
                roles.push(r);
                continue;
            }
            if changed && r != Role::Member && !allowed.contains(&r) {
                return Err(RosterError::Forbidden(if r == Role::Secretary {
                    "只有上级党委管理员可以任免支部书记"
                } else {
                    "无权授予该角色"
                }));
            }
        }
        roles.sort();
        roles.dedup();
        let at = now_secs();
        match existing {
            Some(mut old) => {
                old.roles.sort();
                if old.id == viewer.id
                    && (!input.active || roles != old.roles || old.org_id != branch.id)
                {
                    return Err(RosterError::Forbidden(
                        "不能在这里停用、调出本人或更改本人的角色",
                    ));
                }
                let updated = Member {
                    name: name.as_str().to_string(),
                    status: input.status,
                    org_id: branch.id.clone(),
                    group_id,
                    roles,
                    active: input.active,
                    ..old.clone()
                };
                let detail = changes(store, &old, &updated).await?;
                if detail.is_empty() {
                    return Ok(MemberSaved {
                        member: roster_member(&old),
                        password: None,
                    });
                }
                let line = AuditEvent {
                    at,
                    member_id: viewer.id.clone(),
                    peer_id: crate::door::edit_device().to_string(),
                    action: "member_changed",
                    subject: format!("member:{}", old.id),
                    detail: Some(format!("{}：{}", old.name, detail.join("；"))),
                };
                store.accounts().update_member(&updated, &line).await?;
                Ok(MemberSaved {
                    member: roster_member(&updated),
                    password: None,
                })
            }
            None => {
                let username =
                    Username::parse(&input.username).map_err(|e| invalid("用户名", e))?;
                if store
                    .accounts()
                    .credentials(username.as_str())
                    .await?
                    .is_some()
                {
                    return Err(RosterError::Invalid(format!(
                        "用户名：{} 已存在",
                        username.as_str()
                    )));
                }
                let (given, generated) = match input.password.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => (Password::parse(p).map_err(|e| invalid("密码", e))?, None),
                    None => {
                        let p = crate::auth::password::generate();
                        (
                            Password::parse(&p).map_err(|e| invalid("密码", e))?,
                            Some(p),
                        )
                    }
                };
                let hash = password::hash(given.expose())
                    .await
                    .map_err(|e| AccountsError::from(AuthError::from(e)))?;
                let member = Member {
                    id: new_id(),
                    username: username.as_str().to_string(),
                    name: name.as_str().to_string(),
                    status: input.status,
                    org_id: branch.id.clone(),
                    group_id,
                    roles,
                    active: input.active,
                };
                let line = AuditEvent {
                    at,
                    member_id: viewer.id.clone(),
                    peer_id: crate::door::edit_device().to_string(),
                    action: "member_changed",
                    subject: format!("member:{}", member.id),
                    detail: Some(format!("新增 {}（{}）", member.name, branch.name)),
                };
                store
                    .accounts()
                    .insert_audited(
                        &[],
                        &[NewMember {
                            member: member.clone(),
                            password_hash: hash,
                            created_at: at,
                        }],
                        Some(&line),
                    )
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict(m) => {
                            RosterError::Invalid(format!("与已有数据冲突：{m}"))
                        }
                        other => other.into(),
                    })?;
                Ok(MemberSaved {
                    member: roster_member(&member),
                    password: generated,
                })
            }
        }
    }

    /// An import of members from a sheet, by whoever keeps the roster.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, file_name = %file_name))]
    pub async fn import(
        &self,
        viewer: &Member,
        file_name: &str,
        bytes: &[u8],
        options: super::import::ImportOptions,
    ) -> Result<super::import::ImportReport, super::import::ImportError> {
        super::import::import_upload(self.store, viewer, file_name, bytes, options).await
    }
}

fn invalid(field: &str, e: impl std::fmt::Display) -> RosterError {
    RosterError::Invalid(format!("{field}：{e}"))
}

/// What changed, in words.
async fn changes(store: &Store, old: &Member, new: &Member) -> Result<Vec<String>, StoreError> {
    let org_name = |id: Option<String>| async move {
        match id {
            Some(id) => Ok::<_, StoreError>(
                store
                    .accounts()
                    .organisation(&id)
                    .await?
                    .map_or(id, |o| o.name),
            ),
            None => Ok("无".to_string()),
        }
    };
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(format!("姓名 {} → {}", old.name, new.name));
    }
    if old.status != new.status {
        out.push(format!(
            "身份 {} → {}",
            old.status.short_label(),
            new.status.short_label()
        ));
    }
    if old.org_id != new.org_id {
        out.push(format!(
            "调出 {} → 调入 {}",
            org_name(Some(old.org_id.clone())).await?,
            org_name(Some(new.org_id.clone())).await?
        ));
    }
    if old.group_id != new.group_id {
        out.push(format!(
            "党小组 {} → {}",
            org_name(old.group_id.clone()).await?,
            org_name(new.group_id.clone()).await?
        ));
    }
    if old.roles != new.roles {
        let words = |roles: &[Role]| {
            roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join("、")
        };
        out.push(format!(
            "角色 {} → {}",
            words(&old.roles),
            words(&new.roles)
        ));
    }
    if old.active != new.active {
        out.push(if new.active { "恢复" } else { "停用" }.to_string());
    }
    Ok(out)
}
