//! The frame of every page behind the login: resolves the session, sends an
//! anonymous visitor to `/login` (and back here after signing in), and shows
//! the page in the common frame.

use super::frame::{Bundle, Frame, Who};
use crate::local::Local;
use crate::session::current_member;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use vanguard_shared::Me;

/// Renders `page` with the signed-in member, or redirects to the login page.
/// `page` is a plain function returning an erased view, so this frame (and
/// its session resource) is compiled once for all pages, not once per page.
#[component]
pub fn SignedIn(page: fn(Me) -> AnyView, bundle: Bundle) -> impl IntoView {
    let me = Resource::new(|| (), |_| current_member());
    // Signed in online: keep this member's documents on the device now, so
    // the offline pages have them later.
    let local = Local::get();
    Effect::new(move |_| local.start());
    let location = use_location();
    // The frame inside the suspense: the header names the member, so it
    // waits for the same resource as the page.
    view! {
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                me.get()
                    .map(move |result| match result {
                        Ok(Some(me)) => {
                            let who = Signal::stored(Some(Who::of(&me)));
                            view! { <Frame who bundle>{page(me)}</Frame> }.into_any()
                        }
                        Ok(None) => {
                            let back = location.pathname.get_untracked();
                            view! { <ToLogin path=login_path(&back) /> }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    })
            }}
        </Suspense>
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
