//! Properties of the engine that must hold for any facts.

use chrono::{DateTime, Datelike, Duration, FixedOffset, TimeZone};
use proptest::prelude::*;
use std::collections::HashMap;
use vanguard_shared::ledger::rulebook::Pricing;
use vanguard_shared::ledger::*;

fn books() -> Vec<Rulebook> {
    vec![
        default_rulebook(),
        Rulebook::from_toml("base60", include_str!("fixtures/base60_hours.toml")).unwrap(),
        Rulebook::from_toml("veto", include_str!("fixtures/veto_quarterly.toml")).unwrap(),
    ]
}

fn review() -> impl Strategy<Value = Review> {
    prop_oneof![
        4 => Just(Review::Approved { by: "s1".into() }),
        2 => Just(Review::Pending),
        1 => Just(Review::Returned { by: "s1".into(), reason: "缺少证明".into() }),
        1 => Just(Review::Withdrawn),
    ]
}

fn moment() -> impl Strategy<Value = DateTime<FixedOffset>> {
    // From a week before the year to a week after, in a few offsets.
    (
        0i64..(380 * 24 * 60),
        prop::sample::select(vec![8 * 3600, 0, -5 * 3600]),
    )
        .prop_map(|(minutes, offset)| {
            let start = FixedOffset::east_opt(8 * 3600)
                .unwrap()
                .with_ymd_and_hms(2025, 12, 25, 0, 0, 0)
                .unwrap();
            (start + Duration::minutes(minutes))
                .with_timezone(&FixedOffset::east_opt(offset).unwrap())
        })
}

fn record() -> impl Strategy<Value = RecordFact> {
    (
        0u32..1000,
        prop::sample::select(Kind::ALL.to_vec()),
        moment(),
        prop::option::of(prop::sample::select(Outcome::ALL.to_vec())),
        prop::option::of(0.0f64..12.0),
        review(),
    )
        .prop_map(
            |(n, kind, occurred_at, outcome, hours, review)| RecordFact {
                record_id: format!("r{n:04}").into(),
                kind,
                occurred_at,
                outcome,
                hours,
                review,
                occurrence: None,
            },
        )
}

fn input<'a>(records: &'a [RecordFact]) -> LedgerInput<'a> {
    LedgerInput {
        member_id: "m",
        year: 2026,
        time_zone: chrono_tz::Asia::Shanghai,
        records,
        adjustments: &[],
        vetoes: &[],
        job: None,
    }
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Official), Just(Mode::Provisional)]
}

fn bucket(period: Period, at: &DateTime<FixedOffset>) -> (Period, u32) {
    let local = at.with_timezone(&chrono_tz::Asia::Shanghai);
    match period {
        Period::Year => (period, 0),
        Period::Quarter => (period, local.month0() / 3),
        Period::Month => (period, local.month0()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn order_of_inputs_never_matters(
        book in 0usize..3,
        records in prop::collection::vec(record(), 0..60),
        seed in any::<u64>(),
        mode in mode(),
    ) {
        let b = &books()[book];
        let mut shuffled = records.clone();
        // A deterministic Fisher–Yates from the seed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(compute(b, &input(&records), mode), compute(b, &input(&shuffled), mode));
    }

    #[test]
    fn no_cap_is_ever_exceeded(book in 0usize..3, records in prop::collection::vec(record(), 0..120), mode in mode()) {
        let b = &books()[book];
        let l = compute(b, &input(&records), mode);
        let mut used: HashMap<(String, (Period, u32)), Points> = HashMap::new();
        for e in l.entries.iter().filter(|e| e.counted && e.granted.is_positive()) {
            let (Some(rule_id), Some(at)) = (&e.rule_id, &e.occurred_at) else { continue };
            let rule = b.rules.iter().find(|r| &r.id == rule_id).unwrap();
            for cap in &rule.caps {
                *used.entry((format!("rule:{rule_id}:{:?}", cap.period), bucket(cap.period, at))).or_default() += e.granted;
            }
            for cap in b.section_caps.iter().filter(|c| Some(c.section) == e.section) {
                *used.entry((format!("section:{}:{:?}", cap.section, cap.period), bucket(cap.period, at))).or_default() += e.granted;
            }
        }
        for ((key, _), total) in &used {
            let max = b.rules.iter().flat_map(|r| r.caps.iter().map(move |c| (format!("rule:{}:{:?}", r.id, c.period), c.max)))
                .chain(b.section_caps.iter().map(|c| (format!("section:{}:{:?}", c.section, c.period), c.max)))
                .find(|(k, _)| k == key).unwrap().1;
            prop_assert!(*total <= max, "{key}: {total} > {max}");
        }
    }

    #[test]
    fn the_total_is_base_plus_entries_floored(book in 0usize..3, records in prop::collection::vec(record(), 0..80), mode in mode()) {
        let b = &books()[book];
        let l = compute(b, &input(&records), mode);
        let sum: Points = l.entries.iter().filter(|e| e.counted).map(|e| e.granted).sum();
        prop_assert_eq!(l.sum, sum);
        prop_assert_eq!(l.total, (b.base + sum).max(b.floor));
        prop_assert!(l.entries.iter().all(|e| e.counted || e.granted == Points::ZERO));
    }

    #[test]
    fn an_approved_positive_record_never_lowers_the_total(
        book in 0usize..3,
        records in prop::collection::vec(record(), 0..80),
        extra in record(),
        mode in mode(),
    ) {
        let b = &books()[book];
        let Some((_, rule)) = b.rule_for(extra.kind) else { return Ok(()) };
        let positive = match &rule.pricing {
            Pricing::Flat(p) => p.is_positive(),
            Pricing::ByOutcome(by) => by.get(&extra.outcome.unwrap_or(Outcome::Present)).is_some_and(|p| p.is_positive()),
            Pricing::PerHour(rate) => rate.is_positive() && extra.hours.is_some_and(|h| h >= 0.01),
        };
        prop_assume!(positive);
        let extra = RecordFact { record_id: "zz-extra".into(), review: Review::Approved { by: "s1".into() }, ..extra };
        let before = compute(b, &input(&records), mode).total;
        let mut more = records.clone();
        more.push(extra);
        let after = compute(b, &input(&more), mode).total;
        prop_assert!(after >= before, "{before} -> {after}");
    }

    #[test]
    fn a_second_record_of_a_counted_occurrence_changes_nothing(
        book in 0usize..3,
        records in prop::collection::vec(record(), 1..60),
        pick in any::<prop::sample::Index>(),
        later in 1i64..100_000,
        mode in mode(),
    ) {
        let b = &books()[book];
        // Every record its own occurrence; then a copy of one of them, later,
        // naming the same occurrence (the member's second device).
        let records: Vec<RecordFact> = records
            .into_iter()
            .enumerate()
            .map(|(i, r)| RecordFact {
                record_id: format!("u{i}").into(),
                occurrence: Some(format!("event-{i}").into()),
                ..r
            })
            .collect();
        let before = compute(b, &input(&records), mode);
        let i = pick.index(records.len());
        let original = &records[i];
        prop_assume!(before.entries.iter().any(|e| e.counted
            && e.source == vanguard_shared::ledger::Source::Record(original.record_id.clone())));
        let copy = RecordFact {
            record_id: "zz-copy".into(),
            occurred_at: original.occurred_at + chrono::Duration::seconds(later),
            ..original.clone()
        };
        prop_assume!(copy.occurred_at.with_timezone(&chrono_tz::Asia::Shanghai).year() == 2026);
        let mut more = records.clone();
        more.push(copy);
        let after = compute(b, &input(&more), mode);
        prop_assert_eq!(after.total, before.total);
        prop_assert_eq!(&after.sections, &before.sections);
        let copy_entry = after.entries.iter().find(|e| e.source == vanguard_shared::ledger::Source::Record("zz-copy".into()));
        prop_assert_eq!(copy_entry.and_then(|e| e.note.clone()), Some(vanguard_shared::ledger::Note::Duplicate));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A rulebook upload of any text is read or refused with an error that
    /// names where; a default rulebook with one line spoiled anywhere is
    /// never half-read.
    #[test]
    fn any_rulebook_text_is_read_or_refused(cut in 0usize..4000, junk in "[ -~\u{4e00}-\u{4e10}]{0,40}") {
        let text = include_str!("../rulebooks/default.toml");
        let at = text.char_indices().map(|(i, _)| i).take_while(|&i| i <= cut).last().unwrap_or(0);
        let spoiled = format!("{}{junk}{}", &text[..at], &text[at..]);
        match Rulebook::from_toml("upload.toml", &spoiled) {
            Ok(book) => prop_assert!(!book.rules.is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
