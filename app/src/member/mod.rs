//! The member's pages: the phone's bundle. `/checkin`, `/records` and
//! `/ledger` work with no network from the documents on the device; `/`,
//! `/login` and `/password` need the server.

pub mod checkin;
pub mod home;
pub mod ledger;
pub mod login;
pub mod password;
pub mod records;

use crate::components::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The phone's HTML document; only the server renders it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::document(options, view! { <App /> })
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    crate::local::Local::provide();
    view! {
        <Stylesheet id="vanguard" href="/pkg/vanguard.css" />
        <Title text="先锋台账" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=login::LoginPage />
                // The member's offline pages: no session lookup and no
                // member data in their HTML, so they can be cached.
                <Route path=path!("/checkin") view=checkin::CheckinPage />
                <Route path=path!("/records") view=records::RecordsPage />
                <Route path=path!("/ledger") view=ledger::LedgerPage />
                // Pages that depend on the session resolve it before the
                // first byte, so an anonymous visit gets a real redirect.
                <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async />
                <Route path=path!("/password") view=password::PasswordPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
