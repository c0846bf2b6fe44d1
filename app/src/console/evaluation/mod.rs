//! The year-end evaluation of a branch, in the order a secretary works:
//! `/console/evaluation/job` (the job side: the unit's appraisal of each
//! member, entered or imported), `/console/evaluation` (each member's
//! proposal and why, overrides with reasons, the 优秀 quota, the lock), and
//! `/console/evaluation/notice` (the public notice, printable on A4).
//! A committee admin names the branch with `?branch=`.

use super::branch_page::{with_branch, BranchPage};
use super::ledger::Exports;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use vanguard_shared::ledger::year_end::{EvaluationRow, EvaluationView};
use vanguard_shared::ledger::Grade;
use vanguard_shared::Me;

pub mod job;
pub mod notice;

#[server(prefix = "/sfn", endpoint = "evaluation", output = crate::codec::TextJson)]
pub async fn load_evaluation(
    branch: Option<String>,
    year: Option<i32>,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .evaluation(&caller.member, &branch, year)
            .await,
    )
}

/// `grade` empty withdraws the override.
#[server(prefix = "/sfn", endpoint = "override_grade", output = crate::codec::TextJson)]
pub async fn override_grade(
    branch: Option<String>,
    year: Option<i32>,
    member_id: String,
    grade: String,
    reason: String,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    let grade = match grade.as_str() {
        "" => None,
        code => Some(
            code.parse::<Grade>()
                .map_err(|_| UiError::new("invalid_input", "未知的等次").with_status(422))?,
        ),
    };
    let year_end = services.year_end();
    answer(
        year_end
            .override_grade(&caller.member, &branch, &member_id, year, grade, &reason)
            .await,
    )?;
    answer(year_end.evaluation(&caller.member, &branch, year).await)
}

#[server(prefix = "/sfn", endpoint = "record_veto", output = crate::codec::TextJson)]
pub async fn record_veto(
    branch: Option<String>,
    year: Option<i32>,
    member_id: String,
    veto_id: String,
    reason: String,
    withdraw: bool,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    let year_end = services.year_end();
    answer(
        year_end
            .set_veto(
                &caller.member,
                &branch,
                &member_id,
                year,
                &veto_id,
                &reason,
                withdraw,
            )
            .await,
    )?;
    answer(year_end.evaluation(&caller.member, &branch, year).await)
}

#[server(prefix = "/sfn", endpoint = "lock_evaluation", output = crate::codec::TextJson)]
/// `confirmed`: the codes of the warnings the page showed, comma-separated.
pub async fn lock_evaluation(
    branch: Option<String>,
    year: Option<i32>,
    confirmed: Option<String>,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    use vanguard_core::year_end::Confirmed;
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    let codes = confirmed
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    answer(
        services
            .year_end()
            .lock(&caller.member, &branch, year, &Confirmed::Codes(codes))
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "reopen_evaluation", output = crate::codec::TextJson)]
pub async fn reopen_evaluation(
    branch: Option<String>,
    year: Option<i32>,
    reason: String,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .reopen(&caller.member, &branch, year, &reason)
            .await,
    )
}

/// The three steps, the current one marked.
#[component]
fn Steps(current: u8, branch: Option<String>) -> impl IntoView {
    let steps = [
        (1, "/console/evaluation/job", "① 业务考核"),
        (2, "/console/evaluation", "② 评议与锁定"),
        (3, "/console/evaluation/notice", "③ 结果公示"),
    ];
    view! {
        <nav class="steps no-print" aria-label="年终评议步骤">
            {steps
                .into_iter()
                .map(|(n, path, label)| {
                    view! {
                        <A
                            href=with_branch(path, &branch)
                            attr:aria-current=(n == current).then_some("step")
                        >
                            {label}
                        </A>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// The frame of each step: a committee admin without `?branch=` picks one.
#[component]
fn Step<F, V>(me: Me, picker_to: &'static str, body: F) -> impl IntoView
where
    F: Fn(Option<String>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <BranchPage
            me
            title="年终评议"
            hint="选择一个支部，查看其年终评议。"
            to=picker_to
            body
        />
    }
}

fn loading() -> impl IntoView {
    view! { <p class="loading">"正在加载…"</p> }
}

// ---------------------------------------------------------------- evaluation

#[component]
pub fn EvaluationPage() -> impl IntoView {
    view! {
        <Title text="年终评议 · 先锋台账" />
        <SignedIn
            page=|me: Me| {
                view! {
                    <Step me picker_to="/console/evaluation" body=|branch| view! { <Evaluation branch /> } />
                }
                    .into_any()
            }
            bundle=Bundle::Console
        />
    }
}

#[component]
fn Evaluation(branch: Option<String>) -> impl IntoView {
    let b = branch.clone();
    let year = crate::console::years::year_query();
    let loaded = Resource::new(
        move || (branch.clone(), year()),
        |(branch, year)| load_evaluation(branch, year),
    );
    // What the page shows: the last answer of a load or a decision.
    let shown: RwSignal<Option<Result<EvaluationView, UiError>>> = RwSignal::new(None);
    view! {
        <Suspense fallback=loading>
            {move || {
                loaded
                    .get()
                    .map(|first| {
                        // A year or branch chosen: its evaluation replaces
                        // what was shown.
                        shown.set(Some(first));
                        let branch = b.clone();
                        move || match shown.get() {
                            Some(Ok(v)) => view! { <EvaluationBody v shown branch=branch.clone() /> }.into_any(),
                            Some(Err(e)) => view! {
                                <h1>"年终评议"</h1>
                                <p class="error" role="alert">{e.message}</p>
                            }
                                .into_any(),
                            None => ().into_any(),
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn EvaluationBody(
    v: EvaluationView,
    shown: RwSignal<Option<Result<EvaluationView, UiError>>>,
    branch: Option<String>,
) -> impl IntoView {
    let failed = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<String>);
    let lock = ServerAction::<LockEvaluation>::new();
    let reopen = ServerAction::<ReopenEvaluation>::new();
    let over = ServerAction::<OverrideGrade>::new();
    let veto = ServerAction::<RecordVeto>::new();
    // Each decision answers with the evaluation as it now stands.
    for value in [lock.value(), reopen.value(), over.value(), veto.value()] {
        Effect::new(move |_| match value.get() {
            Some(Ok(v)) => {
                failed.set(None);
                editing.set(None);
                shown.set(Some(Ok(v)));
            }
            Some(Err(e)) => failed.set(Some(e.message)),
            None => {}
        });
    }
    let confirm_lock = RwSignal::new(false);
    let reopen_reason = RwSignal::new(String::new());
    let [e, q, bq, u] = v.distribution().map(|(_, n)| n);
    let quota = v.quota.clone();
    let title = format!("{} {} 年度党员民主评议", v.branch_name, v.year);
    let query = format!("year={}", v.year);
    let base = format!("/api/branches/{}/evaluation", v.branch_id);
    let locked = v.locked;
    let year = v.year;
    let can_decide = v.can_decide && !locked;
    let rows = v.rows.clone();
    let choices = v.veto_choices.clone();
    // What the lock asks about, shown before the secretary confirms; the
    // lock names them back, so one that arose since asks again.
    let warnings = v.warnings.clone();
    let warned: String = warnings
        .iter()
        .map(|w| w.code.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let lock_line = v.lock.clone().map(|l| {
        let mut text = format!("{} 于 {} 锁定", l.locked_by, l.locked_at);
        if let (Some(by), Some(at)) = (&l.reopened_by, &l.reopened_at) {
            text = format!(
                "{text}；{by} 于 {at} 重新开启，理由：{}",
                l.reopen_reason.clone().unwrap_or_default()
            );
        }
        text
    });
    let b1 = branch.clone();
    let b2 = branch.clone();
    let b3 = branch.clone();
    view! {
        <Steps current=2 branch=branch.clone() />
        // January closes last year's review.
        <crate::console::years::YearNav year path="/console/evaluation" branch=branch.clone() />
        <h1>{title}</h1>
        <p class="muted">
            {format!("{} · ", v.rulebook_label)}
            <span class=if locked { "badge locked" } else { "badge" }>{v.progress.label()}</span>
        </p>
        {lock_line.map(|t| view! { <p class="muted" role="status">{t}</p> })}
        <p class=if quota.exceeded { "quota warn" } else { "quota" } role="status">
            {format!(
                "最终等次：优秀 {e} 人、合格 {q} 人、基本合格 {bq} 人、不合格 {u} 人。优秀上限 {} 人（{} 人）",
                quota.limit,
                rows.len(),
            )}
            {quota.exceeded.then_some(" —— 优秀人数超出比例，请支部复核后再锁定")}
        </p>
        {(v.job_missing > 0)
            .then(|| {
                view! {
                    <p class="warn">
                        {format!("还有 {} 名党员未录入业务考核结果，", v.job_missing)}
                        <A href=with_branch("/console/evaluation/job", &branch)>"去录入"</A>
                    </p>
                }
            })}
        {move || failed.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <div class="table-scroll">
            <table class="evaluation-table">
                <thead>
                    <tr>
                        <th scope="col">"姓名"</th>
                        <th scope="col">"党建"</th>
                        <th scope="col">"业务"</th>
                        <th scope="col">"总分"</th>
                        <th scope="col">"年度考核"</th>
                        <th scope="col">"建议等次及依据"</th>
                        <th scope="col">"改评"</th>
                        <th scope="col">"最终等次"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <Row
                                    r
                                    can_decide
                                    editing
                                    over
                                    veto
                                    choices=choices.clone()
                                    branch=b1.clone()
                                    year
                                />
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Exports base query />
        {can_decide
            .then(|| {
                let branch = b2.clone();
                view! {
                    <h2 class="no-print">"锁定本年度评议"</h2>
                    <p class="muted no-print">
                        "锁定后，各党员的总分、建议等次、改评和业务考核结果按锁定时固定；活动、审核和考勤照常进行，之后计入的记录在台账上标注“锁定后”，不改变已锁定的等次。如需更正等次，须由上级党委管理员重新开启。"
                    </p>
                    {(!warnings.is_empty())
                        .then(|| {
                            view! {
                                <div class="warn no-print" role="alert" aria-label="锁定前请注意">
                                    <p>"锁定前请注意，以下事项尚未完成："</p>
                                    <ul class="lock-warnings">
                                        {warnings
                                            .iter()
                                            .map(|w| view! { <li data-code=w.code.clone()>{w.message.clone()}</li> })
                                            .collect_view()}
                                    </ul>
                                </div>
                            }
                        })}
                    <label class="block no-print">
                        <input
                            type="checkbox"
                            prop:checked=move || confirm_lock.get()
                            on:change=move |ev| confirm_lock.set(event_target_checked(&ev))
                        />
                        {if warnings.is_empty() {
                            " 已经支部党员大会审议，确认锁定"
                        } else {
                            " 已知悉以上未完成事项，已经支部党员大会审议，确认锁定"
                        }}
                    </label>
                    <button
                        type="button"
                        class="primary no-print"
                        disabled=move || !confirm_lock.get() || lock.pending().get()
                        on:click=move |_| {
                            lock.dispatch(LockEvaluation {
                                year: Some(year),
                                branch: branch.clone(),
                                confirmed: Some(warned.clone()),
                            });
                        }
                    >
                        "锁定"
                    </button>
                }
            })}
        {(locked && v.can_reopen)
            .then(|| {
                let branch = b3.clone();
                view! {
                    <h2 class="no-print">"重新开启"</h2>
                    <label class="block no-print">
                        "理由（必填，将记入审计日志）"
                        <textarea
                            rows="2"
                            prop:value=move || reopen_reason.get()
                            on:input=move |ev| reopen_reason.set(event_target_value(&ev))
                        ></textarea>
                    </label>
                    <button
                        type="button"
                        class="no-print"
                        disabled=move || reopen.pending().get() || reopen_reason.with(|r| r.trim().is_empty())
                        on:click=move |_| {
                            reopen.dispatch(ReopenEvaluation {
                                year: Some(year),
                                branch: branch.clone(),
                                reason: reopen_reason.get_untracked(),
                            });
                        }
                    >
                        "重新开启评议"
                    </button>
                }
            })}
        {locked
            .then(|| {
                view! {
                    <p class="no-print">
                        <A href=with_branch("/console/evaluation/notice", &branch)>"下一步：发布结果公示 →"</A>
                    </p>
                }
            })}
    }
}

const GRADES: [Grade; 4] = [
    Grade::Excellent,
    Grade::Qualified,
    Grade::Basic,
    Grade::Unqualified,
];

/// One member's line, and under it the override form when it is open.
#[component]
fn Row(
    r: EvaluationRow,
    can_decide: bool,
    editing: RwSignal<Option<String>>,
    over: ServerAction<OverrideGrade>,
    veto: ServerAction<RecordVeto>,
    choices: Vec<(String, String)>,
    branch: Option<String>,
    year: i32,
) -> impl IntoView {
    let id = r.member_id.clone();
    let veto_id = RwSignal::new(
        choices
            .first()
            .map(|(id, _)| id.clone())
            .unwrap_or_default(),
    );
    let veto_reason = RwSignal::new(String::new());
    let found: Vec<(String, String)> = r
        .veto_ids
        .iter()
        .cloned()
        .zip(r.vetoes.iter().cloned())
        .collect();
    let open = {
        let id = id.clone();
        move || editing.with(|e| e.as_deref() == Some(id.as_str()))
    };
    let grade = RwSignal::new(r.override_.unwrap_or(r.proposed).as_str().to_string());
    let reason = RwSignal::new(r.override_reason.clone().unwrap_or_default());
    let has_override = r.override_.is_some();
    let job = match (r.job_result, r.tasks) {
        (Some(a), Some((assigned, done))) => format!("{}（任务 {done}/{assigned}）", a.label()),
        (Some(a), None) => a.label().to_string(),
        (None, _) => "未录入".to_string(),
    };
    let reasons = r.reasons.clone();
    let vetoes = r.vetoes.clone();
    let override_text = r.override_.map(|g| {
        format!(
            "{}：{}（{} {}）",
            g.label(),
            r.override_reason.clone().unwrap_or_default(),
            r.override_by.clone().unwrap_or_default(),
            r.override_at.clone().unwrap_or_default()
        )
    });
    let id_open = id.clone();
    let id_save = id.clone();
    let id_withdraw = id.clone();
    let b_save = branch.clone();
    let b_withdraw = branch.clone();
    let b_veto = branch.clone();
    let b_unveto = branch;
    let id_veto = id.clone();
    let id_unveto = id.clone();
    view! {
        <tr class=if r.override_.is_some() { "overridden" } else { "" }>
            <th scope="row">
                <A href=format!("/console/members/{}/ledger", r.member_id)>{r.name.clone()}</A>
                {r.group_name.clone().map(|g| view! { <span class="muted small">{format!(" {g}")}</span> })}
            </th>
            <td class="num">{r.party_score.to_string()}</td>
            <td class="num">{r.job_score.to_string()}</td>
            <td class="num">{r.total.to_string()}</td>
            <td class=if r.job_result.is_none() { "warn" } else { "" }>{job}</td>
            <td>
                <strong>{r.proposed.label()}</strong>
                <ul class="reasons small">
                    {reasons.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                    {vetoes
                        .into_iter()
                        .map(|t| view! { <li class="warn">{format!("否决项：{t}")}</li> })
                        .collect_view()}
                </ul>
            </td>
            <td class="small">
                {override_text.unwrap_or_default()}
                {can_decide
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="link no-print"
                                on:click=move |_| editing.set(Some(id_open.clone()))
                            >
                                {if has_override { "修改改评" } else { "改评" }}
                            </button>
                        }
                    })}
            </td>
            <td>
                <strong>{r.final_.label()}</strong>
            </td>
        </tr>
        <Show when=open.clone()>
            <tr class="override-form no-print">
                <td colspan="8">
                    <label>
                        "改评为 "
                        <select
                            prop:value=move || grade.get()
                            on:change=move |ev| grade.set(event_target_value(&ev))
                        >
                            {GRADES
                                .into_iter()
                                .map(|g| view! { <option value=g.as_str()>{g.label()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="block">
                        "理由（必填，例如支部党员大会的审议意见）"
                        <textarea
                            rows="2"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                        ></textarea>
                    </label>
                    <button
                        type="button"
                        class="primary"
                        disabled=move || over.pending().get() || reason.with(|r| r.trim().is_empty())
                        on:click={
                            let id = id_save.clone();
                            let branch = b_save.clone();
                            move |_| {
                                over.dispatch(OverrideGrade {
                                    year: Some(year),
                                    branch: branch.clone(),
                                    member_id: id.clone(),
                                    grade: grade.get_untracked(),
                                    reason: reason.get_untracked(),
                                });
                            }
                        }
                    >
                        "保存改评"
                    </button>
                    {has_override
                        .then(|| {
                            let id = id_withdraw.clone();
                            let branch = b_withdraw.clone();
                            view! {
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        over.dispatch(OverrideGrade {
                                            year: Some(year),
                                            branch: branch.clone(),
                                            member_id: id.clone(),
                                            grade: String::new(),
                                            reason: String::new(),
                                        });
                                    }
                                >
                                    "撤销改评"
                                </button>
                            }
                        })}
                    <button type="button" on:click=move |_| editing.set(None)>
                        "取消"
                    </button>
                    <fieldset class="veto">
                        <legend>"一票否决"</legend>
                        {found
                            .iter()
                            .map(|(vid, text)| {
                                let vid = vid.clone();
                                let id = id_unveto.clone();
                                let branch = b_unveto.clone();
                                view! {
                                    <p class="warn">
                                        {text.clone()} " "
                                        <button
                                            type="button"
                                            on:click=move |_| {
                                                veto.dispatch(RecordVeto {
                                                    year: Some(year),
                                                    branch: branch.clone(),
                                                    member_id: id.clone(),
                                                    veto_id: vid.clone(),
                                                    reason: String::new(),
                                                    withdraw: true,
                                                });
                                            }
                                        >
                                            "撤销"
                                        </button>
                                    </p>
                                }
                            })
                            .collect_view()}
                        <label>
                            "否决项 "
                            <select
                                prop:value=move || veto_id.get()
                                on:change=move |ev| veto_id.set(event_target_value(&ev))
                            >
                                {choices
                                    .iter()
                                    .map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                        <label class="block">
                            "事实与依据（必填）"
                            <textarea
                                rows="2"
                                prop:value=move || veto_reason.get()
                                on:input=move |ev| veto_reason.set(event_target_value(&ev))
                            ></textarea>
                        </label>
                        <button
                            type="button"
                            disabled=move || veto.pending().get() || veto_reason.with(|r| r.trim().is_empty())
                            on:click={
                                let id = id_veto.clone();
                                let branch = b_veto.clone();
                                move |_| {
                                    veto.dispatch(RecordVeto {
                                        year: Some(year),
                                        branch: branch.clone(),
                                        member_id: id.clone(),
                                        veto_id: veto_id.get_untracked(),
                                        reason: veto_reason.get_untracked(),
                                        withdraw: false,
                                    });
                                }
                            }
                        >
                            "记录否决项"
                        </button>
                    </fieldset>
                </td>
            </tr>
        </Show>
    }
}

// ---------------------------------------------------------------- job side
