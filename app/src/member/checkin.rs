//! `/checkin`: check in to a branch event (with its code) or record a free
//! check-in, and ask leave for an upcoming event. Works with no network: the
//! record is saved on this device and synced when a connection returns.

use crate::components::member_frame::MemberFrame;
use crate::local::Local;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use vanguard_shared::documents::form::{
    event_choice, CheckinForm, FormError, LeaveForm, FREE_KINDS,
};
use vanguard_shared::documents::schema::LEAVE;
use vanguard_shared::documents::view::RecordView;
use vanguard_shared::documents::EventEntry;
use vanguard_shared::geofence::distance_label;
use vanguard_shared::ledger::Kind;
use vanguard_shared::time_text;

#[component]
pub fn CheckinPage() -> impl IntoView {
    view! {
        <Title text="签到 · 先锋台账" />
        <MemberFrame>
            <CheckIn />
            <Leave />
        </MemberFrame>
    }
}

fn event_label(e: &EventEntry) -> String {
    format!("{}（{}）", e.title, time_text::md_hm(&e.start))
}

/// The message for one field, shown under it.
fn field_error(error: RwSignal<Option<FormError>>, field: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field == field)
            .map(|e| view! { <p class="error field-error" role="alert">{e.message}</p> })
    }
}

#[component]
fn CheckIn() -> impl IntoView {
    let local = Local::get();
    let snapshot = Memo::new(move |_| local.snapshot());
    let choice = RwSignal::new(String::new());
    let when = RwSignal::new(String::new());
    let hours = RwSignal::new(String::new());
    let place = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let position = RwSignal::new(None::<(f64, f64)>);
    let locating = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<FormError>);
    let done = RwSignal::new(None::<String>);
    let locate = move |_| {
        locating.set(Some("正在定位…".into()));
        local.locate(move |found| match found {
            Ok(p) => {
                position.set(Some(p));
                locating.set(None);
                // A refusal of the earlier position no longer holds.
                if error.get_untracked().is_some_and(|e| e.field == "place") {
                    error.set(None);
                }
            }
            Err(why) => {
                position.set(None);
                locating.set(Some(why));
            }
        });
    };

    let events = move || {
        snapshot
            .get()
            .map(|s| s.upcoming().into_iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let chosen_event = move || {
        let c = choice.get();
        events()
            .into_iter()
            .find(|e| event_choice(&e.event_id) == c)
    };
    // Scanned from the host's QR code (`/checkin?event=…&code=…`): choose
    // that event and fill its code once the events document is read, after
    // hydration, so the cached page stays the same for every URL.
    let query = use_query_map();
    let scanned = RwSignal::new(None::<String>);
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(event_id) = query.with_untracked(|q| q.get("event")) else {
            return true;
        };
        let Some(s) = snapshot.get() else {
            return false;
        };
        if !s.upcoming().iter().any(|e| e.event_id == event_id) {
            scanned.set(Some(
                "二维码中的活动还不在本机：请联网同步后再扫码，或手动选择活动".into(),
            ));
            return false;
        }
        scanned.set(None);
        choice.set(event_choice(&event_id));
        if let Some(c) = query.with_untracked(|q| q.get("code")) {
            code.set(c);
        }
        true
    });
    let needs_hours = move || choice.get() == Kind::Volunteer.as_str();
    let fence = move || chosen_event().and_then(|e| e.geofence).map(|f| f.radius_m);
    let has_code = move || chosen_event().is_some_and(|e| e.code_key.is_some());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A second tap on the check-in just saved: nothing to do.
        if choice.get_untracked().is_empty() && done.get_untracked().is_some() {
            return;
        }
        done.set(None);
        let Some(s) = snapshot.get_untracked() else {
            return;
        };
        let form = CheckinForm {
            choice: choice.get_untracked(),
            when: when.get_untracked(),
            hours: hours.get_untracked(),
            place: place.get_untracked(),
            note: note.get_untracked(),
            code: code.get_untracked(),
            position: position.get_untracked(),
        };
        // Events the member has checked in to already: not twice.
        let records = local.records(&s);
        let checked_in = checked_in_events(&records);
        let saved = form
            .parse(
                local.now().unwrap_or(s.now),
                s.me.year,
                &s.events,
                &checked_in,
            )
            .and_then(|record| {
                let verified = record.code.is_some();
                local
                    .add_record(record)
                    .map(|_| verified)
                    .map_err(|message| FormError {
                        field: "form",
                        message,
                    })
            });
        match saved {
            Ok(verified) => {
                error.set(None);
                // The event is done with: a second tap finds nothing chosen.
                for field in [choice, when, hours, place, note, code] {
                    field.set(String::new());
                }
                position.set(None);
                locating.set(None);
                done.set(Some(if verified {
                    "已签到（签到码已验证），已保存在本机".into()
                } else {
                    "已签到，已保存在本机".into()
                }));
            }
            Err(e) => error.set(Some(e)),
        }
    };

    view! {
        <section class="card">
            <h1>"签到"</h1>
            {move || {
                snapshot
                    .get()
                    .filter(|s| !s.writable)
                    .map(|_| {
                        view! {
                            <p class="notice">"本机还没有从服务器取得您的台账，请联网同步一次后再签到。"</p>
                        }
                    })
            }}
            {move || scanned.get().map(|m| view! { <p class="notice">{m}</p> })}
            <form class="checkin" on:submit=submit novalidate>
                <label for="choice">"类型"</label>
                <select
                    id="choice"
                    prop:value=move || choice.get()
                    on:change=move |ev| {
                        choice.set(event_target_value(&ev));
                        error.set(None);
                    }
                >
                    <option value="">"请选择"</option>
                    <optgroup label="支部活动">
                        {move || {
                            events()
                                .into_iter()
                                .map(|e| {
                                    let value = event_choice(&e.event_id);
                                    let selected = choice.get_untracked() == value;
                                    view! {
                                        <option value=value selected=selected>
                                            {event_label(&e)}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </optgroup>
                    <optgroup label="自主签到">
                        {FREE_KINDS
                            .iter()
                            .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
                            .collect_view()}
                    </optgroup>
                </select>
                {field_error(error, "choice")}

                <label for="when">"时间（不填为现在）"</label>
                <input id="when" type="datetime-local" prop:value=move || when.get() on:input=move |ev| when.set(event_target_value(&ev)) />
                {field_error(error, "when")}

                <Show when=needs_hours>
                    <label for="hours">"时长（小时）"</label>
                    <input id="hours" type="text" inputmode="decimal" prop:value=move || hours.get() on:input=move |ev| hours.set(event_target_value(&ev)) />
                    {field_error(error, "hours")}
                </Show>

                <Show when=has_code>
                    <label for="code">"签到码"</label>
                    <input id="code" type="text" autocomplete="off" autocapitalize="characters" placeholder="主持人手机上显示的 10 位码" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                    {field_error(error, "code")}
                </Show>

                <label for="place">"地点（可选）"</label>
                <input id="place" type="text" prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev)) />
                <button type="button" class="secondary locate" on:click=locate>
                    "添加当前位置"
                </button>
                {move || locating.get().map(|m| view! { <p class="muted">{m}</p> })}
                {move || {
                    position
                        .get()
                        .map(|(lat, lon)| {
                            // Coordinates mean nothing to a member: the
                            // distance to the event's place does.
                            let words = match chosen_event().and_then(|e| e.geofence) {
                                Some(f) => format!(
                                    "已记录位置（距活动地点 {}）",
                                    distance_label(f.distance_m(lat, lon)),
                                ),
                                None => "已记录位置".to_string(),
                            };
                            view! {
                                <div class="position">
                                    <p class="ok">{words}</p>
                                    <button
                                        type="button"
                                        class="secondary"
                                        on:click=move |_| {
                                            position.set(None);
                                            locating.set(None);
                                            error.set(None);
                                        }
                                    >
                                        "移除位置"
                                    </button>
                                </div>
                            }
                        })
                }}
                {move || {
                    fence()
                        .map(|radius| {
                            view! {
                                <p class="muted">
                                    {format!(
                                        "此活动设有签到范围（{}），添加当前位置即可核验到场",
                                        distance_label(radius),
                                    )}
                                </p>
                            }
                        })
                }}
                {field_error(error, "place")}

                <label for="note">"备注"</label>
                <textarea id="note" rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                {field_error(error, "note")}

                {field_error(error, "form")}
                <button type="submit">"签到"</button>
                {move || done.get().map(|m| view! { <p class="ok">{m}</p> })}
            </form>
        </section>
    }
}

/// Moves the focus (and the view) to a field once the page has it.
/// The events the member has a check-in for (not withdrawn, not leave):
/// one check-in an event, and no leave for one attended.
fn checked_in_events(records: &[RecordView]) -> Vec<&str> {
    records
        .iter()
        .filter(|r| !r.record.withdrawn && r.record.kind != LEAVE)
        .filter_map(|r| r.record.event_id.as_deref())
        .collect()
}

fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[component]
fn Leave() -> impl IntoView {
    let local = Local::get();
    let snapshot = Memo::new(move |_| local.snapshot());
    let event_id = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let done = RwSignal::new(None::<String>);
    // From the home page's 请假 (`/checkin?leave=…`): that event chosen once
    // the events document is read.
    let query = use_query_map();
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(wanted) = query.with_untracked(|q| q.get("leave")) else {
            return true;
        };
        if snapshot.get().is_none() {
            return false;
        }
        event_id.set(wanted);
        focus("leave-reason");
        true
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let Some(s) = snapshot.get_untracked() else {
            return;
        };
        let form = LeaveForm {
            event_id: event_id.get_untracked(),
            reason: reason.get_untracked(),
        };
        // Events the member has checked in to: no leave for those.
        let records = local.records(&s);
        let checked_in = checked_in_events(&records);
        let saved = form
            .parse(local.now().unwrap_or(s.now), &s.events, &checked_in)
            .and_then(|record| {
                local.add_record(record).map_err(|message| FormError {
                    field: "form",
                    message,
                })
            });
        match saved {
            Ok(_) => {
                error.set(None);
                reason.set(String::new());
                done.set(Some("请假申请已保存，等待书记审核".into()));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <section class="card">
            <h2>"请假"</h2>
            <form class="leave" on:submit=submit novalidate>
                <label for="leave-event">"活动"</label>
                <select id="leave-event" prop:value=move || event_id.get() on:change=move |ev| event_id.set(event_target_value(&ev))>
                    <option value="">"请选择"</option>
                    {move || {
                        snapshot
                            .get()
                            .map(|s| {
                                // Leave is asked before an event starts.
                                s.upcoming()
                                    .into_iter()
                                    .filter(|e| e.start > s.now && !e.cancelled)
                                    .map(|e| {
                                        let selected = event_id.get_untracked() == e.event_id;
                                        view! { <option value=e.event_id.clone() selected=selected>{event_label(e)}</option> }
                                    })
                                    .collect_view()
                            })
                    }}
                </select>
                {field_error(error, "event")}
                <label for="leave-reason">"请假事由"</label>
                <textarea id="leave-reason" rows="2" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                {field_error(error, "reason")}
                {field_error(error, "form")}
                <button type="submit">"提交请假"</button>
                {move || done.get().map(|m| view! { <p class="ok">{m}</p> })}
            </form>
        </section>
    }
}
