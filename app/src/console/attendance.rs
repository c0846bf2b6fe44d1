//! `/console/events/{event_id}/attendance`: one row per member who should
//! have come, prefilled from the evidence (a check-in is 出席, an approved
//! leave 请假); a member with neither shows as 未到 until the sheet is
//! saved, which records them as 无故缺席.

use super::nav::ConsoleNav;
use super::outbox;
use super::said::SaidLine;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use std::collections::BTreeMap;
use vanguard_shared::attendance::{Evidence, RowInput, Sheet};
use vanguard_shared::ledger::AttendanceMark;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "attendance_sheet", output = crate::codec::TextJson)]
pub async fn attendance_sheet(event_id: String) -> Result<Sheet, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.attendance().sheet(&caller.member, &event_id).await)
}

/// `rows`: the sheet's `RowInput`s as JSON.
#[server(prefix = "/sfn", endpoint = "save_attendance", output = crate::codec::TextJson)]
pub async fn save_attendance(event_id: String, rows: String) -> Result<Sheet, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let rows: Vec<RowInput> = serde_json::from_str(&rows)
        .map_err(|_| UiError::new("invalid_input", "考勤表格式不对").with_status(422))?;
    answer(
        services
            .attendance()
            .save(&caller.member, &event_id, &rows)
            .await,
    )
}

#[component]
pub fn AttendancePage() -> impl IntoView {
    view! {
        <Title text="考勤 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <Attendance /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn Attendance() -> impl IntoView {
    let params = use_params_map();
    let event_id = move || params.with(|p| p.get("event_id").unwrap_or_default());
    let sheet = Resource::new(event_id, attendance_sheet);
    view! {
        <ConsoleNav />
        <section class="card wide">
            <p>
                <A href="/console/events">"← 活动列表"</A>
            </p>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    sheet
                        .get()
                        .map(|result| match result {
                            Err(e) => view! {
                                <h1>"考勤"</h1>
                                <p class="error" role="alert">{e.message}</p>
                            }
                                .into_any(),
                            Ok(sheet) => view! { <SheetForm sheet event_id=event_id() /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

/// `None` on the form: 未到.
const ABSENT: &str = "";
/// A check-in nobody confirmed yet: left unrecorded by a save, for an
/// officer to settle, never 出席 or 无故缺席 unseen.
const UNCONFIRMED: &str = "unconfirmed";

/// Each row's mark as the form holds it: the outcome's code, or empty for
/// 未到. The caller's own row is not the form's: another officer marks it.
fn marks_of(sheet: &Sheet) -> BTreeMap<String, String> {
    sheet
        .rows
        .iter()
        .filter(|r| !r.fixed())
        .map(|r| {
            let mark = match (r.outcome, r.evidence) {
                (Some(m), _) => m.as_str().to_string(),
                (None, Some(Evidence::CheckedInUnconfirmed)) => UNCONFIRMED.to_string(),
                (None, _) => String::new(),
            };
            (r.member_id.clone(), mark)
        })
        .collect()
}

#[component]
fn SheetForm(sheet: Sheet, event_id: String) -> impl IntoView {
    let marks: RwSignal<BTreeMap<String, String>> = RwSignal::new(marks_of(&sheet));
    let notes: RwSignal<BTreeMap<String, String>> = RwSignal::new(
        sheet
            .rows
            .iter()
            .map(|r| (r.member_id.clone(), r.note.clone().unwrap_or_default()))
            .collect(),
    );
    let current = RwSignal::new(sheet.clone());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let may_edit = sheet.may_edit;
    let unsent = RwSignal::new(false);
    let key = outbox::attendance_key(&event_id);
    // Sends the rows; with no network they are kept on this device (待同步)
    // and sent when it returns.
    let store = {
        let event_id = event_id.clone();
        let key = key.clone();
        move |rows: Vec<RowInput>| {
            let Ok(body) = serde_json::to_string(&rows) else {
                return;
            };
            let (id, key) = (event_id.clone(), key.clone());
            busy.set(true);
            leptos::task::spawn_local(async move {
                match save_attendance(id, body).await {
                    Ok(saved) => {
                        outbox::delete(&key);
                        unsent.set(false);
                        marks.set(marks_of(&saved));
                        message.set(Some(Ok(format!(
                            "考勤已保存：实到 {} / 应到 {}",
                            saved.present, saved.expected
                        ))));
                        current.set(saved);
                    }
                    Err(e) if outbox::unreachable(&e) => match outbox::save(&key, &rows) {
                        Ok(()) => {
                            unsent.set(true);
                            message.set(Some(Ok(
                                "网络不通：考勤已保存在本机（待同步），联网后自动提交".into(),
                            )));
                        }
                        Err(m) => message.set(Some(Err(m))),
                    },
                    Err(e) => {
                        // Refused as it stands: keep nothing that would be
                        // sent again and refused again.
                        outbox::delete(&key);
                        unsent.set(false);
                        message.set(Some(Err(e.message)));
                    }
                }
                busy.set(false);
            });
        }
    };
    // In the browser: a sheet saved here with no network comes back into
    // the form, and is sent.
    {
        let store = store.clone();
        let key = key.clone();
        Effect::new(move |_| {
            let kept: Vec<RowInput> = outbox::load(&key);
            if kept.is_empty() {
                return;
            }
            marks.update(|m| {
                for r in &kept {
                    m.insert(r.member_id.clone(), r.outcome.clone());
                }
            });
            notes.update(|n| {
                for r in &kept {
                    n.insert(r.member_id.clone(), r.note.clone().unwrap_or_default());
                }
            });
            unsent.set(true);
            store(kept);
        });
    }
    {
        let store = store.clone();
        let key = key.clone();
        outbox::on_online(move || {
            let kept: Vec<RowInput> = outbox::load(&key);
            if !kept.is_empty() && !busy.get_untracked() {
                store(kept);
            }
        });
    }
    let closes = chrono::DateTime::parse_from_rfc3339(&sheet.event.checkin_closes).ok();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Saving confirms the sheet: who is still 未到 is recorded as absent.
        // While members may still check in, it asks first.
        let absent = marks.with_untracked(|m| m.values().filter(|v| v.is_empty()).count());
        let open = closes.is_some_and(|c| crate::clock::now() < c);
        if open && absent > 0 {
            let until = closes
                .map(|c| vanguard_shared::time_text::md_hm(&c))
                .unwrap_or_default();
            let question = format!(
                "签到到 {until} 才结束。现在保存，仍为“未到”的 {absent} 名党员将记为无故缺席。确定现在保存吗？"
            );
            if !super::ask::confirmed(&question) {
                return;
            }
        }
        let rows: Vec<RowInput> = marks.with_untracked(|m| {
            m.iter()
                // An unconfirmed check-in waits for an officer's choice.
                .filter(|(_, mark)| mark.as_str() != UNCONFIRMED)
                .map(|(member_id, mark)| RowInput {
                    member_id: member_id.clone(),
                    outcome: if mark.is_empty() {
                        AttendanceMark::Unexcused.as_str().into()
                    } else {
                        mark.clone()
                    },
                    note: notes.with_untracked(|n| n.get(member_id).cloned()),
                })
                .collect()
        });
        store(rows);
    };
    let e = &sheet.event;
    let when = chrono::DateTime::parse_from_rfc3339(&e.start)
        .map(|t| {
            format!(
                "{} {}",
                t.format("%Y-%m-%d"),
                vanguard_shared::time_text::hm(&t)
            )
        })
        .unwrap_or_default();
    let heading = format!("{}：{}", e.kind_label, e.title);
    let notice = if e.cancelled {
        Some("活动已取消，无需记录考勤。")
    } else if !e.started {
        Some("活动尚未开始：可先查看请假情况，开始后才能记录考勤。")
    } else if !may_edit {
        Some("您可以查看本表，记录考勤由本支部书记、组织委员（党小组会为本组组长）进行。")
    } else {
        None
    };
    // The caller's own row counts as recorded by someone else.
    let own_present = sheet
        .rows
        .iter()
        .filter(|r| {
            r.fixed()
                && matches!(
                    r.outcome,
                    Some(AttendanceMark::Present | AttendanceMark::Late)
                )
        })
        .count();
    let own_rows = sheet.rows.iter().filter(|r| r.fixed()).count();
    let counts = move || {
        let (present, expected) = marks.with(|m| {
            let present = m
                .values()
                .filter(|v| {
                    *v == AttendanceMark::Present.as_str() || *v == AttendanceMark::Late.as_str()
                })
                .count();
            (present + own_present, m.len() + own_rows)
        });
        let confirmed = current.with(|s| s.confirmed);
        let state = if unsent.get() {
            "（待同步）"
        } else if confirmed {
            ""
        } else {
            "（尚未确认）"
        };
        format!("实到 {present} / 应到 {expected}{state}")
    };
    let rows = sheet
        .rows
        .iter()
        .map(|row| {
            let id = row.member_id.clone();
            let id_mark = id.clone();
            let id_set = id.clone();
            let id_note = id.clone();
            let id_note_set = id.clone();
            let field = format!("mark-{id}");
            let evidence = row.evidence.map(|e| e.label()).unwrap_or("");
            let leave_reason = row.leave_reason.clone();
            let fixed = row.fixed();
            let not_yours = not_yours(row.own);
            view! {
                <tr>
                    <td class="who">
                        <label for=field.clone()>{row.name.clone()}</label>
                    </td>
                    <td>{row.group.clone().unwrap_or_default()}</td>
                    <td>
                        {evidence}
                        {leave_reason.map(|r| view! { <div class="muted small">{format!("事由：{r}")}</div> })}
                    </td>
                    <td>
                        {fixed.then(|| view! {
                            <span>{row.outcome.map_or("未到", |m| m.label())}</span>
                            <div class="muted small">{not_yours}</div>
                        })}
                        <select
                            id=field
                            hidden=fixed
                            disabled=!may_edit || fixed
                            prop:value=move || marks.with(|m| m.get(&id_mark).cloned().unwrap_or_default())
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                marks.update(|m| {
                                    m.insert(id_set.clone(), v);
                                });
                            }
                        >
                            <option value=ABSENT>"未到"</option>
                            <option value=UNCONFIRMED>"待确认"</option>
                            {AttendanceMark::ALL
                                .iter()
                                .map(|m| view! { <option value=m.as_str()>{m.label()}</option> })
                                .collect_view()}
                        </select>
                    </td>
                    <td>
                        <input
                            type="text"
                            aria-label=format!("{} 的备注", row.name)
                            placeholder="备注（可选）"
                            disabled=!may_edit || fixed
                            prop:value=move || notes.with(|n| n.get(&id_note).cloned().unwrap_or_default())
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                notes.update(|n| {
                                    n.insert(id_note_set.clone(), v);
                                });
                            }
                        />
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1>{heading}</h1>
        <p class="muted">{when} {e.place.clone().map(|p| format!(" · {p}"))}</p>
        {notice.map(|n| view! { <p class="notice">{n}</p> })}
        <p class="counts" role="status">{counts}</p>
        <SaidLine said=message />
        <form on:submit=submit novalidate>
            <div class="table-scroll">
                <table class="attendance">
                    <thead>
                        <tr>
                            <th>"党员"</th>
                            <th>"党小组"</th>
                            <th>"签到 / 请假"</th>
                            <th>"考勤"</th>
                            <th>"备注"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {may_edit
                .then(|| {
                    view! {
                        <p class="muted">"保存即确认考勤：仍为“未到”的党员记为无故缺席；“待确认”的签到留待核实后再记。"</p>
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            "保存考勤"
                        </button>
                    }
                })}
        </form>
    }
}

/// Why a row is not the caller's to mark: their own, or a member who made,
/// reset or gave a role to the caller's account this year.
fn not_yours(own: bool) -> &'static str {
    if own {
        "本人考勤由支部其他委员记录"
    } else {
        "该党员本年度为您开设账号、重置密码或授予角色，须由其他委员或上级党委记录"
    }
}
