//! When the phone syncs, and what the status line says: at start, when the
//! network comes back, when the page becomes visible, after each change,
//! and on a timer that backs off while the server cannot be reached. Also
//! the app's service worker, storage use and logout.

use super::model::{StorageUse, SyncStatus};
use super::net::{self, NetError};
use super::{device, storage, Local};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use vanguard_shared::time_text;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    static FAILURES: Cell<u32> = const { Cell::new(0) };
    /// `GET /api/me` answered during this page load.
    static IDENTIFIED: Cell<bool> = const { Cell::new(false) };
    /// When the rulebook was last fetched (ms since the epoch).
    static RULEBOOK_AT: Cell<f64> = const { Cell::new(0.0) };
    static TIMER: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
}

/// A quiet minute between polls once everything is on the server.
const IDLE_POLL: Duration = Duration::from_secs(60);
const FIRST_RETRY_SECS: u64 = 5;
const MAX_RETRY_SECS: u64 = 300;

fn online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

fn this_year() -> i32 {
    js_sys::Date::new_0().get_full_year() as i32
}

pub fn start(local: Local) {
    if STARTED.replace(true) {
        return;
    }
    crate::mark("vanguard-local-start");
    if let Some(me) = storage::load_me() {
        device::open(me);
    }
    crate::mark("vanguard-documents-open");
    local.loaded.set(true);
    local.revision.update(|r| *r += 1);
    show_idle_status(local);
    listen(local);
    register_service_worker(local);
    measure_storage(local, true);
    sync_soon(local);
}

fn listen(local: Local) {
    // The handles live as long as the page: these listeners are never removed.
    let _ = window_event_listener(leptos::ev::online, move |_| sync_soon(local));
    let _ = window_event_listener(leptos::ev::offline, move |_| show_idle_status(local));
    let on_visible = Closure::<dyn Fn()>::new(move || {
        let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
        if visible {
            sync_soon(local);
        }
    });
    let _ = document()
        .add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref());
    on_visible.forget();
}

/// Records only on this device, from the reading the pages share.
fn pending(local: Local) -> usize {
    device::snapshot(local.revision.get_untracked())
        .map(|s| s.pending())
        .unwrap_or(0)
}

fn show_idle_status(local: Local) {
    let status = if device::with(|_| ()).is_none() {
        SyncStatus::SignedOut
    } else if !online() {
        SyncStatus::Offline {
            pending: pending(local),
        }
    } else {
        match local.status.get_untracked() {
            s @ (SyncStatus::Synced { .. } | SyncStatus::Failed { .. } | SyncStatus::Syncing) => s,
            _ => SyncStatus::Pending {
                pending: pending(local),
            },
        }
    };
    local.status.set(status);
}

/// Syncs now, or right after the sync under way.
pub fn sync_soon(local: Local) {
    if RUNNING.get() {
        AGAIN.set(true);
        return;
    }
    RUNNING.set(true);
    spawn_local(async move {
        let mut outcome;
        loop {
            AGAIN.set(false);
            outcome = sync_once(local).await;
            if !AGAIN.get() || outcome.is_err() {
                break;
            }
        }
        RUNNING.set(false);
        let delay = match outcome {
            Ok(()) => {
                FAILURES.set(0);
                IDLE_POLL
            }
            Err(_) => {
                let n = FAILURES.get().min(6);
                FAILURES.set(n + 1);
                Duration::from_secs((FIRST_RETRY_SECS << n).min(MAX_RETRY_SECS))
            }
        };
        schedule(local, delay);
        measure_storage(local, false);
    });
}

/// Syncs after `seconds` instead of now (unless a sync is under way): a
/// change the member may still take back waits that long.
pub fn sync_after(local: Local, seconds: u64) {
    if RUNNING.get() {
        AGAIN.set(true);
        return;
    }
    show_idle_status(local);
    schedule(local, Duration::from_secs(seconds));
}

fn schedule(local: Local, delay: Duration) {
    TIMER.with(|t| {
        if let Some(old) = t.borrow_mut().take() {
            old.clear();
        }
        if let Ok(handle) = set_timeout_with_handle(move || sync_soon(local), delay) {
            *t.borrow_mut() = Some(handle);
        }
    });
}

fn clock() -> String {
    device::with(|d| time_text::hm(&device::now(&d.me))).unwrap_or_default()
}

async fn sync_once(local: Local) -> Result<(), NetError> {
    if !online() {
        show_idle_status(local);
        return Err(NetError::Unreachable);
    }
    let result = poll(local).await;
    let pending = pending(local);
    local.status.set(match &result {
        Ok(None) if pending == 0 => SyncStatus::Synced { at: clock() },
        Ok(None) => SyncStatus::Pending { pending },
        Ok(Some(refused)) => SyncStatus::Failed {
            message: refused.clone(),
            pending,
        },
        Err(NetError::Unreachable) => SyncStatus::Offline { pending },
        Err(NetError::SignedOut) if device::with(|_| ()).is_none() => SyncStatus::SignedOut,
        Err(NetError::SignedOut) => SyncStatus::Failed {
            message: "登录已过期，请重新登录，本机记录会保留".into(),
            pending,
        },
        Err(NetError::Server(message)) => SyncStatus::Failed {
            message: message.clone(),
            pending,
        },
    });
    result.map(|_| ())
}

/// How often an open page asks for the rulebook in force again.
const RULEBOOK_REFRESH_MS: f64 = 10.0 * 60.0 * 1000.0;

/// `GET /api/rulebook`, kept for the provisional ledger.
async fn fetch_rulebook() -> Result<(), NetError> {
    let (book, json) = net::rulebook().await?;
    storage::save_rulebook(&json)?;
    RULEBOOK_AT.set(js_sys::Date::now());
    device::with(|d| d.rulebook = Some(book));
    // The job side and the notice change as rarely: fetched with it.
    let (year_end, json) = net::year_end(this_year()).await?;
    storage::save_year_end(&json)?;
    device::with(|d| d.year_end = Some(year_end));
    Ok(())
}

/// One poll of all the member's documents; answers the server's refusals
/// in words, if any.
async fn poll(local: Local) -> Result<Option<String>, NetError> {
    local.status.set(SyncStatus::Syncing);
    if !IDENTIFIED.get() {
        let me = net::me(this_year()).await?;
        storage::save_me(&me)?;
        device::reopen_if_changed(me);
        fetch_rulebook().await?;
        IDENTIFIED.set(true);
        local.revision.update(|r| *r += 1);
        precache_pages();
    }
    // A branch may publish a new rulebook meanwhile: a page left open
    // fetches it again now and then (a failure waits for the next poll).
    if js_sys::Date::now() - RULEBOOK_AT.get() > RULEBOOK_REFRESH_MS {
        let _ = fetch_rulebook().await;
    }
    let Some(peer) = device::with(|d| {
        d.client.start_poll();
        d.peer_id.clone()
    }) else {
        return Err(NetError::SignedOut);
    };
    let mut refusals = Vec::new();
    loop {
        let next = device::with(|d| d.client.next_request()).ok_or(NetError::SignedOut)?;
        let body = match next {
            Ok(Some(body)) => body,
            Ok(None) => break,
            Err(e) => return Err(NetError::Server(e.to_string())),
        };
        let answer = net::sync_round(&peer, body).await;
        let handled = device::with(|d| match &answer {
            Ok(body) => d
                .client
                .handle_answer(body.as_deref())
                .map_err(|e| e.to_string()),
            Err(_) => {
                d.client.request_failed();
                Ok(Vec::new())
            }
        })
        .ok_or(NetError::SignedOut)?;
        device::save_all()?;
        local.revision.update(|r| *r += 1);
        answer?;
        refusals.extend(handled.map_err(NetError::Server)?);
    }
    Ok((!refusals.is_empty()).then(|| {
        refusals
            .iter()
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join("；")
    }))
}

/// Local storage use, and the browser's estimate; asks once for storage
/// the browser will not evict.
fn measure_storage(local: Local, ask_persist: bool) {
    let local_bytes = storage::used_bytes();
    spawn_local(async move {
        let manager = window().navigator().storage();
        let mut usage = None;
        let mut quota = None;
        if let Ok(promise) = manager.estimate() {
            if let Ok(estimate) = JsFuture::from(promise).await {
                let field = |name: &str| {
                    js_sys::Reflect::get(&estimate, &JsValue::from_str(name))
                        .ok()
                        .and_then(|v| v.as_f64())
                };
                usage = field("usage");
                quota = field("quota");
            }
        }
        let mut persisted = match manager.persisted() {
            Ok(p) => JsFuture::from(p)
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            Err(_) => false,
        };
        if ask_persist && !persisted {
            if let Ok(p) = manager.persist() {
                persisted = JsFuture::from(p)
                    .await
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
            }
        }
        local.storage.set(Some(StorageUse {
            local_bytes,
            usage,
            quota,
            persisted,
        }));
    });
}

fn register_service_worker(local: Local) {
    let container = window().navigator().service_worker();
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if e.data().as_string().as_deref() == Some("update-ready") {
                local.update_ready.set(true);
            }
        });
    container.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Reload once the new version has taken over, when the user asked for it.
    let on_change = Closure::<dyn Fn()>::new(move || {
        if local.update_ready.get_untracked() {
            let _ = window().location().reload();
        }
    });
    let _ = container
        .add_event_listener_with_callback("controllerchange", on_change.as_ref().unchecked_ref());
    on_change.forget();
    spawn_local(async move {
        let registered = JsFuture::from(container.register("/sw.js")).await;
        if let Ok(reg) = registered.map(web_sys::ServiceWorkerRegistration::from) {
            // A version installed during an earlier visit, still waiting.
            if reg.waiting().is_some() && container.controller().is_some() {
                local.update_ready.set(true);
            }
        }
    });
}

/// Asks the service worker to cache the member pages again (after a
/// logout removed them).
fn precache_pages() {
    if let Some(worker) = window().navigator().service_worker().controller() {
        let _ = worker.post_message(&JsValue::from_str("precache"));
    }
}

pub fn apply_update() {
    let container = window().navigator().service_worker();
    spawn_local(async move {
        if let Ok(reg) = JsFuture::from(container.get_registration())
            .await
            .map(web_sys::ServiceWorkerRegistration::from)
        {
            match reg.waiting() {
                Some(waiting) => {
                    let _ = waiting.post_message(&JsValue::from_str("skip-waiting"));
                }
                None => {
                    let _ = window().location().reload();
                }
            }
        }
    });
}

/// Signs out: a warning first when records would be lost, then the
/// member's documents and every cached page go.
pub fn logout(local: Local) {
    let waiting = pending(local);
    if waiting > 0 {
        let question = format!(
            "还有 {waiting} 条记录尚未同步到服务器，退出后本机上的这些记录将被删除。确定退出吗？"
        );
        if !window().confirm_with_message(&question).unwrap_or(false) {
            return;
        }
    } else if !window()
        .confirm_with_message("退出后，需联网重新登录才能在本机签到。确定退出吗？")
        .unwrap_or(false)
    {
        return;
    }
    spawn_local(async move {
        // Offline, the server session stays until it expires; the data on
        // this device goes now either way.
        let _ = net::logout().await;
        storage::clear_member();
        device::close();
        IDENTIFIED.set(false);
        if let Ok(caches) = window().caches() {
            if let Ok(names) = JsFuture::from(caches.keys()).await {
                for name in js_sys::Array::from(&names).iter() {
                    if let Some(name) = name.as_string() {
                        let _ = JsFuture::from(caches.delete(&name)).await;
                    }
                }
            }
        }
        local.status.set(SyncStatus::SignedOut);
        let _ = window().location().assign("/login");
    });
}
