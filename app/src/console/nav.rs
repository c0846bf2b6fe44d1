//! The console's own row of links under the main navigation: the pages of
//! a secretary's day ([`super::NAV`]), the current one marked.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn ConsoleNav() -> impl IntoView {
    let location = use_location();
    view! {
        <nav class="subnav" aria-label="支部管理">
            {super::NAV
                .iter()
                .map(|&(href, label)| {
                    let current = move || {
                        location.pathname.with(|p| p == href || p.starts_with(&format!("{href}/")))
                    };
                    view! {
                        <A href=href attr:aria-current=move || current().then_some("page")>
                            {label}
                        </A>
                    }
                })
                .collect_view()}
        </nav>
    }
}
