//! Services: every service's current and recommended size, finding, cost now and after, sortable.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{
    load_page, removed_toggle, Column, DataTable, FindingBadge, Layout, SortLink,
};
use crate::error::AppError;
use crate::format;
use crate::reports::recommendations::SavingsSummary;
use crate::reports::services::{build, ServicesData, ServicesQuery, SortKey};
use crate::state::AppState;
use crate::store::services::Removed;

/// The Services page.
#[component]
pub fn ServicesPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let q = use_query_map().get_untracked();
    let query = ServicesQuery::parse(
        q.get("sort").as_deref(),
        q.get("order").as_deref(),
        q.get("removed").as_deref(),
    );
    let report = async move {
        let query = query.map_err(AppError::bad_request)?;
        build(&state, query, state.clock.now()).await
    };
    view! { <Layout title="Services">{load_page(report, services_view)}</Layout> }
}

fn sort_link(d: &ServicesData, key: SortKey, label: impl Into<String>) -> impl IntoView {
    let label: String = label.into();
    let active = d.sort == key;
    let next_desc = if active {
        !d.descending
    } else {
        key != SortKey::Service
    };
    let href = format!(
        "/services?sort={}&order={}{}",
        key.as_str(),
        if next_desc { "desc" } else { "asc" },
        if d.removed == Removed::Show {
            "&removed=show"
        } else {
            ""
        }
    );
    let sorted = active.then_some(d.descending);
    view! { <SortLink href label sorted /> }
}

/// The "show removed" note, keeping the sort.
fn services_removed_toggle(d: &ServicesData) -> Option<impl IntoView> {
    let base = format!(
        "/services?sort={}&order={}",
        d.sort.as_str(),
        if d.descending { "desc" } else { "asc" }
    );
    removed_toggle(
        d.removed_count,
        d.removed,
        format!("{base}&removed=show"),
        base,
    )
}

fn services_view(d: ServicesData) -> impl IntoView {
    if d.rows.is_empty() {
        let toggle = services_removed_toggle(&d);
        return view! {
            <section class="card empty-state">
                <h2>"No services yet"</h2>
                <p>"Load the demo with " <code>"spendwatch demo"</code> " or pull your account with " <code>"spendwatch sync"</code> "."</p>
                {toggle}
            </section>
        }
        .into_any();
    }
    let toggle = services_removed_toggle(&d);
    let now = d.now;
    let cost_now_header = cost_now_header(d.lookback_days);
    let columns = vec![
        Column::text(sort_link(&d, SortKey::Service, "Service")),
        Column::text("Current"),
        Column::text("Recommended"),
        Column::text(sort_link(&d, SortKey::Finding, "Finding")),
        Column::num(sort_link(&d, SortKey::Cost, cost_now_header)).wrap(),
        Column::num("Monthly after").wrap(),
        Column::num(sort_link(&d, SortKey::Savings, "Change from size"))
            .wrap()
            .title("Cost change of the new size at today's share of tasks on Spot"),
        Column::num("Change from Spot mix")
            .wrap()
            .title("Cost change from a new task count moving tasks between on-demand and Spot"),
        Column::num("Data").wrap(),
    ];
    let window_hours = f64::from(d.lookback_days) * 24.0;
    view! {
        {kpis(&d.summary, d.lookback_days)}
        <section class="card">
            <DataTable id="recommendations" columns>
                    {d
                        .rows
                        .into_iter()
                        .map(|r| {
                            let href = format!("/services/{}/{}", r.cluster, r.service);
                            let with_scaling = format!("{href}/scaling#together");
                            let removed = r.removed.is_some();
                            let gone = r.removed.map(|g| view! {
                                <div class="sub removed">{format::removed_from_aws(g.last_seen, now)}</div>
                            });
                            let rec = r.rec;
                            let coverage = (rec.usage.hours_of_data / window_hours * 100.0).min(100.0);
                            view! {
                                <tr class:muted-row=removed>
                                    <td>
                                        <a href=href>{r.service}</a>
                                        <div class="sub">{r.cluster}</div>
                                        {gone}
                                    </td>
                                    <td>{size_cell(rec.current.cpu, rec.current.memory_mib, rec.current.tier.clone())}</td>
                                    <td>
                                        {match &rec.recommended {
                                            Some(s) => view! {
                                                {size_cell(s.cpu, s.memory_mib, s.tier.clone())}
                                                <div class="sub"><a href=with_scaling.clone()>"with scaling"</a></div>
                                            }.into_any(),
                                            None => view! { <span class="muted">"—"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td><FindingBadge finding=rec.finding /></td>
                                    <td class="num">{format::usd(rec.monthly_cost_usd.current)}</td>
                                    <td class="num">{rec.monthly_cost_usd.recommended.map(format::usd).unwrap_or_else(|| "—".into())}</td>
                                    {change_cell(rec.monthly_cost_usd.size_change)}
                                    {change_cell(rec.monthly_cost_usd.capacity_provider_change)}
                                    <td class="num" title=format!("{:.0} h of data", rec.usage.hours_of_data)>{format!("{coverage:.0}%")}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
            </DataTable>
            <p class="note">
                {format!(
                    "Sized on the last {} days, up to the start of this hour: CPU on the busiest task's p{:.0} over a {:.0}% target, memory on its maximum plus {:.0}%. Costs are list prices with each service's capacity provider mix; Spot at the configured discount. Change from size: the new size and task count priced at today's share of tasks on Spot; change from Spot mix: the rest, when a new task count puts a different share of tasks on Spot (a side effect, not a resize saving). Data: share of the window with CPU data.",
                    d.lookback_days,
                    d.rules.cpu_percentile,
                    d.rules.cpu_target_utilization * 100.0,
                    d.rules.memory_buffer * 100.0
                )}
            </p>
            {toggle}
        </section>
    }
    .into_any()
}

/// The cost-now column's header, naming the task count it prices.
pub fn cost_now_header(lookback_days: u32) -> String {
    format!("Monthly now, {lookback_days}-day mean tasks")
}

/// A signed monthly change: green when it saves, red when it costs more.
fn change_cell(change: Option<f64>) -> impl IntoView {
    let class = match change {
        Some(c) if c <= -0.005 => "num saving",
        Some(c) if c >= 0.005 => "num cost-more",
        _ => "num",
    };
    view! { <td class=class>{change.map(format::usd_signed).unwrap_or_else(|| "—".into())}</td> }
}

/// The headline: the net change of following every recommendation, then its parts.
fn kpis(s: &SavingsSummary, lookback_days: u32) -> AnyView {
    let services = |n: usize| {
        if n == 1 {
            "1 service".to_string()
        } else {
            format!("{n} services")
        }
    };
    let net_class = if s.net_change <= -0.005 {
        "kpi-value ok"
    } else if s.net_change >= 0.005 {
        "kpi-value cost-more"
    } else {
        "kpi-value"
    };
    view! {
        <div class="kpis">
            <section class="card kpi">
                <h2>"Net monthly change"</h2>
                <p class=net_class id="net-change">{format::usd_signed(s.net_change)}</p>
                <p class="delta">"a month, if you follow every recommendation"</p>
            </section>
            <section class="card kpi">
                <h2>"Savings from resizing"</h2>
                <p class="kpi-value ok" id="total-savings">{format::usd(s.savings)}</p>
                <p class="delta" id="savings-count">{format!("a month, {} moving to a cheaper size", services(s.savings_count))}</p>
            </section>
            <section class="card kpi">
                <h2>"Increases from resizing"</h2>
                <p class="kpi-value cost-more" id="total-increases">{format::usd(s.increases)}</p>
                <p class="delta" id="increases-count">{format!("a month, {} needing a larger size", services(s.increases_count))}</p>
            </section>
            <section class="card kpi">
                <h2>"Change from Spot mix"</h2>
                <p class="kpi-value" id="provider-change">{format::usd_signed(s.capacity_provider_change)}</p>
                <p class="delta">"a month from new task counts changing the share on Spot: a side effect, not a resize"</p>
            </section>
            <section class="card kpi">
                <h2>"Fargate spend now"</h2>
                <p class="kpi-value" id="total-current">{format::usd(s.current)}</p>
                <p class="delta">{format!("a month at list price, mean task counts over the last {lookback_days} days")}</p>
            </section>
        </div>
    }
    .into_any()
}

/// `512 / 1024` with the tier under it.
pub fn size_cell(cpu: u32, memory_mib: u32, tier: Option<String>) -> impl IntoView {
    view! {
        <span class="size">{format::size(cpu, memory_mib)}</span>
        <div class="sub">{tier.unwrap_or_else(|| "no tier".into())}</div>
    }
}
