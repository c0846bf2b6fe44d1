//! The Leptos user interface, rendered on the server (`ssr`) and hydrated in
//! the browser (`hydrate`). Pages stay thin: rules live in `vanguard-shared`,
//! and the server functions beside each page only reach the [`backend`].

#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod backend;
pub mod codec;
pub mod components;
pub mod error;
pub mod local;
pub mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app; only the server renders it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#b71c1c" />
                <link rel="icon" href="/icon.svg" type="image/svg+xml" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icon-192.png" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    local::Local::provide();
    view! {
        <Stylesheet id="vanguard" href="/pkg/vanguard.css" />
        <Title text="先锋台账" />
        <Router>
            <main>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/login") view=pages::login::LoginPage />
                    // The member's offline pages: no session lookup and no
                    // member data in their HTML, so they can be cached.
                    <Route path=path!("/checkin") view=pages::checkin::CheckinPage />
                    <Route path=path!("/records") view=pages::records::RecordsPage />
                    <Route path=path!("/ledger") view=pages::ledger::LedgerPage />
                    // Pages that depend on the session resolve it before the
                    // first byte, so an anonymous visit gets a real redirect.
                    <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route
                        path=path!("/password")
                        view=pages::password::PasswordPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/host") view=pages::host::HostListPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/host/:event_id")
                        view=pages::host::HostCodePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/members")
                        view=pages::members::MembersPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// A named moment of the page's start, for the start-up figures the browser
/// tests print (`performance.getEntriesByType('mark')`).
#[cfg(feature = "hydrate")]
pub(crate) fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// The browser's entry point: attach to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    mark("vanguard-wasm-running");
    leptos::mount::hydrate_body(App);
    mark("vanguard-hydrated");
    // A mark that hydration finished, for tests and for styles that should
    // only apply once the page is interactive.
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
