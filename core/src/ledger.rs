//! Official ledgers on the server: the materialized records, decisions,
//! events and attendance rows read back into the shared types, priced by
//! the same `view::facts` and engine the phone runs on its own copy, with
//! the rulebook in force for the member's organisation and year.
//!
//! Ledgers are computed when read, from the tables every accepted sync and
//! decision has already updated in its own transaction: a read never shows
//! an older state than one shown before, and nothing on the write path has
//! to be kept fresh (docs/ledger.md).

use crate::accounts::Directory;
use crate::charts;
use crate::records::RecordsError;
use crate::rulebooks::{self, InForce};
use crate::storage::{Member, RecordRow, Store, StoreError};
use crate::sync::access::{self, admin, officer};
use chrono::DateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vanguard_shared::documents::id::is_plain_id;
use vanguard_shared::documents::schema::DecisionStatus;
use vanguard_shared::documents::view::{
    attendance_event_of, facts, Attended, RecordState, RecordView,
};
use vanguard_shared::documents::{CheckinRecord, DocId, EventEntry};
use vanguard_shared::ledger::{
    BranchLedger, BranchRow, JobFact, Ledger, LedgerInput, Mode, Note, Points, Prepared, Rulebook,
    Sheet, SheetEntry, Source, VetoFact,
};
use vanguard_shared::org::{MemberStatus, OrgKind};
use vanguard_shared::year;

/// What the ledgers of some members of one year are computed from, read
/// together: their records, their branches' events, their attendance rows.
pub struct BranchFacts {
    year: i32,
    records: HashMap<String, Arc<Vec<RecordRow>>>,
    events: HashMap<String, Arc<Vec<EventEntry>>>,
    attendance: HashMap<String, Vec<Attended>>,
    time_zones: HashMap<String, chrono_tz::Tz>,
    /// The job side (业务) entered for the year, by member.
    jobs: HashMap<String, JobFact>,
    /// Veto items (一票否决) found for the year, by member.
    vetoes: HashMap<String, Vec<VetoFact>>,
}

/// The engine's veto facts of stored rows, by member.
fn veto_facts(rows: Vec<crate::storage::VetoRow>) -> HashMap<String, Vec<VetoFact>> {
    let mut out: HashMap<String, Vec<VetoFact>> = HashMap::new();
    for r in rows {
        out.entry(r.member_id).or_default().push(VetoFact {
            veto_id: r.veto_id,
            reason: r.reason,
            by: r.found_by,
        });
    }
    out
}

/// The job facts of some members' year, as the engine takes them.
async fn load_jobs(
    store: &Store,
    branch_id: Option<&str>,
    members: &[Member],
    year: i32,
) -> Result<HashMap<String, JobFact>, StoreError> {
    let rows = match branch_id {
        Some(b) => store.year_end().jobs_of_branch(b, year).await?,
        None => {
            let mut rows = Vec::new();
            for m in members {
                rows.extend(store.year_end().job_of(&m.id, year).await?);
            }
            rows
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.member_id.clone(), crate::year_end::job_fact(&r)?)))
        .collect())
}

/// The members' records of a year, by member.
async fn load_records(
    store: &Store,
    ids: &[&str],
    year: i32,
) -> Result<HashMap<String, Arc<Vec<RecordRow>>>, StoreError> {
    let mut records: HashMap<String, Vec<RecordRow>> = HashMap::new();
    for (member_id, row) in store.reports().records_of_members(ids, year).await? {
        records.entry(member_id).or_default().push(row);
    }
    Ok(records.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
}

/// A branch's events of a year, its members' attendance rows and its time
/// zone.
struct BranchPart {
    events: Arc<Vec<EventEntry>>,
    attendance: HashMap<String, Vec<Attended>>,
    time_zone: chrono_tz::Tz,
}

async fn load_branch(
    store: &Store,
    branch_id: &str,
    ids: &[&str],
    year: i32,
) -> Result<BranchPart, StoreError> {
    let mut attendance: HashMap<String, Vec<Attended>> = HashMap::new();
    for row in store.events().attendance_of_members(ids, year).await? {
        attendance
            .entry(row.member_id.clone())
            .or_default()
            .push(Attended::from(&row));
    }
    let events = store
        .events()
        .of_branch(branch_id, year)
        .await?
        .into_iter()
        .map(|row| row.event)
        .collect();
    let time_zone = store
        .accounts()
        .organisation(branch_id)
        .await?
        .and_then(|o| o.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    Ok(BranchPart {
        events: Arc::new(events),
        attendance,
        time_zone,
    })
}

impl BranchFacts {
    /// Reads everything afresh: members of any branches.
    pub async fn load(store: &Store, members: &[Member], year: i32) -> Result<Self, StoreError> {
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let mut facts = BranchFacts {
            year,
            records: load_records(store, &ids, year).await?,
            events: HashMap::new(),
            attendance: HashMap::new(),
            time_zones: HashMap::new(),
            jobs: load_jobs(store, None, members, year).await?,
            vetoes: {
                let mut rows = Vec::new();
                for m in members {
                    rows.extend(store.year_end().vetoes_of(&m.id, year).await?);
                }
                veto_facts(rows)
            },
        };
        for m in members {
            if facts.events.contains_key(&m.org_id) {
                continue;
            }
            let theirs: Vec<&str> = members
                .iter()
                .filter(|o| o.org_id == m.org_id)
                .map(|o| o.id.as_str())
                .collect();
            let part = load_branch(store, &m.org_id, &theirs, year).await?;
            facts.add_branch(&m.org_id, &part);
        }
        Ok(facts)
    }

    fn add_branch(&mut self, branch_id: &str, part: &BranchPart) {
        self.events
            .insert(branch_id.to_string(), part.events.clone());
        self.attendance
            .extend(part.attendance.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.time_zones
            .insert(branch_id.to_string(), part.time_zone);
    }

    fn records_of(&self, member_id: &str) -> &[RecordRow] {
        self.records.get(member_id).map_or(&[], |r| r.as_slice())
    }

    fn events_of(&self, member: &Member) -> &[EventEntry] {
        self.events
            .get(&member.org_id)
            .map_or(&[], |e| e.as_slice())
    }

    pub fn time_zone(&self, member: &Member) -> chrono_tz::Tz {
        self.zone_of(&member.org_id)
    }

    /// A branch's time zone (China's when the branch is not among these).
    pub fn zone_of(&self, branch_id: &str) -> chrono_tz::Tz {
        self.time_zones
            .get(branch_id)
            .copied()
            .unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// One member's ledger under `book`.
    pub fn ledger(&self, book: &Rulebook, member: &Member, mode: Mode) -> Ledger {
        self.ledger_with(
            &Prepared::new(book, self.year, self.time_zone(member)),
            member,
            mode,
        )
    }

    /// One member's ledger with a rulebook prepared once for many members.
    pub fn ledger_with(&self, prepared: &Prepared<'_>, member: &Member, mode: Mode) -> Ledger {
        let views: Vec<RecordView> = self
            .records_of(&member.id)
            .iter()
            .filter_map(record_view)
            .collect();
        let attendance = self
            .attendance
            .get(&member.id)
            .map_or(&[][..], Vec::as_slice);
        let facts = facts(&views, self.events_of(member), attendance);
        prepared.compute(
            &LedgerInput {
                member_id: &member.id,
                year: self.year,
                time_zone: self.time_zone(member),
                records: &facts,
                adjustments: &[],
                vetoes: self.vetoes.get(&member.id).map_or(&[][..], Vec::as_slice),
                job: self.jobs.get(&member.id),
            },
            mode,
        )
    }

    /// A branch's events of the year.
    pub fn events_of_branch(&self, branch_id: &str) -> &[EventEntry] {
        self.events.get(branch_id).map_or(&[][..], |e| e.as_slice())
    }

    /// Every attendance row read, of every member.
    pub fn attendance_rows(&self) -> impl Iterator<Item = &Attended> {
        self.attendance.values().flatten()
    }

    /// The member's job side of the year, if entered.
    pub fn job_of(&self, member_id: &str) -> Option<&JobFact> {
        self.jobs.get(member_id)
    }

    /// How many of the member's records wait for review, and how many were
    /// returned.
    pub fn waiting_and_returned(&self, member_id: &str) -> (usize, usize) {
        let rows = self.records_of(member_id).iter().filter(|r| !r.withdrawn);
        let mut out = (0, 0);
        for r in rows {
            match r.standing_decision().map(|(s, _)| s) {
                None => out.0 += 1,
                Some(DecisionStatus::Returned) => out.1 += 1,
                Some(DecisionStatus::Approved) => {}
            }
        }
        out
    }
}

/// What branch ledgers are computed from, kept while it is current: each
/// member's records with the count and sequence sum of their documents
/// (`Documents::freshness`), and each branch's events and attendance with
/// its events document's and its roll. Any accepted change, in this
/// process or another on the same database, moves a sum: after one
/// member's sync only that member's records are read again. Bounded: past
/// `CACHED_ROWS` records the members' part starts over.
#[derive(Default)]
pub struct FactsCache {
    members: Mutex<MemberRecords>,
    branches: Mutex<HashMap<(String, i32), BranchEntry>>,
    /// Each checkins document's corrections, by its sequence numbers.
    corrections: Mutex<HashMap<String, CorrectionsEntry>>,
}

type Stamp = (i64, i64);
type MemberEntry = (Stamp, Arc<Vec<RecordRow>>);
/// Each member's entry, and how many records they hold together.
type MemberRecords = (HashMap<(String, i32), MemberEntry>, usize);
type BranchEntry = ((Stamp, Vec<String>), Arc<BranchPart>);

type CorrectionsEntry = ((i64, i64), Arc<HashMap<String, Vec<String>>>);

const CACHED_ROWS: usize = 500_000;
/// Documents whose corrections are kept at once.
const CACHED_DOCUMENTS: usize = 4096;
const CACHED_BRANCHES: usize = 512;

/// The facts of a branch's `members` for `year`: what is current in the
/// cache, the rest read now.
pub async fn branch_facts(
    store: &Store,
    branch_id: &str,
    members: &[Member],
    year: i32,
) -> Result<BranchFacts, StoreError> {
    let mut owners: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    owners.push(branch_id);
    // Stamped before reading: a change that lands meanwhile makes the next
    // read miss, never a stale hit.
    let stamps = store.documents().freshness(&owners, year).await?;
    let jobs = load_jobs(store, Some(branch_id), members, year).await?;
    let vetoes = veto_facts(
        store
            .year_end()
            .vetoes_of_branches(&[branch_id], year)
            .await?,
    );
    facts_stamped(store, branch_id, members, year, &stamps, jobs, vetoes).await
}

/// The facts of many branches of one year, each with its members: their
/// documents' stamps and job results read once for all.
pub async fn many_branch_facts(
    store: &Store,
    branches: &[(&str, &[Member])],
    year: i32,
) -> Result<Vec<BranchFacts>, StoreError> {
    let mut owners: Vec<&str> = Vec::new();
    for (branch_id, members) in branches {
        owners.extend(members.iter().map(|m| m.id.as_str()));
        owners.push(branch_id);
    }
    let stamps = store.documents().freshness(&owners, year).await?;
    let ids: Vec<&str> = branches.iter().map(|(b, _)| *b).collect();
    let mut jobs: HashMap<String, HashMap<String, JobFact>> = HashMap::new();
    for r in store.year_end().jobs_of_branches(&ids, year).await? {
        if let Some(fact) = crate::year_end::job_fact(&r) {
            jobs.entry(r.branch_id.clone())
                .or_default()
                .insert(r.member_id.clone(), fact);
        }
    }
    let mut vetoes: HashMap<String, Vec<crate::storage::VetoRow>> = HashMap::new();
    for r in store.year_end().vetoes_of_branches(&ids, year).await? {
        vetoes.entry(r.branch_id.clone()).or_default().push(r);
    }
    let mut out = Vec::with_capacity(branches.len());
    for (branch_id, members) in branches {
        let mine = jobs.remove(*branch_id).unwrap_or_default();
        let found = veto_facts(vetoes.remove(*branch_id).unwrap_or_default());
        out.push(facts_stamped(store, branch_id, members, year, &stamps, mine, found).await?);
    }
    Ok(out)
}

async fn facts_stamped(
    store: &Store,
    branch_id: &str,
    members: &[Member],
    year: i32,
    stamps: &HashMap<String, Stamp>,
    jobs: HashMap<String, JobFact>,
    vetoes: HashMap<String, Vec<VetoFact>>,
) -> Result<BranchFacts, StoreError> {
    let owners: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let stamp = |id: &str| stamps.get(id).copied().unwrap_or((0, 0));
    let cache = &store.ledger_facts;

    let mut records = HashMap::new();
    let mut missing = Vec::new();
    if let Ok(kept) = cache.members.lock() {
        for m in members {
            match kept.0.get(&(m.id.clone(), year)) {
                Some((at, rows)) if *at == stamp(&m.id) => {
                    records.insert(m.id.clone(), rows.clone());
                }
                _ => missing.push(m.id.as_str()),
            }
        }
    } else {
        missing = members.iter().map(|m| m.id.as_str()).collect();
    }
    if !missing.is_empty() {
        let mut read = load_records(store, &missing, year).await?;
        for id in &missing {
            read.entry(id.to_string()).or_default();
        }
        if let Ok(mut kept) = cache.members.lock() {
            let new_rows: usize = read.values().map(|r| r.len()).sum();
            if kept.1 + new_rows > CACHED_ROWS {
                *kept = (HashMap::new(), 0);
            }
            for (id, rows) in &read {
                kept.1 += rows.len();
                if let Some((_, old)) = kept.0.insert((id.clone(), year), (stamp(id), rows.clone()))
                {
                    kept.1 = kept.1.saturating_sub(old.len());
                }
            }
        }
        records.extend(read);
    }

    let roll: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    let branch_stamp = (stamp(branch_id), roll);
    let kept_part = cache.branches.lock().ok().and_then(|kept| {
        kept.get(&(branch_id.to_string(), year))
            .filter(|(at, _)| *at == branch_stamp)
            .map(|(_, part)| part.clone())
    });
    let part = match kept_part {
        Some(part) => part,
        None => {
            let part = Arc::new(load_branch(store, branch_id, &owners, year).await?);
            if let Ok(mut kept) = cache.branches.lock() {
                if kept.len() >= CACHED_BRANCHES {
                    kept.clear();
                }
                kept.insert((branch_id.to_string(), year), (branch_stamp, part.clone()));
            }
            part
        }
    };
    let mut facts = BranchFacts {
        year,
        records,
        events: HashMap::new(),
        attendance: HashMap::new(),
        time_zones: HashMap::new(),
        jobs,
        vetoes,
    };
    facts.add_branch(branch_id, &part);
    Ok(facts)
}

/// A materialized record as the phone's view reads it from its document.
fn record_view(r: &RecordRow) -> Option<RecordView> {
    let state = RecordState::of(r.withdrawn, r.standing_decision());
    Some(RecordView {
        record: CheckinRecord {
            occurred_at: DateTime::parse_from_rfc3339(&r.occurred_at).ok()?,
            record_id: r.record_id.clone(),
            kind: r.kind.clone(),
            event_id: r.event_id.clone(),
            hours: r.hours,
            place: r.place.clone(),
            lat: r.lat,
            lon: r.lon,
            note: r.note.clone(),
            code: r.code.clone(),
            withdrawn: r.withdrawn,
        },
        state,
        title: String::new(),
        at_event: None,
    })
}

/// Names of members, looked up once each.
pub(crate) struct Names<'a> {
    store: &'a Store,
    known: HashMap<String, String>,
}

impl<'a> Names<'a> {
    pub(crate) fn new(store: &'a Store, members: &[Member]) -> Self {
        Names {
            store,
            known: members
                .iter()
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect(),
        }
    }

    pub(crate) async fn of(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        if id.is_empty() {
            return Ok(None);
        }
        if let Some(name) = self.known.get(id) {
            return Ok(Some(name.clone()));
        }
        let name = self.store.accounts().member(id).await?.map(|m| m.name);
        self.known
            .insert(id.to_string(), name.clone().unwrap_or_default());
        Ok(name)
    }
}

async fn sheet_of(
    member: &Member,
    facts: &BranchFacts,
    book: &InForce,
    mode: Mode,
    names: &mut Names<'_>,
    corrected: &HashMap<String, Vec<String>>,
) -> Result<Sheet, StoreError> {
    let ledger = facts.ledger(&book.book, member, mode);
    let tz = facts.time_zone(member);
    let rows: HashMap<&str, &RecordRow> = facts
        .records_of(&member.id)
        .iter()
        .map(|r| (r.record_id.as_str(), r))
        .collect();
    let events = facts.events_of(member);
    let event_title = |id: &str| {
        events
            .iter()
            .find(|e| e.event_id == id)
            .map(|e| e.title.clone())
    };
    let mut entries = Vec::with_capacity(ledger.entries.len());
    for e in &ledger.entries {
        let id = match &e.source {
            Source::Record(id) => id,
            Source::Appraisal | Source::Tasks => {
                entries.push(job_entry(e, facts.job_of(&member.id), names).await?);
                continue;
            }
            Source::Adjustment(_) => continue,
        };
        let row = rows.get(&**id).copied();
        let attendance_event = attendance_event_of(id)
            .and_then(|event_id| events.iter().find(|ev| ev.event_id == event_id));
        let what = match (row, attendance_event) {
            (Some(r), _) => r
                .event_id
                .as_deref()
                .and_then(event_title)
                .or_else(|| e.kind.map(|k| k.label().to_string()))
                .unwrap_or_else(|| r.kind.clone()),
            (None, Some(ev)) => format!("{}（考勤）", ev.title),
            (None, None) => e.kind.map(|k| k.label().to_string()).unwrap_or_default(),
        };
        let reviewer = match row {
            Some(r) => r.standing_decision().and(r.reviewer.clone()),
            None => e.reviewer.as_deref().map(str::to_string),
        };
        let reviewer_name = match reviewer.as_deref() {
            Some(id) => names.of(id).await?,
            None => None,
        };
        let mut history = row
            .and_then(|r| corrected.get(&r.record_id))
            .cloned()
            .unwrap_or_default();
        if let Some(r) = row {
            if r.withdrawn {
                history.push("成员已撤回".to_string());
            }
            if let (Some(by), Some(status)) = (&r.conflict_by, &r.conflict_status) {
                let who = names.of(by).await?.unwrap_or_else(|| by.clone());
                let said = if status == "returned" {
                    "退回"
                } else {
                    "通过"
                };
                history.push(format!("{who} 曾决定{said}，已被另一决定取代"));
            }
            if r.review_status.is_some() && r.standing_decision().is_none() {
                history.push("审核后成员更正了记录，待重新审核".to_string());
            }
            if let (Some(DecisionStatus::Returned), Some(reason)) = (
                r.standing_decision().map(|(s, _)| s),
                r.review_reason.as_deref(),
            ) {
                history.push(format!("退回原因：{reason}"));
            }
        }
        entries.push(SheetEntry {
            source: e.source.clone(),
            record_id: row.map(|r| r.record_id.clone()),
            date: e
                .occurred_at
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string()),
            occurred_at: e.occurred_at,
            kind: e.kind,
            what,
            hours: row.and_then(|r| r.hours),
            rule_id: e.rule_id.as_deref().map(str::to_string),
            rule_name: e
                .rule_id
                .as_deref()
                .and_then(|id| book.book.rules.iter().find(|r| &*r.id == id))
                .map(|r| r.name.clone()),
            section: e.section,
            side: e.side,
            nominal: e.nominal,
            granted: e.granted,
            counted: e.counted,
            note_label: e.note.as_ref().map(Note::label),
            note: e.note.clone(),
            reviewer,
            reviewer_name,
            reviewed_at: row.and_then(|r| r.standing_decision().and(r.reviewed_at.clone())),
            history,
        });
    }
    let (pending, returned) = facts.waiting_and_returned(&member.id);
    let mut charts = charts::participation([&ledger], tz).to_vec();
    charts.push(charts::attendance_rate(
        facts.attendance.get(&member.id).into_iter().flatten(),
        events,
    ));
    Ok(Sheet {
        member_id: member.id.clone(),
        member_name: member.name.clone(),
        year: ledger.year,
        mode,
        rulebook_id: ledger.rulebook_id,
        rulebook_version: ledger.rulebook_version,
        rulebook_label: book.label(),
        base: ledger.base,
        sum: ledger.sum,
        total: ledger.total,
        sections: ledger.sections,
        sides: ledger.sides,
        proposed: ledger.proposed,
        proposed_label: ledger.proposed.label().to_string(),
        grade_reasons: ledger.grade_reasons,
        vetoes: ledger.vetoes,
        entries,
        pending,
        returned,
        charts,
    })
}

/// The sheet's line of the job side: the appraisal, or the tasks.
async fn job_entry(
    e: &vanguard_shared::ledger::Entry,
    job: Option<&JobFact>,
    names: &mut Names<'_>,
) -> Result<SheetEntry, StoreError> {
    let what = match (&e.source, job) {
        (
            Source::Tasks,
            Some(JobFact {
                tasks: Some((assigned, completed)),
                ..
            }),
        ) => {
            format!("交办任务完成 {completed}/{assigned}")
        }
        (_, Some(j)) => format!("年度考核：{}", j.appraisal.label()),
        _ => "年度考核".to_string(),
    };
    let reviewer = job.map(|j| j.by.clone());
    let reviewer_name = match reviewer.as_deref() {
        Some(id) => names.of(id).await?,
        None => None,
    };
    Ok(SheetEntry {
        source: e.source.clone(),
        record_id: None,
        date: None,
        occurred_at: None,
        kind: None,
        what,
        hours: None,
        rule_id: None,
        rule_name: Some("年度考核（业务）".to_string()),
        section: e.section,
        side: e.side,
        nominal: e.nominal,
        granted: e.granted,
        counted: e.counted,
        note: None,
        note_label: None,
        reviewer,
        reviewer_name,
        reviewed_at: None,
        history: Vec::new(),
    })
}

/// The sheet of `member_id` for `year` (the current one when `None`), to
/// whoever may read the member's check-ins; not found to anyone else.
pub async fn member_sheet(
    store: &Store,
    viewer: &Member,
    member_id: &str,
    year: Option<i32>,
    mode: Mode,
) -> Result<Sheet, RecordsError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let id = DocId::checkins(member_id, year);
    if !is_plain_id(member_id) || access::access(store, viewer, &id).await?.is_none() {
        return Err(RecordsError::NotFound);
    }
    let member = store
        .accounts()
        .member(member_id)
        .await?
        .ok_or(RecordsError::NotFound)?;
    let facts = BranchFacts::load(store, std::slice::from_ref(&member), year).await?;
    let book = rulebooks::in_force(store, &member.org_id, year).await?;
    let corrected = corrections_of(store, &id).await?;
    let mut names = Names::new(store, &[]);
    Ok(sheet_of(&member, &facts, &book, mode, &mut names, &corrected).await?)
}

/// Every member's official sheet of the branch, in roll order (by name):
/// what the batch print lays out one member to a page.
pub async fn branch_sheets(
    store: &Store,
    viewer: &Member,
    branch_id: &str,
    year: Option<i32>,
) -> Result<(String, Vec<Sheet>), LedgerError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let branch = store
        .accounts()
        .organisation(branch_id)
        .await?
        .filter(|o| o.kind == OrgKind::Branch)
        .ok_or(LedgerError::NotFound("支部不存在"))?;
    if !reads_branch(store, viewer, &branch.id).await? {
        return Err(LedgerError::Forbidden("无权查看该支部的台账"));
    }
    let mut members: Vec<Member> = store
        .accounts()
        .members_under(&branch.id)
        .await?
        .into_iter()
        .filter(|m| m.active && m.org_id == branch.id)
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let facts = branch_facts(store, &branch.id, &members, year).await?;
    let book = rulebooks::in_force(store, &branch.id, year).await?;
    let mut names = Names::new(store, &members);
    let mut sheets = Vec::with_capacity(members.len());
    for m in &members {
        let corrected = corrections_of(store, &DocId::checkins(&m.id, year)).await?;
        sheets.push(sheet_of(m, &facts, &book, Mode::Official, &mut names, &corrected).await?);
    }
    Ok((branch.name, sheets))
}

/// The corrections of each record of a checkins document, in words, from
/// the document's history; kept while the document is unchanged.
async fn corrections_of(
    store: &Store,
    id: &DocId,
) -> Result<Arc<HashMap<String, Vec<String>>>, StoreError> {
    let name = id.to_string();
    let Some(head) = store.documents().head(&name).await? else {
        return Ok(Arc::default());
    };
    let stamp = (head.seq, head.snapshot_seq);
    let kept = store.ledger_facts.corrections.lock().ok().and_then(|kept| {
        kept.get(&name)
            .filter(|(at, _)| *at == stamp)
            .map(|(_, c)| c.clone())
    });
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let Some(stored) = store.documents().load(&name).await? else {
        return Ok(Arc::default());
    };
    let corrupt = |e: automerge::AutomergeError| StoreError::Corrupt(format!("{name}: {e}"));
    let mut doc = automerge::Automerge::load(&stored.snapshot).map_err(corrupt)?;
    for (_, change) in &stored.changes {
        doc.load_incremental(change).map_err(corrupt)?;
    }
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for c in vanguard_shared::documents::history::corrections(&doc, id) {
        out.entry(c.record_id.clone()).or_default().push(c.label());
    }
    let out = Arc::new(out);
    if let Ok(mut kept) = store.ledger_facts.corrections.lock() {
        if kept.len() >= CACHED_DOCUMENTS {
            kept.clear();
        }
        kept.insert(name, (stamp, out.clone()));
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Year(#[from] year::YearError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `viewer` reads the table of `branch_id`: its secretary and
/// officers, and the committee admins above it.
pub(crate) async fn reads_branch(
    store: &Store,
    viewer: &Member,
    branch_id: &str,
) -> Result<bool, StoreError> {
    if officer(viewer) && viewer.org_id == branch_id {
        return Ok(true);
    }
    if admin(viewer) {
        let above = Directory::new(store).ancestry(branch_id).await?;
        return Ok(above.iter().any(|o| o.id == viewer.org_id));
    }
    Ok(false)
}

/// The branches whose tables `viewer` reads, as `(id, name)`: an
/// officer's own, every branch below a committee admin.
pub async fn readable_branches(
    store: &Store,
    viewer: &Member,
) -> Result<Vec<(String, String)>, LedgerError> {
    let mut out = Vec::new();
    for org in store.accounts().organisations_under(&viewer.org_id).await? {
        if org.kind == OrgKind::Branch && reads_branch(store, viewer, &org.id).await? {
            out.push((org.id, org.name));
        }
    }
    Ok(out)
}

/// Every member's official ledger of the branch, one row each, in the
/// branch's roll order (by name).
pub async fn branch_ledger(
    store: &Store,
    viewer: &Member,
    branch_id: &str,
    year: Option<i32>,
) -> Result<BranchLedger, LedgerError> {
    let year = year::requested(year, chrono::Utc::now())?;
    let branch = store
        .accounts()
        .organisation(branch_id)
        .await?
        .filter(|o| o.kind == OrgKind::Branch)
        .ok_or(LedgerError::NotFound("支部不存在"))?;
    if !reads_branch(store, viewer, &branch.id).await? {
        return Err(LedgerError::Forbidden("无权查看该支部的台账"));
    }
    let groups: Vec<(String, String)> = store
        .accounts()
        .organisations_under(&branch.id)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Group)
        .map(|o| (o.id, o.name))
        .collect();
    let mut members: Vec<Member> = store
        .accounts()
        .members_under(&branch.id)
        .await?
        .into_iter()
        .filter(|m| m.active && m.org_id == branch.id)
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let facts = branch_facts(store, &branch.id, &members, year).await?;
    let book = rulebooks::in_force(store, &branch.id, year).await?;
    let zone = facts.zone_of(&branch.id);
    let prepared = Prepared::new(&book.book, year, zone);
    let ledgers: Vec<Ledger> = members
        .iter()
        .map(|m| facts.ledger_with(&prepared, m, Mode::Official))
        .collect();
    let mut rows: Vec<BranchRow> = members
        .iter()
        .zip(&ledgers)
        .map(|(m, ledger)| {
            let (pending, returned) = facts.waiting_and_returned(&m.id);
            let group_name = m
                .group_id
                .as_ref()
                .and_then(|g| groups.iter().find(|(id, _)| id == g))
                .map(|(_, name)| name.clone());
            BranchRow {
                member_id: m.id.clone(),
                name: m.name.clone(),
                status: m.status,
                status_label: status_label(m.status).to_string(),
                group_id: m.group_id.clone(),
                group_name,
                sections: ledger.sections.clone(),
                sides: ledger.sides.clone(),
                total: ledger.total,
                proposed: ledger.proposed,
                proposed_label: ledger.proposed.label().to_string(),
                pending,
                returned,
                rank: None,
            }
        })
        .collect();
    if book.book.ranking {
        let mut totals: Vec<Points> = rows.iter().map(|r| r.total).collect();
        totals.sort_by(|a, b| b.cmp(a));
        for row in &mut rows {
            // Equal totals share a place (1, 2, 2, 4).
            row.rank = totals.iter().position(|t| *t == row.total).map(|i| i + 1);
        }
    }
    let mut charts = charts::participation(&ledgers, zone).to_vec();
    charts.push(charts::attendance_rate(
        facts.attendance.values().flatten(),
        facts
            .events
            .get(&branch.id)
            .map_or(&[][..], |e| e.as_slice()),
    ));
    Ok(BranchLedger {
        branch_id: branch.id,
        branch_name: branch.name,
        year,
        rulebook_label: book.label(),
        ranking: book.book.ranking,
        groups,
        rows,
        charts,
    })
}

/// 正式 / 预备, as the table's filter names them.
pub fn status_label(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Full => "正式",
        MemberStatus::Probationary => "预备",
    }
}
