//! The document shell and the one list of page routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::pages::{
    alarm::AlarmPage, alarm_history::AlarmHistoryPage, alarms::AlarmsPage, costs::CostsPage,
    not_found::NotFoundPage, overview::OverviewPage, scaling::ScalingPage, service::ServicePage,
    services::ServicesPage, sync::SyncPage, tiers::TiersPage,
};

/// Bumped when style/ changes so browsers fetch the new sheet.
pub const STYLE_HREF: &str = concat!("/style.css?v=", env!("CARGO_PKG_VERSION"));

/// The response header that hands this request's script nonce to the server's
/// Content-Security-Policy (which removes it): Leptos writes one small inline bootstrap script,
/// and marks it with the nonce.
pub const SCRIPT_NONCE_HEADER: &str = "x-spendwatch-script-nonce";

/// Puts the request's nonce in [`SCRIPT_NONCE_HEADER`].
fn announce_script_nonce() {
    use leptos::nonce::use_nonce;
    use leptos_axum::ResponseOptions;
    if let (Some(nonce), Some(res)) = (use_nonce(), use_context::<ResponseOptions>()) {
        if let Ok(value) = http::HeaderValue::from_str(&nonce) {
            res.insert_header(http::HeaderName::from_static(SCRIPT_NONCE_HEADER), value);
        }
    }
}

/// The HTML document around the app. Server-rendered only: no hydration scripts.
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    announce_script_nonce();
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
                <Route path=path!("/alarms/history") view=AlarmHistoryPage ssr=SsrMode::Async />
                <Route path=path!("/alarms/:name") view=AlarmPage ssr=SsrMode::Async />
                <Route path=path!("/sync") view=SyncPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
