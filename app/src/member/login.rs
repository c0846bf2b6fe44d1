//! `/login`: username and password. Empty fields are caught in the browser
//! without a request; the server answers everything else.

use crate::error::UiError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/sfn", endpoint = "login", output = crate::codec::TextJson)]
pub async fn login(
    username: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), UiError> {
    use crate::server::{answer, client_ip, set_cookie, sign_in_context, visitor};
    let (services, _) = visitor()?;
    let (https, device) = sign_in_context().await;
    let session = answer(
        services
            .auth
            .login(&username, &password, client_ip().await, device.as_deref())
            .await,
    )?;
    set_cookie(&services.auth.session_cookie(&session.token, https));
    if let Some(device) = &session.device {
        set_cookie(&services.auth.device_cookie(device, https));
    }
    // A password someone else reset is the member's to replace first.
    match session.must_change_password {
        true => leptos_axum::redirect("/password"),
        false => leptos_axum::redirect(return_path(next.as_deref())),
    }
    Ok(())
}

/// Where to go after signing in: the page that asked for it, if it is a
/// path of this app (never another site), else home.
#[cfg(feature = "ssr")]
fn return_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// The message for a form the browser can reject on its own, if any.
fn missing_field(username: &str, password: &str) -> Option<&'static str> {
    match (username.trim().is_empty(), password.is_empty()) {
        (true, true) => Some("请输入用户名和密码"),
        (true, false) => Some("请输入用户名"),
        (false, true) => Some("请输入密码"),
        (false, false) => None,
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let (local_error, set_local_error) = signal(None::<&'static str>);
    let username = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    // The page that sent the visitor here, to return to after signing in.
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next"));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = username.get().map(|i| i.value()).unwrap_or_default();
        let pass = password.get().map(|i| i.value()).unwrap_or_default();
        if let Some(message) = missing_field(&user, &pass) {
            set_local_error.set(Some(message));
            return;
        }
        set_local_error.set(None);
        login.dispatch(Login {
            username: user,
            password: pass,
            next: next(),
        });
    };

    let message = move || {
        local_error.get().map(str::to_string).or_else(|| {
            login
                .value()
                .get()
                .and_then(|r: Result<(), UiError>| r.err())
                .map(|e| e.message)
        })
    };

    view! {
        <div class="page narrow login">
            <h1>"先锋台账"</h1>
            <p class="subtitle">"党员量化管理台账"</p>
            // Without script the form still posts to the server function.
            <form method="post" action=Login::url() novalidate on:submit=on_submit>
                <label for="username">"用户名"</label>
                {move || next().map(|n| view! { <input type="hidden" name="next" value=n /> })}
                <input id="username" name="username" type="text" autocomplete="username" node_ref=username />
                <label for="password">"密码"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    node_ref=password
                />
                <p class="error" role="alert">
                    {message}
                </p>
                <button type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "登录中…" } else { "登录" }}
                </button>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::missing_field;

    #[cfg(feature = "ssr")]
    #[test]
    fn sign_in_returns_only_to_paths_of_the_app() {
        use super::return_path;
        assert_eq!(return_path(Some("/members")), "/members");
        assert_eq!(return_path(Some("/host/abc")), "/host/abc");
        assert_eq!(return_path(None), "/");
        assert_eq!(return_path(Some("https://evil.example/")), "/");
        assert_eq!(return_path(Some("//evil.example/")), "/");
        assert_eq!(return_path(Some("/\\evil.example")), "/");
    }

    #[test]
    fn empty_fields_are_named() {
        assert_eq!(missing_field("", ""), Some("请输入用户名和密码"));
        assert_eq!(missing_field("  ", "x"), Some("请输入用户名"));
        assert_eq!(missing_field("a", ""), Some("请输入密码"));
        assert_eq!(missing_field("a", "b"), None);
    }
}
