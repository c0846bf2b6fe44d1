//! `/console/ledger`: the branch's official ledger, one row per member with
//! the four sections, the two sides, the total and the proposed grade;
//! sortable by any column, filtered by group and status, searchable by
//! name. `/console/members/{member_id}/ledger`: one member's sheet (一人一张
//! 清单), every entry with its rule, points, reviewer and history.

use super::branch_page::BranchPage;
use super::nav::ConsoleNav;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::cmp::Ordering;
use vanguard_shared::ledger::{
    subtotal, BranchLedger, BranchRow, Chart, Mode, Section, Sheet, Side,
};
use vanguard_shared::Me;

/// `branch`: a committee admin names the branch; an officer reads their own.
#[server(prefix = "/sfn", endpoint = "branch_ledger", output = crate::codec::TextJson)]
pub async fn load_branch_ledger(
    branch: Option<String>,
    year: Option<i32>,
) -> Result<BranchLedger, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    answer(
        services
            .ledgers()
            .branch_ledger(&caller.member, &branch, year)
            .await,
    )
}

/// The branches whose tables the caller reads, as `(id, name)`.
#[server(prefix = "/sfn", endpoint = "ledger_branches", output = crate::codec::TextJson)]
pub async fn ledger_branches() -> Result<Vec<(String, String)>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.ledgers().readable_branches(&caller.member).await)
}

/// Every member's sheet of the branch, for the batch print.
#[server(prefix = "/sfn", endpoint = "branch_sheets", output = crate::codec::TextJson)]
pub async fn load_branch_sheets(branch: Option<String>) -> Result<(String, Vec<Sheet>), UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    answer(
        services
            .ledgers()
            .branch_sheets(&caller.member, &branch, None)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "member_sheet", output = crate::codec::TextJson)]
pub async fn load_member_sheet(member_id: String, provisional: bool) -> Result<Sheet, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let mode = if provisional {
        Mode::Provisional
    } else {
        Mode::Official
    };
    answer(
        services
            .ledgers()
            .member_sheet(&caller.member, &member_id, None, mode)
            .await,
    )
}

#[component]
pub fn BranchLedgerPage() -> impl IntoView {
    view! {
        <Title text="支部台账 · 先锋台账" />
        <SignedIn page=|me: Me| view! { <BranchLedgerView me /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn BranchLedgerView(me: Me) -> impl IntoView {
    view! {
        <BranchPage
            me
            title="支部台账"
            hint="选择一个支部，查看其党员的正式台账。"
            to="/console/ledger"
            body=|branch| view! { <LedgerBody branch /> }
        />
    }
}

#[component]
fn LedgerBody(branch: Option<String>) -> impl IntoView {
    let year = super::years::year_query();
    let shown = branch.clone();
    let table = Resource::new(
        move || (branch.clone(), year()),
        |(branch, year)| load_branch_ledger(branch, year),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                table
                    .get()
                    .map(|result| match result {
                        Err(e) => view! {
                            <h1>"支部台账"</h1>
                            <p class="error" role="alert">{e.message}</p>
                        }
                            .into_any(),
                        Ok(table) => view! {
                            <super::years::YearNav year=table.year path="/console/ledger" branch=shown.clone() />
                            <Table table />
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

/// A column the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Group,
    Status,
    Section(Section),
    Side(Side),
    Total,
    Grade,
    Pending,
    Returned,
}

impl Column {
    fn compare(self, a: &BranchRow, b: &BranchRow) -> Ordering {
        match self {
            Column::Name => a.name.cmp(&b.name),
            Column::Group => a.group_name.cmp(&b.group_name),
            Column::Status => a.status_label.cmp(&b.status_label),
            Column::Section(s) => subtotal(&a.sections, s).cmp(&subtotal(&b.sections, s)),
            Column::Side(s) => subtotal(&a.sides, s).cmp(&subtotal(&b.sides, s)),
            Column::Total => a.total.cmp(&b.total),
            Column::Grade => a.proposed.cmp(&b.proposed),
            Column::Pending => a.pending.cmp(&b.pending),
            Column::Returned => a.returned.cmp(&b.returned),
        }
    }
}

#[component]
fn Table(table: BranchLedger) -> impl IntoView {
    let sort = RwSignal::new((Column::Name, false));
    let search = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let ranking = table.ranking;
    let all = StoredValue::new(table.rows.clone());
    let shown = Memo::new(move |_| {
        let (column, descending) = sort.get();
        let needle = search.get();
        let group = group.get();
        let status = status.get();
        let mut rows: Vec<BranchRow> = all
            .get_value()
            .into_iter()
            .filter(|r| needle.trim().is_empty() || r.name.contains(needle.trim()))
            .filter(|r| group.is_empty() || r.group_id.as_deref() == Some(group.as_str()))
            .filter(|r| status.is_empty() || r.status_label == status)
            .collect();
        rows.sort_by(|a, b| {
            let o = column.compare(a, b).then_with(|| a.name.cmp(&b.name));
            if descending {
                o.reverse()
            } else {
                o
            }
        });
        rows
    });
    let header = move |column: Column, label: &'static str| {
        let aria = move || {
            let (c, d) = sort.get();
            (c == column).then_some(if d { "descending" } else { "ascending" })
        };
        let arrow = move || {
            let (c, d) = sort.get();
            if c != column {
                ""
            } else if d {
                " ↓"
            } else {
                " ↑"
            }
        };
        view! {
            <th aria-sort=aria>
                <button
                    type="button"
                    class="sort"
                    on:click=move |_| {
                        sort.update(|(c, d)| {
                            if *c == column {
                                *d = !*d;
                            } else {
                                // Numbers read best from the highest down.
                                *d = !matches!(column, Column::Name | Column::Group | Column::Status);
                                *c = column;
                            }
                        })
                    }
                >
                    {label}
                    {arrow}
                </button>
            </th>
        }
    };
    let groups = table.groups.clone();
    let exports = format!("/api/branches/{}/ledger", table.branch_id);
    let year = table.year;
    let count = move || shown.with(Vec::len);
    let total_rows = table.rows.len();
    let batch = format!("/console/ledger/sheets?branch={}", table.branch_id);
    view! {
        <h1>{format!("{} 台账", table.branch_name)}</h1>
        <p class="muted">
            {format!(
                "{} 年 · {} · 正式台账：只计已审核的记录和考勤",
                table.year,
                table.rulebook_label,
            )}
        </p>
        <Exports base=exports query=format!("year={year}") />
        <p class="no-print">
            <A href=batch>"逐人打印积分清单（每人一页）"</A>
        </p>
        <div class="filters">
            <label>
                "姓名"
                <input
                    type="search"
                    placeholder="按姓名搜索"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </label>
            {(!groups.is_empty())
                .then(|| {
                    view! {
                        <label>
                            "党小组"
                            <select on:change=move |ev| group.set(event_target_value(&ev))>
                                <option value="">"全部"</option>
                                {groups
                                    .iter()
                                    .map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                    }
                })}
            <label>
                "身份"
                <select on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"全部"</option>
                    <option value="正式">"正式党员"</option>
                    <option value="预备">"预备党员"</option>
                </select>
            </label>
        </div>
        <div class="table-scroll">
            <table class="ledger-table">
                <thead>
                    <tr>
                        {header(Column::Name, "姓名")}
                        {header(Column::Total, "总分")}
                        {header(Column::Grade, "预估等次")}
                        {Side::ALL.iter().map(|s| header(Column::Side(*s), s.label())).collect_view()}
                        {Section::ALL
                            .iter()
                            .map(|s| header(Column::Section(*s), s.label()))
                            .collect_view()}
                        {header(Column::Group, "党小组")}
                        {header(Column::Status, "身份")}
                        {header(Column::Pending, "待审核")}
                        {header(Column::Returned, "已退回")}
                        {ranking.then(|| view! { <th>"排名"</th> })}
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || shown.get()
                        key=|r| r.member_id.clone()
                        children=move |r| {
                            view! {
                                <tr>
                                    <th scope="row">
                                        <A href=format!("/console/members/{}/ledger", r.member_id)>
                                            {r.name.clone()}
                                        </A>
                                    </th>
                                    <td class="num total">{r.total.to_string()}</td>
                                    // One grade on every page: a locked year shows its final one.
                                    <td>{match &r.final_label {
                                        Some(f) => format!("{f}（已锁定）"),
                                        None => r.proposed_label.clone(),
                                    }}</td>
                                    {Side::ALL
                                        .iter()
                                        .map(|s| view! { <td class="num">{subtotal(&r.sides, *s).to_string()}</td> })
                                        .collect_view()}
                                    {Section::ALL
                                        .iter()
                                        .map(|s| view! { <td class="num">{subtotal(&r.sections, *s).to_string()}</td> })
                                        .collect_view()}
                                    <td>{r.group_name.clone().unwrap_or_default()}</td>
                                    <td>{r.status_label.clone()}</td>
                                    <td class="num">{r.pending}</td>
                                    <td class="num">{r.returned}</td>
                                    {ranking.then(|| view! { <td class="num">{r.rank.unwrap_or_default()}</td> })}
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
        <p class="muted" role="status">{move || format!("显示 {} / {} 人", count(), total_rows)}</p>
        <Charts charts=table.charts.clone() />
    }
}

/// The browser's print dialog: the print stylesheet lays the page out on A4.
pub(crate) fn print(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

/// Links to the page's table as .xlsx and CSV, and to print it.
#[component]
pub(crate) fn Exports(base: String, query: String) -> impl IntoView {
    view! {
        <p class="exports">
            <a href=format!("{base}.xlsx?{query}") download="">"导出 Excel"</a>
            <a href=format!("{base}.csv?{query}") download="">"导出 CSV"</a>
            <a href="#" on:click=print>"打印（A4）"</a>
        </p>
    }
}

/// The server's charts, each with its text alternative under it.
#[component]
fn Charts(charts: Vec<Chart>) -> impl IntoView {
    view! {
        <div class="charts">
            {charts
                .into_iter()
                .map(|c| {
                    view! {
                        <figure class="chart">
                            <figcaption>{c.title}</figcaption>
                            <div class="chart-svg" inner_html=c.svg></div>
                            <p class="muted small">{c.alt}</p>
                        </figure>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
pub fn MemberSheetPage() -> impl IntoView {
    view! {
        <Title text="积分清单 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <MemberSheet /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn MemberSheet() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let member_id = move || params.with(|p| p.get("member_id").unwrap_or_default());
    let provisional = move || query.with(|q| q.get("mode").as_deref() == Some("provisional"));
    let sheet = Resource::new(
        move || (member_id(), provisional()),
        |(id, provisional)| load_member_sheet(id, provisional),
    );
    view! {
        <ConsoleNav />
        <section class="card wide">
            <p>
                <A href="/console/ledger">"← 支部台账"</A>
            </p>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    sheet
                        .get()
                        .map(|result| match result {
                            Err(e) => view! {
                                <h1>"积分清单"</h1>
                                <p class="error" role="alert">{e.message}</p>
                            }
                                .into_any(),
                            Ok(sheet) => view! { <SheetView sheet /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

/// `/console/ledger/sheets?branch=`: every member's sheet, one to a printed
/// page.
#[component]
pub fn BranchSheetsPage() -> impl IntoView {
    view! {
        <Title text="逐人打印积分清单 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <BranchSheets /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn BranchSheets() -> impl IntoView {
    let query = use_query_map();
    let branch = move || query.with(|q| q.get("branch"));
    let sheets = Resource::new(branch, load_branch_sheets);
    view! {
        <ConsoleNav />
        <section class="card wide">
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    sheets
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                            Ok((branch_name, sheets)) => {
                                let count = sheets.len();
                                view! {
                                    <div class="no-print">
                                        <h1>{format!("{branch_name} 积分清单（{count} 人）")}</h1>
                                        <p class="muted">"打印时每名党员单独一页（A4）。"</p>
                                        <p class="exports">
                                            <a href="#" on:click=print>"打印全部（A4）"</a>
                                        </p>
                                    </div>
                                    {sheets
                                        .into_iter()
                                        .map(|sheet| {
                                            view! {
                                                <section class="sheet-page">
                                                    <SheetView sheet batch=true />
                                                </section>
                                            }
                                        })
                                        .collect_view()}
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn SheetView(sheet: Sheet, #[prop(optional)] batch: bool) -> impl IntoView {
    let provisional = sheet.mode == Mode::Provisional;
    let other = if provisional {
        (
            format!("/console/members/{}/ledger", sheet.member_id),
            "看正式台账",
        )
    } else {
        (
            format!(
                "/console/members/{}/ledger?mode=provisional",
                sheet.member_id
            ),
            "看预估台账（含待审核）",
        )
    };
    view! {
        <h1>{format!("{} 的积分清单", sheet.member_name)}</h1>
        <p class="muted">
            {format!(
                "{} 年 · {} · {}",
                sheet.year,
                sheet.rulebook_label,
                if provisional { "预估台账：待审核的记录也计入" } else { "正式台账：只计已审核的记录" },
            )}
            {(!batch).then(|| view! { " " <A href=other.0.clone()>{other.1}</A> })}
        </p>
        {(!batch)
            .then(|| {
                view! {
                    <Exports
                        base=format!("/api/members/{}/ledger", sheet.member_id)
                        query=format!(
                            "year={}&mode={}",
                            sheet.year,
                            if provisional { "provisional" } else { "official" },
                        )
                    />
                }
            })}
        <dl class="totals">
            <div>
                <dt>"基础分"</dt>
                <dd>{sheet.base.to_string()}</dd>
            </div>
            <div>
                <dt>"加减分"</dt>
                <dd>{sheet.sum.to_string()}</dd>
            </div>
            <div>
                <dt>"总分"</dt>
                <dd class="total">{sheet.total.to_string()}</dd>
            </div>
            {match &sheet.locked {
                // One grade on every page: while the year is locked, the
                // locked one.
                Some(l) => view! {
                    <div>
                        <dt>"最终等次（已锁定）"</dt>
                        <dd class="final">{l.final_label.clone()}</dd>
                    </div>
                }
                    .into_any(),
                None => view! {
                    <div>
                        <dt>"预估等次"</dt>
                        <dd>{sheet.proposed_label.clone()}</dd>
                    </div>
                }
                    .into_any(),
            }}
            {Section::ALL
                .iter()
                .map(|s| {
                    view! {
                        <div>
                            <dt>{s.label()}</dt>
                            <dd>{subtotal(&sheet.sections, *s).to_string()}</dd>
                        </div>
                    }
                })
                .collect_view()}
            {Side::ALL
                .iter()
                .map(|s| {
                    view! {
                        <div>
                            <dt>{s.label()}</dt>
                            <dd>{subtotal(&sheet.sides, *s).to_string()}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
        {sheet.locked.as_ref().map(|l| {
            view! {
                <p class="notice" role="note">
                    {format!(
                        "本年度评议已于 {} 锁定：锁定时总分 {}，最终等次 {}。标注“锁定后”的记录在锁定之后计入，不改变已锁定的等次。",
                        l.locked_at, l.total, l.final_label
                    )}
                </p>
            }
        })}
        <ul class="reasons">
            {sheet.grade_reasons.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
        </ul>
        <Charts charts=sheet.charts.clone() />
        {(sheet.pending + sheet.returned > 0)
            .then(|| {
                view! {
                    <p class="notice">
                        {format!("待审核 {} 条，已退回 {} 条。", sheet.pending, sheet.returned)}
                    </p>
                }
            })}
        <div class="table-scroll">
            <table class="sheet-table">
                <thead>
                    <tr>
                        <th>"日期"</th>
                        <th>"事项"</th>
                        <th>"计分规则"</th>
                        <th>"分值"</th>
                        <th>"计入"</th>
                        <th>"说明"</th>
                        <th>"审核人"</th>
                        <th>"经过"</th>
                    </tr>
                </thead>
                <tbody>
                    {sheet
                        .entries
                        .iter()
                        .map(|e| {
                            let hours = e
                                .hours
                                .map(|h| format!("（{} 小时）", vanguard_shared::decimal::short(h, 2)))
                                .unwrap_or_default();
                            let reviewed = match (&e.reviewer_name, &e.reviewed_at) {
                                (Some(name), Some(at)) => format!("{name}（{}）", at.get(..10).unwrap_or(at)),
                                (Some(name), None) => name.clone(),
                                _ => String::new(),
                            };
                            view! {
                                <tr class=if e.counted { "" } else { "not-counted" }>
                                    <td>{e.date.clone().unwrap_or_default()}</td>
                                    <td>{format!("{}{hours}", e.what)}</td>
                                    <td>{e.rule_name.clone().unwrap_or_default()}</td>
                                    <td class="num">{e.nominal.to_string()}</td>
                                    <td class="num">{e.granted.to_string()}</td>
                                    <td>
                                        {e.note_label.clone().unwrap_or_default()}
                                        {e.after_lock.then(|| view! { <span class="badge after-lock">"锁定后"</span> })}
                                    </td>
                                    <td>{reviewed}</td>
                                    <td>
                                        {e.history.iter().map(|h| view! { <div>{h.clone()}</div> }).collect_view()}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {sheet.entries.is_empty().then(|| view! { <p class="notice">"本年度还没有记录。"</p> })}
    }
}
