//! The first committee admin of a real (non-demo) install.

use super::{new_id, AccountsError};
use crate::auth::{now_secs, password, AuthError};
use crate::storage::{Member, NewMember, Organisation, Store, StoreError};
use vanguard_shared::{MemberStatus, OrgKind, Password, PersonName, Role, TimeZone, Username};

pub struct NewAdmin {
    pub username: String,
    pub name: String,
    pub committee: String,
    pub time_zone: String,
    /// None: one is generated and returned.
    pub password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Input(String),
    #[error("username “{0}” is taken")]
    Taken(String),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Accounts(e.into())
    }
}

/// Creates the admin (and their committee, if no top-level committee of that
/// name exists); answers the password when it was generated.
pub async fn create_admin(store: &Store, new: NewAdmin) -> Result<Option<String>, AdminError> {
    let username =
        Username::parse(&new.username).map_err(|e| AdminError::Input(format!("username: {e}")))?;
    let name = PersonName::parse(&new.name).map_err(|e| AdminError::Input(format!("name: {e}")))?;
    let time_zone =
        TimeZone::parse(&new.time_zone).map_err(|e| AdminError::Input(e.to_string()))?;
    let committee_name = new.committee.trim();
    if committee_name.is_empty() {
        return Err(AdminError::Input("committee name must not be empty".into()));
    }
    let (password, generated) = match new.password {
        Some(p) => (p, false),
        None => (crate::auth::password::generate(), true),
    };
    let password =
        Password::parse(&password).map_err(|e| AdminError::Input(format!("password: {e}")))?;
    if store
        .accounts()
        .credentials(username.as_str())
        .await?
        .is_some()
    {
        return Err(AdminError::Taken(username.as_str().to_string()));
    }

    let at = now_secs();
    let existing = store
        .accounts()
        .organisations()
        .await?
        .into_iter()
        .find(|o| {
            o.parent_id.is_none() && o.kind == OrgKind::Committee && o.name == committee_name
        });
    let (committee, new_orgs) = match existing {
        Some(c) => (c, vec![]),
        None => {
            let c = Organisation {
                id: new_id(),
                parent_id: None,
                kind: OrgKind::Committee,
                name: committee_name.to_string(),
                time_zone: time_zone.as_str().to_string(),
                created_at: at,
            };
            (c.clone(), vec![c])
        }
    };
    let hash = password::hash(password.expose())
        .await
        .map_err(|e| AccountsError::from(AuthError::from(e)))?;
    let admin = NewMember {
        member: Member {
            id: new_id(),
            username: username.as_str().to_string(),
            name: name.as_str().to_string(),
            status: MemberStatus::Full,
            org_id: committee.id.clone(),
            group_id: None,
            roles: vec![Role::Member, Role::CommitteeAdmin],
            active: true,
        },
        password_hash: hash,
        created_at: at,
    };
    match store.accounts().insert_batch(&new_orgs, &[admin]).await {
        Err(StoreError::Conflict(_)) => Err(AdminError::Taken(username.as_str().to_string())),
        other => other.map_err(AdminError::from),
    }?;
    Ok(generated.then(|| password.expose().to_string()))
}
