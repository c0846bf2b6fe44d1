//! `/host` and `/host/{event_id}`: the host's screen shows an event's
//! check-in code, as text to type and as a QR code of the check-in link that
//! any phone camera opens, renewed every minute, and who has checked in so
//! far. Opened online before the event, it keeps the event's codes (and
//! only those) for its window, so it goes on showing them with no network.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
// Codes go by the instant, not the zone.
use crate::clock::now;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use std::time::Duration;
use vanguard_shared::attendance::RollCall;
use vanguard_shared::event_code::{HostKit, HostedEvent};
use vanguard_shared::time_text;
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "hosted_events", output = crate::codec::TextJson)]
pub async fn hosted_events() -> Result<Vec<HostedEvent>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.events.hosted(&caller.member).await)
}

#[server(prefix = "/sfn", endpoint = "event_host_kit", output = crate::codec::TextJson)]
pub async fn event_host_kit(event_id: String) -> Result<HostKit, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .events
            .host_kit(&caller.member, &event_id, services.public_url())
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "event_roll_call", output = crate::codec::TextJson)]
pub async fn event_roll_call(event_id: String) -> Result<RollCall, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .attendance()
            .roll_call(&caller.member, &event_id)
            .await,
    )
}

/// The roll call is asked for this often while the network is there.
const ROLL_REFRESH: Duration = Duration::from_secs(10);

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

/// Where the screen's code comes from.
#[derive(Clone, PartialEq)]
enum Kit {
    Loading,
    /// Fetched now, or kept on this device from an earlier visit.
    Ready {
        kit: HostKit,
        offline: bool,
    },
    Failed(String),
}

#[component]
fn CodeScreen() -> impl IntoView {
    let params = use_params_map();
    let event_id = move || params.with(|p| p.get("event_id").unwrap_or_default());
    // Fetched on the server for the first render (and kept in the page, so
    // a copy of it opens offline too); on a device with no network, the kit
    // kept from an earlier visit.
    let fetched = Resource::new(event_id, event_host_kit);
    let kit = Memo::new(move |_| match fetched.get() {
        None => Kit::Loading,
        Some(Ok(k)) => Kit::Ready {
            kit: k,
            offline: false,
        },
        Some(Err(e)) => {
            #[cfg(feature = "hydrate")]
            let kept = crate::local::storage::host_kit(&event_id());
            #[cfg(not(feature = "hydrate"))]
            let kept: Option<HostKit> = None;
            match kept {
                Some(k) => Kit::Ready {
                    kit: k,
                    offline: true,
                },
                None => Kit::Failed(e.message),
            }
        }
    });
    let clock = RwSignal::new(now());
    let roll = RwSignal::new(None::<(RollCall, bool)>);
    // In the browser only (effects never run on the server): keep the
    // event's kit for its window (and forget closed ones); the clock every
    // second; the roll call while online.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            crate::local::storage::forget_closed_host_kits(now().timestamp());
            if let Kit::Ready {
                kit: k,
                offline: false,
            } = kit.get()
            {
                crate::local::storage::save_host_kit(&k);
            }
        }
    });
    Effect::new(move |_| {
        let ask_roll = move || {
            let id = event_id();
            leptos::task::spawn_local(async move {
                match event_roll_call(id).await {
                    Ok(r) => roll.set(Some((r, false))),
                    Err(_) => roll.update(|r| {
                        if let Some((_, stale)) = r {
                            *stale = true;
                        }
                    }),
                }
            });
        };
        ask_roll();
        if let Ok(handle) =
            set_interval_with_handle(move || clock.set(now()), Duration::from_secs(1))
        {
            on_cleanup(move || handle.clear());
        }
        if let Ok(handle) = set_interval_with_handle(ask_roll, ROLL_REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    let shown = Memo::new(move |_| match kit.get() {
        Kit::Ready { kit, .. } => kit.shown_at(clock.get()),
        _ => None,
    });
    // Drawn once a minute, when the link changes.
    let qr = Memo::new(move |_| shown.get().map(|(_, link)| vanguard_shared::qr::svg(&link)));
    let roll_view = move || {
        roll.get().map(|(r, stale)| {
            let names = if r.present.is_empty() {
                "尚无人签到".to_string()
            } else {
                r.present.join("、")
            };
            view! {
                <section class="roll" aria-label="签到情况">
                    <p class="roll-count">{format!("实到 {} / 应到 {}", r.present.len(), r.expected)}</p>
                    <p class="roll-names">{names}</p>
                    {stale.then(|| view! { <p class="muted">"离线：名单暂停更新"</p> })}
                </section>
            }
        })
    };
    view! {
        <section class="card host-code">
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                // Read here too, so the server's render waits for it.
                let _ = fetched.get();
                match kit.get() {
                Kit::Loading => view! { <p class="loading">"正在加载…"</p> }.into_any(),
                Kit::Failed(message) => {
                    view! {
                        <h1>"签到码"</h1>
                        <p class="error" role="alert">{message}</p>
                    }
                        .into_any()
                }
                Kit::Ready { kit: k, offline } => {
                    view! {
                        <h1>{k.title.clone()}</h1>
                        {offline.then(|| view! { <p class="notice">"当前离线：签到码由本机按时生成，党员签到后联网同步。"</p> })}
                        {move || match shown.get() {
                            None => view! { <p class="notice">"签到尚未开始或已经结束。"</p> }.into_any(),
                            Some((code, link)) => {
                                view! {
                                    <p class="code-text" aria-label="签到码">{code}</p>
                                    <div class="qr" role="img" aria-label="签到二维码" inner_html=move || qr.get().unwrap_or_default()></div>
                                    <p class="muted">"每分钟更新。党员用手机扫码，或在“签到”页输入签到码。"</p>
                                    <p class="muted link">{link}</p>
                                }
                                    .into_any()
                            }
                        }}
                    }
                        .into_any()
                }
            }}}
            </Suspense>
            {roll_view}
            <p>
                <A href="/host">"返回活动列表"</A>
            </p>
        </section>
    }
}
