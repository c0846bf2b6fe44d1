//! The one frame of every page, the member's and the console's alike: a
//! header with the app's name, who is signed in and their branch, and one
//! navigation that shows what the caller's role may open (a tab bar at the
//! bottom of a phone's screen, a row under the header on a wide one).
//! Signing out is on the home page (`SignOut`), away from the thumb's
//! path: on a phone it also clears the device.

use crate::local::Local;
use crate::session::Logout;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_location;
use vanguard_shared::{Me, Role};

/// Who the header names: from the server on the online pages, from the
/// device on the phone's offline ones.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Who {
    pub name: String,
    /// The member's branch, or the committee of an admin.
    pub unit: Option<String>,
    pub roles: Vec<Role>,
}

impl Who {
    /// Who this device remembers, for the pages that render offline.
    pub fn of_device(me: &crate::local::CachedMe) -> Self {
        Who {
            name: me.name.clone(),
            unit: me.branch_name.clone(),
            roles: me.roles.clone(),
        }
    }

    pub fn of(me: &Me) -> Self {
        Who {
            name: me.name.clone(),
            unit: me
                .branch
                .as_ref()
                .or(me.committee.as_ref())
                .map(|o| o.name.clone()),
            roles: me.roles.clone(),
        }
    }
}

/// Which bundle a page is in: a link into the other one loads a new page
/// (and that bundle) instead of routing inside this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    Member,
    Console,
}

struct Tab {
    href: &'static str,
    label: &'static str,
    bundle: Bundle,
    /// Other paths that belong to this tab.
    also: &'static [&'static str],
}

/// What the console is called for `roles`, or `None` for a plain member.
pub fn console_label(roles: &[Role]) -> Option<&'static str> {
    let has = |r: Role| roles.contains(&r);
    if has(Role::Secretary) || has(Role::OrgOfficer) {
        Some("支部管理")
    } else if has(Role::CommitteeAdmin) {
        Some("党委管理")
    } else if has(Role::GroupLeader) {
        Some("小组考勤")
    } else {
        None
    }
}

/// The tabs `roles` may open, in order.
fn tabs(roles: &[Role]) -> Vec<Tab> {
    let mut tabs = vec![
        Tab {
            href: "/",
            label: "首页",
            bundle: Bundle::Member,
            also: &[],
        },
        Tab {
            href: "/checkin",
            label: "签到",
            bundle: Bundle::Member,
            also: &[],
        },
        Tab {
            href: "/records",
            label: "我的记录",
            bundle: Bundle::Member,
            also: &[],
        },
        Tab {
            href: "/ledger",
            label: "我的台账",
            bundle: Bundle::Member,
            also: &[],
        },
    ];
    if let Some(label) = console_label(roles) {
        tabs.push(Tab {
            href: "/console",
            label,
            bundle: Bundle::Console,
            also: &["/console/", "/members", "/host"],
        });
    }
    tabs
}

const LOGOUT_PATH: &str = <Logout as ServerFn>::PATH;

#[component]
pub fn Frame(
    /// `None` while unknown (before the device's data is read) or signed out.
    #[prop(into)]
    who: Signal<Option<Who>>,
    bundle: Bundle,
    children: Children,
) -> impl IntoView {
    let location = use_location();
    let nav = move || {
        let path = location.pathname.get();
        let roles = who.with(|w| w.as_ref().map(|w| w.roles.clone()).unwrap_or_default());
        tabs(&roles)
            .into_iter()
            .map(|tab| {
                let current = path == tab.href || tab.also.iter().any(|p| path.starts_with(p));
                // Into the other bundle: a full page load.
                let external = (tab.bundle != bundle).then_some("external");
                view! {
                    <a
                        href=tab.href
                        rel=external
                        class="tab"
                        aria-current=current.then_some("page")
                    >
                        {tab.label}
                    </a>
                }
            })
            .collect_view()
    };
    let home_external = (bundle != Bundle::Member).then_some("external");
    view! {
        <header class="topbar">
            <a href="/" rel=home_external class="brand">
                "先锋台账"
            </a>
            {move || {
                who.get()
                    .map(|w| {
                        let unit = w.unit.map(|u| format!(" · {u}")).unwrap_or_default();
                        view! {
                            <span class="who">
                                <span class="who-name">{w.name}</span>
                                <span class="who-unit">{unit}</span>
                            </span>
                        }
                    })
            }}
        </header>
        <nav class="tabs" aria-label="主导航">
            {nav}
        </nav>
        <main class="page">{children()}</main>
    }
}

/// 退出登录: a form that works before hydration; once hydrated it also
/// clears this device, after a plain confirmation (and a warning about
/// records not yet synced).
#[component]
pub fn SignOut() -> impl IntoView {
    let local = Local::get();
    let on_logout = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.logout();
    };
    view! {
        <form method="post" action=LOGOUT_PATH class="logout" on:submit=on_logout>
            <button type="submit" class="secondary">"退出登录"</button>
        </form>
    }
}
