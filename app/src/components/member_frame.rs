//! The frame of the member's offline pages (`/checkin`, `/records`,
//! `/ledger`): the common frame with who is signed in on this device, the
//! sync status line, storage use and the update notice. It renders no member
//! data on the server, so the service worker may cache the page for anyone;
//! local data fills it in after hydration.

use super::frame::{Bundle, Frame, Who};
use crate::local::Local;
use leptos::prelude::*;

#[component]
pub fn MemberFrame(children: ChildrenFn) -> impl IntoView {
    let local = Local::get();
    // Only a change of this, not every sync, renders the page anew, so a
    // form being filled in keeps its focus.
    let ready = Memo::new(move |_| match (local.loaded.get(), local.has_member()) {
        (false, _) => None,
        (true, has) => Some(has),
    });
    let who = Memo::new(move |_| local.snapshot().map(|s| Who::of_device(&s.me)));
    // After hydration only: local data is never read during render.
    Effect::new(move |_| local.start());
    view! {
        <Frame who bundle=Bundle::Member>
            <p role="status" class="sync-status">
                {move || local.status.get().text()}
            </p>
            <UpdateNotice />
            {move || {
                match ready.get() {
                    Some(true) => children().into_any(),
                    Some(false) => {
                        view! {
                            <section class="card">
                                <p>"本机还没有登录的党员。请联网后登录一次，之后无网络也能签到。"</p>
                                <p>
                                    <a class="button" href="/login">"去登录"</a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    None => view! { <p class="loading">"正在加载…"</p> }.into_any(),
                }
            }}
            <StorageLine />
        </Frame>
    }
}

#[component]
fn UpdateNotice() -> impl IntoView {
    let local = Local::get();
    move || {
        local.update_ready.get().then(|| {
            view! {
                <div class="card notice" role="alert">
                    "新版本已就绪。"
                    <button type="button" on:click=move |_| local.apply_update()>
                        "刷新使用新版本"
                    </button>
                </div>
            }
        })
    }
}

/// A word only when it matters: the device's storage nearly full. The
/// figures themselves (bytes used, the browser's quota) are no member's
/// business at the foot of every page.
#[component]
fn StorageLine() -> impl IntoView {
    let local = Local::get();
    move || {
        local.storage.get().filter(|s| s.nearly_full()).map(|_| {
            view! {
                <p class="error" role="alert">
                    "本机存储空间快满了：请联网同步，并清理浏览器中不需要的数据。"
                </p>
            }
        })
    }
}
