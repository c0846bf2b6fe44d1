//! Reviewing members' records: the queue of what waits for the caller, and
//! decisions (通过, 退回 with a reason), written into the members' reviews
//! documents through the document gate with the caller as their author.
//!
//! Who reviews whom: a branch's secretary and org officer review its
//! members; a committee admin reviews the secretaries of the branches below
//! (whose own records their officers may not be the only ones to judge);
//! nobody reviews their own record.

use crate::policy;
use crate::storage::{EventRow, Member, RecordPlace, RecordRow, Store, StoreError};
use crate::sync::{SyncError, SyncService};
use chrono::{DateTime, FixedOffset, Utc};
use std::collections::{BTreeMap, HashMap};
use vanguard_shared::documents::edit::{decide_over, Replaced, Verdict};
use vanguard_shared::documents::schema::MAX_TEXT;
use vanguard_shared::documents::view::kind_label;
use vanguard_shared::documents::EventEntry;
use vanguard_shared::documents::{DecisionStatus, DocId};
use vanguard_shared::event_code::CodeVerdict;
use vanguard_shared::review::{
    flags_among, Conflict, DecisionMade, DecisionRequest, Evidence, Flag, Judged, PreviousDecision,
    QueueItem, Siblings,
};
use vanguard_shared::year::{self, YearError};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Year(#[from] YearError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Reviews<'a> {
    store: &'a Store,
    sync: &'a SyncService,
}

/// Whether `reviewer` decides the records of `member` (`policy::reviews`).
async fn reviews_member(
    store: &Store,
    reviewer: &Member,
    member: &Member,
) -> Result<bool, StoreError> {
    let chain = if policy::needs_chain(reviewer) {
        store.accounts().ancestry(&member.org_id).await?
    } else {
        Vec::new()
    };
    Ok(policy::reviews(reviewer, member, &chain))
}

impl<'a> Reviews<'a> {
    pub fn new(store: &'a Store, sync: &'a SyncService) -> Self {
        Reviews { store, sync }
    }

    /// The members whose records wait for `reviewer` (`policy::queued`).
    /// Not those who vouched for the reviewer's account in `year`: their
    /// records wait for someone else.
    async fn reviewed_by(&self, reviewer: &Member, year: i32) -> Result<Vec<Member>, StoreError> {
        let accounts = self.store.accounts();
        let orgs = accounts.organisations_under(&reviewer.org_id).await?;
        let members = accounts.members_under(&reviewer.org_id).await?;
        let free = policy::Independence::of(self.store, reviewer, year).await?;
        let mut out = policy::queued(reviewer, &orgs, members);
        out.retain(|m| free.allows(&m.id));
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Every submitted, undecided record that waits for `reviewer` in `year`
    /// (the current one when `None`), oldest first, with its evidence.
    pub async fn queue(
        &self,
        reviewer: &Member,
        year: Option<i32>,
    ) -> Result<Vec<QueueItem>, ReviewError> {
        let year = year::requested(year, Utc::now())?;
        if !policy::reviews_anyone(reviewer) {
            return Err(ReviewError::Forbidden(
                "只有书记、组织委员或上级党委管理员可以审核",
            ));
        }
        let members = self.reviewed_by(reviewer, year).await?;
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let names: HashMap<&str, &str> = members
            .iter()
            .map(|m| (m.id.as_str(), m.name.as_str()))
            .collect();
        let rows = self.store.reports().records_of_members(&ids, year).await?;
        let mut events: HashMap<String, Vec<EventRow>> = HashMap::new();
        for m in &members {
            if !events.contains_key(&m.org_id) {
                let rows = self.store.events().of_branch(&m.org_id, year).await?;
                events.insert(m.org_id.clone(), rows);
            }
        }
        let now = Utc::now().fixed_offset();
        // The flags and evidence of every record, off the async threads: a
        // member's year may hold thousands.
        let owned = members.clone();
        let (mut out, conflicted) =
            crate::cpu::run(move || queue_items(&owned, &rows, &events, now)).await;
        for (i, row) in conflicted {
            out[i].conflict = self.conflict_of(&row, &names).await?;
        }
        // Who made the decisions that no longer stand, by name.
        let mut reviewer_names = crate::accounts::Names::new(self.store, &members);
        for d in out.iter_mut().filter_map(|i| i.previous_decision.as_mut()) {
            if let Some(by) = d.by.clone() {
                d.by_name = reviewer_names.of(&by).await?;
            }
        }
        Ok(out)
    }

    /// Both decisions of a conflicted record, with the reviewers' names.
    async fn conflict_of(
        &self,
        row: &RecordRow,
        names: &HashMap<&str, &str>,
    ) -> Result<Option<Conflict>, StoreError> {
        let (Some(earlier_by), Some(earlier), Some((status, _)), Some(by)) = (
            row.conflict_by.clone(),
            row.conflict_status
                .as_deref()
                .and_then(DecisionStatus::parse),
            row.standing_decision(),
            row.reviewer.clone(),
        ) else {
            return Ok(None);
        };
        let name = |id: String| async move {
            match names.get(id.as_str()) {
                Some(n) => Ok::<_, StoreError>((id.clone(), n.to_string())),
                None => {
                    let n = self.store.accounts().member(&id).await?.map(|m| m.name);
                    Ok((id.clone(), n.unwrap_or(id)))
                }
            }
        };
        let (earlier_by, earlier_by_name) = name(earlier_by).await?;
        let (by, by_name) = name(by).await?;
        Ok(Some(Conflict {
            earlier_by,
            earlier_by_name,
            earlier_status: earlier,
            by,
            by_name,
            status,
        }))
    }

    /// Makes `requests` as `reviewer`: all are checked before any is
    /// written, and each member's decisions of a year go into their reviews
    /// document in one edit.
    pub async fn decide(
        &self,
        reviewer: &Member,
        requests: &[DecisionRequest],
    ) -> Result<Vec<DecisionMade>, ReviewError> {
        let now = Utc::now().fixed_offset();
        type Checked = Vec<CheckedDecision>;
        let mut checked: BTreeMap<(String, i32), Checked> = BTreeMap::new();
        // Each member's records are looked up once, all of them together.
        let mut asked: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in requests {
            asked.entry(&r.member_id).or_default().push(&r.record_id);
        }
        let mut places: HashMap<String, HashMap<String, RecordPlace>> = HashMap::new();
        let mut free: Option<policy::Independence> = None;
        for request in requests {
            let (status, reason) = parse(request)?;
            if !places.contains_key(&request.member_id) {
                let member = self
                    .store
                    .accounts()
                    .member(&request.member_id)
                    .await?
                    .ok_or(ReviewError::NotFound("记录不存在"))?;
                let free = match &free {
                    Some(free) => free,
                    None => free.insert(
                        policy::Independence::of(
                            self.store,
                            reviewer,
                            chrono::Datelike::year(&now),
                        )
                        .await?,
                    ),
                };
                if let Some(why) = free.refusal(&member.id, "不能审核本人的记录") {
                    return Err(ReviewError::Forbidden(why));
                }
                if !reviews_member(self.store, reviewer, &member).await? {
                    return Err(ReviewError::Forbidden("您不是该党员记录的审核人"));
                }
                let ids = asked.get(member.id.as_str()).map_or(&[][..], Vec::as_slice);
                let found = self.store.reports().locate_records(&member.id, ids).await?;
                places.insert(member.id, found);
            }
            let place = places
                .get(&request.member_id)
                .and_then(|found| found.get(&request.record_id))
                .cloned()
                .ok_or(ReviewError::NotFound("记录不存在"))?;
            if place.withdrawn {
                return Err(ReviewError::Invalid("记录已撤回，无需审核".into()));
            }
            let version = place.version.ok_or_else(|| {
                StoreError::Corrupt(format!("record {} has no version", request.record_id))
            })?;
            if request
                .version
                .as_ref()
                .is_some_and(|seen| *seen != version)
            {
                return Err(ReviewError::Invalid(
                    "记录在审核后已有更改，请按最新内容重新审核".into(),
                ));
            }
            // Another reviewer's different decision on this version: both
            // stay in the history, and the queue asks for a second look.
            let replaced = match place.decision {
                Some((earlier, Some(by))) if earlier != status && by != reviewer.id => {
                    Some((by, earlier))
                }
                _ => None,
            };
            checked
                .entry((request.member_id.clone(), place.year))
                .or_default()
                .push((
                    DecisionMade {
                        member_id: request.member_id.clone(),
                        record_id: request.record_id.clone(),
                        status,
                        reason,
                        version,
                        by: reviewer.id.clone(),
                        at: now.to_rfc3339(),
                    },
                    replaced,
                    serde_json::to_string(&place.judged).map_err(|e| {
                        StoreError::Corrupt(format!("record {}: {e}", request.record_id))
                    })?,
                ));
        }
        let mut made = Vec::new();
        for ((member_id, year), decisions) in checked {
            let doc = DocId::reviews(&member_id, year);
            // The document's line says who and when; this one says what.
            let detail = decided_in_words(&decisions);
            let note = crate::storage::AuditEvent {
                at: now.timestamp(),
                member_id: reviewer.id.clone(),
                peer_id: crate::door::edit_device().to_string(),
                action: "review_decided",
                subject: format!("member:{member_id}"),
                detail: Some(detail),
            };
            self.sync
                .edit_noted(reviewer, &doc, Some(note), |d| {
                    for (decision, replaced, seen) in &decisions {
                        let verdict = Verdict {
                            status: decision.status,
                            reason: decision.reason.as_deref(),
                            version: &decision.version,
                            seen: Some(seen.as_str()),
                        };
                        let replaced = replaced.as_ref().map(|(by, status)| Replaced {
                            by,
                            status: *status,
                        });
                        decide_over(d, &decision.record_id, verdict, &reviewer.id, now, replaced)?;
                    }
                    Ok(())
                })
                .await?;
            made.extend(decisions.into_iter().map(|(d, _, _)| d));
        }
        Ok(made)
    }
}

/// A decision checked and ready: the decision, the other reviewer's it
/// replaces, and what the reviewer saw (`Judged` as JSON).
type CheckedDecision = (DecisionMade, Option<(String, DecisionStatus)>, String);

/// What a member's decisions were, in words, the first few:
/// `审核：通过 志愿服务 3 小时；退回 走访（请补充照片）`.
fn decided_in_words(decisions: &[CheckedDecision]) -> String {
    const NAMED: usize = 10;
    let mut words: Vec<String> = decisions
        .iter()
        .take(NAMED)
        .map(|(d, _, seen)| {
            let what = serde_json::from_str::<Judged>(seen)
                .map(|j| {
                    let hours = j
                        .hours
                        .map(|h| format!(" {} 小时", vanguard_shared::decimal::short(h, 2)))
                        .unwrap_or_default();
                    format!("{}{hours}", kind_label(&j.kind))
                })
                .unwrap_or_else(|_| d.record_id.clone());
            match (d.status, &d.reason) {
                (DecisionStatus::Returned, Some(why)) => format!("退回 {what}（{why}）"),
                (DecisionStatus::Returned, None) => format!("退回 {what}"),
                (DecisionStatus::Approved, _) => format!("通过 {what}"),
            }
        })
        .collect();
    if decisions.len() > NAMED {
        words.push(format!("共 {} 条", decisions.len()));
    }
    format!("审核：{}", words.join("；"))
}

/// The waiting records of `members` as queue items, with their flags, and
/// the conflicted ones (by index) whose two decisions the caller names.
fn queue_items(
    members: &[Member],
    rows: &[(String, RecordRow)],
    events: &HashMap<String, Vec<EventRow>>,
    now: DateTime<FixedOffset>,
) -> (Vec<QueueItem>, Vec<(usize, RecordRow)>) {
    let names: HashMap<&str, &str> = members
        .iter()
        .map(|m| (m.id.as_str(), m.name.as_str()))
        .collect();
    let branch_of: HashMap<&str, &str> = members
        .iter()
        .map(|m| (m.id.as_str(), m.org_id.as_str()))
        .collect();
    // Each member's records that are not withdrawn, for the duplicate
    // flags, indexed once per member: the queue is n log n in records.
    let mut by_member: HashMap<&str, Vec<Evidence<'_>>> = HashMap::new();
    let mut own: HashMap<&str, Evidence<'_>> = HashMap::new();
    for (member_id, row) in rows {
        if row.withdrawn {
            continue;
        }
        let Ok(at) = DateTime::parse_from_rfc3339(&row.occurred_at) else {
            continue;
        };
        own.insert(row.record_id.as_str(), evidence(row, at));
        by_member
            .entry(member_id.as_str())
            .or_default()
            .push(evidence(row, at));
    }
    let indexed: HashMap<&str, Siblings<'_>> = by_member
        .iter()
        .map(|(m, list)| (*m, Siblings::new(list)))
        .collect();
    // Each branch's events by id.
    let event_of: HashMap<(&str, &str), &EventEntry> = events
        .iter()
        .flat_map(|(branch, rows)| {
            rows.iter()
                .map(move |e| ((branch.as_str(), e.event.event_id.as_str()), &e.event))
        })
        .collect();
    let mut out = Vec::new();
    let mut waiting_conflicts = Vec::new();
    for (member_id, row) in rows {
        let Some(version) = row.version.as_deref() else {
            continue;
        };
        // Waiting: undecided, or decided differently by two reviewers.
        let conflicted = row.standing_decision().is_some() && row.conflict_by.is_some();
        if row.withdrawn || (row.standing_decision().is_some() && !conflicted) {
            continue;
        }
        let (Some(siblings), Some(record)) = (
            indexed.get(member_id.as_str()),
            own.get(row.record_id.as_str()),
        ) else {
            continue;
        };
        let event = row.event_id.as_deref().and_then(|id| {
            let branch = branch_of.get(member_id.as_str())?;
            event_of.get(&(*branch, id)).copied()
        });
        // Decided on an earlier version: a new question, showing the old.
        let superseded = row.superseded_decision();
        let distance_m = match (event.and_then(|e| e.geofence.as_ref()), row.lat, row.lon) {
            (Some(fence), Some(lat), Some(lon)) => Some(fence.distance_m(lat, lon).round()),
            _ => None,
        };
        out.push(QueueItem {
            member_id: member_id.clone(),
            member_name: names.get(member_id.as_str()).copied().unwrap_or("").into(),
            record_id: row.record_id.clone(),
            version: version.to_string(),
            kind: row.kind.clone(),
            kind_label: kind_label(&row.kind).to_string(),
            occurred_at: row.occurred_at.clone(),
            event_id: row.event_id.clone(),
            event_title: event.map(|e| e.title.clone()),
            hours: row.hours,
            place: row.place.clone(),
            note: row.note.clone(),
            distance_m,
            code: record.code,
            flags: {
                let mut f = flags_among(record, siblings, event, now);
                if conflicted {
                    f.push(Flag::Conflict);
                }
                if superseded.is_some() {
                    f.push(Flag::ChangedAfterDecision);
                }
                f
            },
            conflict: None,
            previous: superseded.map(|_| {
                row.seen
                    .as_deref()
                    .and_then(|seen| serde_json::from_str::<Judged>(seen).ok())
                    .map(|then| row.judged().earlier_fields(&then))
                    .unwrap_or_default()
            }),
            previous_decision: superseded.map(|status| PreviousDecision {
                status,
                by: row.reviewer.clone(),
                by_name: None,
                at: row.reviewed_at.clone(),
            }),
        });
        if conflicted {
            waiting_conflicts.push((out.len() - 1, row.clone()));
        }
    }
    (out, waiting_conflicts)
}

/// A record's evidence, as the flags weigh it.
fn evidence(row: &RecordRow, at: DateTime<FixedOffset>) -> Evidence<'_> {
    Evidence {
        record_id: &row.record_id,
        kind: &row.kind,
        occurred_at: at,
        event_id: row.event_id.as_deref(),
        hours: row.hours,
        code: row
            .code_verdict
            .as_deref()
            .and_then(CodeVerdict::parse)
            .unwrap_or(CodeVerdict::None),
    }
}

/// The status and reason of a request: a return needs its reason.
fn parse(request: &DecisionRequest) -> Result<(DecisionStatus, Option<String>), ReviewError> {
    let status = request.status;
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_TEXT)
    {
        return Err(ReviewError::Invalid(format!(
            "退回原因不能超过 {MAX_TEXT} 字"
        )));
    }
    if status == DecisionStatus::Returned && reason.is_none() {
        return Err(ReviewError::Invalid("退回须填写退回原因".into()));
    }
    Ok((status, reason))
}
