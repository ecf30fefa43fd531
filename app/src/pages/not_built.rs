//! Pages whose features are still being built: they say so plainly.

use leptos::prelude::*;

use crate::components::Layout;

#[component]
fn NotBuilt(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Layout title=title>
            <section class="card not-built">
                <h2>"Not built yet"</h2>
                <p>{what}</p>
                <p>
                    "Until then, the " <a href="/">"Overview"</a>
                    " shows this month's spend, the services and the alarms firing now."
                </p>
            </section>
        </Layout>
    }
}

/// Costs: spend by service, usage type and day (coming).
#[component]
pub fn CostsPage() -> impl IntoView {
    view! {
        <NotBuilt
            title="Costs"
            what="This page will break spend down by AWS service, usage type and day, with Spot against on-demand, forecasts and anomalies."
        />
    }
}
