//! Who is signed in, as the pages of both bundles see it: the server
//! functions that read and end the session.

use crate::error::UiError;
use leptos::prelude::*;
use vanguard_shared::Me;

/// The signed-in member, or `None` for an anonymous visitor.
#[server(prefix = "/sfn", endpoint = "me", output = crate::codec::TextJson)]
pub async fn current_member() -> Result<Option<Me>, UiError> {
    use crate::server::{answer, visitor};
    let (services, caller) = visitor()?;
    match caller {
        None => Ok(None),
        Some(caller) => {
            let mut me = answer(services.directory().profile(&caller.member).await)?;
            me.must_change_password = caller.must_change_password;
            Ok(Some(me))
        }
    }
}

#[server(prefix = "/sfn", endpoint = "logout", output = crate::codec::TextJson)]
pub async fn logout() -> Result<(), UiError> {
    use crate::server::{answer, set_cookie, sign_in_context, visitor};
    let (services, caller) = visitor()?;
    if let Some(caller) = caller {
        answer(services.auth.logout(&caller.token).await)?;
    }
    let (https, _) = sign_in_context().await;
    set_cookie(&services.auth.clearing_cookie(https));
    leptos_axum::redirect("/login");
    Ok(())
}
