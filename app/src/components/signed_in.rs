//! The frame of every page behind the login: resolves the session, sends an
//! anonymous visitor to `/login`, and shows the header with the logout button.

use crate::local::Local;
use crate::session::{current_member, Logout};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Redirect, A};
use vanguard_shared::Me;

/// Renders `page` with the signed-in member, or redirects to the login page.
/// `page` is a plain function returning an erased view, so this frame (and
/// its session resource) is compiled once for all pages, not once per page.
#[component]
pub fn SignedIn(page: fn(Me) -> AnyView) -> impl IntoView {
    let me = Resource::new(|| (), |_| current_member());
    // Signed in online: keep this member's documents on the device now, so
    // the offline pages have them later.
    let local = Local::get();
    Effect::new(move |_| local.start());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                me.get()
                    .map(move |result| match result {
                        Ok(Some(me)) => {
                            view! {
                                <Header me=me.clone() />
                                <div class="page">{page(me)}</div>
                            }
                                .into_any()
                        }
                        Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

const LOGOUT_PATH: &str = <Logout as ServerFn>::PATH;

#[component]
fn Header(me: Me) -> impl IntoView {
    let local = Local::get();
    // Once hydrated, logout also clears this device (warning first about
    // unsynced records); the plain form is the fallback before that.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.logout();
    };
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                "先锋台账"
            </A>
            <span class="who">{me.name.clone()}</span>
            <form method="post" action=LOGOUT_PATH class="logout" on:submit=on_submit>
                <button type="submit">"退出登录"</button>
            </form>
        </header>
    }
}
