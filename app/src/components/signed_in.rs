//! The frame of every page behind the login: resolves the session, sends an
//! anonymous visitor to `/login`, and shows the header with the logout button.

use crate::local::Local;
use crate::session::{current_member, Logout};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Redirect, A};
use vanguard_shared::Me;

/// Renders `children` with the signed-in member, or redirects to the login page.
#[component]
pub fn SignedIn<F, V>(children: F) -> impl IntoView
where
    F: Fn(Me) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let me = Resource::new(|| (), |_| current_member());
    // Signed in online: keep this member's documents on the device now, so
    // the offline pages have them later.
    let local = Local::get();
    Effect::new(move |_| local.start());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                let children = children.clone();
                me.get()
                    .map(move |result| match result {
                        Ok(Some(me)) => {
                            view! {
                                <Header me=me.clone() />
                                <div class="page">{children(me)}</div>
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
