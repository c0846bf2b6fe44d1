//! `/console/evaluation/notice`: the public notice (公示) of the results,
//! printable on A4.

use super::{loading, Step, Steps, GRADES};
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::console::branch_page::with_branch;
use crate::console::ledger::print;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use vanguard_shared::ledger::year_end::{EvaluationView, Notice};
use vanguard_shared::ledger::Grade;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "branch_notice", output = crate::codec::TextJson)]
pub async fn load_notice(branch: Option<String>) -> Result<Option<Notice>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let branch = crate::server::branch_or_own(branch, &caller);
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
    let branch = crate::server::branch_or_own(branch, &caller);
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
            let evaluation = super::load_evaluation(b.clone(), None).await?;
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
