//! `/console/review`: the records that wait for the caller's review, oldest
//! first, each with its evidence in one row; 通过, 退回 with a reason, and
//! 批量通过 for the selected rows (the unflagged ones preselected; a record
//! changed after its decision never is). On a keyboard: j/k move, a
//! approves, r returns. Approvals wait a few seconds, with 撤销, before
//! they are sent.

use super::nav::ConsoleNav;
use super::outbox::{self, PendingDecision};
use super::said::{Said, SaidLine};
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;
use vanguard_shared::documents::DecisionStatus;
use vanguard_shared::event_code::CodeVerdict;
use vanguard_shared::review::{DecisionMade, DecisionRequest, QueueItem};
use vanguard_shared::time_text;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "review_queue", output = crate::codec::TextJson)]
pub async fn review_queue(year: Option<i32>) -> Result<Vec<QueueItem>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.reviews().queue(&caller.member, year).await)
}

/// `decisions`: a JSON list of `DecisionRequest`s (a form field holds text).
#[server(prefix = "/sfn", endpoint = "decide_records", output = crate::codec::TextJson)]
pub async fn decide_records(decisions: String) -> Result<Vec<DecisionMade>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let requests: Vec<DecisionRequest> = serde_json::from_str(&decisions)
        .map_err(|_| UiError::new("invalid_input", "审核请求格式不对").with_status(422))?;
    answer(services.reviews().decide(&caller.member, &requests).await)
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    view! {
        <Title text="审核 · 先锋台账" />
        <SignedIn page=|me: Me| view! { <Review me /> }.into_any() bundle=Bundle::Console />
    }
}

fn code_text(code: CodeVerdict) -> (&'static str, &'static str) {
    match code {
        CodeVerdict::Verified => ("已验证", "ok"),
        CodeVerdict::Wrong => ("不正确", "error"),
        CodeVerdict::None => ("无", "muted"),
    }
}

fn hours_text(hours: Option<f64>) -> String {
    hours
        .map(|h| format!("{} 小时", vanguard_shared::decimal::short(h, 2)))
        .unwrap_or_default()
}

fn when(item: &QueueItem) -> String {
    chrono::DateTime::parse_from_rfc3339(&item.occurred_at)
        .map(|t| format!("{} {}", t.format("%Y-%m-%d"), time_text::hm(&t)))
        .unwrap_or_else(|_| item.occurred_at.clone())
}

#[component]
fn Review(me: Me) -> impl IntoView {
    let _ = me;
    let year = super::years::year_query();
    let queue = Resource::new(year, review_queue);
    let shown_year = move || {
        year().unwrap_or_else(|| vanguard_shared::year::current(crate::clock::now().to_utc()))
    };
    view! {
        <ConsoleNav />
        <section class="card wide">
            <h1>"审核"</h1>
            {move || view! { <super::years::YearNav year=shown_year() path="/console/review" branch=None /> }}
            <p class="muted">
                "待审核的记录，最早的在前。键盘：j / k 上下移动，a 通过，r 退回。"
            </p>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    queue
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                            Ok(items) => view! { <Queue items /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

/// Rows shown at first, and added by each 显示更多.
const PAGE: usize = 50;
/// Approvals wait this long before they are sent, so 撤销 takes them back.
const UNDO_SECONDS: u64 = 8;

#[component]
fn Queue(items: Vec<QueueItem>) -> impl IntoView {
    // The unflagged rows on show are preselected; rows further down are
    // shown a page at a time, so a long queue opens at once.
    let unflagged = |list: &[QueueItem], upto: usize| -> BTreeSet<String> {
        list.iter()
            .take(upto)
            .filter(|i| i.flags.is_empty())
            .map(|i| i.record_id.clone())
            .collect()
    };
    let preselected = unflagged(&items, PAGE);
    let items = RwSignal::new(items);
    let selected = RwSignal::new(preselected);
    let shown = RwSignal::new(PAGE);
    let cursor = RwSignal::new(0usize);
    let returning = RwSignal::new(None::<String>);
    let reason = RwSignal::new(String::new());
    // What the reviewer last did, in words.
    let outcome: Said = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let reason_field = NodeRef::<leptos::html::Textarea>::new();

    // Approved here, not yet sent: 撤销 takes them back until the timer
    // fires. Each new approval restarts it.
    let held = RwSignal::new(BTreeSet::<String>::new());
    let held_turn = StoredValue::new(0u32);

    let pending = RwSignal::new(Vec::<PendingDecision>::new());
    // Rows the queue no longer offers: decided here, or waiting to be sent.
    let forget = move |gone: &BTreeSet<String>| {
        items.update(|list| list.retain(|i| !gone.contains(&i.record_id)));
        selected.update(|s| s.retain(|id| !gone.contains(id)));
        let len = items.with_untracked(Vec::len);
        cursor.update(|c| *c = (*c).min(len.saturating_sub(1)));
    };
    // Sends what was decided offline, one at a time: each succeeds or is
    // refused (and said why) on its own; with no network, they wait.
    let flush = move || {
        let waiting = pending.get_untracked();
        if waiting.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let flushed = outbox::send_kept(waiting, decide_records).await;
            pending.set(flushed.left.clone());
            if let Some(said) = flushed.said() {
                outcome.set(Some(said));
            }
            busy.set(false);
        });
    };
    // In the browser: what this device kept, then send it.
    Effect::new(move |_| {
        let kept: Vec<PendingDecision> = outbox::load(outbox::DECISIONS);
        let gone = items.with_untracked(|list| outbox::not_offered(&kept, list));
        forget(&gone);
        pending.set(kept);
        flush();
    });
    outbox::on_online(flush);

    // Sends decisions; the decided rows leave the queue. With no network
    // they are kept on this device and sent when it returns.
    let send = move |requests: Vec<DecisionRequest>, done: String| {
        if requests.is_empty() || busy.get_untracked() {
            return;
        }
        let Ok(body) = serde_json::to_string(&requests) else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let gone: BTreeSet<String> = requests.iter().map(|r| r.record_id.clone()).collect();
            match decide_records(body).await {
                Ok(made) => {
                    let done_ids: Vec<(String, String)> =
                        made.into_iter().map(|d| (d.record_id, d.version)).collect();
                    outbox::remember_decided(&done_ids);
                    forget(&gone);
                    returning.set(None);
                    reason.set(String::new());
                    outcome.set(Some(Ok(done)));
                }
                Err(e) if outbox::unreachable(&e) => {
                    let whats: Vec<PendingDecision> = items.with_untracked(|list| {
                        requests
                            .iter()
                            .map(|r| PendingDecision {
                                what: list
                                    .iter()
                                    .find(|i| i.record_id == r.record_id)
                                    .map(|i| format!("{} 的{}", i.member_name, i.kind_label))
                                    .unwrap_or_else(|| r.record_id.clone()),
                                request: r.clone(),
                            })
                            .collect()
                    });
                    let mut all = pending.get_untracked();
                    all.extend(whats);
                    match outbox::save(outbox::DECISIONS, &all) {
                        Ok(()) => {
                            pending.set(all);
                            forget(&gone);
                            returning.set(None);
                            reason.set(String::new());
                            outcome.set(Some(Ok(format!(
                                "网络不通：{done}，已保存在本机（待同步），联网后自动提交"
                            ))));
                        }
                        Err(m) => outcome.set(Some(Err(m))),
                    }
                }
                Err(e) => outcome.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    // Sends what is held, once nothing else is on its way.
    fn send_held(
        held: RwSignal<BTreeSet<String>>,
        busy: RwSignal<bool>,
        items: RwSignal<Vec<QueueItem>>,
        send: impl Fn(Vec<DecisionRequest>, String) + Copy + 'static,
    ) {
        if held.with_untracked(BTreeSet::is_empty) {
            return;
        }
        if busy.get_untracked() {
            set_timeout(
                move || send_held(held, busy, items, send),
                std::time::Duration::from_millis(300),
            );
            return;
        }
        let ids = held.get_untracked();
        held.set(BTreeSet::new());
        let requests: Vec<DecisionRequest> = items.with_untracked(|list| {
            list.iter()
                .filter(|i| ids.contains(&i.record_id))
                .map(|i| DecisionRequest {
                    member_id: i.member_id.clone(),
                    record_id: i.record_id.clone(),
                    status: DecisionStatus::Approved,
                    reason: None,
                    version: Some(i.version.clone()),
                })
                .collect()
        });
        let n = requests.len();
        send(requests, format!("已通过 {n} 条"));
    }
    let hold = move |ids: Vec<String>| {
        if ids.is_empty() {
            return;
        }
        held.update(|h| h.extend(ids.iter().cloned()));
        selected.update(|s| s.retain(|id| !ids.contains(id)));
        outcome.set(None);
        let turn = held_turn.get_value().wrapping_add(1);
        held_turn.set_value(turn);
        set_timeout(
            move || {
                if held_turn.get_value() == turn {
                    send_held(held, busy, items, send);
                }
            },
            std::time::Duration::from_secs(UNDO_SECONDS),
        );
    };
    let undo = move |_| {
        let n = held.with_untracked(BTreeSet::len);
        held_turn.update_value(|t| *t = t.wrapping_add(1));
        held.set(BTreeSet::new());
        outcome.set(Some(Ok(format!("已撤销 {n} 条通过，记录仍在待审核"))));
    };
    let approve = move |item: &QueueItem| {
        hold(vec![item.record_id.clone()]);
    };
    let start_return = move |record_id: String| {
        returning.set(Some(record_id));
        outcome.set(None);
        request_animation_frame(move || {
            if let Some(field) = reason_field.get_untracked() {
                let _ = field.focus();
            }
        });
    };
    let confirm_return = move |item: &QueueItem| {
        let why = reason.get_untracked().trim().to_string();
        if why.is_empty() {
            outcome.set(Some(Err("请填写退回原因".into())));
            return;
        }
        // A return overrides an approval still waiting to be sent.
        held.update(|h| {
            h.remove(&item.record_id);
        });
        send(
            vec![DecisionRequest {
                member_id: item.member_id.clone(),
                record_id: item.record_id.clone(),
                status: DecisionStatus::Returned,
                reason: Some(why),
                version: Some(item.version.clone()),
            }],
            format!("已退回：{} 的{}", item.member_name, item.kind_label),
        );
    };
    let show_more = move |_| {
        let upto = shown.get_untracked() + PAGE;
        shown.set(upto);
        let more = items.with_untracked(|list| unflagged(list, upto));
        selected.update(|s| s.extend(more));
    };
    let approve_selected = move |_| {
        let chosen = selected.get_untracked();
        let upto = shown.get_untracked();
        // Only rows the reviewer has on screen.
        let ids: Vec<String> = items.with_untracked(|list| {
            list.iter()
                .take(upto)
                .filter(|i| chosen.contains(&i.record_id))
                .map(|i| i.record_id.clone())
                .collect()
        });
        hold(ids);
    };

    // The keyboard, away from text fields.
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
            if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let len = items.with_untracked(Vec::len).min(shown.get_untracked());
            if len == 0 {
                return;
            }
            let current = items.with_untracked(|l| l.get(cursor.get_untracked()).cloned());
            match ev.key().as_str() {
                "j" => cursor.update(|c| *c = (*c + 1).min(len - 1)),
                "k" => cursor.update(|c| *c = c.saturating_sub(1)),
                "a" => {
                    if let Some(item) = current {
                        approve(&item);
                        cursor.update(|c| *c = (*c + 1).min(len - 1));
                    }
                }
                "r" => {
                    if let Some(item) = current {
                        ev.prevent_default();
                        start_return(item.record_id);
                    }
                }
                _ => return,
            }
            if let Some(item) = items.with_untracked(|l| l.get(cursor.get_untracked()).cloned()) {
                scroll_to_row(&item.record_id);
            }
        });
        on_cleanup(move || handle.remove());
    }

    let toolbar = move || {
        let count = selected.with(BTreeSet::len);
        let total = items.with(Vec::len);
        let waiting = held.with(BTreeSet::len);
        view! {
            <div class="toolbar">
                <span>{format!("共 {total} 条待审核，已选 {count} 条")}</span>
                <button
                    type="button"
                    class="primary"
                    disabled=move || busy.get() || selected.with(BTreeSet::is_empty)
                    on:click=approve_selected
                >
                    {format!("批量通过 {count} 条")}
                </button>
            </div>
            {(waiting > 0)
                .then(|| {
                    view! {
                        <p class="notice held" role="status">
                            {format!("已通过 {waiting} 条，{UNDO_SECONDS} 秒后提交。")}
                            <button type="button" class="secondary" on:click=undo>
                                "撤销"
                            </button>
                        </p>
                    }
                })}
        }
    };
    let waiting = move || {
        let list = pending.get();
        (!list.is_empty()).then(|| {
            view! {
                <section class="pending notice" aria-label="待同步的审核">
                    <h2>{format!("待同步 {} 条（联网后自动提交）", list.len())}</h2>
                    <ul>
                        {list
                            .into_iter()
                            .map(|p| {
                                let what = if p.request.status == DecisionStatus::Approved { "通过" } else { "退回" };
                                view! { <li>{format!("{}：{what}", p.what)}</li> }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    };
    view! {
        {toolbar}
        <SaidLine said=outcome />
        {waiting}
        {move || {
            if items.with(Vec::is_empty) {
                return view! { <p class="notice">"没有待审核的记录。"</p> }.into_any();
            }
            let rows = items
                .get()
                .into_iter()
                .take(shown.get())
                .enumerate()
                .map(|(index, item)| {
                    let id = item.record_id.clone();
                    let id_check = id.clone();
                    let id_toggle = id.clone();
                    let id_return = id.clone();
                    let id_open = id.clone();
                    let (code_label, code_class) = code_text(item.code);
                    let place = [
                        item.place.clone(),
                        item.distance_text().map(|d| format!("距活动地点 {d}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("，");
                    let what = match &item.event_title {
                        Some(t) => format!("{}：{t}", item.kind_label),
                        None => item.kind_label.clone(),
                    };
                    let conflict = item.conflict.as_ref().map(|c| c.text());
                    let previous = item.previous_text();
                    let id_held = id.clone();
                    let flags = item
                        .flags
                        .iter()
                        .map(|f| view! { <li>{f.label()}</li> })
                        .collect_view();
                    let for_approve = item.clone();
                    let for_return = item.clone();
                    let note = item.note.clone();
                    view! {
                        <tr
                            id=format!("row-{id}")
                            class:current=move || cursor.get() == index
                            class:flagged=!item.flags.is_empty()
                            class:held=move || held.with(|h| h.contains(&id_held))
                            on:click=move |_| cursor.set(index)
                        >
                            <td>
                                <input
                                    type="checkbox"
                                    aria-label=format!("选择 {} 的记录", item.member_name)
                                    prop:checked=move || selected.with(|s| s.contains(&id_check))
                                    on:change=move |_| {
                                        let id = id_toggle.clone();
                                        selected.update(|s| {
                                            if !s.remove(&id) {
                                                s.insert(id);
                                            }
                                        });
                                    }
                                />
                            </td>
                            <td class="who">{item.member_name.clone()}</td>
                            <td>
                                {what}
                                {note.map(|n| view! { <div class="muted small">{n}</div> })}
                            </td>
                            <td class="nowrap" data-label="时间">{when(&item)}</td>
                            <td class="nowrap" data-label="时长">{hours_text(item.hours)}</td>
                            <td data-label="地点">{place}</td>
                            <td class=code_class data-label="签到码">{code_label}</td>
                            <td class="flags">
                                <ul class="flags">{flags}</ul>
                                {conflict.map(|c| view! { <p class="small">{c}</p> })}
                                {previous.map(|p| view! { <p class="small changed">{p}</p> })}
                            </td>
                            <td class="actions">
                              <div class="row-actions">
                                // No per-row `disabled`: `send` ignores a click while
                                // one is on its way, and 50 rows of closures cost
                                // the page's start.
                                <button type="button" on:click=move |_| approve(&for_approve)>
                                    "通过"
                                </button>
                                <button
                                    type="button"
                                    class="secondary"
                                    on:click=move |_| start_return(id_open.clone())
                                >
                                    "退回"
                                </button>
                                {move || {
                                    (returning.get().as_deref() == Some(id_return.as_str()))
                                        .then(|| {
                                            let item = for_return.clone();
                                            let field = format!("reason-{}", item.record_id);
                                            view! {
                                                <form
                                                    class="return"
                                                    on:submit=move |ev| {
                                                        ev.prevent_default();
                                                        confirm_return(&item);
                                                    }
                                                >
                                                    <label for=field.clone()>"退回原因"</label>
                                                    <textarea
                                                        id=field
                                                        rows="2"
                                                        node_ref=reason_field
                                                        prop:value=move || reason.get()
                                                        on:input=move |ev| reason.set(event_target_value(&ev))
                                                    ></textarea>
                                                    <button type="submit" disabled=move || busy.get()>
                                                        "确认退回"
                                                    </button>
                                                    <button
                                                        type="button"
                                                        class="secondary"
                                                        on:click=move |_| returning.set(None)
                                                    >
                                                        "取消"
                                                    </button>
                                                </form>
                                            }
                                        })
                                }}
                              </div>
                            </td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="table-scroll">
                    <table class="queue">
                        <thead>
                            <tr>
                                <th>"选择"</th>
                                <th>"党员"</th>
                                <th>"类型"</th>
                                <th>"时间"</th>
                                <th>"时长"</th>
                                <th>"地点"</th>
                                <th>"签到码"</th>
                                <th>"提示"</th>
                                <th>"操作"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {move || {
                    let more = items.with(Vec::len).saturating_sub(shown.get());
                    (more > 0)
                        .then(|| {
                            view! {
                                <button type="button" class="secondary more" on:click=show_more>
                                    {format!("显示更多（还有 {more} 条）")}
                                </button>
                            }
                        })
                }}
            }
                .into_any()
        }}
    }
}

/// Keeps the row under the cursor in view.
#[cfg(feature = "hydrate")]
fn scroll_to_row(record_id: &str) {
    let row = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("row-{record_id}")));
    if let Some(row) = row {
        row.scroll_into_view_with_bool(false);
    }
}
