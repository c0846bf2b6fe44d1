//! A branch as one request works on it: checked once (that it is a branch,
//! and that the caller may do what they ask of it), with its chain, its
//! roll and its groups read once, and handed to the service.

use crate::storage::{Member, Organisation, Store, StoreError};
use vanguard_shared::year::{self, YearError};
use vanguard_shared::OrgKind;

/// Why a request was not let in.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Year(#[from] YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A rule over a branch's chain (`policy::reads_branch`, …).
pub type BranchRule = fn(&Member, &[Organisation]) -> bool;

#[derive(Debug, Clone)]
pub struct BranchScope {
    pub branch: Organisation,
    /// The branch and every organisation above it, nearest first.
    pub chain: Vec<Organisation>,
    /// The year asked for (the current one in China when none was).
    pub year: i32,
    /// The members on the branch's roll, by name.
    pub roll: Vec<Member>,
    /// The branch's groups.
    pub groups: Vec<Organisation>,
}

impl BranchScope {
    /// The branch `branch_id` for `caller`, if `rule` lets them; refused
    /// with `refusal` otherwise, and as not found when it is no branch.
    pub async fn open(
        store: &Store,
        caller: &Member,
        branch_id: &str,
        year: Option<i32>,
        rule: BranchRule,
        refusal: &'static str,
    ) -> Result<BranchScope, Refusal> {
        let year = year::requested(year, chrono::Utc::now())?;
        let chain = store.accounts().ancestry(branch_id).await?;
        let branch = chain
            .first()
            .filter(|o| o.kind == OrgKind::Branch)
            .cloned()
            .ok_or(Refusal::NotFound("支部不存在"))?;
        if !rule(caller, &chain) {
            return Err(Refusal::Forbidden(refusal));
        }
        Self::read(store, branch, chain, year)
            .await
            .map_err(Into::into)
    }

    /// A branch read with no caller to check: background work and the
    /// committee's own views, whose callers were checked for the whole.
    pub async fn unchecked(
        store: &Store,
        branch: &Organisation,
        year: i32,
    ) -> Result<BranchScope, StoreError> {
        let chain = store.accounts().ancestry(&branch.id).await?;
        Self::read(store, branch.clone(), chain, year).await
    }

    async fn read(
        store: &Store,
        branch: Organisation,
        chain: Vec<Organisation>,
        year: i32,
    ) -> Result<BranchScope, StoreError> {
        let mut roll: Vec<Member> = store
            .accounts()
            .members_under(&branch.id)
            .await?
            .into_iter()
            .filter(|m| m.active && m.org_id == branch.id)
            .collect();
        roll.sort_by(|a, b| a.name.cmp(&b.name).then(a.username.cmp(&b.username)));
        let groups = store
            .accounts()
            .organisations_under(&branch.id)
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Group && o.parent_id.as_deref() == Some(&branch.id))
            .collect();
        Ok(BranchScope {
            branch,
            chain,
            year,
            roll,
            groups,
        })
    }

    /// The member of the roll, if they are on it.
    pub fn on_roll(&self, member_id: &str) -> Option<&Member> {
        self.roll.iter().find(|m| m.id == member_id)
    }

    /// A group's name, if it is one of the branch's.
    pub fn group_name(&self, group_id: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.id == group_id)
            .map(|g| g.name.as_str())
    }

    /// The groups as `(id, name)`.
    pub fn group_pairs(&self) -> Vec<(String, String)> {
        self.groups
            .iter()
            .map(|g| (g.id.clone(), g.name.clone()))
            .collect()
    }
}
