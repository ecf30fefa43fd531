//! The one error view every page shares.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows an error's title and message, with a way back.
#[component]
pub fn ErrorView(
    /// The error to show.
    error: AppError,
) -> impl IntoView {
    let message = match &error {
        AppError::Internal => {
            "The server could not build this page; the details are in its log.".to_string()
        }
        other => other.to_string(),
    };
    view! {
        <section class="error-box" role="alert">
            <h2>{format!("{} ({})", error.title(), error.status())}</h2>
            <p class="error-message">{message}</p>
            <p>
                <a href="/">"Back to the overview"</a>
            </p>
        </section>
    }
}
