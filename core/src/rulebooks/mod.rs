//! Publishing a new version of an organisation's points rulebook: an
//! upload is checked whole (its errors name the line and the rule, and
//! nothing is stored), previewed against every member it would price, then
//! published and recorded in the audit log. Which version prices a year is
//! `in_force`: the newest of the nearest organisation up the tree; with
//! none, the shipped default, which becomes the committee's first version
//! when it first publishes.

pub mod in_force;

pub use in_force::InForce;

use crate::ledger::{FactsCache, Ledgers};
use crate::policy;
use crate::storage::{Member, Organisation, Store, StoreError, StoredRulebook};
use chrono::Utc;
use in_force::{in_force, in_force_over, shipped, with_header};
use std::collections::BTreeMap;
use vanguard_shared::ledger::{
    Mode, Preview, PreviewRow, Published, PublishedVersion, Rulebook, RulebookOverview,
};
use vanguard_shared::year::{self, YearError};

#[derive(Debug, thiserror::Error)]
pub enum RulebookError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// The upload does not read: where and why, nothing stored.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Year(#[from] YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An upload read and checked, with the text that would be stored.
struct Upload {
    org: Organisation,
    book: Rulebook,
    existing: Vec<StoredRulebook>,
    body: String,
}

/// What is stored for an upload: its text with the year and version set in
/// its structure, which must read back as the book that was previewed, or
/// nothing is stored.
fn stored_text(text: &str, book: &Rulebook) -> Result<String, RulebookError> {
    let unreadable =
        || RulebookError::Invalid("细则无法保存为可读回的格式，请检查后重新上传".into());
    let body = with_header(text, book.year, book.version).ok_or_else(unreadable)?;
    match Rulebook::from_toml("rulebook", &body) {
        Ok(back) if back == *book => Ok(body),
        _ => Err(unreadable()),
    }
}

/// The rulebooks of organisations, as their readers and publishers see them.
pub struct Rulebooks<'a> {
    store: &'a Store,
    cache: &'a FactsCache,
}

impl<'a> Rulebooks<'a> {
    pub fn new(store: &'a Store, cache: &'a FactsCache) -> Self {
        Rulebooks { store, cache }
    }

    async fn organisation(
        &self,
        org_id: &str,
    ) -> Result<(Organisation, Vec<Organisation>), RulebookError> {
        let chain = self.store.accounts().ancestry(org_id).await?;
        let org = chain
            .first()
            .cloned()
            .ok_or(RulebookError::NotFound("组织不存在"))?;
        Ok((org, chain))
    }

    /// The rulebook that prices the caller's own `year`, for the phone to
    /// compute the provisional ledger offline: every member reads their own.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, year))]
    pub async fn mine(&self, viewer: &Member, year: i32) -> Result<Rulebook, RulebookError> {
        Ok(in_force(self.store, &viewer.org_id, year).await?.book)
    }

    /// The rulebook in force for `org_id` and the versions it published, to
    /// whoever may read them.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, org = %org_id))]
    pub async fn overview(
        &self,
        viewer: &Member,
        org_id: &str,
        year: Option<i32>,
    ) -> Result<RulebookOverview, RulebookError> {
        let store = self.store;
        let year = year::requested(year, Utc::now())?;
        let (org, chain) = self.organisation(org_id).await?;
        let own = store.accounts().ancestry(&viewer.org_id).await?;
        if !policy::reads_rulebook(viewer, &own, &chain) {
            return Err(RulebookError::Forbidden("无权查看该组织的积分细则"));
        }
        let current = in_force(store, &org.id, year).await?;
        let mut versions = Vec::new();
        for v in store.rulebooks().versions(&org.id, year).await? {
            let name = store
                .accounts()
                .member(&v.published_by)
                .await?
                .map(|m| m.name);
            versions.push(PublishedVersion {
                version: v.version,
                published_by: v.published_by,
                published_by_name: name,
                published_at: v.published_at,
            });
        }
        Ok(RulebookOverview {
            may_publish: policy::publishes_rulebook(viewer, &org),
            org_id: org.id,
            org_name: org.name,
            year,
            label: current.label(),
            owner_id: current.owner_id,
            shipped: current.shipped,
            rulebook: current.book,
            toml: current.body,
            versions,
        })
    }

    /// An upload read and checked: the book with the version it would get.
    async fn checked_upload(
        &self,
        caller: &Member,
        org_id: &str,
        text: &str,
    ) -> Result<Upload, RulebookError> {
        let store = self.store;
        let (org, _) = self.organisation(org_id).await?;
        if !policy::publishes_rulebook(caller, &org) {
            return Err(RulebookError::Forbidden(
                "只有支部书记（本支部）或党委管理员（本党委）可以发布积分细则",
            ));
        }
        if text.trim().is_empty() {
            return Err(RulebookError::Invalid(
                "请选择要上传的积分细则（TOML）文件".into(),
            ));
        }
        let mut book = Rulebook::from_toml("上传的细则", text)
            .map_err(|e| RulebookError::Invalid(e.to_string()))?;
        year::requested(Some(book.year), Utc::now()).map_err(|_| {
            RulebookError::Invalid(format!("细则的年度 {} 不在可用范围内", book.year))
        })?;
        let existing = store.rulebooks().versions(&org.id, book.year).await?;
        book.version = existing.first().map_or(1, |b| b.version + 1);
        // The committee's first version is the shipped default it has been
        // priced by; the upload comes after it.
        if existing.is_empty() && org.parent_id.is_none() {
            book.version = 2;
        }
        // Checked now, so a preview never shows what could not be stored.
        let body = stored_text(text, &book)?;
        Ok(Upload {
            org,
            book,
            existing,
            body,
        })
    }

    /// Every member the new version would price, under the one in force and
    /// the new one: what publishing would change, before it does. Members of a
    /// branch below with its own rulebook keep theirs, so show no change.
    #[tracing::instrument(skip_all, fields(caller = %caller.id, org = %org_id))]
    pub async fn preview(
        &self,
        caller: &Member,
        org_id: &str,
        text: &str,
    ) -> Result<Preview, RulebookError> {
        let store = self.store;
        let ledgers = Ledgers::new(store, self.cache);
        let Upload { org, book, .. } = self.checked_upload(caller, org_id, text).await?;
        let year = book.year;
        // Branch by branch, as the branch tables read them (and cache them).
        let mut by_branch: BTreeMap<String, Vec<Member>> = BTreeMap::new();
        for m in store.accounts().members_under(&org.id).await? {
            if m.active {
                by_branch.entry(m.org_id.clone()).or_default().push(m);
            }
        }
        let mut rows = Vec::new();
        for (branch_id, mut members) in by_branch {
            members.sort_by(|a, b| a.name.cmp(&b.name));
            let chain = store.accounts().ancestry(&branch_id).await?;
            let current = in_force_over(store, &chain, year).await?;
            let branch_name = chain.first().map(|o| o.name.clone()).unwrap_or_default();
            let facts = ledgers.facts_of(&branch_id, &members, year).await?;
            let zone = facts.zone_of(&branch_id);
            // The new version prices these members only if nothing nearer does.
            let nearer = !current.shipped && current.owner_id != org.id;
            let befores = facts
                .priced(&current.book, &members, zone, Mode::Official)
                .await;
            let afters = match nearer {
                true => Vec::new(),
                false => facts.priced(&book, &members, zone, Mode::Official).await,
            };
            for (i, m) in members.iter().enumerate() {
                let before = &befores[i];
                let (new_total, new_grade) = match afters.get(i) {
                    Some(after) => (after.total, after.proposed),
                    None => (before.total, before.proposed),
                };
                rows.push(PreviewRow {
                    member_id: m.id.clone(),
                    name: m.name.clone(),
                    branch_name: branch_name.clone(),
                    current_total: before.total,
                    current_grade: before.proposed,
                    new_total,
                    new_grade,
                });
            }
        }
        rows.sort_by(|a, b| {
            b.changed()
                .cmp(&a.changed())
                .then_with(|| a.name.cmp(&b.name))
        });
        let current = in_force(store, &org.id, year).await?.label();
        Ok(Preview {
            org_id: org.id,
            year,
            version: book.version,
            current,
            changed: rows.iter().filter(|r| r.changed()).count(),
            grade_changes: rows
                .iter()
                .filter(|r| r.current_grade != r.new_grade)
                .count(),
            rows,
        })
    }

    /// Publishes an upload as the organisation's next version of its year.
    #[tracing::instrument(skip_all, fields(caller = %caller.id, org = %org_id))]
    pub async fn publish(
        &self,
        caller: &Member,
        org_id: &str,
        text: &str,
        peer_id: &str,
    ) -> Result<Published, RulebookError> {
        let store = self.store;
        let Upload {
            org,
            book,
            existing,
            body,
        } = self.checked_upload(caller, org_id, text).await?;
        let now = Utc::now().timestamp();
        let mut rows = Vec::new();
        if existing.is_empty() && org.parent_id.is_none() {
            rows.push(StoredRulebook {
                org_id: org.id.clone(),
                year: book.year,
                version: 1,
                body: shipped(book.year, &org.id, &org.name).body,
                published_by: caller.id.clone(),
                published_at: now,
            });
        }
        rows.push(StoredRulebook {
            org_id: org.id.clone(),
            year: book.year,
            version: book.version,
            body,
            published_by: caller.id.clone(),
            published_at: now,
        });
        store
            .rulebooks()
            .publish(&rows, peer_id)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    RulebookError::Conflict("该版本刚由他人发布，请刷新后重新预览")
                }
                other => other.into(),
            })?;
        let label = in_force(store, &org.id, book.year).await?.label();
        Ok(Published {
            org_id: org.id,
            year: book.year,
            version: book.version,
            label,
        })
    }
}
