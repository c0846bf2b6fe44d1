//! `/ledger`: the member's provisional ledger and score, computed in the
//! browser by the same engine the server runs, from this device's records.

use crate::components::member_frame::MemberFrame;
use crate::local::Local;
use leptos::prelude::*;
use leptos_meta::Title;
use vanguard_shared::decimal;
use vanguard_shared::ledger::explain;
use vanguard_shared::ledger::year_end::Notice;
use vanguard_shared::ledger::{
    Entry, Grade, Ledger, Mode, Note, Points, Rulebook, Section, Side, Source,
};
use vanguard_shared::time_text;

#[component]
pub fn LedgerPage() -> impl IntoView {
    view! {
        <Title text="我的台账 · 先锋台账" />
        <MemberFrame>
            <LedgerView />
        </MemberFrame>
    }
}

fn points(p: Points) -> String {
    if p.is_positive() {
        format!("+{p}")
    } else {
        p.to_string()
    }
}

#[component]
fn LedgerView() -> impl IntoView {
    let local = Local::get();
    // Read once per revision of the device's data: the revision says
    // whether anything changed, without comparing ledgers field by field
    // (which would cost the phone's download more than it saves).
    let ledger = Memo::new_with_compare(
        move |_| {
            local.snapshot().map(|s| {
                let records = local.records(&s);
                let attendance = local.attendance();
                let official = s
                    .ledger(&records, &attendance, Mode::Official)
                    .map(|l| (l.total, l.proposed));
                (
                    s.revision,
                    s.ledger(&records, &attendance, Mode::Provisional)
                        .zip(s.rulebook.clone()),
                    records,
                    s.attendance_titles(&attendance),
                    official,
                    s.year_end.clone().unwrap_or_default(),
                )
            })
        },
        |old, new| old.map(|o| o.as_ref().map(|o| o.0)) != new.map(|n| n.as_ref().map(|n| n.0)),
    );
    move || {
        ledger
            .get()
            .map(|(_, ledger, records, attended, official, year_end)| {
                let Some((ledger, book)) = ledger else {
                    return view! {
                        <p class="card notice">"本机还没有积分细则，请联网同步一次。"</p>
                    }
                    .into_any();
                };
                let job = year_end.job.clone();
                let titles = move |source: &Source| match source {
                    Source::Record(id) => records
                        .iter()
                        .find(|r| r.record.record_id == **id)
                        .map(|r| {
                            (
                                r.title.clone(),
                                time_text::md(&r.record.occurred_at),
                                r.record.hours,
                            )
                        })
                        .or_else(|| {
                            attended
                                .iter()
                                .find(|(fact, ..)| *fact == **id)
                                .map(|(_, title, day)| (title.clone(), day.clone(), None))
                        }),
                    Source::Appraisal => job.as_ref().map(|j| {
                        (
                            format!("年度考核：{}", j.appraisal.label()),
                            String::new(),
                            None,
                        )
                    }),
                    Source::Tasks => job
                        .as_ref()
                        .and_then(|j| j.tasks)
                        .map(|(a, c)| (format!("交办任务完成 {c}/{a}"), String::new(), None)),
                    Source::Adjustment(_) => None,
                };
                view! {
                    {year_end.notice.map(|n| view! { <NoticeCard n /> })}
                    <Sheet ledger book titles=titles.clone() official />
                }
                .into_any()
            })
    }
}

/// The branch's public notice of the year's results (公示).
#[component]
fn NoticeCard(n: Notice) -> impl IntoView {
    view! {
        <section class="card notice-card" aria-label="评议结果公示">
            <h2>{format!("{} 年度民主评议结果公示", n.year)}</h2>
            <p class="muted">{format!("公示期 {} 至 {}", n.starts_on, n.ends_on)}</p>
            <p>
                {n
                    .counts
                    .iter()
                    .map(|(g, c)| format!("{} {c} 人", g.label()))
                    .collect::<Vec<_>>()
                    .join("，")}
            </p>
            <ul>
                {n
                    .entries
                    .into_iter()
                    .map(|e| view! { <li>{format!("{}：{}", e.name, e.grade.label())}</li> })
                    .collect_view()}
            </ul>
            <p>{n.objection}</p>
        </section>
    }
}

/// One entry as a two-line item: what it was and its points, then the
/// day, hours and the rule in words, so it reads at phone width.
fn entry_item(book: &Rulebook, e: &Entry, about: Option<(String, String, Option<f64>)>) -> AnyView {
    let (title, day, hours) = about.unwrap_or_else(|| {
        // Adjustments and rows this device cannot name: the kind's name.
        let name = e
            .kind
            .map(|k| k.label().to_string())
            .unwrap_or_else(|| "支部调整".into());
        (name, String::new(), None)
    });
    let rule = explain::rule_in_words(book, e, hours);
    // Cap notes, and the note of an entry without a rule, are already in
    // the rule's words; the rest (待审核, 已退回 …) get a badge.
    let badge = e
        .note
        .as_ref()
        .filter(|n| !matches!(n, Note::CapReached { .. } | Note::SectionCapReached { .. }))
        .map(|n| n.label())
        .filter(|label| *label != rule)
        .map(|label| view! { <span class="badge">{label}</span> });
    // A per-hour rule's words already give the hours; say them once.
    let hours = hours
        .map(|h| format!("{} 小时", decimal::short(h, 2)))
        .filter(|h| !rule.contains(h.as_str()))
        .unwrap_or_default();
    let detail = [day, hours, rule]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <li class="entry" class:uncounted=!e.counted>
            <div class="entry-head">
                <span class="entry-title">{title}</span>
                <span class="entry-points">{points(e.granted)}</span>
            </div>
            <p class="entry-detail">{detail}{badge}</p>
        </li>
    }
    .into_any()
}

#[component]
fn Sheet<T>(
    ledger: Ledger,
    book: Rulebook,
    titles: T,
    official: Option<(Points, Grade)>,
) -> impl IntoView
where
    T: Fn(&Source) -> Option<(String, String, Option<f64>)> + 'static,
{
    let sections = Section::ALL
        .iter()
        .map(|section| {
            // Withdrawn records (leave requests too) have left the ledger.
            let entries: Vec<_> = ledger
                .entries
                .iter()
                .filter(|e| e.section == Some(*section) && e.note != Some(Note::Withdrawn))
                .map(|e| entry_item(&book, e, titles(&e.source)))
                .collect();
            let subtotal = ledger.sections.get(section).copied().unwrap_or_default();
            view! {
                <section class="card ledger-section">
                    <h2>{format!("{}：{}", section.label(), points(subtotal))}</h2>
                    <p class="section-about">{explain::section_about(*section)}</p>
                    {if entries.is_empty() {
                        view! { <p class="muted">"暂无"</p> }.into_any()
                    } else {
                        view! { <ul class="entries">{entries}</ul> }.into_any()
                    }}
                </section>
            }
        })
        .collect_view();
    let side = |s: Side| points(ledger.sides.get(&s).copied().unwrap_or_default());
    // Until the branch enters the appraisal, the job side says why it is low.
    let no_appraisal = !ledger.entries.iter().any(|e| e.source == Source::Appraisal);
    // The band of the grade proposed: the total alone may reach a higher
    // one that the dual standard or a veto holds it back from.
    let here = ledger.proposed;
    let by_total = book.bands.grade(ledger.total);
    let held_back = (by_total != here).then(|| {
        format!(
            "按总分可评为{}，因上面的原因，预估等次为{}。",
            by_total.label(),
            here.label()
        )
    });
    let bands = explain::bands(&book)
        .into_iter()
        .map(|b| {
            let line = match b.from {
                Some(from) => format!("{} ≥ {from} 分", b.grade.label()),
                None => format!("{} 低于 {} 分", b.grade.label(), book.bands.basic),
            };
            let at = b.grade == here;
            view! {
                <li class:here=at aria-current=at.then_some("true")>{line}</li>
            }
        })
        .collect_view();
    let reasons = ledger
        .grade_reasons
        .iter()
        .map(|r| view! { <li>{r.clone()}</li> })
        .collect_view();
    view! {
        <section class="card ledger-total">
            <h1>"我的台账（预估）"</h1>
            <p class="total">
                "预估总分 " <strong data-total>{ledger.total.to_string()}</strong> " 分"
                <span class="muted">{format!("（基础分 {}，增减 {}）", ledger.base, points(ledger.sum))}</span>
            </p>
            <p>{format!("双好：党建 {} · 业务 {}", side(Side::Party), side(Side::Job))}</p>
            {no_appraisal.then(|| view! { <p class="side-about">{explain::job_side_about()}</p> })}
            <p>{format!("预估等次：{}", ledger.proposed.label())}</p>
            <ul class="grade-reasons">{reasons}</ul>
            <h2 class="bands-title">"等次分数线"</h2>
            <ul class="bands">{bands}</ul>
            <p class="standing">{explain::standing(&book, ledger.total)}</p>
            {held_back.map(|t| view! { <p class="standing">{t}</p> })}
            {official
                .map(|(total, grade)| {
                    view! {
                        <p class="official">
                            "正式台账（已审核）：" <strong data-official>{total.to_string()}</strong>
                            {format!(" 分，{}", grade.label())}
                        </p>
                    }
                })}
            <p class="muted">"预估含待审核的记录；以支部书记审核后的正式台账为准。"</p>
        </section>
        {sections}
    }
}
