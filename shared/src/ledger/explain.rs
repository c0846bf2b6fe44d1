//! The ledger in words, for the member's own page: the rule behind each
//! entry, what each section covers, and where a total stands against the
//! grade bands. Pure text from the rulebook and the ledger, so the phone
//! and tests read the same sentences.

use super::engine::{Entry, Note, Source};
use super::kinds::{Grade, Period, Section};
use super::points::Points;
use super::rulebook::{Pricing, Rule, Rulebook};

/// "计 5 分" for gains, "扣 5 分" for deductions: members read signs poorly.
fn scored(p: Points) -> String {
    if p.is_negative() {
        format!("扣 {} 分", -p)
    } else {
        format!("计 {p} 分")
    }
}

/// The rule applied to one entry, in words: how it was priced and, when a
/// cap cut it, which cap and what was left. `hours` is the record's, when
/// it has them (volunteering).
pub fn rule_in_words(book: &Rulebook, entry: &Entry, hours: Option<f64>) -> String {
    match &entry.source {
        Source::Appraisal => return format!("年度考核{}", scored(entry.nominal)),
        Source::Tasks => {
            return format!(
                "交办任务完成情况{}（满分 {} 分）",
                scored(entry.nominal),
                book.appraisal.tasks
            )
        }
        Source::Adjustment(_) => return format!("支部调整{}", scored(entry.nominal)),
        Source::Record(_) => {}
    }
    let rule = entry
        .rule_id
        .as_ref()
        .and_then(|id| book.rules.iter().find(|r| r.id == *id));
    let Some(rule) = rule else {
        return entry.note.as_ref().map(Note::label).unwrap_or_default();
    };
    let mut words = format!("{} {}", rule_title(rule), pricing(rule, entry, hours));
    let cap = match &entry.note {
        Some(Note::CapReached { period }) => rule
            .caps
            .iter()
            .find(|c| c.period == *period)
            .map(|c| cap_words("", *period, c.max, rule.caps.len() > 1)),
        Some(Note::SectionCapReached { period }) => book
            .section_caps
            .iter()
            .find(|c| Some(c.section) == entry.section && c.period == *period)
            .map(|c| cap_words("本栏", *period, c.max, false)),
        _ => None,
    };
    if let Some(cap) = cap {
        words.push_str(&cap);
        if entry.granted.is_positive() {
            words.push_str(&format!("，计 {} 分", entry.granted));
        }
    }
    words
}

/// The rule's name without a trailing "（每小时）", which the per-hour
/// sentence already says.
fn rule_title(rule: &Rule) -> &str {
    match rule.pricing {
        Pricing::PerHour(_) => rule.name.trim_end_matches("（每小时）"),
        _ => &rule.name,
    }
}

fn pricing(rule: &Rule, entry: &Entry, hours: Option<f64>) -> String {
    match &rule.pricing {
        Pricing::Flat(p) if p.is_negative() => format!("每次扣 {} 分", -*p),
        Pricing::Flat(p) => format!("每次 {p} 分"),
        // An excused absence is the only outcome listed under leave.
        Pricing::ByOutcome(_) if entry.section == Some(Section::LeaveAndTrips) => {
            format!("请假{}", scored(entry.nominal))
        }
        Pricing::ByOutcome(_) => format!("按出席情况{}", scored(entry.nominal)),
        Pricing::PerHour(rate) => match hours.filter(|h| h.is_finite() && *h > 0.0) {
            Some(h) => format!(
                "{} 小时 × {rate} 分/小时 = {} 分",
                crate::decimal::short(h, 2),
                entry.nominal
            ),
            None => format!("每小时 {rate} 分"),
        },
    }
}

/// "，全年上限 60 分，已达上限"; naming the period again only when the rule
/// has several caps, so the member knows which one was met.
fn cap_words(scope: &str, period: Period, max: Points, several: bool) -> String {
    let which = if several { period.label() } else { "" };
    format!("，{scope}{}上限 {max} 分，已达{which}上限", period.label())
}

/// What a section of the sheet covers, as the shipped rulebook files its
/// kinds (a unit test checks every rule's kind is named here).
pub fn section_about(section: Section) -> &'static str {
    match section {
        Section::WorkCompletion => {
            "志愿服务、走访、培训、岗位业绩、重要贡献，推诿任务扣分；年底另计年度考核（业务）"
        }
        Section::OrganisationalLife => {
            "主题党日、支部党员大会、支委会、党小组会、党课、组织生活会、集中学习的出席"
        }
        Section::LeaveAndTrips => "因公、因私请假或出差而未参加的组织生活，按细则的请假分值计",
        Section::ActualConduct => "谈心谈话，以及未按时交纳党费、不当言行等扣分事项",
    }
}

/// Why the 业务 side is often 0 on a member's phone during the year.
pub fn job_side_about() -> &'static str {
    "业务分主要来自本单位的年度考核，由支部在年底录入；录入之前只含培训、岗位业绩等记录，没有时为 0 分。"
}

/// One grade band: the lowest total that reaches it; 不合格 has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub grade: Grade,
    pub from: Option<Points>,
}

/// The rulebook's bands, best first.
pub fn bands(book: &Rulebook) -> Vec<Band> {
    let b = &book.bands;
    vec![
        Band {
            grade: Grade::Excellent,
            from: Some(b.excellent),
        },
        Band {
            grade: Grade::Qualified,
            from: Some(b.qualified),
        },
        Band {
            grade: Grade::Basic,
            from: Some(b.basic),
        },
        Band {
            grade: Grade::Unqualified,
            from: None,
        },
    ]
}

/// Where a total stands against the bands: the line it reaches and how far
/// the next one is. By total only; the grade itself may be lower (双好,
/// vetoes), which the ledger's grade reasons say.
pub fn standing(book: &Rulebook, total: Points) -> String {
    let all = bands(book);
    let line = |i: usize| all[i].from.unwrap_or_default();
    let mut words = format!("预估总分 {total} 分");
    // Reached: the first band whose line the total meets.
    let reached = all
        .iter()
        .position(|b| b.from.is_some_and(|from| total >= from));
    if let Some(i) = reached {
        words.push_str(&format!(
            "，达到{}线（{} 分）",
            all[i].grade.label(),
            line(i)
        ));
    }
    // The next line up: the one just above the reached band, or the lowest.
    let next = match reached {
        Some(0) => None,
        Some(i) => Some(i - 1),
        None => all.iter().rposition(|b| b.from.is_some()),
    };
    if let Some(i) = next {
        words.push_str(&format!(
            "，距{}线还差 {} 分",
            all[i].grade.label(),
            line(i) - total
        ));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{
        compute, default_rulebook, Kind, Ledger, LedgerInput, Mode, Outcome, RecordFact, Review,
    };
    use chrono::DateTime;

    fn fact(id: &str, kind: Kind, day: &str, hours: Option<f64>) -> RecordFact {
        RecordFact {
            record_id: id.into(),
            kind,
            occurred_at: DateTime::parse_from_rfc3339(&format!("2026-{day}T09:00:00+08:00"))
                .expect("test time"),
            outcome: None,
            hours,
            review: Review::Approved { by: "s".into() },
            occurrence: None,
        }
    }

    fn ledger(book: &Rulebook, records: &[RecordFact]) -> Ledger {
        compute(
            book,
            &LedgerInput {
                member_id: "m1",
                year: 2026,
                time_zone: chrono_tz::Asia::Shanghai,
                records,
                adjustments: &[],
                vetoes: &[],
                job: None,
            },
            Mode::Provisional,
        )
    }

    /// The words for the entry of record `id`, with the record's hours.
    fn words(book: &Rulebook, l: &Ledger, records: &[RecordFact], id: &str) -> String {
        let e = l
            .entries
            .iter()
            .find(|e| e.source == Source::Record(id.into()))
            .expect("entry of the record");
        let hours = records
            .iter()
            .find(|r| &*r.record_id == id)
            .and_then(|r| r.hours);
        rule_in_words(book, e, hours)
    }

    #[test]
    fn per_hour_shows_the_sum_and_a_partly_capped_rest() {
        let book = default_rulebook();
        let records = [
            fact("a", Kind::Volunteer, "03-01", Some(2.0)),
            fact("b", Kind::Volunteer, "03-02", Some(7.5)),
            fact("c", Kind::Volunteer, "03-03", Some(1.5)),
        ];
        let l = ledger(&book, &records);
        assert_eq!(
            words(&book, &l, &records, "a"),
            "志愿服务 2 小时 × 2 分/小时 = 4 分"
        );
        assert_eq!(
            words(&book, &l, &records, "b"),
            "志愿服务 7.5 小时 × 2 分/小时 = 15 分"
        );
        // 4 + 15 of 20: one point left of the three.
        assert_eq!(
            words(&book, &l, &records, "c"),
            "志愿服务 1.5 小时 × 2 分/小时 = 3 分，全年上限 20 分，已达上限，计 1 分"
        );
    }

    #[test]
    fn flat_rule_past_its_cap_says_so() {
        let book = default_rulebook();
        // 走访: 2 points each, 12 a year, so the seventh earns nothing.
        let records: Vec<_> = (1..=7)
            .map(|i| fact(&format!("v{i}"), Kind::Visit, &format!("04-{i:02}"), None))
            .collect();
        let l = ledger(&book, &records);
        assert_eq!(words(&book, &l, &records, "v1"), "走访 每次 2 分");
        assert_eq!(
            words(&book, &l, &records, "v7"),
            "走访 每次 2 分，全年上限 12 分，已达上限"
        );
    }

    #[test]
    fn several_caps_name_the_one_met() {
        let book = default_rulebook();
        // 集中学习: 2 each, 4 a month and 30 a year; the third in May is over.
        let records: Vec<_> = (1..=3)
            .map(|i| fact(&format!("s{i}"), Kind::Study, &format!("05-{i:02}"), None))
            .collect();
        let l = ledger(&book, &records);
        assert_eq!(
            words(&book, &l, &records, "s3"),
            "集中学习 按出席情况计 2 分，每月上限 4 分，已达每月上限"
        );
    }

    #[test]
    fn deductions_outcomes_and_leave() {
        let book = default_rulebook();
        let mut leave = fact("l", Kind::ThemeDay, "06-01", None);
        leave.outcome = Some(Outcome::Excused);
        let mut absent = fact("u", Kind::ThemeDay, "07-01", None);
        absent.outcome = Some(Outcome::Unexcused);
        let records = [
            fact("m", Kind::Misconduct, "06-02", None),
            fact("t", Kind::ThemeDay, "06-03", None),
            leave,
            absent,
        ];
        let l = ledger(&book, &records);
        assert_eq!(words(&book, &l, &records, "m"), "不当言行 每次扣 10 分");
        assert_eq!(
            words(&book, &l, &records, "t"),
            "主题党日 按出席情况计 5 分"
        );
        assert_eq!(words(&book, &l, &records, "l"), "主题党日 请假计 0 分");
        assert_eq!(
            words(&book, &l, &records, "u"),
            "主题党日 按出席情况扣 2 分"
        );
    }

    #[test]
    fn entries_without_a_rule() {
        let book = default_rulebook();
        let job = |source, points| Entry {
            source,
            kind: None,
            rule_id: None,
            section: Some(Section::WorkCompletion),
            side: Some(crate::ledger::Side::Job),
            occurred_at: None,
            nominal: points,
            granted: points,
            counted: true,
            note: None,
            reviewer: None,
        };
        assert_eq!(
            rule_in_words(&book, &job(Source::Appraisal, Points::whole(10)), None),
            "年度考核计 10 分"
        );
        assert_eq!(
            rule_in_words(&book, &job(Source::Appraisal, Points::whole(-10)), None),
            "年度考核扣 10 分"
        );
        assert_eq!(
            rule_in_words(&book, &job(Source::Tasks, Points::whole(8)), None),
            "交办任务完成情况计 8 分（满分 10 分）"
        );
        let mut unknown = job(Source::Record("r".into()), Points::ZERO);
        unknown.note = Some(Note::NoRule);
        assert_eq!(rule_in_words(&book, &unknown, None), "积分细则未规定此项");
    }

    #[test]
    fn sections_name_every_kind_the_shipped_rulebook_files_there() {
        for rule in &default_rulebook().rules {
            assert!(
                section_about(rule.section).contains(rule.kind.label()),
                "{} under {}",
                rule.kind.label(),
                rule.section.label()
            );
        }
        assert!(job_side_about().contains("年度考核"));
    }

    #[test]
    fn bands_and_standing() {
        let book = default_rulebook();
        let shown: Vec<_> = bands(&book)
            .iter()
            .map(|b| (b.grade, b.from.map(|p| p.to_string())))
            .collect();
        assert_eq!(
            shown,
            [
                (Grade::Excellent, Some("150".to_string())),
                (Grade::Qualified, Some("100".to_string())),
                (Grade::Basic, Some("85".to_string())),
                (Grade::Unqualified, None),
            ]
        );
        let at = |n| standing(&book, Points::whole(n));
        assert_eq!(at(160), "预估总分 160 分，达到优秀线（150 分）");
        assert_eq!(at(150), "预估总分 150 分，达到优秀线（150 分）");
        assert_eq!(
            at(138),
            "预估总分 138 分，达到合格线（100 分），距优秀线还差 12 分"
        );
        assert_eq!(
            at(95),
            "预估总分 95 分，达到基本合格线（85 分），距合格线还差 5 分"
        );
        assert_eq!(at(80), "预估总分 80 分，距基本合格线还差 5 分");
        assert_eq!(
            standing(&book, Points::from_hundredths(14950)),
            "预估总分 149.5 分，达到合格线（100 分），距优秀线还差 0.5 分"
        );
    }
}
