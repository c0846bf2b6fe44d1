//! The ledger: a pure function from a rulebook and one member's facts to
//! every entry with its points, the subtotals, the total and the proposed
//! grade. The same code gives the official ledger on the server and the
//! provisional one in the browser.

use super::kinds::{Grade, Kind, Outcome, Period, Section, Side};
use super::points::Points;
use super::rulebook::{Pricing, Rulebook, VetoEffect};
use chrono::{DateTime, Datelike, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Where a record stands in review.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Review {
    /// Submitted (申报), not yet reviewed.
    Pending,
    Approved {
        by: String,
    },
    Returned {
        by: String,
        reason: String,
    },
    Withdrawn,
}

/// One record of the member's year, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordFact {
    pub record_id: String,
    pub kind: Kind,
    pub occurred_at: DateTime<FixedOffset>,
    /// For scheduled events; a check-in without one means present.
    pub outcome: Option<Outcome>,
    pub hours: Option<f64>,
    pub review: Review,
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

pub struct LedgerInput<'a> {
    pub member_id: &'a str,
    pub year: i32,
    pub time_zone: chrono_tz::Tz,
    pub records: &'a [RecordFact],
    pub adjustments: &'a [Adjustment],
    pub vetoes: &'a [VetoFact],
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
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Source {
    Record(String),
    Adjustment(String),
}

/// One line of the sheet (一人一张清单), traceable to its record, rule,
/// rulebook version and reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub source: Source,
    pub kind: Option<Kind>,
    pub rule_id: Option<String>,
    pub section: Option<Section>,
    pub side: Option<Side>,
    pub occurred_at: Option<DateTime<FixedOffset>>,
    /// What the rule names for this record before caps.
    pub nominal: Points,
    /// What the ledger grants.
    pub granted: Points,
    pub counted: bool,
    pub note: Option<Note>,
    pub reviewer: Option<String>,
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

/// The period a moment falls in, in the organisation's zone.
fn period_key(period: Period, local: &chrono::NaiveDateTime) -> (Period, u32) {
    match period {
        Period::Year => (period, 0),
        Period::Quarter => (period, local.month0() / 3),
        Period::Month => (period, local.month0()),
    }
}

/// Positive points used so far per cap bucket.
#[derive(Default)]
struct CapUse(HashMap<(u8, usize, (Period, u32)), Points>);

impl CapUse {
    /// How much of `want` the cap still allows, recording the use.
    fn take(&mut self, bucket: (u8, usize, (Period, u32)), max: Points, want: Points) -> Points {
        let used = self.0.entry(bucket).or_default();
        let granted = want.min(max - *used).max(Points::ZERO);
        *used += granted;
        granted
    }

    fn remaining(&self, bucket: &(u8, usize, (Period, u32)), max: Points) -> Points {
        max - self.0.get(bucket).copied().unwrap_or_default()
    }
}

pub fn compute(book: &Rulebook, input: &LedgerInput<'_>, mode: Mode) -> Ledger {
    // Caps consume in time order, ties by record id: the same facts in any
    // order give the same ledger.
    let mut order: Vec<&RecordFact> = input.records.iter().collect();
    order.sort_by(|a, b| {
        (a.occurred_at, &a.record_id, a.kind, &a.review, a.outcome)
            .cmp(&(b.occurred_at, &b.record_id, b.kind, &b.review, b.outcome))
            .then(
                a.hours
                    .partial_cmp(&b.hours)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
    });

    let mut caps = CapUse::default();
    let mut entries = Vec::with_capacity(order.len() + input.adjustments.len());
    for record in order {
        entries.push(price_record(book, input, mode, record, &mut caps));
    }

    let mut adjustments: Vec<&Adjustment> = input.adjustments.iter().collect();
    adjustments.sort_by(|a, b| a.id.cmp(&b.id));
    for adj in adjustments {
        let (counted, note) = if adj.points.hundredths().abs() > book.max_adjustment.hundredths() {
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
            reviewer: adj.approved_by.clone(),
        });
    }

    let mut sections: BTreeMap<Section, Points> =
        Section::ALL.iter().map(|s| (*s, Points::ZERO)).collect();
    let mut sides: BTreeMap<Side, Points> = Side::ALL.iter().map(|s| (*s, Points::ZERO)).collect();
    for e in entries.iter().filter(|e| e.counted) {
        if let Some(section) = e.section {
            *sections.entry(section).or_default() += e.granted;
        }
        if let Some(side) = e.side {
            *sides.entry(side).or_default() += e.granted;
        }
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
    applied.sort_by(|a, b| (&a.veto_id, &a.reason, &a.by).cmp(&(&b.veto_id, &b.reason, &b.by)));

    let (proposed, grade_reasons) = propose_grade(book, total, &sides, &applied);
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

fn price_record(
    book: &Rulebook,
    input: &LedgerInput<'_>,
    mode: Mode,
    r: &RecordFact,
    caps: &mut CapUse,
) -> Entry {
    let rule = book.rule_for(r.kind);
    let reviewer = match &r.review {
        Review::Approved { by } | Review::Returned { by, .. } => Some(by.clone()),
        _ => None,
    };
    let mut entry = Entry {
        source: Source::Record(r.record_id.clone()),
        kind: Some(r.kind),
        rule_id: rule.map(|(_, rule)| rule.id.clone()),
        section: rule.map(|(_, rule)| rule.section),
        side: rule.map(|(_, rule)| rule.side),
        occurred_at: Some(r.occurred_at),
        nominal: Points::ZERO,
        granted: Points::ZERO,
        counted: false,
        note: None,
        reviewer,
    };
    let Some((rule_index, rule)) = rule else {
        entry.note = Some(Note::NoRule);
        return entry;
    };
    let nominal = match &rule.pricing {
        Pricing::Flat(p) => Some(*p),
        Pricing::ByOutcome(by) => Some(
            by.get(&r.outcome.unwrap_or(Outcome::Present))
                .copied()
                .unwrap_or_default(),
        ),
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

    let local = r.occurred_at.with_timezone(&input.time_zone).naive_local();
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
    if local.year() != input.year {
        entry.note = Some(Note::OutsideYear);
        return entry;
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
    let mut granted = nominal;
    let mut limited_by = None;
    let rule_buckets: Vec<_> = rule
        .caps
        .iter()
        .map(|c| {
            (
                (0u8, rule_index, period_key(c.period, &local)),
                c.max,
                Note::CapReached { period: c.period },
            )
        })
        .collect();
    let section_buckets: Vec<_> = book
        .section_caps
        .iter()
        .enumerate()
        .filter(|(_, c)| c.section == rule.section)
        .map(|(i, c)| {
            (
                (1u8, i, period_key(c.period, &local)),
                c.max,
                Note::SectionCapReached { period: c.period },
            )
        })
        .collect();
    for (bucket, max, note) in rule_buckets.iter().chain(section_buckets.iter()) {
        let left = caps.remaining(bucket, *max).max(Points::ZERO);
        if left < granted {
            granted = left;
            limited_by = Some(note.clone());
        }
    }
    for (bucket, max, _) in rule_buckets.iter().chain(section_buckets.iter()) {
        caps.take(*bucket, *max, granted);
    }
    entry.granted = granted;
    if limited_by.is_some() {
        entry.note = limited_by;
    }
    entry
}

/// The dual standard: the band of the total, capped by each side and by vetoes.
fn propose_grade(
    book: &Rulebook,
    total: Points,
    sides: &BTreeMap<Side, Points>,
    vetoes: &[AppliedVeto],
) -> (Grade, Vec<String>) {
    let mut grade = book.bands.grade(total);
    let mut reasons = vec![format!("总分 {total}，对应{}", grade.label())];
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
