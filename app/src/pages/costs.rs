//! Costs: what the account spends, on what, whether it is going up and why, what Spot saves and
//! what another mix would cost, anomalies and budgets. Every control is a GET form.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::tachys::html::InertElement;
use leptos_router::hooks::use_query_map;

use crate::analysis::spend::budget::BudgetStatus;
use crate::charts::bars::{
    part_hex, render_stack, render_waterfall, StackChart, StackColumn, Step,
};
use crate::components::{load_page, Column, DataTable, Layout, SortLink};
use crate::error::AppError;
use crate::format;
use crate::reports::costs::explain::{page_recon_rows, ExplainData};
use crate::reports::costs::query::{CostsParams, CostsQuery, SortKey};
use crate::reports::costs::{shared, CostsData};
use crate::state::AppState;

/// The Costs page.
#[component]
pub fn CostsPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let q = use_query_map().get_untracked();
    let params = CostsParams {
        from: q.get("from"),
        to: q.get("to"),
        group_by: q.get("group_by"),
        granularity: q.get("granularity"),
        sort: q.get("sort"),
        order: q.get("order"),
        mix_od: q.get("mix_od"),
        mix_spot: q.get("mix_spot"),
        mix_base: q.get("mix_base"),
    };
    let report = async move {
        let now = state.clock.now();
        let query = CostsQuery::parse(&params, now).map_err(AppError::bad_request)?;
        shared(&state, &query, now).await
    };
    view! { <Layout title="Costs">{load_page(report, cached_view)}</Layout> }
}

/// The page's body, rendered once per cached data: a year of it is over half a megabyte of
/// markup, most of it the daily chart.
fn cached_view(d: Arc<CostsData>) -> impl IntoView {
    let markup = d.markup.get_or_render(|| costs_view(&d).to_html());
    InertElement::new(markup.to_string())
}

/// Percent-encodes a query value (tag keys may hold any character).
fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The query string of the view shown, without sort.
fn view_query(d: &CostsData) -> String {
    format!(
        "from={}&to={}&group_by={}&granularity={}",
        d.from,
        d.to,
        enc(&d.group_by.as_query()),
        serde_json::to_value(d.granularity)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    )
}

fn csv_link(d: &CostsData, table: &str) -> impl IntoView {
    let href = format!("/api/costs?{}&format=csv&table={table}", view_query(d));
    view! { <a class="csv" href=href>"CSV"</a> }
}

fn costs_view(d: &CostsData) -> impl IntoView {
    view! {
        {picker(d)}
        {kpis(d)}
        {budgets(d)}
        {daily_chart(d)}
        {group_table(d)}
        {monthly_chart(d)}
        {waterfall(&d.explain, d)}
        {spot(d)}
        {reconciliation(d)}
        {anomalies(d)}
    }
}

fn picker(d: &CostsData) -> impl IntoView {
    let groupings = if d.groupings.is_empty() {
        vec!["service".to_string()]
    } else {
        d.groupings.clone()
    };
    let current = d.group_by.as_query();
    let daily = d.days.is_some();
    view! {
        <section class="card">
            <form class="range-picker" method="get" action="/costs">
                <label for="from">"From"</label>
                <input type="date" id="from" name="from" value=d.from.clone() />
                <label for="to">"to (exclusive)"</label>
                <input type="date" id="to" name="to" value=d.to.clone() />
                <label for="group_by">"Group by"</label>
                <select id="group_by" name="group_by">
                    {groupings
                        .into_iter()
                        .map(|g| {
                            let selected = g == current;
                            view! { <option value=g.clone() selected=selected>{g.clone()}</option> }
                        })
                        .collect_view()}
                </select>
                <label for="granularity">"Rows"</label>
                <select id="granularity" name="granularity">
                    <option value="daily" selected=daily>"daily"</option>
                    <option value="monthly" selected=!daily>"monthly"</option>
                </select>
                <button class="chip" type="submit">"Show"</button>
            </form>
        </section>
    }
}

fn kpis(d: &CostsData) -> impl IntoView {
    let m = &d.month_to_date;
    let same = match m.change_pct {
        Some(p) => format!(
            "{p:+.1}% against the same days last month ({})",
            format::usd(m.last_month_same_days)
        ),
        None => "no spend over the same days last month".into(),
    };
    let (projected, how) = match &d.forecast {
        Some(f) => (
            f.month_usd,
            match (f.lower_usd, f.upper_usd) {
                (Some(lo), Some(hi)) => format!(
                    "Cost Explorer's forecast ({} to {})",
                    format::usd(lo),
                    format::usd(hi)
                ),
                _ => "Cost Explorer's forecast".to_string(),
            },
        ),
        None => (
            m.projected,
            "at this month's daily rate (no forecast stored)".to_string(),
        ),
    };
    let change = d.total_usd - d.previous_total_usd;
    view! {
        <div class="kpis">
            <section class="card kpi">
                <h2>"Month to date"</h2>
                <p class="kpi-value" id="mtd">{format::usd(m.this_month)}</p>
                <p class="delta">{same}</p>
            </section>
            <section class="card kpi">
                <h2>"This month, projected"</h2>
                <p class="kpi-value" id="forecast">{format::usd(projected)}</p>
                <p class="delta">{format!("{how}; last month {}", format::usd(m.last_month))}</p>
            </section>
            <section class="card kpi">
                <h2>{format!("{} to {}", d.from, d.to)}</h2>
                <p class="kpi-value" id="range-total">{format::usd(d.total_usd)}</p>
                <p class="delta">{format!("{} against {} from {} ({})", format::usd_signed(change), format::usd(d.previous_total_usd), d.previous_from, if d.estimated_days > 0 { format!("{} days still estimated", d.estimated_days) } else { "all days final".into() })}</p>
            </section>
        </div>
    }
}

fn budgets(d: &CostsData) -> Option<impl IntoView> {
    if d.budgets.is_empty() {
        return None;
    }
    Some(view! {
        <section class="card" id="budgets">
            <h2>"Budgets this month " {csv_link(d, "budgets")}</h2>
            {budget_table(&d.budgets)}
        </section>
    })
}

/// This month's budgets: spent, burn rate, projected month end and the day each is crossed
/// (the Costs page's table, shown on the Overview too).
pub fn budget_table(budgets: &[BudgetStatus]) -> impl IntoView {
    let columns = vec![
        Column::text("Budget for"),
        Column::num("Budget"),
        Column::num("Spent"),
        Column::num("Burn a day"),
        Column::num("Projected"),
        Column::text("Crossed"),
    ];
    let rows = budgets
        .iter()
        .map(|b| {
            let crossing = match (b.crossing_day, b.crossed) {
                (Some(day), true) => format!("crossed on {}", format::date(day)),
                (Some(day), false) => format!("would cross on {}", format::date(day)),
                (None, _) => "not this month".into(),
            };
            view! {
                <tr>
                    <td>{b.group.clone()}</td>
                    <td class="num">{format::usd(b.budget_usd)}</td>
                    <td class="num">{format!("{} ({:.0}%)", format::usd(b.spent_usd), b.used_pct)}</td>
                    <td class="num">{format::usd(b.burn_per_day_usd)}</td>
                    <td class="num">{format::usd(b.projected_usd)}</td>
                    <td>{crossing}</td>
                </tr>
            }
        })
        .collect_view();
    view! { <DataTable columns>{rows}</DataTable> }
}

fn legend(labels: &[String]) -> impl IntoView {
    let n = labels.len();
    view! {
        <p class="legend">
            {labels.iter().enumerate().map(|(i, l)| view! {
                <span class="legend-item"><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" fill=part_hex(i, n)></rect></svg>{l.clone()}</span>
            }).collect_view()}
        </p>
    }
}

fn daily_chart(d: &CostsData) -> impl IntoView {
    let marked: Vec<i64> = d
        .anomalies
        .iter()
        .filter(|a| a.key == "total" || d.stack_labels.contains(&a.label))
        .map(|a| a.day.date)
        .collect();
    let columns: Vec<StackColumn> = d
        .stacks
        .iter()
        .map(|s| StackColumn {
            label: format::month_day(s.date),
            parts: s.parts.clone(),
            estimated: s.estimated,
            marked: marked.contains(&s.date),
        })
        .collect();
    let svg = render_stack(&StackChart {
        parts: &d.stack_labels,
        columns: &columns,
        width: 960,
        height: 300,
    });
    view! {
        <section class="card">
            <h2>"Daily spend by " {d.group_by.as_query()} " " {csv_link(d, "days")}</h2>
            {legend(&d.stack_labels)}
            <div class="chart" id="daily-chart" inner_html=svg></div>
            <p class="note">"Top 8 groups, the rest as Other. Lighter columns are days Cost Explorer may still restate (estimated); a red mark is an anomaly; days without data are left out."</p>
        </section>
    }
}

fn monthly_chart(d: &CostsData) -> impl IntoView {
    let label = vec!["total".to_string()];
    let columns: Vec<StackColumn> = d
        .last_months
        .iter()
        .map(|m| StackColumn {
            label: m.date[..7].to_string(),
            parts: vec![m.total_usd],
            estimated: m.estimated,
            marked: false,
        })
        .collect();
    let svg = render_stack(&StackChart {
        parts: &label,
        columns: &columns,
        width: 960,
        height: 220,
    });
    view! {
        <section class="card">
            <h2>"The last 14 months " {csv_link(d, "months")}</h2>
            <div class="chart" id="monthly-chart" inner_html=svg></div>
        </section>
    }
}

fn sort_link(d: &CostsData, key: SortKey, label: &str) -> impl IntoView {
    let active = d.sort == key;
    let next_desc = if active {
        !d.descending
    } else {
        key != SortKey::Group
    };
    let href = format!(
        "/costs?{}&sort={}&order={}",
        view_query(d),
        key.as_str(),
        if next_desc { "desc" } else { "asc" }
    );
    let sorted = active.then_some(d.descending);
    view! { <SortLink href label=label.to_string() sorted /> }
}

fn group_table(d: &CostsData) -> impl IntoView {
    let columns = vec![
        Column::text(sort_link(d, SortKey::Group, "Group")),
        Column::num(sort_link(d, SortKey::Total, "Spend")),
        Column::num(sort_link(d, SortKey::Previous, "Previous period")),
        Column::num(sort_link(d, SortKey::Change, "Change")),
        Column::num("Change %"),
    ];
    let rows = d.groups.iter().map(|g| {
                    let c = &g.change;
                    let name = match &g.service_href {
                        Some(href) => view! { <a href=href.clone()>{c.label.clone()}</a> }.into_any(),
                        None => view! { <span>{c.label.clone()}</span> }.into_any(),
                    };
                    view! {
                        <tr>
                            <td>{name}</td>
                            <td class="num">{format::usd(c.total_usd)}</td>
                            <td class="num">{format::usd(c.previous_usd)}</td>
                            <td class="num">{format::usd_signed(c.change_usd)}</td>
                            <td class="num">{c.change_pct.map(|p| format!("{p:+.1}%")).unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                }).collect_view();
    let total = d.total_usd;
    let previous = d.previous_total_usd;
    view! {
        <section class="card">
            <h2>"By " {d.group_by.as_query()} ", against " {d.previous_from.clone()} " to " {d.from.clone()} " " {csv_link(d, "groups")}</h2>
            <DataTable id="groups" columns>
                {rows}
                <tr class="total">
                    <td>"Total"</td>
                    <td class="num" id="groups-total">{format::usd(total)}</td>
                    <td class="num">{format::usd(previous)}</td>
                    <td class="num">{format::usd_signed(total - previous)}</td>
                    <td class="num">{format::pct_change(previous, total).map(|p| format!("{p:+.1}%")).unwrap_or_else(|| "—".into())}</td>
                </tr>
            </DataTable>
        </section>
    }
}

fn waterfall(e: &ExplainData, d: &CostsData) -> impl IntoView {
    let t = &e.total;
    let step = |label: &str, amount: f64, total: bool| Step {
        label: label.into(),
        amount,
        total,
    };
    let steps = [
        step(&format!("{} on", e.previous_from), t.before_usd, true),
        step("volume", t.volume_usd, false),
        step("size", t.size_usd, false),
        step("Spot mix", t.mix_usd, false),
        step("price and other", t.price_and_other_usd, false),
        step(&format!("{} on", e.from), t.after_usd, true),
    ];
    let svg = render_waterfall(&steps, 960, 260);
    let columns = vec![
        Column::text("Service"),
        Column::num("Before"),
        Column::num("After"),
        Column::num("Change"),
        Column::num("Volume"),
        Column::num("Size"),
        Column::num("Spot mix"),
        Column::num("Price and other"),
        Column::num("Task-hours"),
    ];
    let note = if !e.has_task_counts {
        "No task counts are stored for these months, so the whole change is shown as price and other."
    } else if e.billed_by_tag {
        "Per service: billed from the aws:ecs:serviceName tag. Modelled: task-hours from the stored task counts, today's task size and capacity provider strategy, list prices with the Spot discount. Price and other is what the model leaves: rate changes, credits, savings plans, untagged spend."
    } else {
        "The account has no per-service tag: per-service billed figures are modelled, and the difference to ECS as billed is in the total's price and other."
    };
    let words = e
        .words
        .iter()
        .map(|w| view! { <li>{w.clone()}</li> })
        .collect_view();
    let t = *t;
    let rows = e.services.iter().map(|c| {
                    let p = &c.parts;
                    view! {
                        <tr>
                            <td>{c.service.clone()}</td>
                            <td class="num">{format::usd(p.before_usd)}</td>
                            <td class="num">{format::usd(p.after_usd)}</td>
                            <td class="num">{format::usd_signed(p.change_usd)}</td>
                            <td class="num">{format::usd_signed(p.volume_usd)}</td>
                            <td class="num">{format::usd_signed(p.size_usd)}</td>
                            <td class="num">{format::usd_signed(p.mix_usd)}</td>
                            <td class="num">{format::usd_signed(p.price_and_other_usd)}</td>
                            <td class="num">{format!("{:.0} → {:.0}", c.before.task_hours, c.after.task_hours)}</td>
                        </tr>
                    }
                }).collect_view();
    view! {
        <section class="card" id="why">
            <h2>"Why ECS spend changed " {csv_link(d, "waterfall")}</h2>
            <ul class="words">{words}</ul>
            <div class="chart" id="waterfall-chart" inner_html=svg></div>
            <DataTable id="waterfall" columns>
                {rows}
                <tr class="total">
                    <td>"ECS as billed"</td>
                    <td class="num">{format::usd(t.before_usd)}</td>
                    <td class="num">{format::usd(t.after_usd)}</td>
                    <td class="num" id="waterfall-change">{format::usd_signed(t.change_usd)}</td>
                    <td class="num">{format::usd_signed(t.volume_usd)}</td>
                    <td class="num">{format::usd_signed(t.size_usd)}</td>
                    <td class="num">{format::usd_signed(t.mix_usd)}</td>
                    <td class="num">{format::usd_signed(t.price_and_other_usd)}</td>
                    <td class="num"></td>
                </tr>
            </DataTable>
            <p class="note">{note}</p>
        </section>
    }
}

fn spot(d: &CostsData) -> impl IntoView {
    let s = &d.spot;
    let mix = d.mix_input;
    let value = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let s = *s;
    let mix_rows = d
        .mix
        .iter()
        .map(|m| {
            view! {
                <tr>
                    <td>{m.label.clone()}</td>
                    <td class="num">{format::usd(m.monthly_usd)}</td>
                    <td class="num">{format::usd_signed(m.change_usd)}</td>
                    <td class="num">{format!("{:.0}%", m.spot_pct)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="spot">
            <h2>"Spot, " {d.from.clone()} " to " {d.to.clone()} " " {csv_link(d, "spot")}</h2>
            <DataTable columns=vec![Column::text(""), Column::num("vCPU-hours"), Column::num("GB-hours"), Column::num("Cost"), Column::num("At on-demand price")]>
                <tr>
                    <td>"On demand"</td>
                    <td class="num">{format!("{:.0}", s.on_demand_vcpu_hours)}</td>
                    <td class="num">{format!("{:.0}", s.on_demand_gb_hours)}</td>
                    <td class="num">{format::usd(s.on_demand_usd)}</td>
                    <td class="num">{format::usd(s.on_demand_usd)}</td>
                </tr>
                <tr>
                    <td>"Spot"</td>
                    <td class="num">{format!("{:.0}", s.spot_vcpu_hours)}</td>
                    <td class="num">{format!("{:.0}", s.spot_gb_hours)}</td>
                    <td class="num">{format::usd(s.spot_usd)}</td>
                    <td class="num">{format::usd(s.spot_at_on_demand_usd)}</td>
                </tr>
            </DataTable>
            <p class="kpi-line">"Realized Spot savings: " <strong id="spot-savings">{format::usd(s.realized_savings_usd)}</strong> " (what the Spot hours would have cost on demand, less what they cost)."</p>
            <h3>"What other capacity provider strategies would cost " {csv_link(d, "mix")}</h3>
            <DataTable id="mix" columns=vec![Column::text("Strategy"), Column::num("A month"), Column::num("Against today"), Column::num("On Spot")]>
                {mix_rows}
            </DataTable>
            <form class="range-picker" method="get" action="/costs">
                <input type="hidden" name="from" value=d.from.clone() />
                <input type="hidden" name="to" value=d.to.clone() />
                <input type="hidden" name="group_by" value=d.group_by.as_query() />
                <label for="mix_od">"FARGATE weight"</label>
                <input type="number" min="0" max="1000" id="mix_od" name="mix_od" value=value(mix.map(|m| m.on_demand_weight)) />
                <label for="mix_spot">"FARGATE_SPOT weight"</label>
                <input type="number" min="0" max="1000" id="mix_spot" name="mix_spot" value=value(mix.map(|m| m.spot_weight)) />
                <label for="mix_base">"base on FARGATE"</label>
                <input type="number" min="0" max="1000" id="mix_base" name="mix_base" value=value(mix.map(|m| m.base)) />
                <button class="chip" type="submit">"Price it"</button>
            </form>
            <p class="note">"Every strategy is applied to every service's running task counts of the last 30 days, minute by minute (the base is filled first), at list price with the configured Spot discount. The seed moved from 20/80 to 60/40 with base 2."</p>
        </section>
    }
}

fn reconciliation(d: &CostsData) -> impl IntoView {
    let columns = vec![
        Column::text("Month"),
        Column::text("Service"),
        Column::text("Days"),
        Column::num("Modelled"),
        Column::num("Billed"),
        Column::num("Difference"),
    ];
    let listed = page_recon_rows(&d.reconciliation);
    // Said only when the page leaves rows out (older months' services).
    let per_service_month = (listed.len() < d.reconciliation.len())
        .then(|| listed.iter().find(|r| r.service != "all"))
        .flatten()
        .map(|r| r.month.clone());
    let rows = listed.into_iter().map(|r| view! {
                    <tr>
                        <td>{r.month.clone()}</td>
                        <td>{r.service.clone()}</td>
                        <td>{format!("{} to {}", r.from, r.to)}</td>
                        <td class="num">{format::usd(r.modeled_usd)}</td>
                        <td class="num">{format::usd(r.billed_usd)}</td>
                        <td class="num">{format!("{} ({})", format::usd_signed(r.difference_usd), r.difference_pct.map(|p| format!("{p:+.2}%")).unwrap_or_else(|| "—".into()))}</td>
                    </tr>
                }).collect_view();
    view! {
        <section class="card" id="reconciliation">
            <h2>"Modelled against billed Fargate cost " {csv_link(d, "reconciliation")}</h2>
            <DataTable columns>{rows}</DataTable>
            {per_service_month.map(|m| view! { <p class="note">{format!("Per service for {m} only; the CSV has every service for every month.")}</p> })}
            <p class="note">"Modelled: task-hours from the stored task counts x list price x the capacity provider mix, over the whole days with task counts. A difference is credits, savings plans, rate changes, ephemeral storage, or a size or strategy that changed (the store keeps today's)."</p>
        </section>
    }
}

fn anomalies(d: &CostsData) -> impl IntoView {
    let r = d.anomaly_rules;
    let body = if d.anomalies.is_empty() {
        view! { <p class="muted">"No day departs from its weekday's usual spend in this range."</p> }.into_any()
    } else {
        let rows = d.anomalies.iter().map(|a| view! {
                    <tr>
                        <td>{a.date_text.clone()}</td>
                        <td>{a.label.clone()}</td>
                        <td class="num">{format::usd(a.day.amount_usd)}</td>
                        <td class="num">{format::usd(a.day.expected_usd)}</td>
                        <td class="num">{format::usd_signed(a.day.excess_usd)}</td>
                        <td>{if a.notes.is_empty() { "nothing recorded in the store".to_string() } else { a.notes.join("; ") }}</td>
                    </tr>
                }).collect_view();
        view! {
            <DataTable id="anomalies" columns=vec![Column::text("Day"), Column::text("Group"), Column::num("Spent"), Column::num("Usual"), Column::num("Difference"), Column::text("What changed that day")]>
                {rows}
            </DataTable>
        }
        .into_any()
    };
    view! {
        <section class="card" id="anomaly-list">
            <h2>"Anomalies " {csv_link(d, "anomalies")}</h2>
            {body}
            <p class="note">{format!(
                "A day is an anomaly when it is at least {} scaled median absolute deviations from the median of the {} days before it, each taken against its weekday's usual level, and at least {} and {:.0}% off (thresholds in spendwatch.toml, [anomalies]).",
                r.threshold_mads, r.window_days, format::usd(r.min_usd), r.min_fraction * 100.0
            )}</p>
        </section>
    }
}
