//! `/console/events`: the branch's events of the year, newest first; 新建活动
//! (one event, or a monthly meeting set up once for the year), edit and
//! cancel (a cancelled event stays listed, with who and when), and the way
//! to each event's attendance sheet.

use super::nav::ConsoleNav;
use super::said::{Said, SaidLine};
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use vanguard_shared::branch_events::{BranchEvents, EventForm, ListedEvent, EVENT_KINDS};
use vanguard_shared::documents::EventEntry;
use vanguard_shared::ledger::Kind;
use vanguard_shared::{time_text, Me, OrgRef};

/// `year`: this year when absent; `branch`: for a committee admin, a
/// branch below (the first when absent), shown read-only.
#[server(prefix = "/sfn", endpoint = "events_of_branch", output = crate::codec::TextJson)]
pub async fn events_of_branch(
    year: Option<i32>,
    branch: Option<String>,
) -> Result<BranchEvents, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let year = vanguard_shared::year::requested(year, chrono::Utc::now())
        .map_err(|e| UiError::new("bad_request", e.to_string()).with_status(400))?;
    let admin = caller
        .member
        .roles
        .contains(&vanguard_shared::Role::CommitteeAdmin);
    let branches = if admin {
        answer(services.ledgers().readable_branches(&caller.member).await)?
    } else {
        Vec::new()
    };
    let branch = branch
        .filter(|b| !b.is_empty())
        .or_else(|| branches.first().map(|(id, _)| id.clone()))
        .unwrap_or_else(|| caller.member.org_id.clone());
    let events = answer(
        services
            .events
            .list(&caller.member, Some(&branch), year)
            .await,
    )?;
    let groups = answer(services.events.groups(&caller.member).await)?;
    Ok(BranchEvents {
        events,
        groups,
        year,
        branch_id: branch,
        branches,
    })
}

/// `form`: the `EventForm` as JSON; `event_id` empty for a new event.
#[server(prefix = "/sfn", endpoint = "save_event", output = crate::codec::TextJson)]
pub async fn save_event(event_id: String, form: String) -> Result<Vec<EventEntry>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let form: EventForm = serde_json::from_str(&form)
        .map_err(|_| UiError::new("invalid_input", "活动表单格式不对").with_status(422))?;
    let event_id = Some(event_id.as_str()).filter(|id| !id.is_empty());
    answer(
        services
            .events
            .save_form(&caller.member, event_id, &form)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "cancel_event", output = crate::codec::TextJson)]
pub async fn cancel_event(event_id: String) -> Result<EventEntry, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let patch = vanguard_shared::branch_events::EventPatch {
        cancelled: Some(true),
        ..Default::default()
    };
    answer(
        services
            .events
            .update(&caller.member, &event_id, patch)
            .await,
    )
}

#[component]
pub fn EventsPage() -> impl IntoView {
    view! {
        <Title text="活动与考勤 · 先锋台账" />
        <SignedIn page=|me: Me| view! { <Events me /> }.into_any() bundle=Bundle::Console />
    }
}

use super::ask::confirmed;

fn when(e: &EventEntry) -> String {
    let start = format!("{} {}", e.start.format("%Y-%m-%d"), time_text::hm(&e.start));
    match e.end {
        Some(end) if end.date_naive() == e.start.date_naive() => {
            format!("{start}–{}", time_text::hm(&end))
        }
        Some(end) => format!("{start} 至 {}", time_text::md_hm(&end)),
        None => start,
    }
}

/// The year shown, with the years beside it (December plans January), and
/// for a committee admin the branch, read-only.
#[component]
fn YearAndBranch(year: i32, branch_id: String, branches: Vec<(String, String)>) -> impl IntoView {
    let chosen = (!branches.is_empty()).then(|| branch_id.clone());
    let picker = (!branches.is_empty()).then(|| {
        let navigate = leptos_router::hooks::use_navigate();
        view! {
            <label class="branch-picker">
                "支部"
                <select
                    prop:value=branch_id.clone()
                    on:change=move |ev| {
                        let b = event_target_value(&ev);
                        navigate(&format!("/console/events?year={year}&branch={b}"), Default::default());
                    }
                >
                    {branches
                        .iter()
                        .map(|(id, name)| {
                            view! { <option value=id.clone() selected=*id == branch_id>{name.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <p class="muted small">"上级党委查看各支部的活动与考勤（只读）。"</p>
        }
    });
    view! {
        <super::years::YearNav year path="/console/events" branch=chosen />
        {picker}
    }
}

/// Which form is open: none, a new event's, or an edit of one.
#[derive(Clone, PartialEq)]
enum Editing {
    Closed,
    New,
    Event(Box<EventEntry>),
}

#[component]
fn Events(me: Me) -> impl IntoView {
    let hosts = me.hosts_events();
    // `?year=` and, for a committee admin, `?branch=`.
    let query = leptos_router::hooks::use_query_map();
    let wanted = move || {
        query.with(|q| {
            (
                q.get("year").and_then(|y| y.parse::<i32>().ok()),
                q.get("branch").filter(|b| !b.is_empty()),
            )
        })
    };
    let data = Resource::new(wanted, |(year, branch)| events_of_branch(year, branch));
    let editing = RwSignal::new(Editing::Closed);
    let message = RwSignal::new(None::<Result<String, String>>);
    let reload = move || data.refetch();
    view! {
        <ConsoleNav />
        <section class="card wide">
            <div class="heading">
                <h1>"活动与考勤"</h1>
                {hosts
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="primary"
                                on:click=move |_| {
                                    message.set(None);
                                    editing.set(Editing::New);
                                }
                            >
                                "新建活动"
                            </button>
                        }
                    })}
            </div>
            <SaidLine said=message />
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    data.get()
                        .map(|result| match result {
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                            Ok(BranchEvents { events, groups, year, branch_id, branches }) => {
                                view! {
                                    <YearAndBranch year branch_id branches />
                                    {move || {
                                        let groups = groups.clone();
                                        match editing.get() {
                                            Editing::Closed => None,
                                            Editing::New => Some(view! { <EventEditor event=None groups editing message reload /> }),
                                            Editing::Event(e) => Some(view! { <EventEditor event=Some(*e) groups editing message reload /> }),
                                        }
                                    }}
                                    <EventTable events hosts year editing message reload />
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
fn EventTable(
    events: Vec<ListedEvent>,
    hosts: bool,
    year: i32,
    editing: RwSignal<Editing>,
    message: Said,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    if events.is_empty() {
        let hint = if hosts {
            "点“新建活动”发布第一个。"
        } else {
            ""
        };
        return view! { <p class="notice">{format!("{year} 年还没有活动。{hint}")}</p> }.into_any();
    }
    let rows = events
        .into_iter()
        .map(|listed| {
            let e = listed.event.clone();
            let status = if e.cancelled {
                let who = listed.cancelled_by_name.clone().unwrap_or_default();
                let at = e.cancelled_at.map(|t| time_text::md_hm(&t)).unwrap_or_default();
                format!("已取消（{who} {at}）")
            } else if listed.started {
                "已开始".to_string()
            } else {
                "未开始".to_string()
            };
            let kind = match &listed.group_name {
                Some(g) => format!("{}（{g}）", listed.kind_label),
                None => listed.kind_label.clone(),
            };
            let sheet = (listed.started && !e.cancelled).then(|| {
                let href = format!("/console/events/{}/attendance", e.event_id);
                view! { <A href=href>"考勤"</A> }
            });
            let for_edit = e.clone();
            let for_cancel = e.clone();
            let actions = (hosts && !e.cancelled).then(|| {
                view! {
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            message.set(None);
                            editing.set(Editing::Event(Box::new(for_edit.clone())));
                        }
                    >
                        "编辑"
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            let e = for_cancel.clone();
                            if !confirmed(&format!("取消活动“{}”？取消后仍保留在列表中。", e.title)) {
                                return;
                            }
                            leptos::task::spawn_local(async move {
                                match cancel_event(e.event_id.clone()).await {
                                    Ok(_) => {
                                        message.set(Some(Ok(format!("已取消：{}", e.title))));
                                        reload();
                                    }
                                    Err(err) => message.set(Some(Err(err.message))),
                                }
                            });
                        }
                    >
                        "取消活动"
                    </button>
                }
            });
            view! {
                <tr class:cancelled=e.cancelled>
                    <td class="nowrap" data-label="时间">{when(&e)}</td>
                    <td data-label="类型">{kind}</td>
                    <td class="title">{e.title.clone()}</td>
                    <td data-label="地点">{e.place.clone().unwrap_or_default()}</td>
                    <td data-label="签到码">{if e.code_key.is_some() { "有" } else { "无" }}</td>
                    <td data-label="状态">{status}</td>
                    <td class="actions">
                        <div class="row-actions">{sheet} {actions}</div>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="events">
                <thead>
                    <tr>
                        <th>"时间"</th>
                        <th>"类型"</th>
                        <th>"标题"</th>
                        <th>"地点"</th>
                        <th>"签到码"</th>
                        <th>"状态"</th>
                        <th>"操作"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn EventEditor(
    event: Option<EventEntry>,
    groups: Vec<OrgRef>,
    editing: RwSignal<Editing>,
    message: Said,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let event_id = event
        .as_ref()
        .map(|e| e.event_id.clone())
        .unwrap_or_default();
    let is_new = event.is_none();
    let form = RwSignal::new(
        event
            .as_ref()
            .map(EventForm::of)
            .unwrap_or_else(|| EventForm {
                kind: Kind::ThemeDay.as_str().into(),
                with_code: true,
                ..Default::default()
            }),
    );
    let monthly = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut f = form.get_untracked();
        if !monthly.get_untracked() {
            f.monthly_day.clear();
            f.monthly_until.clear();
        }
        let Ok(body) = serde_json::to_string(&f) else {
            return;
        };
        let id = event_id.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match save_event(id, body).await {
                Ok(made) => {
                    let text = match made.len() {
                        1 => format!("已保存：{}", made[0].title),
                        n => format!("已创建 {n} 个活动：{}", f.title.trim()),
                    };
                    message.set(Some(Ok(text)));
                    editing.set(Editing::Closed);
                    reload();
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    // One text field of the form.
    let text = move |id: &'static str,
                     label: &'static str,
                     kind: &'static str,
                     get: fn(&EventForm) -> String,
                     set: fn(&mut EventForm, String)| {
        view! {
            <label for=id>{label}</label>
            <input
                id=id
                type=kind
                prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
            />
        }
    };
    let is_group_meeting = move || form.with(|f| f.kind == Kind::GroupMeeting.as_str());
    view! {
        <form class="event-form" on:submit=submit novalidate>
            <h2>{if is_new { "新建活动" } else { "编辑活动" }}</h2>
            <label for="event-kind">"类型"</label>
            <select
                id="event-kind"
                prop:value=move || form.with(|f| f.kind.clone())
                on:change=move |ev| form.update(|f| f.kind = event_target_value(&ev))
            >
                {EVENT_KINDS
                    .into_iter()
                    .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
                    .collect_view()}
            </select>
            {move || {
                let groups = groups.clone();
                is_group_meeting()
                    .then(|| {
                        view! {
                            <label for="event-group">"党小组"</label>
                            <select
                                id="event-group"
                                prop:value=move || form.with(|f| f.group_id.clone())
                                on:change=move |ev| form.update(|f| f.group_id = event_target_value(&ev))
                            >
                                <option value="">"全支部"</option>
                                {groups
                                    .into_iter()
                                    .map(|g| view! { <option value=g.id>{g.name}</option> })
                                    .collect_view()}
                            </select>
                        }
                    })
            }}
            {text("event-title", "标题", "text", |f| f.title.clone(), |f, v| f.title = v)}
            {text("event-start", "开始", "datetime-local", |f| f.start.clone(), |f, v| f.start = v)}
            {text("event-end", "结束", "datetime-local", |f| f.end.clone(), |f, v| f.end = v)}
            {text("event-place", "地点", "text", |f| f.place.clone(), |f, v| f.place = v)}
            <fieldset>
                <legend>"签到范围（可选）"</legend>
                {text("event-lat", "纬度", "text", |f| f.lat.clone(), |f, v| f.lat = v)}
                {text("event-lon", "经度", "text", |f| f.lon.clone(), |f, v| f.lon = v)}
                {text("event-radius", "半径（米）", "text", |f| f.radius_m.clone(), |f, v| f.radius_m = v)}
            </fieldset>
            {is_new
                .then(|| {
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                prop:checked=move || form.with(|f| f.with_code)
                                on:change=move |ev| form.update(|f| f.with_code = event_target_checked(&ev))
                            />
                            "使用签到码（主持人出示，党员输入或扫码）"
                        </label>
                        <label class="check">
                            <input
                                type="checkbox"
                                prop:checked=move || monthly.get()
                                on:change=move |ev| monthly.set(event_target_checked(&ev))
                            />
                            "每月重复（每月各建一次，默认到今年 12 月）"
                        </label>
                        {move || {
                            monthly
                                .get()
                                .then(|| {
                                    view! {
                                        {text(
                                            "event-day",
                                            "每月几号",
                                            "number",
                                            |f| f.monthly_day.clone(),
                                            |f, v| f.monthly_day = v,
                                        )}
                                        {text(
                                            "event-until",
                                            "重复到（月份，可到明年；留空到今年 12 月）",
                                            "month",
                                            |f| f.monthly_until.clone(),
                                            |f, v| f.monthly_until = v,
                                        )}
                                    }
                                })
                        }}
                    }
                })}
            {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <div class="buttons">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    "保存"
                </button>
                <button type="button" class="secondary" on:click=move |_| editing.set(Editing::Closed)>
                    "取消"
                </button>
            </div>
        </form>
    }
}
