//! `/host` and `/host/{event_id}`: the host's phone shows an event's
//! check-in code, as text to type and as a QR code of the check-in link that
//! any phone camera opens, renewed while the page is open.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use std::time::Duration;
use vanguard_shared::event_code::{HostedEvent, ShownCode};
use vanguard_shared::time_text;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "hosted_events", output = crate::codec::TextJson)]
pub async fn hosted_events() -> Result<Vec<HostedEvent>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.events.hosted(&caller.member).await)
}

#[server(prefix = "/sfn", endpoint = "event_code", output = crate::codec::TextJson)]
pub async fn event_code(event_id: String) -> Result<ShownCode, UiError> {
    use crate::server::{answer, origin, signed_in};
    let (services, caller) = signed_in()?;
    let origin = origin().await;
    answer(
        services
            .events
            .current_code(&caller.member, &event_id, &origin)
            .await,
    )
}

/// Codes rotate every minute; asking this often keeps the shown one at most
/// a few seconds old, well inside the members' tolerance.
const REFRESH: Duration = Duration::from_secs(10);

fn when(e: &HostedEvent) -> String {
    let start = time_text::md_hm(&e.start);
    match e.end {
        Some(end) if end.date_naive() == e.start.date_naive() => {
            format!("{start}–{}", time_text::hm(&end))
        }
        Some(end) => format!("{start} 至 {}", time_text::md_hm(&end)),
        None => start.to_string(),
    }
}

#[component]
pub fn HostListPage() -> impl IntoView {
    view! {
        <Title text="主持签到 · 先锋台账" />
        <SignedIn page=|me: Me| view! { <HostList me /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn HostList(me: Me) -> impl IntoView {
    if !me.hosts_events() {
        return view! {
            <section class="card">
                <h1>"主持签到"</h1>
                <p class="notice">"只有支部书记或组织委员可以主持签到。"</p>
            </section>
        }
        .into_any();
    }
    let events = Resource::new(|| (), |_| hosted_events());
    view! {
        <section class="card">
            <h1>"主持签到"</h1>
            <p class="muted">"选择活动，把签到码或二维码给到场的党员。"</p>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    events
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! { <p>"近期没有设置签到码的活动。"</p> }.into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <ul class="hosted">
                                        {list
                                            .into_iter()
                                            .map(|e| {
                                                let href = format!("/host/{}", e.event_id);
                                                let time = when(&e);
                                                let HostedEvent { title, place, .. } = e;
                                                view! {
                                                    <li>
                                                        <A href=href>{title}</A>
                                                        <span class="muted">{time}</span>
                                                        {place.map(|p| view! { <span class="muted">{p}</span> })}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
pub fn HostCodePage() -> impl IntoView {
    view! {
        <Title text="签到码 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <CodeScreen /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn CodeScreen() -> impl IntoView {
    let params = use_params_map();
    let event_id = move || params.with(|p| p.get("event_id").unwrap_or_default());
    let tick = RwSignal::new(0u32);
    let shown = Resource::new(move || (event_id(), tick.get()), |(id, _)| event_code(id));
    // In the browser only (effects never run on the server): ask again
    // while the page is open, and stop when it closes.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <section class="card host-code">
            // Keeps the last code on screen while the next one is fetched.
            <Transition fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    shown
                        .get()
                        .map(|result| match result {
                            Err(e) => {
                                view! {
                                    <h1>"签到码"</h1>
                                    <p class="error" role="alert">{e.message}</p>
                                }
                                    .into_any()
                            }
                            Ok(s) => {
                                view! {
                                    <h1>{s.title.clone()}</h1>
                                    <p class="code-text" aria-label="签到码">{s.code.clone()}</p>
                                    <div class="qr" role="img" aria-label="签到二维码" inner_html=s.qr_svg.clone()></div>
                                    <p class="muted">
                                        {format!(
                                            "有效至 {}，每分钟更新。党员用手机扫码，或在“签到”页输入签到码。",
                                            time_text::hm(&s.valid_until),
                                        )}
                                    </p>
                                    <p class="muted link">{s.checkin_url.clone()}</p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <p>
                <A href="/host">"返回活动列表"</A>
            </p>
        </section>
    }
}
