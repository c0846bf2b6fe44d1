//! What ledgers are computed from: the materialized records, a branch's
//! events and attendance rows, the job side and veto items of the year,
//! read into the shared types the engine takes, and priced by it.

use crate::storage::{JobRow, Member, RecordRow, Store, StoreError, VetoRow};
use chrono::DateTime;
use std::collections::HashMap;
use std::sync::Arc;
use vanguard_shared::documents::schema::DecisionStatus;
use vanguard_shared::documents::view::{facts, Attended, RecordState, RecordView};
use vanguard_shared::documents::{CheckinRecord, EventEntry};
use vanguard_shared::ledger::{
    Appraisal, JobFact, Ledger, LedgerInput, Mode, Prepared, Rulebook, VetoFact,
};

/// What the ledgers of some members of one year are computed from, read
/// together: their records, their branches' events, their attendance rows.
#[derive(Clone)]
pub struct BranchFacts {
    pub(super) year: i32,
    pub(super) records: HashMap<String, Arc<Vec<RecordRow>>>,
    pub(super) events: HashMap<String, Arc<Vec<EventEntry>>>,
    pub(super) attendance: HashMap<String, Vec<Attended>>,
    pub(super) time_zones: HashMap<String, chrono_tz::Tz>,
    /// The job side (业务) entered for the year, by member.
    pub(super) jobs: HashMap<String, JobFact>,
    /// Veto items (一票否决) found for the year, by member.
    pub(super) vetoes: HashMap<String, Vec<VetoFact>>,
}

/// The engine's job fact of a stored row; `None` for a row the code does
/// not understand (logged as corrupt by whoever reads it).
pub fn job_fact(r: &JobRow) -> Option<JobFact> {
    let appraisal: Appraisal = r.appraisal.parse().ok()?;
    let tasks = match (r.tasks_assigned, r.tasks_completed) {
        (Some(a), Some(c)) => Some((u32::try_from(a).ok()?, u32::try_from(c).ok()?)),
        _ => None,
    };
    Some(JobFact {
        appraisal,
        tasks,
        by: r.entered_by.clone(),
    })
}

/// The engine's veto facts of stored rows, by member.
pub(super) fn veto_facts(rows: Vec<VetoRow>) -> HashMap<String, Vec<VetoFact>> {
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

/// The job facts of stored rows, by member.
pub(super) fn job_facts(rows: Vec<JobRow>) -> HashMap<String, JobFact> {
    rows.into_iter()
        .filter_map(|r| Some((r.member_id.clone(), job_fact(&r)?)))
        .collect()
}

/// The members' records of a year, by member.
pub(super) async fn load_records(
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
pub(super) struct BranchPart {
    pub(super) events: Arc<Vec<EventEntry>>,
    pub(super) attendance: HashMap<String, Vec<Attended>>,
    pub(super) time_zone: chrono_tz::Tz,
}

pub(super) async fn load_branch(
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
        let mut jobs = Vec::new();
        let mut vetoes = Vec::new();
        for m in members {
            jobs.extend(store.year_end().job_of(&m.id, year).await?);
            vetoes.extend(store.year_end().vetoes_of(&m.id, year).await?);
        }
        let mut facts = BranchFacts {
            year,
            records: load_records(store, &ids, year).await?,
            events: HashMap::new(),
            attendance: HashMap::new(),
            time_zones: HashMap::new(),
            jobs: job_facts(jobs),
            vetoes: veto_facts(vetoes),
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

    pub(super) fn add_branch(&mut self, branch_id: &str, part: &BranchPart) {
        self.events
            .insert(branch_id.to_string(), part.events.clone());
        self.attendance
            .extend(part.attendance.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.time_zones
            .insert(branch_id.to_string(), part.time_zone);
    }

    pub(super) fn records_of(&self, member_id: &str) -> &[RecordRow] {
        self.records.get(member_id).map_or(&[], |r| r.as_slice())
    }

    pub(super) fn events_of(&self, member: &Member) -> &[EventEntry] {
        self.events_of_branch(&member.org_id)
    }

    pub fn year(&self) -> i32 {
        self.year
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

    /// One member's ledger with a rulebook prepared once for many members:
    /// the one function every page, export and evaluation prices by.
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

    /// The ledgers of `members` under `book` (their branch's zone `zone`),
    /// priced off the async threads ([`crate::cpu`]): a branch of members
    /// with thousands of records each is CPU work, and must not stall the
    /// server's other requests meanwhile. In `members`' order.
    pub async fn priced(
        &self,
        book: &Rulebook,
        members: &[Member],
        zone: chrono_tz::Tz,
        mode: Mode,
    ) -> Vec<Ledger> {
        let (facts, book, members) = (self.clone(), book.clone(), members.to_vec());
        crate::cpu::run(move || {
            let prepared = Prepared::new(&book, facts.year, zone);
            members
                .iter()
                .map(|m| facts.ledger_with(&prepared, m, mode))
                .collect()
        })
        .await
    }

    /// One member's ledger under `book`, priced off the async threads.
    pub async fn priced_one(&self, book: &Rulebook, member: &Member, mode: Mode) -> Ledger {
        let (facts, book, member) = (self.clone(), book.clone(), member.clone());
        crate::cpu::run(move || facts.ledger(&book, &member, mode)).await
    }

    /// A branch's events of the year.
    pub fn events_of_branch(&self, branch_id: &str) -> &[EventEntry] {
        self.events.get(branch_id).map_or(&[][..], |e| e.as_slice())
    }

    /// Every attendance row read, of every member.
    pub fn attendance_rows(&self) -> impl Iterator<Item = &Attended> {
        self.attendance.values().flatten()
    }

    /// One member's attendance rows.
    pub fn attendance_of(&self, member_id: &str) -> &[Attended] {
        self.attendance
            .get(member_id)
            .map_or(&[][..], Vec::as_slice)
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
