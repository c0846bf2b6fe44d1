//! Any path no route claims.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <div class="page narrow">
            <h1>"页面不存在"</h1>
            <p>"您访问的页面不存在或已被移动。"</p>
            <p>
                <A href="/">"返回首页"</A>
            </p>
        </div>
    }
}
