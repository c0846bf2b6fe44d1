//! The frame of every page about one branch (the ledger, the evaluation's
//! three steps, the 六化 sheet): the console's navigation and a card, and
//! for a committee admin, who has no branch of their own, the list of the
//! branches below to pick from until `?branch=` names one.

use super::ledger::ledger_branches;
use super::nav::ConsoleNav;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use vanguard_shared::Me;

/// The page's `?branch=`, kept on every link between a branch's pages.
pub fn branch_query() -> impl Fn() -> Option<String> + Copy {
    let query = use_query_map();
    move || query.with(|q| q.get("branch"))
}

/// `path` for the same branch as the current page.
pub fn with_branch(path: &str, branch: &Option<String>) -> String {
    match branch {
        Some(b) => format!("{path}?branch={b}"),
        None => path.to_string(),
    }
}

/// The frame: `body` gets the branch the page names (`None`: the caller's
/// own). `title`, `hint` and `to` are the picker's, for a committee admin.
#[component]
pub fn BranchPage<F, V>(
    me: Me,
    title: &'static str,
    hint: &'static str,
    to: &'static str,
    body: F,
) -> impl IntoView
where
    F: Fn(Option<String>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let branch = branch_query();
    let own = me.branch.is_some();
    // Follows `?branch=`: choosing a branch from the picker stays on the page.
    let content = move || match branch() {
        None if !own => view! { <BranchPicker title hint to /> }.into_any(),
        b => body(b).into_any(),
    };
    view! {
        <ConsoleNav />
        <section class="card wide">{content}</section>
    }
}

/// A committee admin's list of the branches below, each linking to `to`
/// with `?branch=`.
#[component]
pub fn BranchPicker(title: &'static str, hint: &'static str, to: &'static str) -> impl IntoView {
    let branches = Resource::new(|| (), |_| ledger_branches());
    view! {
        <h1>{title}</h1>
        <p class="muted">{hint}</p>
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                branches
                    .get()
                    .map(|result| match result {
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="console-menu">
                                {list
                                    .into_iter()
                                    .map(|(id, name)| {
                                        view! {
                                            <li>
                                                <A href=format!("{to}?branch={id}")>{name}</A>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}
