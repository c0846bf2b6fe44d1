//! What branch ledgers are computed from, kept while it is current: each
//! member's records with the count and sequence sum of their documents
//! (`Documents::freshness`), each branch's events and attendance with its
//! events document's and its roll, and each check-ins document's
//! corrections. Any accepted change, in this process or another on the
//! same database, moves a sum: after one member's sync only that member's
//! records are read again. Held by `Services`, one per running server.

use super::facts::{job_facts, load_branch, load_records, veto_facts, BranchFacts, BranchPart};
use crate::storage::{JobRow, Member, RecordRow, Store, StoreError, VetoRow};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vanguard_shared::documents::DocId;
use vanguard_shared::ledger::{JobFact, VetoFact};

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

/// Each record's corrections, in words.
pub type Corrections = Arc<HashMap<String, Vec<String>>>;
type CorrectionsEntry = ((i64, i64), Corrections);

/// Bounded: past this many records the members' part starts over.
const CACHED_ROWS: usize = 500_000;
/// Documents whose corrections are kept at once.
const CACHED_DOCUMENTS: usize = 4096;
const CACHED_BRANCHES: usize = 512;

impl FactsCache {
    /// The facts of a branch's `members` for `year`: what is current in
    /// the cache, the rest read now.
    pub async fn branch(
        &self,
        store: &Store,
        branch_id: &str,
        members: &[Member],
        year: i32,
    ) -> Result<BranchFacts, StoreError> {
        let mut owners: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        owners.push(branch_id);
        // Stamped before reading: a change that lands meanwhile makes the
        // next read miss, never a stale hit.
        let stamps = store.documents().freshness(&owners, year).await?;
        let jobs = store.year_end().jobs_of_branch(branch_id, year).await?;
        let vetoes = store
            .year_end()
            .vetoes_of_branches(&[branch_id], year)
            .await?;
        self.stamped(store, branch_id, members, year, &stamps, jobs, vetoes)
            .await
    }

    /// The facts of many branches of one year, each with its members:
    /// their documents' stamps and job results read once for all.
    pub async fn branches(
        &self,
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
        let mut jobs: HashMap<String, Vec<JobRow>> = HashMap::new();
        for r in store.year_end().jobs_of_branches(&ids, year).await? {
            jobs.entry(r.branch_id.clone()).or_default().push(r);
        }
        let mut vetoes: HashMap<String, Vec<VetoRow>> = HashMap::new();
        for r in store.year_end().vetoes_of_branches(&ids, year).await? {
            vetoes.entry(r.branch_id.clone()).or_default().push(r);
        }
        let mut out = Vec::with_capacity(branches.len());
        for (branch_id, members) in branches {
            let mine = jobs.remove(*branch_id).unwrap_or_default();
            let found = vetoes.remove(*branch_id).unwrap_or_default();
            out.push(
                self.stamped(store, branch_id, members, year, &stamps, mine, found)
                    .await?,
            );
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn stamped(
        &self,
        store: &Store,
        branch_id: &str,
        members: &[Member],
        year: i32,
        stamps: &HashMap<String, Stamp>,
        jobs: Vec<JobRow>,
        vetoes: Vec<VetoRow>,
    ) -> Result<BranchFacts, StoreError> {
        let jobs: HashMap<String, JobFact> = job_facts(jobs);
        let vetoes: HashMap<String, Vec<VetoFact>> = veto_facts(vetoes);
        let owners: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let stamp = |id: &str| stamps.get(id).copied().unwrap_or((0, 0));

        let mut records = HashMap::new();
        let mut missing = Vec::new();
        if let Ok(kept) = self.members.lock() {
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
            if let Ok(mut kept) = self.members.lock() {
                let new_rows: usize = read.values().map(|r| r.len()).sum();
                if kept.1 + new_rows > CACHED_ROWS {
                    *kept = (HashMap::new(), 0);
                }
                for (id, rows) in &read {
                    kept.1 += rows.len();
                    if let Some((_, old)) =
                        kept.0.insert((id.clone(), year), (stamp(id), rows.clone()))
                    {
                        kept.1 = kept.1.saturating_sub(old.len());
                    }
                }
            }
            records.extend(read);
        }

        let roll: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
        let branch_stamp = (stamp(branch_id), roll);
        let kept_part = self.branches.lock().ok().and_then(|kept| {
            kept.get(&(branch_id.to_string(), year))
                .filter(|(at, _)| *at == branch_stamp)
                .map(|(_, part)| part.clone())
        });
        let part = match kept_part {
            Some(part) => part,
            None => {
                let part = Arc::new(load_branch(store, branch_id, &owners, year).await?);
                if let Ok(mut kept) = self.branches.lock() {
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

    /// The corrections of each record of a checkins document, in words,
    /// from the document's history; kept while the document is unchanged.
    pub async fn corrections(&self, store: &Store, id: &DocId) -> Result<Corrections, StoreError> {
        let name = id.to_string();
        let Some(head) = store.documents().head(&name).await? else {
            return Ok(Arc::default());
        };
        let stamp = (head.seq, head.snapshot_seq);
        let kept = self.corrections.lock().ok().and_then(|kept| {
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
        if let Ok(mut kept) = self.corrections.lock() {
            if kept.len() >= CACHED_DOCUMENTS {
                kept.clear();
            }
            kept.insert(name, (stamp, out.clone()));
        }
        Ok(out)
    }
}
