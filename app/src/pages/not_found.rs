//! The page for URLs that match no route (served with status 404).

use leptos::prelude::*;

use crate::components::{ErrorView, Layout};
use crate::error::AppError;

/// A styled 404 page.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let path = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    view! {
        <Layout title="Page not found">
            <ErrorView error=AppError::not_found(format!("There is no page at {path}.")) />
        </Layout>
    }
}
