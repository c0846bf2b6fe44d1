//! `/password`: change one's own password.

use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use vanguard_shared::{Me, Password};

#[server(prefix = "/sfn", endpoint = "change_password", output = crate::codec::TextJson)]
pub async fn change_password(current: String, new: String) -> Result<(), UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .auth
            .change_password(&caller.member, Some(&caller.token), &current, &new)
            .await,
    )
}

/// What the browser can refuse before asking the server.
fn check(current: &str, new: &str, confirm: &str) -> Result<(), String> {
    if current.is_empty() {
        return Err("请输入当前密码".into());
    }
    Password::parse(new).map_err(|e| e.to_string())?;
    if new != confirm {
        return Err("两次输入的新密码不一致".into());
    }
    Ok(())
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    view! {
        <SignedIn
            page=|me: Me| view! { <ChangePasswordForm first=me.must_change_password /> }.into_any()
            bundle=Bundle::Member
        />
    }
}

/// `first`: the password was reset by someone else, and nothing else opens
/// until the member sets their own.
#[component]
fn ChangePasswordForm(first: bool) -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let (local_error, set_local_error) = signal(None::<String>);
    let current = NodeRef::<leptos::html::Input>::new();
    let new = NodeRef::<leptos::html::Input>::new();
    let confirm = NodeRef::<leptos::html::Input>::new();
    let value = |r: NodeRef<leptos::html::Input>| r.get().map(|i| i.value()).unwrap_or_default();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, n, k) = (value(current), value(new), value(confirm));
        match check(&c, &n, &k) {
            Err(message) => set_local_error.set(Some(message)),
            Ok(()) => {
                set_local_error.set(None);
                action.dispatch(ChangePassword { current: c, new: n });
            }
        }
    };
    let outcome = move || match (local_error.get(), action.value().get()) {
        (Some(message), _) => {
            Some(view! { <p class="error" role="alert">{message}</p> }.into_any())
        }
        (None, Some(Err(e))) => {
            Some(view! { <p class="error" role="alert">{e.message}</p> }.into_any())
        }
        (None, Some(Ok(()))) => Some(
            view! {
                <p class="ok" role="status">"密码已修改，其他设备上的登录已退出"</p>
                {first.then(|| view! { <p><a href="/">"继续使用"</a></p> })}
            }
            .into_any(),
        ),
        (None, None) => None,
    };
    view! {
        <section class="card narrow">
            <h1>"修改密码"</h1>
            {first.then(|| view! {
                <p class="notice" role="status">
                    "您的密码已重置。请先设置自己的新密码，“当前密码”填写收到的一次性密码。"
                </p>
            })}
            <form method="post" action=ChangePassword::url() novalidate on:submit=on_submit>
                <label for="current">"当前密码"</label>
                <input id="current" name="current" type="password" autocomplete="current-password" node_ref=current />
                <label for="new">"新密码"</label>
                <input id="new" name="new" type="password" autocomplete="new-password" node_ref=new />
                <label for="confirm">"再次输入新密码"</label>
                <input id="confirm" type="password" autocomplete="new-password" node_ref=confirm />
                {outcome}
                <button type="submit" disabled=move || action.pending().get()>"保存"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn checks_before_asking_the_server() {
        assert!(check("", "new-password", "new-password").is_err());
        assert!(check("old", "short", "short").is_err());
        assert_eq!(
            check("old", "new-password", "other-password").unwrap_err(),
            "两次输入的新密码不一致"
        );
        assert!(check("old", "new-password", "new-password").is_ok());
    }
}
