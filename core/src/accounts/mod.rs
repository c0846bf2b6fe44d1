//! The organisation tree and its members as people see them: profiles, who
//! looks after whom, and bringing members in (demo data, imports, the first
//! admin).

pub mod admin;
pub mod import;
pub mod roster;

use crate::auth::{Auth, AuthError};
use crate::storage::{Member, Organisation, Store, StoreError};
use vanguard_shared::{Me, MemberSummary, OrgKind, OrgRef, TimeZone};

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("无权执行此操作")]
    Forbidden,
    #[error("成员不存在")]
    UnknownMember,
    #[error("不能在这里重置自己的密码：请用“修改密码”，须输入当前密码")]
    OwnAccount,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads of the tree for one request.
pub struct Directory<'a> {
    store: &'a Store,
}

impl<'a> Directory<'a> {
    pub fn new(store: &'a Store) -> Self {
        Directory { store }
    }

    /// The organisation and all above it, nearest first.
    pub async fn ancestry(&self, org_id: &str) -> Result<Vec<Organisation>, StoreError> {
        self.store.accounts().ancestry(org_id).await
    }

    pub async fn profile(&self, member: &Member) -> Result<Me, StoreError> {
        let chain = self
            .ancestry(member.group_id.as_deref().unwrap_or(&member.org_id))
            .await?;
        let find = |kind: OrgKind| chain.iter().find(|o| o.kind == kind).map(org_ref);
        let committee = chain
            .iter()
            .rev()
            .find(|o| o.kind == OrgKind::Committee)
            .map(org_ref);
        let time_zone = chain
            .first()
            .map(|o| o.time_zone.clone())
            .unwrap_or_else(|| TimeZone::DEFAULT.to_string());
        Ok(Me {
            member_id: member.id.clone(),
            username: member.username.clone(),
            name: member.name.clone(),
            status: member.status,
            roles: member.roles.clone(),
            committee,
            branch: find(OrgKind::Branch),
            group: find(OrgKind::Group),
            time_zone,
            must_change_password: false,
        })
    }

    pub async fn managed_members(
        &self,
        actor: &Member,
    ) -> Result<Vec<MemberSummary>, AccountsError> {
        let root = crate::policy::looks_after(actor).ok_or(AccountsError::Forbidden)?;
        let members = self.store.accounts().members_under(root).await?;
        // Only the actor's part of the tree: a province has thousands of units.
        let orgs = self.store.accounts().organisations_under(root).await?;
        let name_of = |id: &str| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone());
        Ok(members
            .into_iter()
            .map(|m| MemberSummary {
                branch: name_of(&m.org_id),
                group: m.group_id.as_deref().and_then(name_of),
                member_id: m.id,
                username: m.username,
                name: m.name,
                status: m.status,
                roles: m.roles,
            })
            .collect())
    }

    /// Resets another member's password: a secretary for their branch, a
    /// committee admin for everything below their committee. Answers the
    /// one-time password to hand to the member, shown once; they choose
    /// their own at the next sign-in.
    pub async fn reset_password(
        &self,
        auth: &Auth,
        actor: &Member,
        target_id: &str,
    ) -> Result<String, AccountsError> {
        if !crate::policy::secretary(actor) && !crate::policy::admin(actor) {
            return Err(AccountsError::Forbidden);
        }
        // One's own password changes only with the current one.
        if target_id == actor.id {
            return Err(AccountsError::OwnAccount);
        }
        let target = self
            .store
            .accounts()
            .member(target_id)
            .await?
            .ok_or(AccountsError::UnknownMember)?;
        let chain = self.store.accounts().ancestry(&target.org_id).await?;
        if !crate::policy::resets_password(actor, &target, &chain) {
            // Outside one's scope looks the same as absent: no probing for ids.
            return Err(AccountsError::UnknownMember);
        }
        let line = crate::storage::AuditEvent {
            at: crate::auth::now_secs(),
            member_id: actor.id.clone(),
            peer_id: crate::door::edit_device().to_string(),
            action: "password_reset",
            subject: target.id.clone(),
            detail: None,
        };
        Ok(auth.reset_password(&target.id, &line).await?)
    }
}

/// Names of members, looked up once each: the sheets, the evaluation and
/// the trail show people by name.
pub struct Names<'a> {
    store: &'a Store,
    known: std::collections::HashMap<String, String>,
}

impl<'a> Names<'a> {
    /// Knows `members` already; looks up anyone else when first asked.
    pub fn new(store: &'a Store, members: &[Member]) -> Self {
        Names {
            store,
            known: members
                .iter()
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect(),
        }
    }

    pub async fn of(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        if id.is_empty() {
            return Ok(None);
        }
        if let Some(name) = self.known.get(id) {
            return Ok(Some(name.clone()).filter(|n| !n.is_empty()));
        }
        let name = self.store.accounts().member(id).await?.map(|m| m.name);
        self.known
            .insert(id.to_string(), name.clone().unwrap_or_default());
        Ok(name)
    }
}

fn org_ref(org: &Organisation) -> OrgRef {
    OrgRef {
        id: org.id.clone(),
        name: org.name.clone(),
        kind: org.kind,
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
