//! The points rulebook in force for an organisation and year, and
//! publishing a new version of it: an upload is checked whole (its errors
//! name the line and the rule, and nothing is stored), previewed against
//! every member it would price, then published and recorded in the audit
//! log. The year's ledgers are priced by the newest published version of
//! the nearest organisation up the tree; with none, by the shipped default,
//! which becomes the committee's first version when it first publishes.

use crate::accounts::Directory;
use crate::ledger::branch_facts;
use crate::storage::{Member, Organisation, Store, StoreError, StoredRulebook};
use crate::sync::access::admin;
use chrono::Utc;
use std::collections::BTreeMap;
use vanguard_shared::ledger::{
    default_rulebook, Mode, Prepared, Preview, PreviewRow, Published, PublishedVersion, Rulebook,
    RulebookOverview,
};
use vanguard_shared::org::OrgKind;
use vanguard_shared::year::{self, YearError};
use vanguard_shared::Role;

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

/// A rulebook as it prices a year: the book, its TOML, and whose it is.
#[derive(Debug, Clone)]
pub struct InForce {
    pub book: Rulebook,
    /// The TOML, to download and edit.
    pub body: String,
    /// The organisation that published it.
    pub owner_id: String,
    pub owner_name: String,
    /// The shipped default, not published by anyone yet.
    pub shipped: bool,
    pub published_by: Option<String>,
    pub published_at: Option<i64>,
}

impl InForce {
    /// What every sheet says it was priced by, e.g. "某某党委积分细则 第 2 版".
    pub fn label(&self) -> String {
        let default = if self.shipped {
            "（系统默认）"
        } else {
            ""
        };
        format!(
            "{}积分细则{default} {} 年第 {} 版",
            self.owner_name, self.book.year, self.book.version
        )
    }
}

/// The rulebook in force for `org_id` in `year`.
pub async fn in_force(store: &Store, org_id: &str, year: i32) -> Result<InForce, StoreError> {
    let chain = Directory::new(store).ancestry(org_id).await?;
    in_force_over(store, &chain, year).await
}

/// The rulebook in force for the organisation that `chain` (nearest first)
/// leads up from.
async fn in_force_over(
    store: &Store,
    chain: &[Organisation],
    year: i32,
) -> Result<InForce, StoreError> {
    let ids: Vec<&str> = chain.iter().map(|o| o.id.as_str()).collect();
    let newest = store.rulebooks().newest_of(&ids, year).await?;
    // Nearest first: the chain's order decides, not the query's.
    for org in chain {
        if let Some(stored) = newest.iter().find(|b| b.org_id == org.id) {
            return read_stored(stored, &org.name);
        }
    }
    let top = chain.last();
    Ok(shipped(
        year,
        top.map_or("", |o| o.id.as_str()),
        top.map_or("", |o| o.name.as_str()),
    ))
}

fn shipped(year: i32, owner_id: &str, owner_name: &str) -> InForce {
    let mut book = default_rulebook();
    book.year = year;
    InForce {
        body: with_header(vanguard_shared::ledger::rulebook::DEFAULT_TOML, year, 1),
        book,
        owner_id: owner_id.to_string(),
        owner_name: owner_name.to_string(),
        shipped: true,
        published_by: None,
        published_at: None,
    }
}

fn read_stored(stored: &StoredRulebook, owner_name: &str) -> Result<InForce, StoreError> {
    let mut book = Rulebook::from_toml("rulebook", &stored.body)
        .map_err(|e| StoreError::Corrupt(format!("rulebook of {}: {e}", stored.org_id)))?;
    book.year = stored.year;
    book.version = stored.version;
    Ok(InForce {
        book,
        body: stored.body.clone(),
        owner_id: stored.org_id.clone(),
        owner_name: owner_name.to_string(),
        shipped: false,
        published_by: Some(stored.published_by.clone()),
        published_at: Some(stored.published_at),
    })
}

/// The TOML with its top-level `year` and `version` set: the stored text
/// says what the row says, and a downloaded copy uploads as the next
/// version without editing those lines.
pub fn with_header(text: &str, year: i32, version: u32) -> String {
    let mut out = Vec::new();
    let (mut saw_year, mut saw_version, mut top) = (false, false, true);
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if line.trim_start().starts_with('[') {
            top = false;
        }
        if top && key == "year" && line.contains('=') {
            out.push(format!("year = {year}"));
            saw_year = true;
        } else if top && key == "version" && line.contains('=') {
            out.push(format!("version = {version}"));
            saw_version = true;
        } else {
            out.push(line.to_string());
        }
    }
    let mut head = Vec::new();
    if !saw_version {
        head.push(format!("version = {version}"));
    }
    if !saw_year {
        head.push(format!("year = {year}"));
    }
    head.extend(out);
    head.join("\n") + "\n"
}

/// Whether `caller` publishes rulebooks for `org`: a branch's secretary
/// for the branch, a committee admin for the committee.
fn publishes_for(caller: &Member, org: &Organisation) -> bool {
    caller.active
        && caller.org_id == org.id
        && match org.kind {
            OrgKind::Branch => caller.roles.contains(&Role::Secretary),
            OrgKind::Committee | OrgKind::GeneralBranch => admin(caller),
            OrgKind::Group => false,
        }
}

/// Whether `viewer` may read `org`'s rulebooks: anyone in it or below it
/// (members read theirs on the phone), and the admins above.
async fn reads_for(store: &Store, viewer: &Member, org: &Organisation) -> Result<bool, StoreError> {
    let chain = Directory::new(store).ancestry(&viewer.org_id).await?;
    if chain.iter().any(|o| o.id == org.id) {
        return Ok(true);
    }
    if admin(viewer) {
        let above = Directory::new(store).ancestry(&org.id).await?;
        return Ok(above.iter().any(|o| o.id == viewer.org_id));
    }
    Ok(false)
}

async fn organisation(store: &Store, org_id: &str) -> Result<Organisation, RulebookError> {
    store
        .accounts()
        .organisation(org_id)
        .await?
        .ok_or(RulebookError::NotFound("组织不存在"))
}

/// The rulebook in force for `org_id` and the versions it published, to
/// whoever may read them.
pub async fn overview(
    store: &Store,
    viewer: &Member,
    org_id: &str,
    year: Option<i32>,
) -> Result<RulebookOverview, RulebookError> {
    let year = year::requested(year, Utc::now())?;
    let org = organisation(store, org_id).await?;
    if !reads_for(store, viewer, &org).await? {
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
        may_publish: publishes_for(viewer, &org),
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
    store: &Store,
    caller: &Member,
    org_id: &str,
    text: &str,
) -> Result<(Organisation, Rulebook, Vec<StoredRulebook>), RulebookError> {
    let org = organisation(store, org_id).await?;
    if !publishes_for(caller, &org) {
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
    year::requested(Some(book.year), Utc::now())
        .map_err(|_| RulebookError::Invalid(format!("细则的年度 {} 不在可用范围内", book.year)))?;
    let existing = store.rulebooks().versions(&org.id, book.year).await?;
    book.version = existing.first().map_or(1, |b| b.version + 1);
    // The committee's first version is the shipped default it has been
    // priced by; the upload comes after it.
    if existing.is_empty() && org.parent_id.is_none() {
        book.version = 2;
    }
    Ok((org, book, existing))
}

/// Every member the new version would price, under the one in force and
/// the new one: what publishing would change, before it does. Members of a
/// branch below with its own rulebook keep theirs, so show no change.
pub async fn preview(
    store: &Store,
    caller: &Member,
    org_id: &str,
    text: &str,
) -> Result<Preview, RulebookError> {
    let (org, book, _) = checked_upload(store, caller, org_id, text).await?;
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
        let chain = Directory::new(store).ancestry(&branch_id).await?;
        let current = in_force_over(store, &chain, year).await?;
        let branch_name = chain.first().map(|o| o.name.clone()).unwrap_or_default();
        let facts = branch_facts(store, &branch_id, &members, year).await?;
        let zone = facts.zone_of(&branch_id);
        let before_book = Prepared::new(&current.book, year, zone);
        let after_book = Prepared::new(&book, year, zone);
        // The new version prices these members only if nothing nearer does.
        let nearer = !current.shipped && current.owner_id != org.id;
        for m in &members {
            let before = facts.ledger_with(&before_book, m, Mode::Official);
            let (new_total, new_grade) = if nearer {
                (before.total, before.proposed)
            } else {
                let after = facts.ledger_with(&after_book, m, Mode::Official);
                (after.total, after.proposed)
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
pub async fn publish(
    store: &Store,
    caller: &Member,
    org_id: &str,
    text: &str,
    peer_id: &str,
) -> Result<Published, RulebookError> {
    let (org, book, existing) = checked_upload(store, caller, org_id, text).await?;
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
        body: with_header(text, book.year, book.version),
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
