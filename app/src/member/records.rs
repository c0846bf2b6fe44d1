//! `/records`: this year's records on this device, with their state in words
//! (待同步, 已提交, 已通过, 已退回 with the reason), withdrawal and correction.

use crate::components::member_frame::MemberFrame;
use crate::local::Local;
use leptos::prelude::*;
use leptos_meta::Title;
use vanguard_shared::decimal::short;
use vanguard_shared::documents::form::parse_hours;
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
            .map(|s| local.records(&s))
            .unwrap_or_default()
    });
    let editing = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    view! {
        <section class="card">
            <h1>"我的记录"</h1>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show
                when=move || !records.get().is_empty()
                fallback=|| view! { <p class="muted">"今年还没有记录。"</p> }
            >
                <ul class="records">
                    <For
                        each=move || records.get()
                        key=|r| (r.record.record_id.clone(), r.state.clone(), r.record.note.clone(), r.record.hours.map(f64::to_bits))
                        children=move |r| view! { <RecordItem r editing error /> }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn RecordItem(
    r: RecordView,
    editing: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let local = Local::get();
    let id = r.record.record_id.clone();
    let rec = &r.record;
    let can_change = !matches!(r.state, RecordState::Withdrawn);
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
    let withdraw_id = id.clone();
    let edit_id = id.clone();
    let is_editing = {
        let id = id.clone();
        move || editing.get().as_deref() == Some(id.as_str())
    };
    let note = RwSignal::new(rec.note.clone().unwrap_or_default());
    let hours = RwSignal::new(rec.hours.map(|h| short(h, 2)).unwrap_or_default());
    let has_hours = rec.hours.is_some();
    let save_id = id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
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
        match local.correct(
            &save_id,
            Some(note.get_untracked().trim().to_string()),
            hours_value,
        ) {
            Ok(()) => {
                error.set(None);
                editing.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <li class=format!("record {}", state_class(&r.state)) data-record=id.clone()>
            <div class="record-head">
                <strong class="record-title">{r.title.clone()}</strong>
                <span class="badge">{r.state.label()}</span>
            </div>
            <div class="muted">{when}</div>
            {(!details.is_empty()).then(|| view! { <div class="muted">{details}</div> })}
            {reason.map(|reason| view! { <p class="reason">{format!("退回原因：{reason}")}</p> })}
            {rec.note.clone().map(|n| view! { <p class="note">{format!("备注：{n}")}</p> })}
            <Show when=is_editing.clone()>
                <form class="correct" on:submit=save.clone()>
                    <label for=format!("note-{edit_id}")>"更正备注"</label>
                    <textarea id=format!("note-{edit_id}") rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    {has_hours.then(|| view! {
                        <label for=format!("hours-{edit_id}")>"时长（小时）"</label>
                        <input id=format!("hours-{edit_id}") type="text" inputmode="decimal" prop:value=move || hours.get() on:input=move |ev| hours.set(event_target_value(&ev)) />
                    })}
                    <button type="submit">"保存更正"</button>
                </form>
            </Show>
            {can_change.then(|| {
                let withdraw_id = withdraw_id.clone();
                let id = id.clone();
                view! {
                    <div class="record-actions">
                        <button type="button" class="secondary" on:click=move |_| editing.set(Some(id.clone()))>"更正"</button>
                        <button type="button" class="secondary" on:click=move |_| {
                            if let Err(e) = local.withdraw(&withdraw_id) {
                                error.set(Some(e));
                            }
                        }>"撤回"</button>
                    </div>
                }
            })}
        </li>
    }
}
