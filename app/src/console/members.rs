//! `/members`: the members a secretary, officer or committee admin looks
//! after, with a password reset for those allowed to give one.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use vanguard_shared::{Me, MemberSummary, Password};

#[server(prefix = "/sfn", endpoint = "members", output = crate::codec::TextJson)]
pub async fn list_members() -> Result<Vec<MemberSummary>, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.directory().managed_members(&caller.member).await)
}

#[server(prefix = "/sfn", endpoint = "reset_password", output = crate::codec::TextJson)]
pub async fn reset_password(member_id: String, new: String) -> Result<(), UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .directory()
            .reset_password(&services.auth, &caller.member, &member_id, &new)
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

#[component]
fn ResetForm(member_id: String, name: String) -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let (local_error, set_local_error) = signal(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();
    let field_id = format!("reset-{member_id}");
    let on_submit = {
        let member_id = member_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let new = input.get().map(|i| i.value()).unwrap_or_default();
            match Password::parse(&new) {
                Err(e) => set_local_error.set(Some(e.to_string())),
                Ok(_) => {
                    set_local_error.set(None);
                    action.dispatch(ResetPassword {
                        member_id: member_id.clone(),
                        new,
                    });
                }
            }
        }
    };
    let outcome = move || match (local_error.get(), action.value().get()) {
        (Some(message), _) => {
            Some(view! { <span class="error" role="alert">{message}</span> }.into_any())
        }
        (None, Some(Err(e))) => {
            Some(view! { <span class="error" role="alert">{e.message}</span> }.into_any())
        }
        (None, Some(Ok(()))) => {
            Some(view! { <span class="ok" role="status">"已重置"</span> }.into_any())
        }
        (None, None) => None,
    };
    view! {
        <form class="inline" method="post" action=ResetPassword::url() novalidate on:submit=on_submit>
            <input type="hidden" name="member_id" value=member_id.clone() />
            <label class="visually-hidden" for=field_id.clone()>{format!("{name} 的新密码")}</label>
            <input id=field_id name="new" type="password" autocomplete="new-password" placeholder="新密码" node_ref=input />
            <button type="submit">"重置"</button>
            {outcome}
        </form>
    }
}
