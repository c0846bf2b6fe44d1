//! The Leptos user interface, rendered on the server (`ssr`) and hydrated in
//! the browser (`hydrate`), as two bundles: the member's pages (`member`,
//! the phone's bundle, offline-capable) and the console's (`console`, for
//! secretaries, officers and committees). Each bundle has its own router,
//! shell and entry point (`app/bundles/`), so the console never adds to what
//! a phone downloads. Pages stay thin: rules live in `vanguard-shared`, and
//! the server functions beside each page call the services in
//! `vanguard-core` with the caller from context (`server`).

#![recursion_limit = "256"]

pub mod clock;
pub mod codec;
pub mod components;
pub mod console;
pub mod error;
pub mod local;
pub mod member;
#[cfg(feature = "ssr")]
pub mod server;
pub mod session;

use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The HTML document around a bundle's app; only the server renders it.
/// `options` name the bundle (`vanguard` or `console`) its scripts load.
pub(crate) fn document(options: LeptosOptions, app: impl IntoView + 'static) -> impl IntoView {
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
            <body>{app}</body>
        </html>
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

/// Attaches a bundle's app to the server-rendered page: what each bundle's
/// entry point (`app/bundles/`) calls.
#[cfg(feature = "hydrate")]
pub fn hydrate<F, N>(app: F)
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    console_error_panic_hook::set_once();
    mark("vanguard-wasm-running");
    leptos::mount::hydrate_body(app);
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
