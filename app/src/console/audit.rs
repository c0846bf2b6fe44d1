//! `/console/audit`: the audit trail in the caller's scope (a branch for
//! its officers, everything below for a committee admin): who did what to
//! what, when and from where, filtered by actor, member, kind and date; the
//! filters are the page's query, so a filtered trail is a link to share,
//! and the same filters download it as CSV.

use super::nav::ConsoleNav;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use vanguard_shared::audit::{TrailLine, KINDS};
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "audit_trail", output = crate::codec::TextJson)]
pub async fn audit_trail(
    actor: Option<String>,
    member: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<TrailLine>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let query = vanguard_core::audit_trail::TrailQuery {
        actor,
        member,
        kind,
        from,
        to,
    };
    answer(services.audit_trail().trail(&caller.member, &query).await)
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="审计日志 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <Audit /> }.into_any() bundle=Bundle::Console />
    }
}

const FIELDS: [&str; 5] = ["actor", "member", "kind", "from", "to"];

#[component]
fn Audit() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.with(|q| q.get(k).filter(|v| !v.is_empty()));
    let lines = Resource::new(
        move || FIELDS.map(get),
        |[actor, member, kind, from, to]| audit_trail(actor, member, kind, from, to),
    );
    let csv = move || {
        let q: Vec<String> = FIELDS
            .iter()
            .filter_map(|k| get(k).map(|v| format!("{k}={v}")))
            .collect();
        format!("/api/audit.csv?{}", q.join("&"))
    };
    let value = move |k: &'static str| get(k).unwrap_or_default();
    view! {
        <ConsoleNav />
        <section class="card wide">
            <h1>"审计日志"</h1>
            <p class="muted">
                "每一项决定都有记录：审核、考勤与请假、调整、改评、锁定与重新开启、发布细则、活动变更、重置密码、导入成员、登录。日志只增不改，数据库拒绝修改或删除。"
            </p>
            <form method="get" action="/console/audit" class="filters audit-filters">
                <label>
                    "操作人（姓名或用户名）" <input type="text" name="actor" prop:value=move || value("actor") />
                </label>
                <label>
                    "涉及成员（姓名或用户名）" <input type="text" name="member" prop:value=move || value("member") />
                </label>
                <label>
                    "类别"
                    <select name="kind" prop:value=move || value("kind")>
                        <option value="">"全部"</option>
                        {KINDS
                            .iter()
                            .map(|(code, label)| view! { <option value=*code>{*label}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>"自" <input type="date" name="from" prop:value=move || value("from") /></label>
                <label>"至" <input type="date" name="to" prop:value=move || value("to") /></label>
                <button type="submit" class="primary">"筛选"</button>
                <a href="/console/audit">"清除"</a>
            </form>
            <p class="exports">
                <a href=csv download="">"导出 CSV"</a>
            </p>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    lines
                        .get()
                        .map(|r| match r {
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                            Ok(lines) => view! { <Lines lines /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Lines(lines: Vec<TrailLine>) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="muted">"没有符合条件的记录。"</p> }.into_any();
    }
    let count = lines.len();
    view! {
        <p class="muted" role="status">
            {if count >= 500 {
                "显示最近 500 条；请缩小日期或类别查看更早的记录。".to_string()
            } else {
                format!("共 {count} 条，最近的在前。")
            }}
        </p>
        <div class="table-scroll">
            <table class="audit-table">
                <thead>
                    <tr>
                        <th scope="col">"时间"</th>
                        <th scope="col">"操作人"</th>
                        <th scope="col">"类别"</th>
                        <th scope="col">"对象"</th>
                        <th scope="col">"内容"</th>
                        <th scope="col">"途径"</th>
                        <th scope="col">"设备或地址"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines
                        .into_iter()
                        .map(|l| {
                            let actor = if l.actor_username.is_empty() || l.actor_username == l.actor {
                                l.actor.clone()
                            } else {
                                format!("{}（{}）", l.actor, l.actor_username)
                            };
                            view! {
                                <tr>
                                    <td class="nowrap">{l.at}</td>
                                    <td>{actor}</td>
                                    <td class="nowrap">{l.kind_label}</td>
                                    <td>{l.subject}</td>
                                    <td>{l.detail}</td>
                                    <td class="nowrap">{l.door}</td>
                                    <td class="muted small device nowrap">{l.device}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
