//! `/console`: the console's start page (支部管理 / 党委管理), listing what
//! the caller's role may open here.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use leptos::prelude::*;
use leptos_router::components::A;
use vanguard_shared::Me;

#[component]
pub fn ConsoleHome() -> impl IntoView {
    view! { <SignedIn page=|me: Me| view! { <Home me /> }.into_any() bundle=Bundle::Console /> }
}

#[component]
fn Home(me: Me) -> impl IntoView {
    let unit = me
        .branch
        .as_ref()
        .or(me.committee.as_ref())
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let items = [
        (
            me.reviews_records(),
            "/console/review",
            "审核",
            "党员提交的签到和请假，逐条或批量通过、退回",
        ),
        (
            me.takes_attendance(),
            "/console/events",
            "活动与考勤",
            "发布和修改本支部活动，记录每次活动的考勤",
        ),
        (
            me.hosts_events() || me.has(vanguard_shared::Role::CommitteeAdmin),
            "/console/ledger",
            "台账",
            "全支部党员的积分台账，每人一张清单",
        ),
        (
            me.has(vanguard_shared::Role::CommitteeAdmin),
            "/console/committee",
            "各支部概况",
            "各支部会议、参与率、待审核、年终评议进度和六化得分",
        ),
        (
            me.hosts_events() || me.has(vanguard_shared::Role::CommitteeAdmin),
            "/console/assessment",
            "六化评定",
            "支部“六化”规范化建设：支部自查，党委抽查",
        ),
        (
            me.hosts_events() || me.has(vanguard_shared::Role::CommitteeAdmin),
            "/console/evaluation",
            "年终评议",
            "业务考核、双好评议、改评、锁定和结果公示",
        ),
        (
            me.manages_members(),
            "/console/rulebook",
            "积分细则",
            "现行积分细则；上传新版本，预览后发布",
        ),
        (
            me.hosts_events(),
            "/host",
            "主持签到",
            "显示活动签到码和二维码，到场党员扫码签到",
        ),
        (
            me.manages_members(),
            "/console/members",
            "成员管理",
            "党员名单：添加、编辑、调动、停用、任命角色，批量导入",
        ),
        (
            me.reviews_records() || me.has(vanguard_shared::Role::CommitteeAdmin),
            "/console/audit",
            "审计日志",
            "每一项决定的操作人、时间、设备和内容，可筛选、导出",
        ),
    ];
    let shown: Vec<_> = items.into_iter().filter(|(may, ..)| *may).collect();
    view! {
        <section class="card">
            <h1>{format!("{unit} 管理")}</h1>
            {if shown.is_empty() {
                view! { <p class="notice">"您的角色没有可用的管理功能。"</p> }.into_any()
            } else {
                view! {
                    <ul class="console-menu">
                        {shown
                            .into_iter()
                            .map(|(_, href, label, about)| {
                                view! {
                                    <li>
                                        <A href=href>{label}</A>
                                        <span class="muted">{about}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
