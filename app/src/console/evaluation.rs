//! The year-end evaluation of a branch, in the order a secretary works:
//! `/console/evaluation/job` (the job side: the unit's appraisal of each
//! member, entered or imported), `/console/evaluation` (each member's
//! proposal and why, overrides with reasons, the 优秀 quota, the lock), and
//! `/console/evaluation/notice` (the public notice, printable on A4).
//! A committee admin names the branch with `?branch=`.

use super::ledger::{print, BranchPicker, Exports};
use super::nav::ConsoleNav;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use vanguard_shared::ledger::year_end::{
    EvaluationRow, EvaluationView, JobInput, JobSheet, Notice,
};
use vanguard_shared::ledger::{Appraisal, Grade};
use vanguard_shared::Me;

/// The branch a server function works on: the named one, else the caller's.
#[cfg(feature = "ssr")]
fn branch_or_own(branch: Option<String>, caller: &vanguard_core::Caller) -> String {
    branch
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| caller.member.org_id.clone())
}

#[server(prefix = "/sfn", endpoint = "evaluation", output = crate::codec::TextJson)]
pub async fn load_evaluation(branch: Option<String>) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .evaluation(&caller.member, &branch, None)
            .await,
    )
}

/// `grade` empty withdraws the override.
#[server(prefix = "/sfn", endpoint = "override_grade", output = crate::codec::TextJson)]
pub async fn override_grade(
    branch: Option<String>,
    member_id: String,
    grade: String,
    reason: String,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
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
            .override_grade(&caller.member, &branch, &member_id, None, grade, &reason)
            .await,
    )?;
    answer(year_end.evaluation(&caller.member, &branch, None).await)
}

#[server(prefix = "/sfn", endpoint = "record_veto", output = crate::codec::TextJson)]
pub async fn record_veto(
    branch: Option<String>,
    member_id: String,
    veto_id: String,
    reason: String,
    withdraw: bool,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    let year_end = services.year_end();
    answer(
        year_end
            .set_veto(
                &caller.member,
                &branch,
                &member_id,
                None,
                &veto_id,
                &reason,
                withdraw,
            )
            .await,
    )?;
    answer(year_end.evaluation(&caller.member, &branch, None).await)
}

#[server(prefix = "/sfn", endpoint = "lock_evaluation", output = crate::codec::TextJson)]
pub async fn lock_evaluation(branch: Option<String>) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .lock(&caller.member, &branch, None)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "reopen_evaluation", output = crate::codec::TextJson)]
pub async fn reopen_evaluation(
    branch: Option<String>,
    reason: String,
) -> Result<EvaluationView, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .reopen(&caller.member, &branch, None, &reason)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "job_sheet", output = crate::codec::TextJson)]
pub async fn load_job_sheet(branch: Option<String>) -> Result<JobSheet, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    answer(
        services
            .year_end()
            .job_sheet(&caller.member, &branch, None)
            .await,
    )
}

/// `rows`: the sheet's filled rows as JSON.
#[server(prefix = "/sfn", endpoint = "save_job_sheet", output = crate::codec::TextJson)]
pub async fn save_job_sheet(branch: Option<String>, rows: String) -> Result<usize, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    let rows: Vec<JobInput> = serde_json::from_str(&rows)
        .map_err(|_| UiError::new("invalid_input", "业务考核表格式不对").with_status(422))?;
    answer(
        services
            .year_end()
            .save_jobs(&caller.member, &branch, None, &rows, "页面录入")
            .await,
    )
}

/// `content`: the file, base64, as the browser read it.
#[server(prefix = "/sfn", endpoint = "import_job_sheet", output = crate::codec::TextJson)]
pub async fn import_job_sheet(
    branch: Option<String>,
    file_name: String,
    content: String,
) -> Result<usize, UiError> {
    use crate::server::{answer, signed_in};
    use base64::Engine;
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.as_bytes())
        .map_err(|_| UiError::new("invalid_input", "文件没有完整上传，请重试").with_status(422))?;
    answer(
        services
            .year_end()
            .import_jobs(&caller.member, &branch, None, &file_name, &bytes)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "branch_notice", output = crate::codec::TextJson)]
pub async fn load_notice(branch: Option<String>) -> Result<Option<Notice>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    let year = vanguard_shared::year::current(chrono::Utc::now());
    answer(
        services
            .year_end()
            .notice_of(&caller.member, &branch, year)
            .await,
    )
}

/// `named`: grade codes, comma-separated.
#[server(prefix = "/sfn", endpoint = "publish_notice", output = crate::codec::TextJson)]
pub async fn publish_notice(
    branch: Option<String>,
    starts_on: String,
    ends_on: String,
    objection: String,
    named: String,
) -> Result<Notice, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = branch_or_own(branch, &caller);
    let input = vanguard_shared::ledger::year_end::NoticeInput {
        starts_on,
        ends_on,
        objection,
        named: named.split(',').filter_map(|g| g.parse().ok()).collect(),
    };
    answer(
        services
            .year_end()
            .publish_notice(&caller.member, &branch, None, &input)
            .await,
    )
}

/// The `?branch=` of the page, kept on every link between the three steps.
fn branch_query() -> impl Fn() -> Option<String> + Copy {
    let query = use_query_map();
    move || query.with(|q| q.get("branch"))
}

fn with_branch(path: &str, branch: &Option<String>) -> String {
    match branch {
        Some(b) => format!("{path}?branch={b}"),
        None => path.to_string(),
    }
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
    let branch = branch_query();
    if me.branch.is_none() && branch().is_none() {
        return view! {
            <ConsoleNav />
            <section class="card wide">
                <BranchPicker
                    title="年终评议"
                    hint="选择一个支部，查看其年终评议。"
                    to=picker_to
                />
            </section>
        }
        .into_any();
    }
    view! {
        <ConsoleNav />
        <section class="card wide">{body(branch())}</section>
    }
    .into_any()
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
    let loaded = Resource::new(move || branch.clone(), load_evaluation);
    // What the page shows: the last answer of a load or a decision.
    let shown: RwSignal<Option<Result<EvaluationView, UiError>>> = RwSignal::new(None);
    view! {
        <Suspense fallback=loading>
            {move || {
                loaded
                    .get()
                    .map(|first| {
                        if shown.with_untracked(Option::is_none) {
                            shown.set(Some(first));
                        }
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
    let can_decide = v.can_decide && !locked;
    let rows = v.rows.clone();
    let choices = v.veto_choices.clone();
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
                        "锁定后，建议等次、改评和本年度台账（审核、考勤、业务考核）都不能再修改；如需更正，须由上级党委管理员重新开启。"
                    </p>
                    <label class="block no-print">
                        <input
                            type="checkbox"
                            prop:checked=move || confirm_lock.get()
                            on:change=move |ev| confirm_lock.set(event_target_checked(&ev))
                        />
                        " 已经支部党员大会审议，确认锁定"
                    </label>
                    <button
                        type="button"
                        class="primary no-print"
                        disabled=move || !confirm_lock.get() || lock.pending().get()
                        on:click=move |_| {
                            lock.dispatch(LockEvaluation { branch: branch.clone() });
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

#[component]
pub fn JobSheetPage() -> impl IntoView {
    view! {
        <Title text="业务考核 · 先锋台账" />
        <SignedIn
            page=|me: Me| {
                view! {
                    <Step me picker_to="/console/evaluation/job" body=|branch| view! { <Job branch /> } />
                }
                    .into_any()
            }
            bundle=Bundle::Console
        />
    }
}

/// One editable line of the sheet.
#[derive(Clone)]
struct JobLine {
    member_id: String,
    appraisal: RwSignal<String>,
    assigned: RwSignal<String>,
    completed: RwSignal<String>,
    note: RwSignal<String>,
}

#[component]
fn Job(branch: Option<String>) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let b = branch.clone();
    let loaded = Resource::new(
        move || (b.clone(), version.get()),
        |(b, _)| load_job_sheet(b),
    );
    // Kept across the reload that shows what they stored, with their messages.
    let save = ServerAction::<SaveJobSheet>::new();
    let import = ServerAction::<ImportJobSheet>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = import.value().get() {
            version.update(|v| *v += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            version.update(|v| *v += 1);
        }
    });
    view! {
        <Steps current=1 branch=branch.clone() />
        <Suspense fallback=loading>
            {move || {
                let branch = branch.clone();
                loaded
                    .get()
                    .map(|r| match r {
                        Ok(sheet) => view! { <JobBody sheet branch save import /> }.into_any(),
                        Err(e) => view! {
                            <h1>"业务考核"</h1>
                            <p class="error" role="alert">{e.message}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn JobBody(
    sheet: JobSheet,
    branch: Option<String>,
    save: ServerAction<SaveJobSheet>,
    import: ServerAction<ImportJobSheet>,
) -> impl IntoView {
    let lines: Vec<JobLine> = sheet
        .rows
        .iter()
        .map(|r| JobLine {
            member_id: r.member_id.clone(),
            appraisal: RwSignal::new(
                r.appraisal
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
            ),
            assigned: RwSignal::new(r.tasks_assigned.map(|n| n.to_string()).unwrap_or_default()),
            completed: RwSignal::new(r.tasks_completed.map(|n| n.to_string()).unwrap_or_default()),
            note: RwSignal::new(r.note.clone().unwrap_or_default()),
        })
        .collect();
    let all = StoredValue::new(lines.clone());
    let problem = RwSignal::new(None::<String>);
    let b_save = branch.clone();
    let on_save = move |_| {
        let mut rows = Vec::new();
        for l in all.get_value() {
            let appraisal = l.appraisal.get_untracked();
            if appraisal.is_empty() {
                continue;
            }
            let Ok(appraisal) = appraisal.parse::<Appraisal>() else {
                continue;
            };
            let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<u32>().ok();
            rows.push(JobInput {
                member_id: l.member_id.clone(),
                appraisal,
                tasks_assigned: number(l.assigned),
                tasks_completed: number(l.completed),
                note: Some(l.note.get_untracked()).filter(|n| !n.trim().is_empty()),
            });
        }
        if rows.is_empty() {
            problem.set(Some("请至少为一名党员选择年度考核结果".into()));
            return;
        }
        problem.set(None);
        let rows = serde_json::to_string(&rows).unwrap_or_default();
        save.dispatch(SaveJobSheet {
            branch: b_save.clone(),
            rows,
        });
    };
    let locked = sheet.locked;
    let b_file = branch.clone();
    let on_file = move |ev: leptos::ev::Event| {
        let branch = b_file.clone();
        super::upload::read_chosen(ev, move |file_name, content| {
            import.dispatch(ImportJobSheet {
                branch,
                file_name,
                content,
            });
        });
    };
    let filled = sheet.rows.iter().filter(|r| r.appraisal.is_some()).count();
    view! {
        <h1>{format!("{} {} 年度业务考核", sheet.branch_name, sheet.year)}</h1>
        <p class="muted">
            {format!(
                "单位对每名党员本年度工作的考核（业务），按积分细则计入“工作完成情况”，并决定能否评为优秀：不称职者业务不合格，基本称职者不能评为优秀。已录入 {filled} / {} 人。",
                sheet.rows.len(),
            )}
        </p>
        {locked
            .then(|| {
                view! { <p class="warn" role="status">"本年度评议已锁定，业务考核结果不能再修改。"</p> }
            })}
        <details
            class="import"
            open=(filled == 0 && !locked) || import.value().with_untracked(Option::is_some)
        >
            <summary>"从 Excel 或 CSV 导入"</summary>
            <p class="muted small">
                "第一行为表头：用户名、年度考核（优秀 / 称职 / 基本称职 / 不称职，也可写 合格、基本合格、不合格），可选 交办任务、完成任务、备注。每名党员一行，按用户名匹配；任何一行有误则整份不导入，并逐行列出错误。"
            </p>
            <p class="exports">
                <a href=format!("/api/branches/{}/job-results.xlsx?year={}", sheet.branch_id, sheet.year) download="">
                    "下载本支部名单（Excel 模板）"
                </a>
                <a href=format!("/api/branches/{}/job-results.csv?year={}", sheet.branch_id, sheet.year) download="">
                    "下载 CSV 模板"
                </a>
            </p>
            <label class="block">
                "选择文件（.xlsx 或 .csv）"
                <input type="file" accept=".xlsx,.csv" disabled=locked on:change=on_file />
            </label>
            {move || {
                import
                    .value()
                    .get()
                    .map(|r| match r {
                        Ok(n) => view! { <p class="ok" role="status">{format!("已导入 {n} 名党员的业务考核结果。")}</p> }.into_any(),
                        Err(e) => view! { <ErrorList message=e.message /> }.into_any(),
                    })
            }}
        </details>
        <div class="table-scroll">
            <table class="job-table">
                <thead>
                    <tr>
                        <th scope="col">"姓名"</th>
                        <th scope="col">"年度考核"</th>
                        <th scope="col">"交办任务"</th>
                        <th scope="col">"完成任务"</th>
                        <th scope="col">"备注"</th>
                        <th scope="col">"录入"</th>
                    </tr>
                </thead>
                <tbody>
                    {sheet
                        .rows
                        .iter()
                        .zip(lines)
                        .map(|(r, l)| {
                            let label = r.name.clone();
                            view! {
                                <tr>
                                    <th scope="row">
                                        {r.name.clone()}
                                        <span class="muted small">{format!(" {}", r.username)}</span>
                                    </th>
                                    <td>
                                        <select
                                            aria-label=format!("{label} 年度考核")
                                            disabled=locked
                                            prop:value=move || l.appraisal.get()
                                            on:change=move |ev| l.appraisal.set(event_target_value(&ev))
                                        >
                                            <option value="">"未录入"</option>
                                            {Appraisal::ALL
                                                .iter()
                                                .map(|a| view! { <option value=a.as_str()>{a.label()}</option> })
                                                .collect_view()}
                                        </select>
                                    </td>
                                    <td>
                                        <input
                                            type="number"
                                            min="0"
                                            class="count"
                                            aria-label=format!("{label} 交办任务")
                                            disabled=locked
                                            prop:value=move || l.assigned.get()
                                            on:input=move |ev| l.assigned.set(event_target_value(&ev))
                                        />
                                    </td>
                                    <td>
                                        <input
                                            type="number"
                                            min="0"
                                            class="count"
                                            aria-label=format!("{label} 完成任务")
                                            disabled=locked
                                            prop:value=move || l.completed.get()
                                            on:input=move |ev| l.completed.set(event_target_value(&ev))
                                        />
                                    </td>
                                    <td>
                                        <input
                                            type="text"
                                            aria-label=format!("{label} 备注")
                                            disabled=locked
                                            prop:value=move || l.note.get()
                                            on:input=move |ev| l.note.set(event_target_value(&ev))
                                        />
                                    </td>
                                    <td class="muted small">
                                        {r.entered_by.clone().map(|by| format!("{by} {}", r.entered_at.clone().unwrap_or_default()))}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        {move || {
            save.value()
                .get()
                .map(|r| match r {
                    Ok(n) => view! { <p class="ok" role="status">{format!("已保存 {n} 名党员的业务考核结果。")}</p> }.into_any(),
                    Err(e) => view! { <ErrorList message=e.message /> }.into_any(),
                })
        }}
        <p>
            <button
                type="button"
                class="primary"
                disabled=move || locked || save.pending().get()
                on:click=on_save
            >
                "保存业务考核"
            </button>
            " "
            <A href=with_branch("/console/evaluation", &branch)>"下一步：评议与锁定 →"</A>
        </p>
    }
}

/// A refusal whose message lists several errors (“；”-separated), one per line.
#[component]
fn ErrorList(message: String) -> impl IntoView {
    let (head, rest) = match message.split_once('：') {
        Some((h, r)) => (format!("{h}："), r.to_string()),
        None => (message.clone(), String::new()),
    };
    let items: Vec<String> = rest
        .split('；')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    view! {
        <div class="error" role="alert">
            <p>{head}</p>
            <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
        </div>
    }
}

// ---------------------------------------------------------------- notice

#[component]
pub fn NoticePage() -> impl IntoView {
    view! {
        <Title text="结果公示 · 先锋台账" />
        <SignedIn
            page=|me: Me| {
                view! {
                    <Step me picker_to="/console/evaluation/notice" body=|branch| view! { <NoticeStep branch /> } />
                }
                    .into_any()
            }
            bundle=Bundle::Console
        />
    }
}

#[component]
fn NoticeStep(branch: Option<String>) -> impl IntoView {
    let b = branch.clone();
    let loaded = Resource::new(
        move || b.clone(),
        |b| async move {
            let evaluation = load_evaluation(b.clone()).await?;
            let notice = load_notice(b).await?;
            Ok::<_, UiError>((evaluation, notice))
        },
    );
    view! {
        <Steps current=3 branch=branch.clone() />
        <Suspense fallback=loading>
            {move || {
                let branch = branch.clone();
                loaded
                    .get()
                    .map(|r| match r {
                        Ok((v, notice)) => view! { <NoticeBody v notice branch /> }.into_any(),
                        Err(e) => view! {
                            <h1>"结果公示"</h1>
                            <p class="error" role="alert">{e.message}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn NoticeBody(v: EvaluationView, notice: Option<Notice>, branch: Option<String>) -> impl IntoView {
    let publish = ServerAction::<PublishNotice>::new();
    let current = RwSignal::new(notice.clone());
    Effect::new(move |_| {
        if let Some(Ok(n)) = publish.value().get() {
            current.set(Some(n));
        }
    });
    let today = crate::clock::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let starts = RwSignal::new(
        notice
            .as_ref()
            .map_or_else(|| today.to_string(), |n| n.starts_on.clone()),
    );
    let ends = RwSignal::new(notice.as_ref().map_or_else(
        || (today + chrono::Days::new(6)).to_string(),
        |n| n.ends_on.clone(),
    ));
    let objection = RwSignal::new(notice.as_ref().map_or_else(
        || "公示期间，如有异议，请以书面或当面方式向支部书记反映，反映情况须实事求是。".to_string(),
        |n| n.objection.clone(),
    ));
    let named: Vec<(Grade, RwSignal<bool>)> = GRADES
        .into_iter()
        .map(|g| {
            let on = match &notice {
                Some(n) => n.named.contains(&g),
                None => matches!(g, Grade::Excellent | Grade::Unqualified),
            };
            (g, RwSignal::new(on))
        })
        .collect();
    let named_codes = {
        let named = named.clone();
        move || {
            named
                .iter()
                .filter(|(_, on)| on.get_untracked())
                .map(|(g, _)| g.as_str())
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let can_publish = v.can_decide && v.locked;
    view! {
        <div class="no-print">
            <h1>{format!("{} {} 年度评议结果公示", v.branch_name, v.year)}</h1>
            {(!v.locked)
                .then(|| {
                    view! {
                        <p class="warn" role="status">
                            "评议尚未锁定。锁定后才能公示最终等次。 "
                            <A href=with_branch("/console/evaluation", &branch)>"去锁定"</A>
                        </p>
                    }
                })}
            {can_publish
                .then(|| {
                    let branch = branch.clone();
                    let named_codes = named_codes.clone();
                    view! {
                        <fieldset class="notice-form">
                            <legend>"公示设置"</legend>
                            <label>
                                "公示开始 "
                                <input
                                    type="date"
                                    prop:value=move || starts.get()
                                    on:input=move |ev| starts.set(event_target_value(&ev))
                                />
                            </label>
                            <label>
                                " 结束 "
                                <input
                                    type="date"
                                    prop:value=move || ends.get()
                                    on:input=move |ev| ends.set(event_target_value(&ev))
                                />
                            </label>
                            <p>
                                "公示中列出姓名的等次："
                                {named
                                    .iter()
                                    .map(|(g, on)| {
                                        let on = *on;
                                        view! {
                                            <label class="inline">
                                                <input
                                                    type="checkbox"
                                                    prop:checked=move || on.get()
                                                    on:change=move |ev| on.set(event_target_checked(&ev))
                                                />
                                                {format!(" {} ", g.label())}
                                            </label>
                                        }
                                    })
                                    .collect_view()}
                            </p>
                            <label class="block">
                                "提出异议的方式"
                                <textarea
                                    rows="2"
                                    prop:value=move || objection.get()
                                    on:input=move |ev| objection.set(event_target_value(&ev))
                                ></textarea>
                            </label>
                            <button
                                type="button"
                                class="primary"
                                disabled=move || publish.pending().get()
                                on:click=move |_| {
                                    publish.dispatch(PublishNotice {
                                        branch: branch.clone(),
                                        starts_on: starts.get_untracked(),
                                        ends_on: ends.get_untracked(),
                                        objection: objection.get_untracked(),
                                        named: named_codes(),
                                    });
                                }
                            >
                                {if notice.is_some() { "更新公示" } else { "发布公示" }}
                            </button>
                            {move || {
                                publish
                                    .value()
                                    .get()
                                    .map(|r| match r {
                                        Ok(_) => view! { <p class="ok" role="status">"已发布。本支部党员在手机“我的台账”中可以看到公示。"</p> }.into_any(),
                                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                                    })
                            }}
                        </fieldset>
                    }
                })}
        </div>
        {move || {
            current
                .get()
                .map(|n| {
                    view! {
                        <p class="no-print">
                            <a href="#" on:click=print>"打印公示（A4）"</a>
                        </p>
                        <NoticeSheet n />
                    }
                })
        }}
    }
}

/// The notice as posted: on screen, and alone on an A4 page when printed.
#[component]
pub fn NoticeSheet(n: Notice) -> impl IntoView {
    let counts = n
        .counts
        .iter()
        .map(|(g, c)| format!("{} {c} 人", g.label()))
        .collect::<Vec<_>>()
        .join("，");
    let named = n
        .named
        .iter()
        .map(|g| g.label())
        .collect::<Vec<_>>()
        .join("、");
    view! {
        <article class="notice-sheet">
            <h2>{format!("{} {} 年度民主评议党员结果公示", n.branch_name, n.year)}</h2>
            <p>{format!("经支部党员大会评议、支部委员会审定，现将评议结果公示如下：{counts}。")}</p>
            {(!n.entries.is_empty())
                .then(|| {
                    view! {
                        <table class="notice-table">
                            <thead>
                                <tr>
                                    <th scope="col">"姓名"</th>
                                    <th scope="col">"评议等次"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {n
                                    .entries
                                    .iter()
                                    .map(|e| view! { <tr><td>{e.name.clone()}</td><td>{e.grade.label()}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            {n.entries.is_empty().then(|| view! { <p>{format!("（无评为{named}的党员）")}</p> })}
            <p>{format!("公示期：{} 至 {}。", n.starts_on, n.ends_on)}</p>
            <p>{n.objection.clone()}</p>
            <p class="signature">{format!("中共{}", n.branch_name)}<br />{n.published_at.chars().take(10).collect::<String>()}</p>
        </article>
    }
}
