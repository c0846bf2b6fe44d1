//! The ledger engine against realistic rulebooks.

use chrono::{DateTime, FixedOffset};
use vanguard_shared::ledger::*;

const BASE60: &str = include_str!("fixtures/base60_hours.toml");
const VETO_Q: &str = include_str!("fixtures/veto_quarterly.toml");

fn book(name: &str, text: &str) -> Rulebook {
    Rulebook::from_toml(name, text).unwrap_or_else(|e| panic!("{e}"))
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn rec(id: &str, kind: Kind, when: &str, outcome: Option<Outcome>, review: Review) -> RecordFact {
    RecordFact {
        record_id: id.into(),
        kind,
        occurred_at: at(when),
        outcome,
        hours: None,
        review,
        occurrence: None,
    }
}

fn ok() -> Review {
    Review::Approved {
        by: "secretary01".into(),
    }
}

fn ledger(
    b: &Rulebook,
    records: &[RecordFact],
    adjustments: &[Adjustment],
    vetoes: &[VetoFact],
    mode: Mode,
) -> Ledger {
    compute(
        b,
        &LedgerInput {
            member_id: "m1",
            year: 2026,
            time_zone: chrono_tz::Asia::Shanghai,
            records,
            adjustments,
            vetoes,
            job: None,
        },
        mode,
    )
}

#[test]
fn all_three_rulebooks_load() {
    let d = default_rulebook();
    assert_eq!((d.base, d.rules.len()), (Points::whole(100), 16));
    assert_eq!(book("base60_hours.toml", BASE60).base, Points::whole(60));
    assert_eq!(book("veto_quarterly.toml", VETO_Q).vetoes.len(), 2);
}

#[test]
fn outcomes_flat_points_and_deductions_are_priced() {
    let d = default_rulebook();
    let records = [
        rec("a", Kind::ThemeDay, "2026-01-10T09:00:00+08:00", None, ok()),
        rec(
            "b",
            Kind::ThemeDay,
            "2026-02-10T09:00:00+08:00",
            Some(Outcome::Late),
            ok(),
        ),
        rec(
            "c",
            Kind::ThemeDay,
            "2026-03-10T09:00:00+08:00",
            Some(Outcome::Excused),
            ok(),
        ),
        rec(
            "d",
            Kind::ThemeDay,
            "2026-04-10T09:00:00+08:00",
            Some(Outcome::Unexcused),
            ok(),
        ),
        rec("e", Kind::Visit, "2026-04-11T09:00:00+08:00", None, ok()),
        rec(
            "f",
            Kind::DuesUnpaid,
            "2026-06-30T09:00:00+08:00",
            None,
            ok(),
        ),
    ];
    let l = ledger(&d, &records, &[], &[], Mode::Official);
    let granted: Vec<i64> = l
        .entries
        .iter()
        .map(|e| e.granted.hundredths() / 100)
        .collect();
    assert_eq!(granted, vec![5, 3, 0, -2, 2, -2]);
    assert_eq!(l.sum, Points::whole(6));
    assert_eq!(l.total, Points::whole(106));
    assert_eq!(l.sections[&Section::OrganisationalLife], Points::whole(6));
    assert_eq!(l.sections[&Section::ActualConduct], Points::whole(-2));
    assert_eq!(l.sides[&Side::Party], Points::whole(6));
    // The excused absence is listed under leave and trips, at no cost.
    assert_eq!(l.entries[2].section, Some(Section::LeaveAndTrips));
    assert_eq!(l.entries[2].rule_id.as_deref(), Some("theme_day"));
    assert_eq!(l.sections[&Section::LeaveAndTrips], Points::ZERO);
    assert_eq!(l.entries[0].rule_id.as_deref(), Some("theme_day"));
    assert_eq!(l.entries[0].reviewer.as_deref(), Some("secretary01"));
    assert_eq!((l.rulebook_id.as_str(), l.rulebook_version), ("default", 1));
}

#[test]
fn hours_are_priced_per_hour_and_capped_per_month() {
    let b = book("base60_hours.toml", BASE60);
    let v = |id: &str, when: &str, hours: Option<f64>| RecordFact {
        hours,
        ..rec(id, Kind::Volunteer, when, None, ok())
    };
    let records = [
        v("1", "2026-05-01T09:00:00+08:00", Some(2.0)), // 3
        v("2", "2026-05-02T09:00:00+08:00", Some(1.5)), // 2.25
        v("3", "2026-05-03T09:00:00+08:00", Some(4.0)), // 6, but the month allows 0.75
        v("4", "2026-06-01T09:00:00+08:00", Some(1.0)), // a new month: 1.5
        v("5", "2026-06-02T09:00:00+08:00", None),      // no hours: nothing
    ];
    let l = ledger(&b, &records, &[], &[], Mode::Official);
    let g: Vec<i64> = l.entries.iter().map(|e| e.granted.hundredths()).collect();
    assert_eq!(g, vec![300, 225, 75, 150, 0]);
    assert_eq!(
        l.entries[2].note,
        Some(Note::CapReached {
            period: Period::Month
        })
    );
    assert_eq!(l.entries[2].nominal, Points::whole(6));
    assert_eq!(l.entries[4].note, Some(Note::MissingHours));
    assert_eq!(l.total, Points::whole(60) + Points::from_hundredths(750));
}

#[test]
fn yearly_cap_reached_grants_zero_with_a_note() {
    let d = default_rulebook();
    let records: Vec<_> = (1..=13)
        .map(|m| {
            let month = if m > 12 { 12 } else { m };
            rec(
                &format!("t{m:02}"),
                Kind::ThemeDay,
                &format!("2026-{month:02}-15T09:00:00+08:00"),
                None,
                ok(),
            )
        })
        .collect();
    let l = ledger(&d, &records, &[], &[], Mode::Official);
    assert_eq!(l.sections[&Section::OrganisationalLife], Points::whole(60));
    let last = l.entries.last().unwrap();
    assert_eq!(
        (last.granted, last.note.clone()),
        (
            Points::ZERO,
            Some(Note::CapReached {
                period: Period::Year
            })
        )
    );
}

#[test]
fn quarterly_rule_and_section_caps() {
    let b = book("veto_quarterly.toml", VETO_Q);
    let records = [
        rec("1", Kind::ThemeDay, "2026-01-05T09:00:00+08:00", None, ok()),
        rec("2", Kind::ThemeDay, "2026-02-05T09:00:00+08:00", None, ok()),
        rec("3", Kind::ThemeDay, "2026-03-05T09:00:00+08:00", None, ok()), // rule cap 10 reached
        rec("4", Kind::Study, "2026-03-06T09:00:00+08:00", None, ok()),    // section cap 12: 2 of 3
        rec("5", Kind::ThemeDay, "2026-04-05T09:00:00+08:00", None, ok()), // Q2: fresh
    ];
    let l = ledger(&b, &records, &[], &[], Mode::Official);
    let g: Vec<i64> = l
        .entries
        .iter()
        .map(|e| e.granted.hundredths() / 100)
        .collect();
    assert_eq!(g, vec![5, 5, 0, 2, 5]);
    assert_eq!(
        l.entries[2].note,
        Some(Note::CapReached {
            period: Period::Quarter
        })
    );
    assert_eq!(
        l.entries[3].note,
        Some(Note::SectionCapReached {
            period: Period::Quarter
        })
    );
}

#[test]
fn the_floor_holds() {
    let b = book("veto_quarterly.toml", VETO_Q);
    let records: Vec<_> = (0..8)
        .map(|i| {
            rec(
                &format!("x{i}"),
                Kind::Misconduct,
                "2026-07-01T09:00:00+08:00",
                None,
                ok(),
            )
        })
        .collect();
    let l = ledger(&b, &records, &[], &[], Mode::Official);
    assert_eq!(l.sum, Points::whole(-80));
    assert_eq!(l.total, Points::whole(50), "floored at 50");
}

#[test]
fn official_counts_approved_only_and_provisional_marks_pending() {
    let d = default_rulebook();
    let records = [
        rec("a", Kind::ThemeDay, "2026-01-10T09:00:00+08:00", None, ok()),
        rec(
            "b",
            Kind::ThemeDay,
            "2026-02-10T09:00:00+08:00",
            None,
            Review::Pending,
        ),
        rec(
            "c",
            Kind::ThemeDay,
            "2026-03-10T09:00:00+08:00",
            None,
            Review::Returned {
                by: "s".into(),
                reason: "无签到记录".into(),
            },
        ),
        rec(
            "d",
            Kind::ThemeDay,
            "2026-04-10T09:00:00+08:00",
            None,
            Review::Withdrawn,
        ),
    ];
    let official = ledger(&d, &records, &[], &[], Mode::Official);
    assert_eq!(official.sum, Points::whole(5));
    assert_eq!(official.entries[1].note, Some(Note::AwaitingReview));
    assert_eq!(
        official.entries[2].note,
        Some(Note::Returned {
            reason: "无签到记录".into()
        })
    );
    assert_eq!(official.entries[3].note, Some(Note::Withdrawn));
    let provisional = ledger(&d, &records, &[], &[], Mode::Provisional);
    assert_eq!(provisional.sum, Points::whole(10));
    assert_eq!(provisional.entries[1].note, Some(Note::Pending));
    assert!(provisional.entries[1].counted);
}

#[test]
fn year_boundaries_follow_the_organisation_time_zone() {
    let d = default_rulebook();
    // 23:30 on 31 December in Beijing is 15:30 UTC: still 2026.
    let late = rec("a", Kind::Visit, "2026-12-31T15:30:00Z", None, ok());
    // 00:30 on 1 January 2027 in Beijing is 16:30 UTC on 31 December.
    let early = rec("b", Kind::Visit, "2026-12-31T16:30:00Z", None, ok());
    let l = ledger(&d, &[late, early], &[], &[], Mode::Official);
    assert!(l.entries[0].counted);
    assert_eq!(l.entries[1].note, Some(Note::OutsideYear));
    assert_eq!(l.sum, Points::whole(2));
}

#[test]
fn adjustments_need_approval_and_respect_the_limit() {
    let d = default_rulebook();
    let adj = |id: &str, p: i64, by: Option<&str>| Adjustment {
        id: id.into(),
        points: Points::whole(p),
        reason: "抗洪抢险表现突出".into(),
        section: Section::ActualConduct,
        side: Side::Party,
        approved_by: by.map(str::to_string),
    };
    let adjustments = [
        adj("1", 8, Some("secretary01")),
        adj("2", 5, None),
        adj("3", -15, Some("secretary01")),
    ];
    let l = ledger(&d, &[], &adjustments, &[], Mode::Official);
    assert_eq!(l.sum, Points::whole(8));
    assert_eq!(l.entries[1].note, Some(Note::AwaitingReview));
    assert_eq!(l.entries[2].note, Some(Note::AdjustmentTooLarge));
    assert_eq!(
        ledger(&d, &[], &adjustments, &[], Mode::Provisional).sum,
        Points::whole(13)
    );
    let unexplained = Adjustment {
        reason: " ".into(),
        ..adj("4", 3, Some("secretary01"))
    };
    let l = ledger(&d, &[], &[unexplained], &[], Mode::Official);
    assert_eq!(
        (l.sum, l.entries[0].note.clone()),
        (Points::ZERO, Some(Note::MissingReason))
    );
}

#[test]
fn dual_standard_and_vetoes_decide_the_grade() {
    let b = book("veto_quarterly.toml", VETO_Q);
    let strong: Vec<_> = ["01", "04", "07", "10"]
        .iter()
        .flat_map(|m| {
            [
                rec(
                    &format!("t{m}"),
                    Kind::ThemeDay,
                    &format!("2026-{m}-05T09:00:00+08:00"),
                    None,
                    ok(),
                ),
                rec(
                    &format!("u{m}"),
                    Kind::ThemeDay,
                    &format!("2026-{m}-06T09:00:00+08:00"),
                    None,
                    ok(),
                ),
                rec(
                    &format!("j{m}"),
                    Kind::JobPerformance,
                    &format!("2026-{m}-07T09:00:00+08:00"),
                    None,
                    ok(),
                ),
            ]
        })
        .collect();
    let l = ledger(&b, &strong, &[], &[], Mode::Official);
    assert_eq!(l.total, Points::whole(160));
    assert_eq!(l.proposed, Grade::Excellent);

    // Without job results the job side misses its excellent line.
    let party_only: Vec<_> = strong
        .iter()
        .filter(|r| r.kind != Kind::JobPerformance)
        .cloned()
        .collect();
    let more: Vec<_> = party_only
        .into_iter()
        .chain((0..5).map(|i| {
            rec(
                &format!("s{i}"),
                Kind::Study,
                "2026-05-01T09:00:00+08:00",
                None,
                ok(),
            )
        }))
        .collect();
    let l = ledger(&b, &more, &[], &[], Mode::Official);
    assert!(l.total >= Points::whole(120), "{}", l.total);
    assert_eq!(l.proposed, Grade::Qualified);
    assert!(
        l.grade_reasons.iter().any(|r| r.contains("业务")),
        "{:?}",
        l.grade_reasons
    );

    let veto = |id: &str| VetoFact {
        veto_id: id.into(),
        reason: "2026年第3号决定".into(),
        by: "机关纪委".into(),
    };
    assert_eq!(
        ledger(&b, &strong, &[], &[veto("warning")], Mode::Official).proposed,
        Grade::Qualified
    );
    let l = ledger(&b, &strong, &[], &[veto("discipline")], Mode::Official);
    assert_eq!(l.proposed, Grade::Unqualified);
    assert_eq!(l.vetoes[0].name, "受到党纪处分");
}

#[test]
fn party_side_failure_caps_the_grade() {
    let b = book("veto_quarterly.toml", VETO_Q);
    let records = [rec(
        "x",
        Kind::Misconduct,
        "2026-07-01T09:00:00+08:00",
        None,
        ok(),
    )];
    let l = ledger(&b, &records, &[], &[], Mode::Official);
    // Total 90 is 基本合格 by band anyway; the side failure is explained.
    assert_eq!(l.proposed, Grade::Basic);
    assert!(l
        .grade_reasons
        .iter()
        .any(|r| r.contains("党建") && r.contains("合格线")));
}

#[test]
fn bad_rulebooks_name_file_line_and_rule() {
    let broken = BASE60.replace("kind = \"visit\"", "kind = \"picnic\"");
    let e = Rulebook::from_toml("village.toml", &broken).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.rule.as_deref()),
        ("village.toml", Some("visit"))
    );
    assert_eq!(e.line, line_of_rule(&broken, "visit"));
    assert!(
        e.to_string().starts_with(&format!(
            "village.toml 第 {} 行：规则“visit”：未知的类型“picnic”",
            e.line
        )),
        "{e}"
    );

    let overlapping = BASE60.replace("qualified = 60", "qualified = 95");
    let e = Rulebook::from_toml("village.toml", &overlapping).unwrap_err();
    assert!(
        e.message.contains("重叠") && e.line == line_of(&overlapping, "[grades]"),
        "{e}"
    );

    let low_cap = VETO_Q.replace(
        "max = 10 }]\n\n[[rules]]\nid = \"study\"",
        "max = 4 }]\n\n[[rules]]\nid = \"study\"",
    );
    let e = Rulebook::from_toml("c.toml", &low_cap).unwrap_err();
    assert_eq!(e.rule.as_deref(), Some("theme_day"));
    assert!(e.message.contains("低于一次的分值"), "{e}");

    let no_section = BASE60.replace(
        "section = \"work_completion\"\nside = \"job\"",
        "side = \"job\"",
    );
    let e = Rulebook::from_toml("village.toml", &no_section).unwrap_err();
    assert_eq!(
        (e.rule.as_deref(), e.message.as_str()),
        (Some("visit"), "规则未指定栏目（section）")
    );

    let syntax = "id = \"x\"\nversion = 1\nyear = \nbase = 1";
    let e = Rulebook::from_toml("s.toml", syntax).unwrap_err();
    assert_eq!((e.line, e.rule.clone()), (3, None), "{e}");
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.trim() == needle).unwrap() + 1
}

/// The line of the `[[rules]]` header whose table has `id = "<id>"`.
fn line_of_rule(text: &str, id: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == format!("id = \"{id}\""))
        .unwrap();
    (0..at).rev().find(|i| lines[*i] == "[[rules]]").unwrap() + 1
}

#[test]
fn the_nearest_rulebook_for_the_year_is_in_force() {
    let committee = default_rulebook();
    let mut branch_v1 = book("b.toml", BASE60);
    branch_v1.version = 1;
    let branch_v2 = book("b.toml", BASE60);
    let books = vec![
        ("committee".to_string(), committee),
        ("branch".to_string(), branch_v1),
        ("branch".to_string(), branch_v2),
    ];
    assert_eq!(
        in_force(&books, &["branch", "committee"], 2026)
            .unwrap()
            .version,
        2
    );
    assert_eq!(
        in_force(&books, &["other-branch", "committee"], 2026)
            .unwrap()
            .id,
        "default"
    );
    assert!(in_force(&books, &["branch", "committee"], 2027).is_none());
}

mod year_end {
    use super::*;

    fn member(id: &str, total: i64, proposed: Grade) -> Ledger {
        let mut l = ledger(&default_rulebook(), &[], &[], &[], Mode::Official);
        l.member_id = id.into();
        l.total = Points::whole(total);
        l.proposed = proposed;
        l
    }

    fn six() -> Vec<Ledger> {
        vec![
            member("m6", 120, Grade::Qualified),
            member("m1", 160, Grade::Excellent),
            member("m2", 155, Grade::Excellent),
            member("m3", 155, Grade::Excellent),
            member("m4", 90, Grade::Basic),
            member("m5", 70, Grade::Unqualified),
        ]
    }

    #[test]
    fn quota_is_flagged_not_enforced() {
        let e = evaluate(&default_rulebook(), &six(), &[]).unwrap();
        assert_eq!(
            (e.excellent, e.excellent_allowed, e.quota_exceeded),
            (3, 2, true)
        );
        assert!(e
            .results
            .iter()
            .filter(|r| r.proposed == Grade::Excellent)
            .all(|r| r.final_grade == Grade::Excellent));
        assert!(
            e.results.iter().all(|r| r.rank.is_none()),
            "ranking is off by default"
        );
        assert_eq!(e.results[0].member_id, "m1");
    }

    #[test]
    fn overrides_sit_beside_the_proposal_and_need_a_reason() {
        let book = default_rulebook();
        let down = Override {
            member_id: "m3".into(),
            grade: Grade::Qualified,
            reason: "支部大会评议".into(),
            by: "secretary01".into(),
        };
        let e = evaluate(&book, &six(), std::slice::from_ref(&down)).unwrap();
        let m3 = e.results.iter().find(|r| r.member_id == "m3").unwrap();
        assert_eq!(
            (m3.proposed, m3.final_grade),
            (Grade::Excellent, Grade::Qualified)
        );
        assert_eq!(m3.override_.as_ref().unwrap().reason, "支部大会评议");
        assert!(!e.quota_exceeded);

        let blank = Override {
            reason: "  ".into(),
            ..down.clone()
        };
        assert_eq!(
            evaluate(&book, &six(), &[blank]),
            Err(EvaluationError::MissingReason {
                member_id: "m3".into()
            })
        );
        let stranger = Override {
            member_id: "m99".into(),
            ..down.clone()
        };
        assert!(matches!(
            evaluate(&book, &six(), &[stranger]),
            Err(EvaluationError::UnknownMember { .. })
        ));
        assert!(matches!(
            evaluate(&book, &six(), &[down.clone(), down]),
            Err(EvaluationError::DuplicateOverride { .. })
        ));
    }

    #[test]
    fn ranking_only_when_turned_on() {
        let mut book = default_rulebook();
        book.ranking = true;
        let e = evaluate(&book, &six(), &[]).unwrap();
        let rank = |id: &str| e.results.iter().find(|r| r.member_id == id).unwrap().rank;
        assert_eq!(
            (rank("m1"), rank("m2"), rank("m3"), rank("m6"), rank("m5")),
            (Some(1), Some(2), Some(2), Some(4), Some(6))
        );
    }
}

#[test]
fn a_prepared_rulebook_gives_the_same_ledgers() {
    let b = book("veto_quarterly.toml", VETO_Q);
    let records = [
        rec("1", Kind::ThemeDay, "2026-01-05T09:00:00+08:00", None, ok()),
        rec("2", Kind::Study, "2026-03-06T09:00:00+08:00", None, ok()),
        rec("3", Kind::ThemeDay, "2025-12-31T23:00:00+08:00", None, ok()),
    ];
    let prepared = Prepared::new(&b, 2026, chrono_tz::Asia::Shanghai);
    let direct = ledger(&b, &records, &[], &[], Mode::Official);
    let input = LedgerInput {
        member_id: "m1",
        year: 2026,
        time_zone: chrono_tz::Asia::Shanghai,
        records: &records,
        adjustments: &[],
        vetoes: &[],
        job: None,
    };
    assert_eq!(prepared.compute(&input, Mode::Official), direct);
    // Another year than prepared for still computes that year.
    let other = LedgerInput {
        year: 2025,
        ..input
    };
    assert_eq!(
        prepared.compute(&other, Mode::Official),
        compute(&b, &other, Mode::Official)
    );
    assert_eq!(
        prepared.compute(&other, Mode::Official).sum,
        Points::whole(5)
    );
}

#[test]
fn one_occurrence_counts_once_and_the_second_says_so() {
    let b = default_rulebook();
    let at_event = |id: &str, when: &str, review: Review| RecordFact {
        occurrence: Some("e1".into()),
        ..rec(id, Kind::ThemeDay, when, None, review)
    };
    let once = ledger(
        &b,
        &[at_event("a", "2026-05-15T09:00:00+08:00", ok())],
        &[],
        &[],
        Mode::Official,
    );
    let twice = ledger(
        &b,
        &[
            at_event("b", "2026-05-15T09:05:00+08:00", ok()),
            at_event("a", "2026-05-15T09:00:00+08:00", ok()),
        ],
        &[],
        &[],
        Mode::Official,
    );
    assert_eq!(twice.total, once.total);
    let second = &twice.entries[1];
    assert_eq!(second.source, Source::Record("b".into()));
    assert_eq!(
        (second.counted, second.note.clone()),
        (false, Some(Note::Duplicate))
    );
    assert_eq!(Note::Duplicate.label(), "重复");
    // The first one not yet approved: the approved second counts instead.
    let first_pending = ledger(
        &b,
        &[
            at_event("a", "2026-05-15T09:00:00+08:00", Review::Pending),
            at_event("b", "2026-05-15T09:05:00+08:00", ok()),
        ],
        &[],
        &[],
        Mode::Official,
    );
    assert_eq!(first_pending.total, once.total);
    assert!(first_pending.entries[1].counted);
}

#[test]
fn the_annual_appraisal_prices_the_job_side_and_decides_excellence() {
    let b = default_rulebook();
    // A strong party side: every month's theme day and a full job record.
    let mut records: Vec<RecordFact> = (1..=12)
        .map(|m| {
            rec(
                &format!("t{m}"),
                Kind::ThemeDay,
                &format!("2026-{m:02}-05T09:00:00+08:00"),
                None,
                ok(),
            )
        })
        .collect();
    for (i, m) in ["02", "05", "08", "11"].iter().enumerate() {
        records.push(rec(
            &format!("j{i}"),
            Kind::JobPerformance,
            &format!("2026-{m}-07T09:00:00+08:00"),
            None,
            ok(),
        ));
    }
    let with = |appraisal: Appraisal, tasks: Option<(u32, u32)>| {
        let job = JobFact {
            appraisal,
            tasks,
            by: "sec".into(),
        };
        compute(
            &b,
            &LedgerInput {
                member_id: "m1",
                year: 2026,
                time_zone: chrono_tz::Asia::Shanghai,
                records: &records,
                adjustments: &[],
                vetoes: &[],
                job: Some(&job),
            },
            Mode::Official,
        )
    };
    let excellent = with(Appraisal::Excellent, Some((10, 8)));
    // 100 base + 60 theme days + 20 job records + 20 appraisal + 8 tasks.
    assert_eq!(excellent.total, Points::whole(208));
    assert_eq!(excellent.proposed, Grade::Excellent);
    let job_entries: Vec<_> = excellent
        .entries
        .iter()
        .filter(|e| matches!(e.source, Source::Appraisal | Source::Tasks))
        .collect();
    assert_eq!(job_entries.len(), 2);
    assert!(job_entries
        .iter()
        .all(|e| e.section == Some(Section::WorkCompletion) && e.side == Some(Side::Job)));
    assert_eq!(job_entries[1].granted, Points::whole(8));

    // High on 党建, but 不称职 on 业务: never 优秀, capped at the fail cap.
    let incompetent = with(Appraisal::Incompetent, None);
    assert!(incompetent.total >= b.bands.excellent);
    assert_eq!(incompetent.proposed, b.side_fail_cap);
    assert!(incompetent
        .grade_reasons
        .iter()
        .any(|r| r.contains("不称职")));
    // 基本称职: not 优秀 whatever the total.
    let basic = with(Appraisal::Basic, Some((4, 4)));
    assert!(basic.total >= b.bands.excellent);
    assert_eq!(basic.proposed, Grade::Qualified);
    // Not entered yet: the engine itself holds 优秀 back, so every page that
    // prices this member (phone, sheet, table, evaluation) proposes 合格.
    let unknown = compute(
        &b,
        &LedgerInput {
            member_id: "m1",
            year: 2026,
            time_zone: chrono_tz::Asia::Shanghai,
            records: &records,
            adjustments: &[],
            vetoes: &[],
            job: None,
        },
        Mode::Official,
    );
    assert!(unknown.total >= b.bands.excellent);
    assert_eq!(unknown.proposed, Grade::Qualified);
    assert!(unknown
        .grade_reasons
        .iter()
        .any(|r| r.contains("未录入年度考核")));
    // A rulebook that does not ask for the appraisal grades on points alone.
    let mut lenient = b.clone();
    lenient.appraisal.required_for_excellent = false;
    let points_only = compute(
        &lenient,
        &LedgerInput {
            member_id: "m1",
            year: 2026,
            time_zone: chrono_tz::Asia::Shanghai,
            records: &records,
            adjustments: &[],
            vetoes: &[],
            job: None,
        },
        Mode::Official,
    );
    assert_eq!(points_only.proposed, Grade::Excellent);
    // A unit's own words name the four grades.
    assert_eq!(Appraisal::from_words("合格"), Some(Appraisal::Competent));
    assert_eq!(
        Appraisal::from_words("不称职"),
        Some(Appraisal::Incompetent)
    );
    assert_eq!(
        Appraisal::from_words("incompetent"),
        Some(Appraisal::Incompetent)
    );
    assert_eq!(Appraisal::from_words("很好"), None);
}
