//! The console's own row of links under the main navigation: the pages of
//! a secretary's day ([`super::NAV`]), or a committee admin's
//! ([`super::ADMIN_NAV`]), the current one marked.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn ConsoleNav() -> impl IntoView {
    let location = use_location();
    let admin = use_context::<vanguard_shared::Me>()
        .is_some_and(|me| me.roles.contains(&vanguard_shared::Role::CommitteeAdmin));
    let links = if admin { super::ADMIN_NAV } else { super::NAV };
    view! {
        <nav class="subnav" aria-label=if admin { "党委管理" } else { "支部管理" }>
            {links
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
