//! Loading a page's data before rendering it (SsrMode::Async waits for it).

use std::future::Future;

use leptos::prelude::*;

use super::ErrorView;
use crate::error::AppError;

/// Awaits a page's data and renders it, or renders the shared error view and sets the HTTP
/// status to match the error.
pub fn load_page<T, Fut, V>(
    data: Fut,
    render: impl FnOnce(T) -> V + Send + 'static,
) -> impl IntoView
where
    T: Send + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    let response = use_context::<leptos_axum::ResponseOptions>();
    let body = Suspend::new(async move {
        match data.await {
            Ok(data) => render(data).into_any(),
            Err(error) => {
                if let Some(response) = &response {
                    response.set_status(
                        http::StatusCode::from_u16(error.status())
                            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                    );
                }
                view! { <ErrorView error /> }.into_any()
            }
        }
    });
    view! { <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>{body}</Suspense> }
}
