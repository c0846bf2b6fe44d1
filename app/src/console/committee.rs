//! `/console/committee`: a committee admin's view of every branch below,
//! one row each (meetings held of due per quarter, participation, reviews
//! waiting, the evaluation's progress and grades, the 六化 score), each
//! drilling down to the branch's ledger, evaluation and assessment.
//! `/console/assessment`: a branch's 六化 sheet, the branch's self-check
//! and the committee's spot-check that prevails.

use super::branch_page::BranchPage;
use super::ledger::Exports;
use super::nav::ConsoleNav;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use vanguard_shared::committee::{BranchSummary, CommitteeView};
use vanguard_shared::export_job::ExportJob;
use vanguard_shared::ledger::year_end::{
    AssessmentItemView, BranchAssessmentView, FindingInput, Progress,
};
use vanguard_shared::ledger::Period;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "committee", output = crate::codec::TextJson)]
pub async fn load_committee() -> Result<CommitteeView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.committee().view(&caller.member, None).await)
}

#[server(prefix = "/sfn", endpoint = "start_committee_export", output = crate::codec::TextJson)]
pub async fn start_committee_export() -> Result<ExportJob, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .export_jobs()
            .start_committee_ledger(&caller.member, None)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "export_status", output = crate::codec::TextJson)]
pub async fn export_status(id: String) -> Result<ExportJob, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.export_jobs().status_of(&caller.member, &id).await)
}

#[server(prefix = "/sfn", endpoint = "assessment", output = crate::codec::TextJson)]
pub async fn load_assessment(branch: Option<String>) -> Result<BranchAssessmentView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .assessment(&caller.member, &branch, None)
            .await,
    )
}

/// `findings`: JSON of `[FindingInput]`.
#[server(prefix = "/sfn", endpoint = "save_assessment", output = crate::codec::TextJson)]
pub async fn save_assessment(
    branch: Option<String>,
    spot_check: bool,
    findings: String,
) -> Result<BranchAssessmentView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    let findings: Vec<FindingInput> = serde_json::from_str(&findings)
        .map_err(|_| UiError::new("invalid_input", "评定表格式不对").with_status(422))?;
    answer(
        services
            .year_end()
            .save_assessment(&caller.member, &branch, None, spot_check, &findings)
            .await,
    )
}

#[component]
pub fn CommitteePage() -> impl IntoView {
    view! {
        <Title text="各支部概况 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <Committee /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn Committee() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| load_committee());
    view! {
        <ConsoleNav />
        <section class="card wide">
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    loaded
                        .get()
                        .map(|r| match r {
                            Ok(v) => view! { <CommitteeTable v /> }.into_any(),
                            Err(e) => view! {
                                <h1>"各支部概况"</h1>
                                <p class="error" role="alert">{e.message}</p>
                            }
                                .into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_string(), |p| format!("{p:.0}%"))
}

#[component]
fn CommitteeTable(v: CommitteeView) -> impl IntoView {
    let locked = v
        .branches
        .iter()
        .filter(|b| b.progress == Progress::Locked)
        .count();
    let pending: usize = v.branches.iter().map(|b| b.pending_reviews).sum();
    let kinds: Vec<(String, Period)> = v
        .branches
        .first()
        .map(|b| {
            b.meetings
                .iter()
                .map(|m| (m.kind.label().to_string(), m.period))
                .collect()
        })
        .unwrap_or_default();
    let cadence = kinds
        .iter()
        .map(|(k, p)| {
            let every = match p {
                Period::Month => "每月",
                Period::Quarter => "每季度",
                Period::Year => "每年",
            };
            format!("{k}{every}")
        })
        .collect::<Vec<_>>()
        .join("、");
    let ranked = v.ranked;
    view! {
        <h1>{format!("{} {} 年度各支部概况", v.committee_name, v.year)}</h1>
        <p class="muted">
            {format!(
                "共 {} 个支部；评议已锁定 {locked} 个；待审核记录 {pending} 条。会议按“{cadence}”计应开次数（截至本月）。",
                v.branches.len(),
            )}
            {(!ranked).then_some(" 各支部按名称排列，不排名。")}
        </p>
        <Exports base="/api/committee".to_string() query=format!("year={}", v.year) />
        <LongExport />
        <div class="table-scroll">
            <table class="committee-table">
                <thead>
                    <tr>
                        <th scope="col">"支部"</th>
                        <th scope="col">"会议（已开/应开）"</th>
                        <th scope="col">"参与率"</th>
                        <th scope="col">"待审核"</th>
                        <th scope="col">"年终评议"</th>
                        <th scope="col">"等次分布"</th>
                        <th scope="col">"六化"</th>
                        {ranked.then(|| view! { <th scope="col">"排名"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {v
                        .branches
                        .into_iter()
                        .map(|b| view! { <BranchRow b ranked /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Every member's ledger row of every branch below, written in the
/// background: the page starts it, shows how far it got, then the file.
#[component]
fn LongExport() -> impl IntoView {
    let job = RwSignal::new(None::<Result<ExportJob, UiError>>);
    let start = ServerAction::<StartCommitteeExport>::new();
    Effect::new(move |_| {
        if let Some(r) = start.value().get() {
            job.set(Some(r));
        }
    });
    // While it runs, ask again every second.
    Effect::new(move |_| {
        let Some(Ok(j)) = job.get() else {
            return;
        };
        if j.state != "running" {
            return;
        }
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            gloo_timers_sleep(1000).await;
            job.set(Some(export_status(j.id).await));
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = j;
    });
    view! {
        <div class="long-export no-print">
            <button
                type="button"
                disabled=move || {
                    start.pending().get() || job.with(|j| matches!(j, Some(Ok(j)) if j.state == "running"))
                }
                on:click=move |_| {
                    start.dispatch(StartCommitteeExport {});
                }
            >
                "导出全部党员台账（Excel）"
            </button>
            {move || {
                job.get()
                    .map(|r| match r {
                        Ok(j) if j.state == "done" => view! {
                            <p class="ok" role="status">
                                {format!("已完成：{} 个支部。", j.total)}
                                <a href=j.file.clone().unwrap_or_default() download="">"下载"</a>
                            </p>
                        }
                            .into_any(),
                        Ok(j) if j.state == "failed" => view! {
                            <p class="error" role="alert">{j.message.unwrap_or_default()}</p>
                        }
                            .into_any(),
                        Ok(j) => view! {
                            <p role="status">
                                <progress max=j.total.max(1) value=j.done></progress>
                                {format!(" 正在导出：{} / {} 个支部", j.done, j.total)}
                            </p>
                        }
                            .into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    })
            }}
        </div>
    }
}

/// Waits `ms` milliseconds in the browser.
#[cfg(feature = "hydrate")]
async fn gloo_timers_sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[component]
fn BranchRow(b: BranchSummary, ranked: bool) -> impl IntoView {
    let id = b.branch_id.clone();
    let [q1, q2, q3, q4] = b.participation;
    let grades = b
        .grades
        .iter()
        .map(|(g, n)| format!("{} {n}", g.label()))
        .collect::<Vec<_>>()
        .join(" · ");
    let final_or_not = if b.progress == Progress::Locked {
        "最终"
    } else {
        "建议"
    };
    view! {
        <tr>
            <th scope="row">
                <strong>{b.branch_name.clone()}</strong>
                <span class="muted small">{format!(" {} 人", b.members)}</span>
                <span class="drill small">
                    <A href=format!("/console/ledger?branch={id}")>"台账"</A>
                    <A href=format!("/console/evaluation?branch={id}")>"评议"</A>
                    <A href=format!("/console/assessment?branch={id}")>"六化"</A>
                </span>
            </th>
            <td>
                <ul class="meetings small">
                    {b
                        .meetings
                        .iter()
                        .map(|m| {
                            let quarters = m
                                .quarters
                                .iter()
                                .map(|(h, d)| format!("{h}/{d}"))
                                .collect::<Vec<_>>()
                                .join(" ");
                            view! {
                                <li class:behind=m.behind()>
                                    {format!("{}：{}/{}", m.kind.label(), m.year.0, m.year.1)}
                                    <span class="muted">{format!("（季度 {quarters}）")}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </td>
            <td class="small">
                <strong>{percent(b.participation_year)}</strong>
                <br />
                <span class="muted">
                    {format!("{} · {} · {} · {}", percent(q1), percent(q2), percent(q3), percent(q4))}
                </span>
            </td>
            <td class="num">{b.pending_reviews}</td>
            <td>
                <span class=if b.progress == Progress::Locked { "badge locked" } else { "badge" }>
                    {b.progress.label()}
                </span>
            </td>
            <td class="small">{format!("{final_or_not}：{grades}")}</td>
            <td>
                {match b.liuhua {
                    Some((p, label)) => format!("{p} 分 · {label}"),
                    None => "未评定".to_string(),
                }}
            </td>
            {ranked.then(|| view! { <td class="num">{b.rank.unwrap_or_default()}</td> })}
        </tr>
    }
}

// ---------------------------------------------------------------- 六化

#[component]
pub fn AssessmentPage() -> impl IntoView {
    view! {
        <Title text="六化评定 · 先锋台账" />
        <SignedIn page=|me: Me| view! { <Assessment me /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn Assessment(me: Me) -> impl IntoView {
    view! {
        <BranchPage
            me
            title="六化评定"
            hint="选择一个支部，查看其自查并进行抽查。"
            to="/console/assessment"
            body=|branch| view! { <AssessmentBody branch /> }
        />
    }
}

#[component]
fn AssessmentBody(branch: Option<String>) -> impl IntoView {
    let b = branch.clone();
    let loaded = Resource::new(move || branch.clone(), load_assessment);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                let b = b.clone();
                loaded
                    .get()
                    .map(|r| match r {
                        Ok(v) => view! { <Sheet v branch=b /> }.into_any(),
                        Err(e) => view! {
                            <h1>"六化评定"</h1>
                            <p class="error" role="alert">{e.message}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

const LEVELS: [(&str, &str); 3] = [
    ("met", "达到"),
    ("partly", "部分达到"),
    ("not_met", "未达到"),
];

fn level_label(code: &str) -> &'static str {
    LEVELS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("—", |(_, l)| l)
}

/// One item's editable finding at the stage the viewer fills in.
#[derive(Clone)]
struct Line {
    item_id: String,
    score: RwSignal<String>,
    note: RwSignal<String>,
}

#[component]
fn Sheet(v: BranchAssessmentView, branch: Option<String>) -> impl IntoView {
    let shown = RwSignal::new(v);
    let save = ServerAction::<SaveAssessment>::new();
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            shown.set(v);
        }
    });
    move || {
        let v = shown.get();
        // The committee above spot-checks; the branch checks itself.
        let spot = v.can_spot_check;
        let editable = spot || v.can_self_check;
        let lines: Vec<Line> = v
            .items
            .iter()
            .map(|i| {
                let (score, note) = if spot {
                    (
                        i.spot_score.clone().or(i.self_score.clone()),
                        i.spot_note.clone(),
                    )
                } else {
                    (i.self_score.clone(), i.self_note.clone())
                };
                Line {
                    item_id: i.item_id.clone(),
                    score: RwSignal::new(score.unwrap_or_default()),
                    note: RwSignal::new(note),
                }
            })
            .collect();
        let all = StoredValue::new(lines.clone());
        let branch = branch.clone();
        let on_save = move |_| {
            let findings: Vec<FindingInput> = all
                .get_value()
                .iter()
                .filter(|l| !l.score.get_untracked().is_empty())
                .map(|l| FindingInput {
                    item_id: l.item_id.clone(),
                    score: l.score.get_untracked(),
                    note: l.note.get_untracked(),
                })
                .collect();
            save.dispatch(SaveAssessment {
                branch: branch.clone(),
                spot_check: spot,
                findings: serde_json::to_string(&findings).unwrap_or_default(),
            });
        };
        let headings = v
            .headings
            .iter()
            .map(|(h, got, of)| format!("{h} {got}/{of}"))
            .collect::<Vec<_>>()
            .join(" · ");
        view! {
            <h1>{format!("{} {} 年度“六化”评定", v.branch_name, v.year)}</h1>
            <p class="quota" role="status">
                {format!(
                    "得分 {} / {}（{}）。自查 {} 项，抽查 {} 项；抽查结果优先。",
                    v.total,
                    v.out_of,
                    v.standing_label,
                    v.self_checked,
                    v.spot_checked,
                )}
            </p>
            <p class="muted small">{headings}</p>
            <div class="table-scroll">
                <table class="assessment-table">
                    <thead>
                        <tr>
                            <th scope="col">"项目"</th>
                            <th scope="col" class="num">"分值"</th>
                            <th scope="col">"支部自查"</th>
                            <th scope="col">"党委抽查"</th>
                            <th scope="col" class="num">"得分"</th>
                            {editable
                                .then(|| {
                                    view! {
                                        <th scope="col">{if spot { "本次抽查" } else { "本次自查" }}</th>
                                    }
                                })}
                        </tr>
                    </thead>
                    <tbody>
                        {v
                            .items
                            .iter()
                            .zip(lines)
                            .map(|(i, l)| view! { <Item i=i.clone() l editable /> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            {editable
                .then(|| {
                    view! {
                        <p>
                            <button
                                type="button"
                                class="primary"
                                disabled=move || save.pending().get()
                                on:click=on_save.clone()
                            >
                                {if spot { "保存抽查" } else { "保存自查" }}
                            </button>
                        </p>
                    }
                })}
            {move || {
                save.value()
                    .get()
                    .map(|r| match r {
                        Ok(_) => view! { <p class="ok" role="status">"已保存。"</p> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    })
            }}
        }
    }
}

#[component]
fn Item(i: AssessmentItemView, l: Line, editable: bool) -> impl IntoView {
    let label = format!("第 {} 项 {}", i.item_id, i.name);
    view! {
        <tr>
            <th scope="row">
                {format!("{}. {}", i.item_id, i.name)}
                <span class="muted small">{format!(" {}", i.heading)}</span>
            </th>
            <td class="num">{i.max.to_string()}</td>
            <td class="small">
                {i.self_score.as_deref().map(level_label).unwrap_or("—")}
                {(!i.self_note.is_empty()).then(|| view! { <br /><span class="muted">{i.self_note.clone()}</span> })}
            </td>
            <td class="small">
                {i.spot_score.as_deref().map(level_label).unwrap_or("—")}
                {(!i.spot_note.is_empty()).then(|| view! { <br /><span class="muted">{i.spot_note.clone()}</span> })}
                {i.spot_by.clone().map(|by| view! { <br /><span class="muted">{by}</span> })}
            </td>
            <td class="num">{i.granted.to_string()}</td>
            {editable
                .then(|| {
                    view! {
                        <td class="finding">
                            <select
                                aria-label=format!("{label} 评定")
                                prop:value=move || l.score.get()
                                on:change=move |ev| l.score.set(event_target_value(&ev))
                            >
                                <option value="">"未评定"</option>
                                {LEVELS
                                    .iter()
                                    .map(|(c, t)| view! { <option value=*c>{*t}</option> })
                                    .collect_view()}
                            </select>
                            <input
                                type="text"
                                placeholder="佐证材料或说明"
                                aria-label=format!("{label} 说明")
                                prop:value=move || l.note.get()
                                on:input=move |ev| l.note.set(event_target_value(&ev))
                            />
                        </td>
                    }
                })}
        </tr>
    }
}
