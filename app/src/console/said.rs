//! What the last action on a console page came to, in one line: done (a
//! status the screen reader announces) or refused (an alert).

use leptos::prelude::*;

/// `Ok(text)`: done; `Err(text)`: refused or failed.
pub type Said = RwSignal<Option<Result<String, String>>>;

#[component]
pub fn SaidLine(said: Said) -> impl IntoView {
    move || {
        said.get().map(|m| match m {
            Ok(m) => view! { <p class="ok" role="status">{m}</p> }.into_any(),
            Err(m) => view! { <p class="error" role="alert">{m}</p> }.into_any(),
        })
    }
}
