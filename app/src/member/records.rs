//! `/records`: this year's records on this device, with their state in words
//! (待同步, 待审核, 已通过, 已退回 with the reason), withdrawal and correction.

use crate::components::member_frame::MemberFrame;
use crate::local::Local;
use leptos::prelude::*;
use leptos_meta::Title;
use vanguard_shared::decimal::short;
use vanguard_shared::documents::form::parse_hours;
use vanguard_shared::documents::schema::LEAVE;
use vanguard_shared::documents::view::{RecordState, RecordView};
use vanguard_shared::time_text;

#[component]
pub fn RecordsPage() -> impl IntoView {
    view! {
        <Title text="我的记录 · 先锋台账" />
        <MemberFrame>
            <Records />
        </MemberFrame>
    }
}

fn state_class(state: &RecordState) -> &'static str {
    match state {
        RecordState::Local => "local",
        RecordState::Submitted => "submitted",
        RecordState::Approved => "approved",
        RecordState::Returned { .. } => "returned",
        RecordState::Withdrawn => "withdrawn",
    }
}

#[component]
fn Records() -> impl IntoView {
    let local = Local::get();
    let records = Memo::new(move |_| {
        local
            .snapshot()
            .map(|s| (local.records(&s), s.unconfirmed.clone()))
            .unwrap_or_default()
    });
    let corrections = Memo::new(move |_| local.corrections());
    let editing = RwSignal::new(None::<String>);
    // The record whose 撤回 waits for the member's yes.
    let confirming = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    view! {
        <section class="card">
            <h1>"我的记录"</h1>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show
                when=move || !records.with(|(r, _)| r.is_empty())
                fallback=|| view! { <p class="muted">"今年还没有记录。"</p> }
            >
                <ul class="records">
                    <For
                        each=move || {
                            let (list, unconfirmed) = records.get();
                            list.into_iter()
                                .map(|r| {
                                    let waiting = unconfirmed.contains(r.record.record_id.as_str());
                                    (r, waiting)
                                })
                                .collect::<Vec<_>>()
                        }
                        key=|(r, waiting)| (r.record.record_id.clone(), r.state.clone(), r.record.note.clone(), r.record.hours.map(f64::to_bits), *waiting)
                        children=move |(r, waiting)| {
                            let history: Vec<String> = corrections
                                .get_untracked()
                                .iter()
                                .filter(|c| c.record_id == r.record.record_id)
                                .map(|c| c.label())
                                .collect();
                            view! { <RecordItem r waiting history editing confirming error /> }
                        }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn RecordItem(
    r: RecordView,
    /// The record's last change is still only on this device.
    waiting: bool,
    /// What each correction changed, oldest first.
    history: Vec<String>,
    editing: RwSignal<Option<String>>,
    confirming: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let local = Local::get();
    let id = r.record.record_id.clone();
    let rec = &r.record;
    let withdrawn = matches!(r.state, RecordState::Withdrawn);
    let approved = matches!(r.state, RecordState::Approved);
    let reason = match &r.state {
        RecordState::Returned { reason } => Some(reason.clone()),
        _ => None,
    };
    let when = time_text::ymd_hm(&rec.occurred_at);
    let details = [
        rec.hours.map(|h| format!("{} 小时", short(h, 2))),
        rec.place.clone(),
        rec.code.as_ref().map(|_| "签到码已验证".to_string()),
        r.at_event.map(|inside| {
            if inside {
                "位置已核验"
            } else {
                "位置在签到范围外"
            }
            .to_string()
        }),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let is = move |slot: RwSignal<Option<String>>, id: String| {
        move || slot.get().as_deref() == Some(id.as_str())
    };
    let is_editing = is(editing, id.clone());
    let is_confirming = is(confirming, id.clone());
    let note = RwSignal::new(rec.note.clone().unwrap_or_default());
    let hours = RwSignal::new(rec.hours.map(|h| short(h, 2)).unwrap_or_default());
    let has_hours = rec.hours.is_some();
    let was_note = rec.note.clone().unwrap_or_default();
    let was_hours = rec.hours;
    let edit_id = id.clone();
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let hours_value = if has_hours {
                match parse_hours(&hours.get_untracked()) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        error.set(Some(e.message));
                        return;
                    }
                }
            } else {
                None
            };
            // Only what the member changed: an untouched empty note is not
            // a correction, and would send an approved record back to review.
            let typed = note.get_untracked().trim().to_string();
            let note_value = (typed != was_note).then_some(typed);
            let hours_value = hours_value.filter(|h| Some(*h) != was_hours);
            if note_value.is_none() && hours_value.is_none() {
                error.set(None);
                editing.set(None);
                return;
            }
            match local.correct(&id, note_value, hours_value) {
                Ok(()) => {
                    error.set(None);
                    editing.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        }
    };
    let act = move |result: Result<(), String>| match result {
        Ok(()) => {
            error.set(None);
            confirming.set(None);
        }
        Err(e) => error.set(Some(e)),
    };
    let corrected = !history.is_empty();
    // A withdrawn leave request no longer excuses the absence.
    let question = if rec.kind == LEAVE {
        "撤回后这条请假申请作废，未出席将不再按请假计。确定撤回吗？"
    } else {
        "撤回后这条记录不再计分。确定撤回吗？"
    };
    view! {
        <li class=format!("record {}", state_class(&r.state)) data-record=id.clone()>
            <div class="record-head">
                <strong class="record-title">{r.title.clone()}</strong>
                {corrected.then(|| view! { <span class="badge corrected">"已更正"</span> })}
                <span class="badge">{r.state.label()}</span>
            </div>
            <div class="muted">{when}</div>
            {(!details.is_empty()).then(|| view! { <div class="muted">{details}</div> })}
            {reason.map(|reason| view! { <p class="reason">{format!("退回原因：{reason}")}</p> })}
            {rec.note.clone().map(|n| view! { <p class="note">{format!("备注：{n}")}</p> })}
            {corrected
                .then(|| {
                    view! {
                        <details class="history">
                            <summary>{format!("更正记录（{} 处）", history.len())}</summary>
                            <ul>{history.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ul>
                        </details>
                    }
                })}
            <Show when=is_editing.clone()>
                <form class="correct" on:submit=save.clone()>
                    // An approval holds only for what was approved.
                    {approved.then(|| view! {
                        <p class="notice" role="note">"这条记录已通过审核。保存更正后，它将回到待审核，须重新审核通过。"</p>
                    })}
                    <label for=format!("note-{edit_id}")>"更正备注"</label>
                    <textarea id=format!("note-{edit_id}") rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    {has_hours.then(|| view! {
                        <label for=format!("hours-{edit_id}")>"时长（小时）"</label>
                        <input id=format!("hours-{edit_id}") type="text" inputmode="decimal" prop:value=move || hours.get() on:input=move |ev| hours.set(event_target_value(&ev)) />
                    })}
                    <div class="record-actions">
                        <button type="submit">"保存更正"</button>
                        <button type="button" class="secondary" on:click=move |_| {
                            error.set(None);
                            editing.set(None);
                        }>"取消"</button>
                    </div>
                </form>
            </Show>
            {
                let id = id.clone();
                move || {
                    let id = id.clone();
                    if withdrawn {
                        // Until the withdrawal reaches the server it can be
                        // taken back.
                        return waiting.then(|| view! {
                            <div class="record-actions">
                                <span class="muted">"尚未同步，还可以撤销"</span>
                                <button type="button" class="secondary" on:click=move |_| act(local.restore(&id))>"撤销撤回"</button>
                            </div>
                        }.into_any());
                    }
                    if is_confirming() {
                        let yes = id.clone();
                        return Some(view! {
                            <div class="record-actions confirm" role="group" aria-label="确认撤回">
                                <p>{question}</p>
                                <button type="button" class="danger" on:click=move |_| act(local.withdraw(&yes))>"确定撤回"</button>
                                <button type="button" class="secondary" on:click=move |_| confirming.set(None)>"不撤回"</button>
                            </div>
                        }.into_any());
                    }
                    if is_editing() {
                        return None;
                    }
                    let edit = id.clone();
                    Some(view! {
                        <div class="record-actions">
                            <button type="button" class="secondary" on:click=move |_| {
                                confirming.set(None);
                                editing.set(Some(edit.clone()));
                            }>"更正"</button>
                            <button type="button" class="secondary danger-text" on:click=move |_| {
                                editing.set(None);
                                confirming.set(Some(id.clone()));
                            }>"撤回"</button>
                        </div>
                    }.into_any())
                }
            }
        </li>
    }
}
