//! `/`: what matters today. The branch's events of today and the next few,
//! each a tap from checking in or asking leave; what waits to sync; the
//! provisional score and grade; for officers, what waits for them; and the
//! account (password, this device's storage, signing out).

use crate::components::frame::{console_label, Bundle, SignOut};
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use crate::local::{Local, Snapshot};
use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};
use vanguard_shared::documents::schema::LEAVE;
use vanguard_shared::documents::EventEntry;
use vanguard_shared::ledger::Mode;
use vanguard_shared::{time_text, Me};

/// What waits for an officer: records to review and, for the events of the
/// last weeks that have started, the sheets nobody has taken yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Waiting {
    /// Records to review; `None` for whoever does not review.
    pub reviews: Option<usize>,
    /// `(event_id, title)` of each event whose attendance is not taken.
    pub attendance: Vec<(String, String)>,
}

/// How far back an untaken sheet still counts as waiting.
#[cfg(feature = "ssr")]
const ATTENDANCE_DAYS: i64 = 31;

#[server(prefix = "/sfn", endpoint = "waiting", output = crate::codec::TextJson)]
pub async fn waiting_for_me() -> Result<Waiting, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let me = answer(services.directory().profile(&caller.member).await)?;
    let mut waiting = Waiting::default();
    if me.reviews_records() {
        waiting.reviews = Some(answer(services.reviews().queue(&caller.member, None).await)?.len());
    }
    if me.takes_attendance() {
        let now = chrono::Utc::now();
        let year = vanguard_shared::year::current(now);
        let since = now - chrono::Duration::days(ATTENDANCE_DAYS);
        // In January, December's sheets are last year's: both years' events.
        let mut events = answer(services.events.list(&caller.member, None, year).await)?;
        let earlier = vanguard_shared::year::current(since);
        if earlier != year {
            events.extend(answer(
                services.events.list(&caller.member, None, earlier).await,
            )?);
        }
        for e in events
            .into_iter()
            .filter(|e| e.started && !e.event.cancelled && e.event.start >= since)
        {
            // A sheet this officer may not take (another group's) is not theirs.
            if let Ok(sheet) = services
                .attendance()
                .sheet(&caller.member, &e.event.event_id)
                .await
            {
                if sheet.may_edit && !sheet.confirmed {
                    waiting.attendance.push((e.event.event_id, e.event.title));
                }
            }
        }
    }
    Ok(waiting)
}

#[component]
pub fn HomePage() -> impl IntoView {
    view! { <SignedIn page=|me: Me| view! { <Home me /> }.into_any() bundle=Bundle::Member /> }
}

#[component]
fn Home(me: Me) -> impl IntoView {
    let unit = [me.branch.as_ref(), me.group.as_ref()]
        .into_iter()
        .flatten()
        .map(|o| o.name.clone())
        .collect::<Vec<_>>()
        .join(" · ");
    let officer = me.reviews_records() || me.takes_attendance() || me.manages_members();
    let hosts = me.hosts_events();
    let manages = me.manages_members();
    let console = console_label(&me.roles);
    view! {
        <section class="card identity">
            <h1>{format!("您好，{}", me.name)}</h1>
            <p class="muted">
                {format!(
                    "{} · {}（{}）",
                    if unit.is_empty() { "未分配支部".to_string() } else { unit },
                    me.title(),
                    me.status.label(),
                )}
            </p>
        </section>
        <Today />
        {officer.then(|| view! { <ForOfficers hosts manages console /> })}
        <Account />
    }
}

/// Today's and the next events, the sync and the score: from this device's
/// documents, after hydration.
#[component]
fn Today() -> impl IntoView {
    let local = Local::get();
    let snapshot = Memo::new(move |_| local.snapshot());
    move || {
        let Some(s) = snapshot.get() else {
            return view! {
                <section class="card today" aria-label="今日">
                    <h2>"今日"</h2>
                    <p class="loading">"正在读取本机数据…"</p>
                </section>
            }
            .into_any();
        };
        let now = local.now().unwrap_or(s.now);
        let events: Vec<EventEntry> = s
            .upcoming()
            .into_iter()
            .filter(|e| !e.cancelled)
            .take(3)
            .cloned()
            .collect();
        let records = local.records(&s);
        let attendance = local.attendance();
        let score = s
            .ledger(&records, &attendance, Mode::Provisional)
            .map(|l| (l.total, l.proposed));
        let today = now.date_naive();
        view! {
            <section class="card today" aria-label="今日">
                <h2>{format!("今日 · {}", time_text::md(&now))}</h2>
                {if events.is_empty() {
                    view! { <p class="muted">"近期没有支部活动。可以在“签到”中记录志愿服务、走访等。"</p> }
                        .into_any()
                } else {
                    view! {
                        <ul class="events">
                            {events
                                .into_iter()
                                .map(|e| {
                                    let (opens, closes) = e.checkin_window();
                                    let open = now >= opens && now <= closes;
                                    let ahead = e.start > now;
                                    let day = if e.start.date_naive() == today {
                                        format!("今天 {}", time_text::hm(&e.start))
                                    } else {
                                        time_text::md_hm(&e.start)
                                    };
                                    let place = e.place.clone().map(|p| format!(" · {p}")).unwrap_or_default();
                                    // What the member already did for it.
                                    let done = records
                                        .iter()
                                        .filter(|r| !r.record.withdrawn)
                                        .find(|r| r.record.event_id.as_deref() == Some(e.event_id.as_str()))
                                        .map(|r| if r.record.kind == LEAVE { "已请假" } else { "已签到" });
                                    let open = open && done.is_none();
                                    let ahead = ahead && done.is_none();
                                    view! {
                                        <li class="event">
                                            <div class="event-what">
                                                <strong>{e.title.clone()}</strong>
                                                <span class="muted">{format!("{day}{place}")}</span>
                                            </div>
                                            <div class="event-actions">
                                                {done.map(|d| view! { <span class="badge">{d}</span> })}
                                                {open
                                                    .then(|| {
                                                        view! {
                                                            <a class="button" href=format!("/checkin?event={}", e.event_id)>
                                                                "签到"
                                                            </a>
                                                        }
                                                    })}
                                                {ahead
                                                    .then(|| {
                                                        view! {
                                                            <a class="button secondary" href=format!("/checkin?leave={}", e.event_id)>
                                                                "请假"
                                                            </a>
                                                        }
                                                    })}
                                            </div>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
                <SyncLine s=s.clone() />
                {score
                    .map(|(total, grade)| {
                        view! {
                            <A href="/ledger" attr:class="score">
                                <span>"预估总分 "<strong data-home-total>{total.to_string()}</strong>" 分"</span>
                                <span>{format!("预估等次 {}", grade.label())}</span>
                            </A>
                        }
                    })}
            </section>
        }
        .into_any()
    }
}

/// 待同步 and the last sync, in the words of the status line.
#[component]
fn SyncLine(s: Snapshot) -> impl IntoView {
    let local = Local::get();
    let pending = s.pending();
    view! {
        <p class="sync-line" data-pending=pending.to_string()>
            {if pending > 0 {
                format!("{pending} 条记录待同步 · ")
            } else {
                "记录都已同步 · ".to_string()
            }}
            {move || local.status.get().text()}
        </p>
    }
}

#[component]
fn ForOfficers(hosts: bool, manages: bool, console: Option<&'static str>) -> impl IntoView {
    let waiting = Resource::new(|| (), |_| waiting_for_me());
    view! {
        <section class="card" aria-label="待我处理">
            <h2>"待我处理"</h2>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    waiting
                        .get()
                        .map(|w| match w {
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                            Ok(w) => view! {
                                <ul class="menu">
                                    {w
                                        .reviews
                                        .map(|n| {
                                            view! {
                                                <li>
                                                    <a href="/console/review" rel="external">
                                                        {format!("待审核记录 {n} 条")}
                                                    </a>
                                                </li>
                                            }
                                        })}
                                    {w
                                        .attendance
                                        .into_iter()
                                        .map(|(id, title)| {
                                            view! {
                                                <li>
                                                    <a href=format!("/console/events/{id}/attendance") rel="external">
                                                        {format!("记录考勤：{title}")}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                    {hosts
                                        .then(|| {
                                            view! {
                                                <li>
                                                    <a href="/host" rel="external">"主持签到（显示签到码）"</a>
                                                </li>
                                            }
                                        })}
                                    {manages
                                        .then(|| {
                                            view! {
                                                <li>
                                                    <a href="/members" rel="external">"成员管理"</a>
                                                </li>
                                            }
                                        })}
                                    {console
                                        .map(|label| {
                                            view! {
                                                <li>
                                                    <a href="/console" rel="external">{format!("进入{label}")}</a>
                                                </li>
                                            }
                                        })}
                                </ul>
                            }
                                .into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

/// The account: password, this device's storage (its figures live here,
/// not at the foot of every page) and signing out.
#[component]
fn Account() -> impl IntoView {
    let local = Local::get();
    let storage = move || {
        local.storage.get().map(|u| {
            let mut text = format!("本机数据约 {}", size(u.local_bytes as f64));
            if let (Some(used), Some(quota)) = (u.usage, u.quota) {
                text.push_str(&format!(
                    "；浏览器已用 {} / 可用 {}",
                    size(used),
                    size(quota)
                ));
            }
            text
        })
    };
    view! {
        <section class="card account" aria-label="账户">
            <h2>"账户"</h2>
            <ul class="menu">
                <li>
                    <A href="/password">"修改密码"</A>
                </li>
            </ul>
            <p class="muted storage">{storage}</p>
            <SignOut />
        </section>
    }
}

fn size(bytes: f64) -> String {
    use vanguard_shared::decimal::fixed;
    if bytes < 1_048_576.0 {
        format!("{} KB", fixed(bytes / 1024.0, 0))
    } else {
        format!("{} MB", fixed(bytes / 1_048_576.0, 1))
    }
}
