//! The frame of every page behind the login: resolves the session, sends an
//! anonymous visitor to `/login` (and back here after signing in), and shows
//! the page in the common frame.
//!
//! The server knows who is signed in before it renders (`KnownMe`), and hands
//! that to the browser inside the page (a `SharedValue`), so the page and its
//! own resources render outside any `<Suspense>` of this frame: a resource
//! created inside a suspense's children can stall the server's response
//! (leptos #4866), which the pages' tests met now and then. Only a page the
//! browser routes to itself without knowing the member yet asks the server.

use super::frame::{Bundle, Frame, SignOut, Who};
use crate::error::UiError;
use crate::local::Local;
use crate::session::current_member;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use vanguard_shared::Me;

/// Who the request that renders this page is signed in as, provided by the
/// server before rendering (`Err` when the profile could not be read).
#[derive(Debug, Clone)]
pub struct KnownMe(pub Result<Option<Me>, UiError>);

/// What this render knows of the member: the server's answer on the server
/// and while hydrating, the member seen earlier on this page load when the
/// browser routes on its own, `None` when it must ask.
fn known() -> Option<Result<Option<Me>, UiError>> {
    #[cfg(feature = "ssr")]
    {
        use_context::<KnownMe>().map(|k| k.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        seen::get().map(|me| Ok(Some(me)))
    }
}

/// The member this page load has already shown, kept for the pages the
/// browser routes to without the server (a sign-out reloads the page).
#[cfg(not(feature = "ssr"))]
mod seen {
    use std::cell::RefCell;
    use vanguard_shared::Me;

    thread_local! {
        static SEEN: RefCell<Option<Me>> = const { RefCell::new(None) };
    }

    pub fn get() -> Option<Me> {
        SEEN.with(|s| s.borrow().clone())
    }

    pub fn set(me: &Me) {
        SEEN.with(|s| *s.borrow_mut() = Some(me.clone()));
    }
}

/// Renders `page` with the signed-in member, or redirects to the login page.
/// `page` is a plain function returning an erased view, so this frame is
/// compiled once for all pages, not once per page.
#[component]
pub fn SignedIn(page: fn(Me) -> AnyView, bundle: Bundle) -> impl IntoView {
    // Signed in online: keep this member's documents on the device now, so
    // the offline pages have them later.
    let local = Local::get();
    Effect::new(move |_| local.start());
    let location = use_location();
    let show = move |result: Result<Option<Me>, UiError>| match result {
        Ok(Some(me)) => {
            #[cfg(not(feature = "ssr"))]
            seen::set(&me);
            let who = Signal::stored(Some(Who::of(&me)));
            // For what below depends on who: the console's navigation.
            provide_context(me.clone());
            view! { <Frame who bundle>{page(me)}</Frame> }.into_any()
        }
        Ok(None) => {
            let back = location.pathname.get_untracked();
            view! { <ToLogin path=login_path(&back) /> }.into_any()
        }
        // Offline, on a page the browser routed to itself: the frame with
        // who this device knows, what works offline, and signing out.
        Err(e) => {
            let who = Signal::derive(move || local.snapshot().map(|s| Who::of_device(&s.me)));
            view! {
                <Frame who bundle>
                    <section class="card">
                        <p class="error" role="alert">{e.message}</p>
                        <p class="muted">"离线时仍可以签到，查看我的记录和我的台账。"</p>
                        <SignOut />
                    </section>
                </Frame>
            }
            .into_any()
        }
    };
    match SharedValue::new(known).into_inner() {
        Some(result) => show(result),
        None => {
            let me = Resource::new(|| (), |_| current_member());
            view! {
                <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                    {move || me.get().map(show)}
                </Suspense>
            }
            .into_any()
        }
    }
}

/// The login page, returning to `back` after signing in (home needs no
/// return). The path is percent-encoded as a query value.
fn login_path(back: &str) -> String {
    if back == "/" || back.is_empty() {
        return "/login".to_string();
    }
    let mut encoded = String::with_capacity(back.len());
    for byte in back.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    format!("/login?next={encoded}")
}

/// Sends the visitor to the login page: a redirect answer on the server, a
/// full page load in the browser (the login page is in the phone's bundle,
/// which a console page's router does not know).
#[component]
fn ToLogin(path: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&path);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let _ = window().location().assign(&path);
    });
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let _ = path;
    view! { <p class="loading">"请先登录…"</p> }
}

#[cfg(test)]
mod tests {
    use super::login_path;

    #[test]
    fn the_login_page_returns_to_where_the_visitor_was() {
        assert_eq!(login_path("/"), "/login");
        assert_eq!(login_path("/members"), "/login?next=/members");
        assert_eq!(login_path("/host/a b&c"), "/login?next=/host/a%20b%26c");
    }
}
