//! Tiers: the team's tier table against Fargate list prices, and which services sit in each.

use leptos::prelude::*;

use crate::components::{load_page, Column, DataTable, Layout};
use crate::format;
use crate::reports::tiers::{build, TierRow, TierService, TiersData};
use crate::state::AppState;

/// The Tiers page.
#[component]
pub fn TiersPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! { <Layout title="Tiers">{load_page(async move { build(&state, state.clock.now()).await }, tiers_view)}</Layout> }
}

/// A tier's services: each name with its size and its own-architecture price.
fn service_list(services: Vec<TierService>) -> AnyView {
    if services.is_empty() {
        return view! { <td class="muted">"none"</td> }.into_any();
    }
    view! {
        <td class="tier-services">
            <ul class="plain">
                {services
                    .into_iter()
                    .map(|s| view! {
                        <li>
                            {s.name}
                            <div class="sub">{format!("{} · {} price {} a task-month", s.size, s.table, format::usd(s.per_task_month))}</div>
                        </li>
                    })
                    .collect_view()}
            </ul>
        </td>
    }
    .into_any()
}

fn tiers_view(d: TiersData) -> impl IntoView {
    let off: Vec<(String, f64)> = d
        .rows
        .iter()
        .filter_map(|r| r.list_over_planned().map(|x| (r.name.clone(), x)))
        .filter(|(_, ratio)| !(0.9..=1.1).contains(ratio))
        .collect();
    let warning = (!off.is_empty()).then(|| {
        let worst = off.iter().map(|(_, r)| *r).fold(0.0, f64::max);
        view! {
            <section class="card warning" id="tier-warning">
                <h2>"Your planning table is off"</h2>
                <p>
                    {format!(
                        "For {} of {} tiers the planned cost differs from the list price by more than 10% (up to {worst:.2}x). A table that is about 2x low usually priced one task, not two.",
                        off.len(),
                        d.rows.len()
                    )}
                </p>
            </section>
        }
    });
    // Built before the view: the table's body is a closure that must not hold `d`.
    let tier_rows = view! {
        {d
            .rows
            .iter()
            .cloned()
            .map(|r| {
                let ratio = r.list_over_planned();
                view! {
                    <tr>
                        <td>{r.name}</td>
                        <td class="num">{r.size}</td>
                        <td class="num">{format::usd(r.per_task_month)}</td>
                        <td class="num">{format::usd(r.per_task_month_arm)}</td>
                        <td class="num">{format::usd(r.two_tasks)}</td>
                        <td class="num">{r.planned_two_tasks.map(format::usd).unwrap_or_else(|| "—".into())}</td>
                        <td class={if ratio.is_some_and(|x| !(0.9..=1.1).contains(&x)) { "num cost-more" } else { "num" }}>
                            {ratio.map(|x| format!("{x:.2}x")).unwrap_or_else(|| "—".into())}
                        </td>
                        <td class="num">{r.services_now.len()}</td>
                        <td class="num">{r.services_recommended.len()}</td>
                    </tr>
                }
            })
            .collect_view()}
        <tr class="muted-row">
            <td>"Above every tier"</td>
            <td></td><td></td><td></td><td></td><td></td><td></td>
            <td class="num">{d.above_now.len()}</td>
            <td class="num">{d.above_recommended.len()}</td>
        </tr>
    };
    view! {
        {warning}
        <section class="card">
            <DataTable id="tiers" columns=vec![
                Column::text("Tier"),
                Column::num("CPU / MiB").wrap(),
                Column::num("Per task-month (x86)").wrap(),
                Column::num("Per task-month (ARM)").wrap(),
                Column::num("Two tasks (x86)").wrap(),
                Column::num("Planned (two tasks)").wrap(),
                Column::num("List / planned").wrap(),
                Column::num("Services now").wrap(),
                Column::num("Recommended").wrap(),
            ]>
                {tier_rows}
            </DataTable>
            <p class="note">
                {format!(
                    "Price tables: Linux/x86 on demand at ${} a vCPU-hour and ${} a GB-hour; Linux/ARM at ${} and ${}; 730 hours a month. Tier prices and the planned comparison use the x86 table; each service is priced from its own architecture's table (x86 or ARM, shown under its name below). Fargate Spot is modelled at {:.0}% off. A service counts in the smallest tier that holds its size.",
                    d.prices.x86.vcpu_hour,
                    d.prices.x86.gb_hour,
                    d.prices.arm.vcpu_hour,
                    d.prices.arm.gb_hour,
                    d.prices.spot_discount * 100.0
                )}
            </p>
        </section>
        {services_by_tier(d.rows, d.above_now, d.above_recommended)}
    }
}

/// Which services sit in each tier now and after the recommendations.
fn services_by_tier(
    rows: Vec<TierRow>,
    above_now: Vec<TierService>,
    above_recommended: Vec<TierService>,
) -> AnyView {
    view! {
        <section class="card">
            <h2>"Services in each tier"</h2>
            <DataTable id="tier-services" columns=vec![
                Column::text("Tier"),
                Column::text("Services in it now"),
                Column::text("Services recommended into it"),
            ]>
                    {rows
                        .into_iter()
                        .map(|r| view! {
                            <tr>
                                <td>{r.name}</td>
                                {service_list(r.services_now)}
                                {service_list(r.services_recommended)}
                            </tr>
                        })
                        .collect_view()}
                    <tr class="muted-row">
                        <td>"Above every tier"</td>
                        {service_list(above_now)}
                        {service_list(above_recommended)}
                    </tr>
            </DataTable>
            <p class="note">"Each service is priced on demand from its own architecture's table (x86 or ARM), one task for 730 hours."</p>
        </section>
    }
    .into_any()
}
