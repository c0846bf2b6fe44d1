//! `/console/evaluation/job`: the job side (业务), the unit's appraisal of
//! each member, entered by hand or imported from the unit's file.

use super::{loading, Step, Steps};
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::console::branch_page::with_branch;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use vanguard_shared::ledger::year_end::{JobInput, JobSheet};
use vanguard_shared::ledger::Appraisal;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "job_sheet", output = crate::codec::TextJson)]
pub async fn load_job_sheet(branch: Option<String>) -> Result<JobSheet, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
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
    let branch = crate::server::branch_or_own(branch, &caller);
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
    let branch = crate::server::branch_or_own(branch, &caller);
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
    own: bool,
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
            own: r.own || r.vouched,
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
            // One's own row is entered by another officer.
            if l.own || appraisal.is_empty() {
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
        crate::console::upload::read_chosen(ev, move |file_name, content| {
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
                            let fixed = locked || r.own || r.vouched;
                            view! {
                                <tr>
                                    <th scope="row">
                                        {r.name.clone()}
                                        <span class="muted small">{format!(" {}", r.username)}</span>
                                        {r.own.then(|| view! { <div class="muted small">"本人由支部其他委员录入"</div> })}
                                        {r.vouched.then(|| view! { <div class="muted small">"该党员本年度为您开设账号、重置密码或授予角色，须由其他委员或上级党委录入"</div> })}
                                    </th>
                                    <td>
                                        <select
                                            aria-label=format!("{label} 年度考核")
                                            disabled=fixed
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
                                            disabled=fixed
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
                                            disabled=fixed
                                            prop:value=move || l.completed.get()
                                            on:input=move |ev| l.completed.set(event_target_value(&ev))
                                        />
                                    </td>
                                    <td>
                                        <input
                                            type="text"
                                            aria-label=format!("{label} 备注")
                                            disabled=fixed
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
