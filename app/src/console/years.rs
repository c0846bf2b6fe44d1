//! The year a page shows (`?year=`), with the years beside it: December
//! plans January, and January closes last year's books.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The page's `?year=`, when it names one.
pub fn year_query() -> impl Fn() -> Option<i32> + Copy {
    let query = use_query_map();
    move || query.with(|q| q.get("year").and_then(|y| y.parse().ok()))
}

/// `‹ 2025 年  2026 年  2027 年 ›`, each a link to `path` for that year
/// (and `branch`, when the page names one).
#[component]
pub fn YearNav(year: i32, path: &'static str, branch: Option<String>) -> impl IntoView {
    let link = move |y: i32| match &branch {
        Some(b) => format!("{path}?year={y}&branch={b}"),
        None => format!("{path}?year={y}"),
    };
    view! {
        <nav class="years" aria-label="年度">
            <A href=link(year - 1)>{format!("‹ {} 年", year - 1)}</A>
            <strong aria-current="page">{format!("{year} 年")}</strong>
            <A href=link(year + 1)>{format!("{} 年 ›", year + 1)}</A>
        </nav>
    }
}
