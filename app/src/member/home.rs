//! `/`: who you are, your branch and role, and what your role can do.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use leptos::prelude::*;
use leptos_router::components::A;
use vanguard_shared::Me;

#[component]
pub fn HomePage() -> impl IntoView {
    view! { <SignedIn page=|me: Me| view! { <Home me /> }.into_any() bundle=Bundle::Member /> }
}

#[component]
fn Home(me: Me) -> impl IntoView {
    let unit = [me.committee.as_ref(), me.branch.as_ref(), me.group.as_ref()]
        .into_iter()
        .flatten()
        .map(|o| o.name.clone())
        .collect::<Vec<_>>()
        .join(" · ");
    let roles = me
        .roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join("、");
    let manages = me.manages_members();
    let hosts = me.hosts_events();
    view! {
        <section class="card identity">
            <h1>{format!("您好，{}", me.name)}</h1>
            <dl>
                <dt>"所在组织"</dt>
                <dd>{if unit.is_empty() { "未分配".to_string() } else { unit }}</dd>
                <dt>"身份"</dt>
                <dd>{format!("{}（{}）", me.title(), me.status.label())}</dd>
                <dt>"角色"</dt>
                <dd>{roles}</dd>
            </dl>
        </section>
        <nav class="card actions" aria-label="功能">
            <h2>"我能做的事"</h2>
            <ul>
                // The console's pages are in the console's bundle: a full
                // page load, which a member's phone never makes.
                {hosts
                    .then(|| {
                        view! {
                            <li>
                                <a href="/host" rel="external">
                                    "主持签到"
                                </a>
                            </li>
                        }
                    })}
                {manages
                    .then(|| {
                        view! {
                            <li>
                                <a href="/members" rel="external">
                                    "成员管理"
                                </a>
                            </li>
                        }
                    })}
                <li>
                    <A href="/password">"修改密码"</A>
                </li>
            </ul>
        </nav>
    }
}
