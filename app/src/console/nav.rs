//! The console's own row of links under the main navigation: the pages of
//! a secretary's day, the current one marked.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

const PAGES: [(&str, &str); 8] = [
    ("/console/review", "审核"),
    ("/console/events", "活动与考勤"),
    ("/console/ledger", "台账"),
    ("/console/evaluation", "年终评议"),
    ("/console/rulebook", "积分细则"),
    ("/host", "主持签到"),
    ("/console/members", "成员管理"),
    ("/console/audit", "审计日志"),
];

#[component]
pub fn ConsoleNav() -> impl IntoView {
    let location = use_location();
    view! {
        <nav class="subnav" aria-label="支部管理">
            {PAGES
                .into_iter()
                .map(|(href, label)| {
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
