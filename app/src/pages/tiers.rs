//! Tiers: the team's tier table against Fargate list prices, and which services sit in each.

use leptos::prelude::*;

use crate::analysis::recommend::tier_for;
use crate::components::{load_page, Column, DataTable, Layout};
use crate::domain::fargate::{Architecture, PriceTable, TaskSize};
use crate::error::AppError;
use crate::format;
use crate::reports::recommendations::{self, ServiceRecommendation};
use crate::state::AppState;
use crate::store::services::Removed;

/// A service placed in a tier, priced from its own architecture's table.
#[derive(Debug, Clone, PartialEq)]
pub struct TierService {
    /// Service name.
    pub name: String,
    /// `512 / 1024`.
    pub size: String,
    /// The price table used: `x86` or `ARM`.
    pub table: &'static str,
    /// On-demand list price of one task of this size for a month, from `table`.
    pub per_task_month: f64,
}

/// One tier row.
#[derive(Debug, Clone)]
pub struct TierRow {
    /// Tier name.
    pub name: String,
    /// `1024 / 2048`.
    pub size: String,
    /// List price of one task for a month (x86, on demand).
    pub per_task_month: f64,
    /// The same on the ARM table.
    pub per_task_month_arm: f64,
    /// Two tasks (x86).
    pub two_tasks: f64,
    /// The team's planned figure for two tasks.
    pub planned_two_tasks: Option<f64>,
    /// Services on a size in this tier now.
    pub services_now: Vec<TierService>,
    /// Services whose recommended size is in this tier.
    pub services_recommended: Vec<TierService>,
}

/// The Tiers page's data.
#[derive(Debug, Clone)]
pub struct TiersData {
    /// Tiers, smallest first.
    pub rows: Vec<TierRow>,
    /// Services larger than every tier now.
    pub above_now: Vec<TierService>,
    /// Services whose recommended size is above every tier.
    pub above_recommended: Vec<TierService>,
    /// The rates, for the note naming the tables.
    pub prices: PriceTable,
}

/// The name of the price table an architecture is priced from.
pub fn price_table_name(arch: Architecture) -> &'static str {
    match arch {
        Architecture::X86_64 => "x86",
        Architecture::Arm64 => "ARM",
    }
}

/// The services whose size (`pick`) falls in `tier` (None: above every tier), each priced by
/// its own architecture.
fn services_in(
    recs: &[ServiceRecommendation],
    state_tiers: &[crate::analysis::recommend::Tier],
    prices: &PriceTable,
    pick: impl Fn(&ServiceRecommendation) -> Option<TaskSize>,
    tier: Option<&str>,
) -> Vec<TierService> {
    recs.iter()
        .filter_map(|r| pick(r).map(|size| (r, size)))
        .filter(|(_, size)| tier_for(state_tiers, *size).map(|t| t.name.as_str()) == tier)
        .map(|(r, size)| TierService {
            name: r.service.clone(),
            size: format::size(size.cpu, size.memory_mib),
            table: price_table_name(r.architecture),
            per_task_month: prices.monthly(size, r.architecture),
        })
        .collect()
}

/// Prices every tier and lists the services in each.
pub async fn load(state: AppState) -> Result<TiersData, AppError> {
    let s = &state.settings;
    let evidence = state
        .recommendations
        .get(&state.store, s, state.clock.now())
        .await?;
    let recs: Vec<ServiceRecommendation> =
        // Services deleted in AWS sit in no tier any more.
        recommendations::listed(&evidence, Removed::Hide)
            .map(|e| e.recommendation.clone())
            .collect();
    let now_size = |r: &ServiceRecommendation| Some(r.rec.current.size());
    let rec_size = |r: &ServiceRecommendation| r.rec.recommended.as_ref().map(|x| x.size());
    let in_tier = |pick: &dyn Fn(&ServiceRecommendation) -> Option<TaskSize>,
                   tier: Option<&str>| {
        services_in(&recs, &s.tiers, &s.prices, pick, tier)
    };
    let mut tiers = s.tiers.clone();
    tiers.sort_by_key(|t| (t.cpu, t.memory_mib));
    let rows = tiers
        .iter()
        .map(|t| {
            let monthly = s.prices.monthly(t.size(), Architecture::X86_64);
            TierRow {
                name: t.name.clone(),
                size: format::size(t.cpu, t.memory_mib),
                per_task_month: monthly,
                per_task_month_arm: s.prices.monthly(t.size(), Architecture::Arm64),
                two_tasks: 2.0 * monthly,
                planned_two_tasks: t.planned_monthly_two_tasks,
                services_now: in_tier(&now_size, Some(&t.name)),
                services_recommended: in_tier(&rec_size, Some(&t.name)),
            }
        })
        .collect();
    Ok(TiersData {
        rows,
        above_now: in_tier(&now_size, None),
        above_recommended: in_tier(&rec_size, None),
        prices: s.prices,
    })
}

/// The Tiers page.
#[component]
pub fn TiersPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! { <Layout title="Tiers">{load_page(load(state), tiers_view)}</Layout> }
}

/// A tier's services: each name with its size and its own-architecture price.
fn service_list(services: Vec<TierService>) -> AnyView {
    if services.is_empty() {
        return view! { <td class="muted">"none"</td> }.into_any();
    }
    view! {
        <td class="tier-services">
            <ul style="list-style:none;margin:0;padding:0">
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
        .filter_map(|r| {
            r.planned_two_tasks
                .filter(|p| *p > 0.0)
                .map(|p| (r.name.clone(), r.two_tasks / p))
        })
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
                let ratio = r.planned_two_tasks.filter(|p| *p > 0.0).map(|p| r.two_tasks / p);
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
