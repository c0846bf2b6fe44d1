//! `/members`: the members a secretary, officer or committee admin looks
//! after, with a password reset for those allowed to give one.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use vanguard_shared::{Me, MemberSummary};

#[server(prefix = "/sfn", endpoint = "members", output = crate::codec::TextJson)]
pub async fn list_members() -> Result<Vec<MemberSummary>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.directory().managed_members(&caller.member).await)
}

#[server(prefix = "/sfn", endpoint = "reset_password", output = crate::codec::TextJson)]
pub async fn reset_password(member_id: String) -> Result<String, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .directory()
            .reset_password(&services.auth, &caller.member, &member_id)
            .await,
    )
}

#[component]
pub fn MembersPage() -> impl IntoView {
    view! { <SignedIn page=|me: Me| view! { <Members me /> }.into_any() bundle=Bundle::Console /> }
}

#[component]
fn Members(me: Me) -> impl IntoView {
    let members = Resource::new(|| (), |_| list_members());
    let may_reset = me.may_reset_passwords();
    view! {
        <h1>"成员管理"</h1>
        <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
            {move || {
                members
                    .get()
                    .map(|result| match result {
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) => {
                            view! {
                                <table class="members">
                                    <thead>
                                        <tr>
                                            <th>"姓名"</th>
                                            <th>"用户名"</th>
                                            <th>"支部 / 党小组"</th>
                                            <th>"身份"</th>
                                            {may_reset.then(|| view! { <th>"重置密码"</th> })}
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|m| view! { <MemberRow member=m may_reset /> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn MemberRow(member: MemberSummary, may_reset: bool) -> impl IntoView {
    let unit = [member.branch.clone(), member.group.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
    view! {
        <tr>
            <td>{member.name.clone()}</td>
            <td>{member.username.clone()}</td>
            <td>{unit}</td>
            <td>{member.status.label()}</td>
            {may_reset.then(|| view! { <td><ResetForm member_id=member.member_id.clone() name=member.name.clone() /></td> })}
        </tr>
    }
}

/// A reset makes a one-time password, shown here once, to hand to the
/// member in person; they choose their own at the next sign-in. Nobody
/// chooses another's password.
#[component]
fn ResetForm(member_id: String, name: String) -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let on_submit = {
        let member_id = member_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            action.dispatch(ResetPassword {
                member_id: member_id.clone(),
            });
        }
    };
    let outcome = move || match action.value().get() {
        Some(Err(e)) => {
            Some(view! { <span class="error" role="alert">{e.message}</span> }.into_any())
        }
        Some(Ok(password)) => Some(
            view! {
                <span class="ok" role="status">
                    "一次性密码："<code class="one-time">{password}</code>
                    "（仅显示这一次，请当面告知本人；首次登录须改为自己的密码）"
                </span>
            }
            .into_any(),
        ),
        None => None,
    };
    view! {
        <form class="inline" method="post" action=ResetPassword::url() novalidate on:submit=on_submit>
            <input type="hidden" name="member_id" value=member_id.clone() />
            <button type="submit" aria-label=format!("重置 {name} 的密码") disabled=move || action.pending().get()>
                "重置"
            </button>
            {outcome}
        </form>
    }
}
