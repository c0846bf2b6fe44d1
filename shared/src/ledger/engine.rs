//! The ledger: a pure function from a rulebook and one member's facts to
//! every entry with its points, the subtotals, the total and the proposed
//! grade. The same code gives the official ledger on the server and the
//! provisional one in the browser.

use super::kinds::{Appraisal, Grade, Kind, Outcome, Period, Section, Side};
use super::points::Points;
use super::rulebook::{Pricing, Rulebook, VetoEffect};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a record stands in review.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Review {
    /// Submitted (申报), not yet reviewed.
    Pending,
    Approved {
        by: Arc<str>,
    },
    Returned {
        by: Arc<str>,
        reason: String,
    },
    Withdrawn,
}

/// One record of the member's year, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordFact {
    pub record_id: Arc<str>,
    pub kind: Kind,
    pub occurred_at: DateTime<FixedOffset>,
    /// For scheduled events; a check-in without one means present.
    pub outcome: Option<Outcome>,
    pub hours: Option<f64>,
    pub review: Review,
    /// The scheduled event the record is evidence of: one occurrence counts
    /// once, however many check-ins name it (two devices, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<Arc<str>>,
}

/// A manual adjustment (+/−) with its mandatory reason; counts once approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adjustment {
    pub id: String,
    pub points: Points,
    pub reason: String,
    pub section: Section,
    pub side: Side,
    pub approved_by: Option<String>,
}

/// A veto item (一票否决) found against the member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VetoFact {
    pub veto_id: String,
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Approved records only: what the secretary signs.
    Official,
    /// Pending records count too, marked so: the member's own view.
    Provisional,
}

/// The unit's annual appraisal of the member's work (业务), as the
/// secretary entered or imported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFact {
    pub appraisal: Appraisal,
    /// Tasks `(assigned, completed)`, when the unit counts them.
    pub tasks: Option<(u32, u32)>,
    pub by: String,
}

pub struct LedgerInput<'a> {
    pub member_id: &'a str,
    pub year: i32,
    pub time_zone: chrono_tz::Tz,
    pub records: &'a [RecordFact],
    pub adjustments: &'a [Adjustment],
    pub vetoes: &'a [VetoFact],
    /// Known on the server only; the phone's provisional ledger has none.
    pub job: Option<&'a JobFact>,
}

/// Why an entry got fewer points than its rule names, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// Counted provisionally: not yet reviewed.
    Pending,
    /// A rule's cap for the period was reached.
    CapReached {
        period: Period,
    },
    /// The section's cap for the period was reached.
    SectionCapReached {
        period: Period,
    },
    Returned {
        reason: String,
    },
    Withdrawn,
    /// Not reviewed, so not in the official ledger.
    AwaitingReview,
    OutsideYear,
    NoRule,
    MissingHours,
    AdjustmentTooLarge,
    /// An adjustment without a reason never counts.
    MissingReason,
    /// The occurrence already counted by an earlier record.
    Duplicate,
}

impl Note {
    pub fn label(&self) -> String {
        match self {
            Note::Pending => "待审核".into(),
            Note::CapReached { period } => format!("已达{}上限", period.label()),
            Note::SectionCapReached { period } => format!("本栏已达{}上限", period.label()),
            Note::Returned { reason } => format!("已退回：{reason}"),
            Note::Withdrawn => "已撤回".into(),
            Note::AwaitingReview => "未审核，不计入正式台账".into(),
            Note::OutsideYear => "不在本年度".into(),
            Note::NoRule => "积分细则未规定此项".into(),
            Note::MissingHours => "缺少时长".into(),
            Note::AdjustmentTooLarge => "超过单次调整上限".into(),
            Note::MissingReason => "调整未填写理由".into(),
            Note::Duplicate => "重复".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Source {
    Record(Arc<str>),
    Adjustment(String),
    /// The annual appraisal (业务).
    Appraisal,
    /// The share of assigned tasks completed.
    Tasks,
}

impl Source {
    /// An entry of this source granted `granted`, as a locked evaluation
    /// keeps what it counted: anything else on the sheet came after.
    pub fn counted_key(&self, granted: Points) -> String {
        let h = granted.hundredths();
        match self {
            Source::Record(id) => format!("r:{id}#{h}"),
            Source::Adjustment(id) => format!("a:{id}#{h}"),
            Source::Appraisal => format!("appraisal#{h}"),
            Source::Tasks => format!("tasks#{h}"),
        }
    }
}

/// One line of the sheet (一人一张清单), traceable to its record, rule,
/// rulebook version and reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub source: Source,
    pub kind: Option<Kind>,
    pub rule_id: Option<Arc<str>>,
    pub section: Option<Section>,
    pub side: Option<Side>,
    pub occurred_at: Option<DateTime<FixedOffset>>,
    /// What the rule names for this record before caps.
    pub nominal: Points,
    /// What the ledger grants.
    pub granted: Points,
    pub counted: bool,
    pub note: Option<Note>,
    pub reviewer: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedVeto {
    pub veto_id: String,
    pub name: String,
    pub effect: VetoEffect,
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub member_id: String,
    pub year: i32,
    pub rulebook_id: String,
    pub rulebook_version: u32,
    pub mode: Mode,
    pub entries: Vec<Entry>,
    pub sections: BTreeMap<Section, Points>,
    pub sides: BTreeMap<Side, Points>,
    pub base: Points,
    /// The sum of granted points.
    pub sum: Points,
    /// `max(floor, base + sum)`.
    pub total: Points,
    pub vetoes: Vec<AppliedVeto>,
    pub proposed: Grade,
    /// Why the grade is what it is, in words.
    pub grade_reasons: Vec<String>,
}

/// The order of two records of the same second, by everything they hold.
fn same_second_order(a: &RecordFact, b: &RecordFact) -> std::cmp::Ordering {
    (a.occurred_at, &a.record_id, a.kind, &a.review, a.outcome)
        .cmp(&(b.occurred_at, &b.record_id, b.kind, &b.review, b.outcome))
        .then(
            a.hours
                .partial_cmp(&b.hours)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
        .then(
            a.occurred_at
                .offset()
                .local_minus_utc()
                .cmp(&b.occurred_at.offset().local_minus_utc()),
        )
}

/// A cap's slot in the usage table, its period and maximum, and the note an
/// entry it limits carries.
type CapSlot = (usize, Period, Points, Note);

/// What a compute needs of the rulebook and the year, worked out once per
/// ledger so that pricing a record is a few array reads: the rule of each
/// kind, the cap slots of each rule, and the year's month boundaries.
struct Plan {
    rule_of: [Option<usize>; Kind::ALL.len()],
    /// Per rule, the points of each outcome (for outcome-priced rules).
    by_outcome: Vec<[Points; Outcome::ALL.len()]>,
    /// Per rule: (slot, period, max, note) for its caps, then its section's.
    /// Per rule: its caps when listed in its own section, and when listed
    /// under leave (an excused absence).
    caps_of: Vec<[Vec<CapSlot>; 2]>,
    /// The first instant (Unix seconds) of each local month of the year, and
    /// of the next year: 13 boundaries.
    months: [i64; 13],
}

impl Plan {
    fn new(book: &Rulebook, year: i32, tz: chrono_tz::Tz) -> Plan {
        let mut rule_of = [None; Kind::ALL.len()];
        for (i, rule) in book.rules.iter().enumerate() {
            rule_of[rule.kind as usize] = Some(i);
        }
        let by_outcome = book
            .rules
            .iter()
            .map(|rule| {
                let mut prices = [Points::ZERO; Outcome::ALL.len()];
                if let Pricing::ByOutcome(by) = &rule.pricing {
                    for (outcome, points) in by {
                        prices[*outcome as usize] = *points;
                    }
                }
                prices
            })
            .collect();
        let mut slot = 0;
        let mut next_slot = || {
            slot += 1;
            slot - 1
        };
        let section_slots: Vec<usize> = book.section_caps.iter().map(|_| next_slot()).collect();
        // A rule's own caps keep their slots whichever section an entry is
        // listed in; the section's caps follow the listing.
        let own_caps: Vec<Vec<CapSlot>> = book
            .rules
            .iter()
            .map(|rule| {
                rule.caps
                    .iter()
                    .map(|c| {
                        (
                            next_slot(),
                            c.period,
                            c.max,
                            Note::CapReached { period: c.period },
                        )
                    })
                    .collect()
            })
            .collect();
        let caps_in = |rule: usize, section: Section| -> Vec<CapSlot> {
            let by_section = book
                .section_caps
                .iter()
                .zip(&section_slots)
                .filter(|(c, _)| c.section == section)
                .map(|(c, slot)| {
                    (
                        *slot,
                        c.period,
                        c.max,
                        Note::SectionCapReached { period: c.period },
                    )
                });
            own_caps[rule].iter().cloned().chain(by_section).collect()
        };
        let caps_of = book
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| [caps_in(i, rule.section), caps_in(i, Section::LeaveAndTrips)])
            .collect();
        let mut months = [0i64; 13];
        for (i, m) in months.iter_mut().enumerate() {
            let (y, month) = if i == 12 {
                (year + 1, 1)
            } else {
                (year, i as u32 + 1)
            };
            *m = month_start(tz, y, month);
        }
        Plan {
            rule_of,
            by_outcome,
            caps_of,
            months,
        }
    }

    /// The local month (0–11) of an instant, or `None` outside the year.
    fn month_of(&self, t: i64) -> Option<usize> {
        if t < self.months[0] || t >= self.months[12] {
            return None;
        }
        Some(self.months[1..12].partition_point(|b| *b <= t))
    }
}

/// The first instant of a local month; a midnight skipped by a clock change
/// falls back to the earliest valid local time that day.
fn month_start(tz: chrono_tz::Tz, year: i32, month: u32) -> i64 {
    use chrono::TimeZone;
    (0..24)
        .find_map(|h| tz.with_ymd_and_hms(year, month, 1, h, 0, 0).earliest())
        .map(|t| t.timestamp())
        .unwrap_or(i64::MAX)
}

fn period_index(period: Period, month: usize) -> usize {
    match period {
        Period::Year => 0,
        Period::Quarter => month / 3,
        Period::Month => month,
    }
}

/// A rulebook made ready for many ledgers of one year and time zone: the
/// server computes a whole branch, the bench a hundred thousand members.
pub struct Prepared<'a> {
    book: &'a Rulebook,
    year: i32,
    time_zone: chrono_tz::Tz,
    plan: Plan,
}

impl<'a> Prepared<'a> {
    pub fn new(book: &'a Rulebook, year: i32, time_zone: chrono_tz::Tz) -> Self {
        Prepared {
            book,
            year,
            time_zone,
            plan: Plan::new(book, year, time_zone),
        }
    }

    pub fn compute(&self, input: &LedgerInput<'_>, mode: Mode) -> Ledger {
        if input.year == self.year && input.time_zone == self.time_zone {
            compute_with(self.book, &self.plan, input, mode)
        } else {
            compute(self.book, input, mode)
        }
    }
}

/// One member's ledger.
pub fn compute(book: &Rulebook, input: &LedgerInput<'_>, mode: Mode) -> Ledger {
    compute_with(
        book,
        &Plan::new(book, input.year, input.time_zone),
        input,
        mode,
    )
}

fn compute_with(book: &Rulebook, plan: &Plan, input: &LedgerInput<'_>, mode: Mode) -> Ledger {
    // Caps consume in time order, ties by record id: the same facts in any
    // order give the same ledger.
    // Sort plain (seconds, index) pairs, which compare fast; only records
    // in the same second are then ordered by their content, so the result
    // never depends on the input order.
    let records = input.records;
    let mut keys: Vec<(i64, u32)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.occurred_at.timestamp(), i as u32))
        .collect();
    crate::sorting::stable_by(&mut keys, |a, b| a.0.cmp(&b.0));
    let mut start = 0;
    while start < keys.len() {
        let mut end = start + 1;
        while end < keys.len() && keys[end].0 == keys[start].0 {
            end += 1;
        }
        if end - start > 1 {
            crate::sorting::stable_by(&mut keys[start..end], |a, b| {
                same_second_order(&records[a.1 as usize], &records[b.1 as usize])
            });
        }
        start = end;
    }
    let order = keys
        .iter()
        .map(|(seconds, i)| (*seconds, &records[*i as usize]));

    // Positive points used so far, per cap slot and period (12 months at most).
    let slots = book.rules.iter().map(|r| r.caps.len()).sum::<usize>() + book.section_caps.len();
    let mut used = vec![Points::ZERO; slots * 12];
    let mut entries = Vec::with_capacity(records.len() + input.adjustments.len());
    // Occurrences already counted: a scan, as a member has a few a year.
    let mut counted: Vec<&str> = Vec::new();
    for (seconds, record) in order {
        entries.push(price_record(
            book,
            plan,
            mode,
            record,
            seconds,
            &mut used,
            &mut counted,
        ));
    }

    let mut adjustments: Vec<&Adjustment> = input.adjustments.iter().collect();
    crate::sorting::stable_by(&mut adjustments, |a, b| a.id.cmp(&b.id));
    for adj in adjustments {
        let (counted, note) = if adj.reason.trim().is_empty() {
            (false, Some(Note::MissingReason))
        } else if adj.points.hundredths().abs() > book.max_adjustment.hundredths() {
            (false, Some(Note::AdjustmentTooLarge))
        } else {
            match (&adj.approved_by, mode) {
                (Some(_), _) => (true, None),
                (None, Mode::Provisional) => (true, Some(Note::Pending)),
                (None, Mode::Official) => (false, Some(Note::AwaitingReview)),
            }
        };
        entries.push(Entry {
            source: Source::Adjustment(adj.id.clone()),
            kind: None,
            rule_id: None,
            section: Some(adj.section),
            side: Some(adj.side),
            occurred_at: None,
            nominal: adj.points,
            granted: if counted { adj.points } else { Points::ZERO },
            counted,
            note,
            reviewer: adj.approved_by.as_deref().map(Arc::from),
        });
    }

    if let Some(job) = input.job {
        price_job(book, job, &mut entries);
    }

    // Arrays while summing, maps (for readers and serde) at the end.
    let mut by_section = [Points::ZERO; Section::ALL.len()];
    let mut by_side = [Points::ZERO; Side::ALL.len()];
    for e in entries.iter().filter(|e| e.counted) {
        if let Some(section) = e.section {
            by_section[section as usize] += e.granted;
        }
        if let Some(side) = e.side {
            by_side[side as usize] += e.granted;
        }
    }
    // Inserted one by one: collecting into a BTreeMap sorts its input,
    // one more copy of the sort code on the phone (crate::sorting).
    let mut sections = BTreeMap::new();
    for &s in Section::ALL {
        sections.insert(s, by_section[s as usize]);
    }
    let mut sides = BTreeMap::new();
    for &s in Side::ALL {
        sides.insert(s, by_side[s as usize]);
    }
    let sum: Points = entries
        .iter()
        .filter(|e| e.counted)
        .map(|e| e.granted)
        .sum();
    let total = (book.base + sum).max(book.floor);

    let mut applied: Vec<AppliedVeto> = input
        .vetoes
        .iter()
        .filter_map(|v| {
            book.vetoes
                .iter()
                .find(|known| known.id == v.veto_id)
                .map(|known| AppliedVeto {
                    veto_id: known.id.clone(),
                    name: known.name.clone(),
                    effect: known.effect,
                    reason: v.reason.clone(),
                    by: v.by.clone(),
                })
        })
        .collect();
    crate::sorting::stable_by(&mut applied, |a, b| {
        (&a.veto_id, &a.reason, &a.by).cmp(&(&b.veto_id, &b.reason, &b.by))
    });

    let appraisal = input.job.map(|j| j.appraisal);
    let (proposed, grade_reasons) = propose_grade(book, total, &sides, &applied, appraisal);
    Ledger {
        member_id: input.member_id.to_string(),
        year: input.year,
        rulebook_id: book.id.clone(),
        rulebook_version: book.version,
        mode,
        entries,
        sections,
        sides,
        base: book.base,
        sum,
        total,
        vetoes: applied,
        proposed,
        grade_reasons,
    }
}

/// The appraisal's entry and, when tasks were counted, the tasks' entry:
/// the rulebook's points for the grade, and its task points in proportion.
fn price_job(book: &Rulebook, job: &JobFact, entries: &mut Vec<Entry>) {
    let reviewer = Some(Arc::<str>::from(job.by.as_str()));
    let entry = |source, points: Points| Entry {
        source,
        kind: None,
        rule_id: None,
        section: Some(Section::WorkCompletion),
        side: Some(Side::Job),
        occurred_at: None,
        nominal: points,
        granted: points,
        counted: true,
        note: None,
        reviewer: reviewer.clone(),
    };
    entries.push(entry(Source::Appraisal, book.appraisal.of(job.appraisal)));
    if let Some((assigned, completed)) = job.tasks.filter(|(a, _)| *a > 0) {
        let done = i64::from(completed.min(assigned));
        let share = book.appraisal.tasks.share(done, i64::from(assigned));
        entries.push(entry(Source::Tasks, share));
    }
}

fn price_record<'r>(
    book: &Rulebook,
    plan: &Plan,
    mode: Mode,
    r: &'r RecordFact,
    seconds: i64,
    used: &mut [Points],
    occurrences: &mut Vec<&'r str>,
) -> Entry {
    let rule_index = plan.rule_of[r.kind as usize];
    let on_leave = r.outcome == Some(Outcome::Excused);
    let rule = rule_index.map(|i| &book.rules[i]);
    let reviewer = match &r.review {
        Review::Approved { by } | Review::Returned { by, .. } => Some(by.clone()),
        _ => None,
    };
    let mut entry = Entry {
        source: Source::Record(r.record_id.clone()),
        kind: Some(r.kind),
        rule_id: rule.map(|rule| rule.id.clone()),
        // An excused absence is listed under leave and trips (请假出差).
        section: rule.map(|rule| {
            if on_leave {
                Section::LeaveAndTrips
            } else {
                rule.section
            }
        }),
        side: rule.map(|rule| rule.side),
        occurred_at: Some(r.occurred_at),
        nominal: Points::ZERO,
        granted: Points::ZERO,
        counted: false,
        note: None,
        reviewer,
    };
    let (Some(rule_index), Some(rule)) = (rule_index, rule) else {
        entry.note = Some(Note::NoRule);
        return entry;
    };
    let nominal = match &rule.pricing {
        Pricing::Flat(p) => Some(*p),
        Pricing::ByOutcome(_) => {
            Some(plan.by_outcome[rule_index][r.outcome.unwrap_or(Outcome::Present) as usize])
        }
        Pricing::PerHour(rate) => r
            .hours
            .filter(|h| h.is_finite() && *h > 0.0)
            .and_then(Points::from_f64)
            .map(|h| rate.times_hours(h.hundredths())),
    };
    let Some(nominal) = nominal else {
        entry.note = Some(Note::MissingHours);
        return entry;
    };
    entry.nominal = nominal;

    let review_note = match (&r.review, mode) {
        (Review::Approved { .. }, _) => None,
        (Review::Pending, Mode::Provisional) => Some(Note::Pending),
        (Review::Pending, Mode::Official) => {
            entry.note = Some(Note::AwaitingReview);
            return entry;
        }
        (Review::Returned { reason, .. }, _) => {
            entry.note = Some(Note::Returned {
                reason: reason.clone(),
            });
            return entry;
        }
        (Review::Withdrawn, _) => {
            entry.note = Some(Note::Withdrawn);
            return entry;
        }
    };
    let Some(month) = plan.month_of(seconds) else {
        entry.note = Some(Note::OutsideYear);
        return entry;
    };
    if let Some(occurrence) = r.occurrence.as_deref() {
        if occurrences.contains(&occurrence) {
            entry.note = Some(Note::Duplicate);
            return entry;
        }
        occurrences.push(occurrence);
    }

    entry.counted = true;
    entry.note = review_note;
    if !nominal.is_positive() {
        // Deductions are never capped.
        entry.granted = nominal;
        return entry;
    }
    // The tightest cap, rule caps then section caps, decides; then every
    // applicable cap records the same use.
    let caps = &plan.caps_of[rule_index][usize::from(on_leave)];
    let mut granted = nominal;
    let mut limited_by = None;
    for (slot, period, max, note) in caps {
        let left = (*max - used[slot * 12 + period_index(*period, month)]).max(Points::ZERO);
        if left < granted {
            granted = left;
            limited_by = Some(note);
        }
    }
    for (slot, period, _, _) in caps {
        used[slot * 12 + period_index(*period, month)] += granted;
    }
    entry.granted = granted;
    if let Some(note) = limited_by {
        entry.note = Some(note.clone());
    }
    entry
}

/// The dual standard: the band of the total, capped by each side and by vetoes.
fn propose_grade(
    book: &Rulebook,
    total: Points,
    sides: &BTreeMap<Side, Points>,
    vetoes: &[AppliedVeto],
    appraisal: Option<Appraisal>,
) -> (Grade, Vec<String>) {
    let mut grade = book.bands.grade(total);
    let mut reasons = vec![format!("总分 {total}，对应{}", grade.label())];
    // The appraisal decides the job side whatever its points (双好).
    match appraisal {
        Some(Appraisal::Incompetent) => {
            grade = grade.worst(book.side_fail_cap);
            reasons.push(format!(
                "年度考核不称职，业务不合格，最高评为{}",
                book.side_fail_cap.label()
            ));
        }
        Some(Appraisal::Basic) if grade == Grade::Excellent => {
            grade = Grade::Qualified;
            reasons.push("年度考核基本称职，不能评为优秀".into());
        }
        None if book.appraisal.required_for_excellent && grade == Grade::Excellent => {
            grade = Grade::Qualified;
            reasons.push("未录入年度考核（业务）结果，暂不能评为优秀".into());
        }
        _ => {}
    }
    for side in Side::ALL {
        let score = sides.get(side).copied().unwrap_or_default();
        let t = book.side(*side);
        if score < t.pass {
            grade = grade.worst(book.side_fail_cap);
            reasons.push(format!(
                "{}得分 {score} 未达合格线 {}，最高评为{}",
                side.label(),
                t.pass,
                book.side_fail_cap.label()
            ));
        } else if score < t.excellent && grade == Grade::Excellent {
            grade = Grade::Qualified;
            reasons.push(format!(
                "{}得分 {score} 未达优秀线 {}，不能评为优秀",
                side.label(),
                t.excellent
            ));
        }
    }
    for v in vetoes {
        match v.effect {
            VetoEffect::Unqualified => {
                grade = Grade::Unqualified;
                reasons.push(format!("一票否决：{}（{}），评为不合格", v.name, v.reason));
            }
            VetoEffect::NotExcellent => {
                grade = grade.worst(Grade::Qualified);
                reasons.push(format!(
                    "一票否决：{}（{}），不能评为优秀",
                    v.name, v.reason
                ));
            }
        }
    }
    (grade, reasons)
}
