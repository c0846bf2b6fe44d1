//! The console's pages: the console's bundle, which a secretary's, officer's
//! or committee admin's browser loads and a member's phone never does.
//! The review queue (`/console/review`), the branch's events and their
//! attendance sheets (`/console/events`), the branch ledger and each
//! member's sheet (`/console/ledger`), the rulebook (`/console/rulebook`),
//! the year-end evaluation (`/console/evaluation`, `/job`, `/notice`), the
//! audit trail (`/console/audit`), the committee's view of its branches
//! (`/console/committee`) and their 六化 assessment (`/console/assessment`),
//! the roster (`/console/members`),
//! the member list (`/members`) and the host's screen (`/host`).

pub mod ask;
pub mod attendance;
pub mod audit;
pub mod branch_page;
pub mod committee;
pub mod evaluation;
pub mod events;
pub mod home;
pub mod host;
pub mod ledger;
pub mod members;
pub mod nav;
pub mod outbox;
pub mod review;
pub mod roster;
pub mod rulebook;
pub mod said;
pub mod upload;
pub mod years;

use crate::components::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The console's own row of links, in the order of a secretary's day: one
/// line here per page that belongs in it (the routes are below).
/// A committee admin's: the view across branches first, then each
/// branch's pages with a branch picker (no 主持签到: admins host nothing).
pub const ADMIN_NAV: &[(&str, &str)] = &[
    ("/console/committee", "各支部概况"),
    ("/console/assessment", "六化评定"),
    ("/console/review", "审核"),
    ("/console/events", "活动与考勤"),
    ("/console/ledger", "台账"),
    ("/console/evaluation", "年终评议"),
    ("/console/audit", "审计日志"),
    ("/console/members", "成员管理"),
    ("/console/rulebook", "积分细则"),
];

pub const NAV: &[(&str, &str)] = &[
    ("/console/review", "审核"),
    ("/console/events", "活动与考勤"),
    ("/console/ledger", "台账"),
    ("/console/evaluation", "年终评议"),
    ("/console/rulebook", "积分细则"),
    ("/host", "主持签到"),
    ("/console/members", "成员管理"),
    ("/console/audit", "审计日志"),
];

/// The console's HTML document; only the server renders it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::document(options, view! { <App /> })
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    crate::local::Local::provide();
    view! {
        <Stylesheet id="vanguard" href="/pkg/vanguard.css" />
        <Stylesheet id="console" href="/pkg/console.css" />
        <Title text="先锋台账" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/console") view=home::ConsoleHome ssr=SsrMode::Async />
                <Route path=path!("/console/review") view=review::ReviewPage ssr=SsrMode::Async />
                <Route path=path!("/console/events") view=events::EventsPage ssr=SsrMode::Async />
                <Route
                    path=path!("/console/events/:event_id/attendance")
                    view=attendance::AttendancePage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/console/ledger") view=ledger::BranchLedgerPage ssr=SsrMode::Async />
                <Route
                    path=path!("/console/ledger/sheets")
                    view=ledger::BranchSheetsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/console/members/:member_id/ledger")
                    view=ledger::MemberSheetPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/console/rulebook") view=rulebook::RulebookPage ssr=SsrMode::Async />
                <Route path=path!("/console/audit") view=audit::AuditPage ssr=SsrMode::Async />
                <Route path=path!("/console/members") view=roster::RosterPage ssr=SsrMode::Async />
                <Route path=path!("/console/committee") view=committee::CommitteePage ssr=SsrMode::Async />
                <Route
                    path=path!("/console/assessment")
                    view=committee::AssessmentPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/console/evaluation") view=evaluation::EvaluationPage ssr=SsrMode::Async />
                <Route
                    path=path!("/console/evaluation/job")
                    view=evaluation::job::JobSheetPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/console/evaluation/notice")
                    view=evaluation::notice::NoticePage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/members") view=members::MembersPage ssr=SsrMode::Async />
                <Route path=path!("/host") view=host::HostListPage ssr=SsrMode::Async />
                <Route path=path!("/host/:event_id") view=host::HostCodePage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
