//! The document shell and the one list of page routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::pages::{
    not_built::{AlarmsPage, CostsPage},
    not_found::NotFoundPage,
    overview::OverviewPage,
    scaling::ScalingPage,
    service::ServicePage,
    services::ServicesPage,
    sync::SyncPage,
    tiers::TiersPage,
};

/// Bumped when style/ changes so browsers fetch the new sheet.
pub const STYLE_HREF: &str = concat!("/style.css?v=", env!("CARGO_PKG_VERSION"));

/// The HTML document around the app. Server-rendered only: no hydration scripts.
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href=STYLE_HREF />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Every page, each rendered in full before it is sent (SsrMode::Async).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/") view=OverviewPage ssr=SsrMode::Async />
                <Route path=path!("/services") view=ServicesPage ssr=SsrMode::Async />
                <Route path=path!("/services/:cluster/:name") view=ServicePage ssr=SsrMode::Async />
                <Route path=path!("/services/:cluster/:name/scaling") view=ScalingPage ssr=SsrMode::Async />
                <Route path=path!("/tiers") view=TiersPage ssr=SsrMode::Async />
                <Route path=path!("/costs") view=CostsPage ssr=SsrMode::Async />
                <Route path=path!("/alarms") view=AlarmsPage ssr=SsrMode::Async />
                <Route path=path!("/sync") view=SyncPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
