//! Who is signed in, as the pages see it: the server functions that read and
//! end the session.

use crate::error::UiError;
use leptos::prelude::*;
use vanguard_shared::Me;

/// The signed-in member, or `None` for an anonymous visitor.
#[server(prefix = "/sfn", endpoint = "me", output = crate::codec::TextJson)]
pub async fn current_member() -> Result<Option<Me>, UiError> {
    use crate::backend::{answer, backend, request_headers};
    answer(async { backend()?.me(&request_headers().await?).await }.await)
}

#[server(prefix = "/sfn", endpoint = "logout", output = crate::codec::TextJson)]
pub async fn logout() -> Result<(), UiError> {
    use crate::backend::{answer, backend, request_headers};
    let clear = answer(async { backend()?.logout(&request_headers().await?).await }.await)?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(http::header::SET_COOKIE, clear);
    leptos_axum::redirect("/login");
    Ok(())
}
