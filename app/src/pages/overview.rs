//! Overview: this month's spend against last month, the services, the alarms firing now, and
//! when the data was last synced.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{load_page, removed_toggle, Column, DataTable, Layout};
use crate::error::AppError;
use crate::format;
use crate::reports::overview::{build, OverviewData};
use crate::state::AppState;
use crate::store::services::Removed;
use crate::store::sync_runs::RunTrigger;

/// The Overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let removed = Removed::from_query(use_query_map().get_untracked().get("removed").as_deref());
    let report = async move {
        let removed = removed.map_err(AppError::bad_request)?;
        build(&state, removed, state.clock.now()).await
    };
    view! { <Layout title="Overview">{load_page(report, overview_view)}</Layout> }
}

fn overview_view(d: OverviewData) -> impl IntoView {
    if d.empty {
        return view! {
            <section class="card empty-state">
                <h2>"No data yet"</h2>
                <p>"Spendwatch has nothing to show until it has data. Either:"</p>
                <ul>
                    <li>
                        "load the built-in demo: " <code>"spendwatch demo"</code> " (or start with "
                        <code>"spendwatch serve --demo"</code> ")"
                    </li>
                    <li>"or pull your own account: " <code>"spendwatch sync"</code></li>
                </ul>
            </section>
        }
        .into_any();
    }
    let change = match d.spend.change_pct {
        Some(p) => format!(
            "{:+.1}% against the same days last month ({})",
            p,
            format::usd(d.spend.last_month_same_days)
        ),
        None => "no spend over the same days last month".to_string(),
    };
    let change_class = match d.spend.change_pct {
        Some(p) if p > 5.0 => "delta up",
        Some(p) if p < -5.0 => "delta down",
        _ => "delta",
    };
    let synced = match &d.last_sync {
        Some(run) => format!(
            "Data last synced {} ({}{})",
            format::ago(run.finished_at.unwrap_or(run.started_at), d.now),
            format::datetime(run.finished_at.unwrap_or(run.started_at)),
            if run.trigger == RunTrigger::Demo {
                ", demo data"
            } else {
                ""
            }
        ),
        None => "Never synced: run spendwatch sync to pull your account.".to_string(),
    };
    let firing_count = d.firing.len();
    let now = d.now;
    let toggle = removed_toggle(
        d.removed_count,
        d.removed,
        "/?removed=show".into(),
        "/".into(),
    );
    let firing_class = if firing_count > 0 {
        "kpi-value alarm"
    } else {
        "kpi-value ok"
    };
    view! {
        <p class="sync-status" id="last-sync">{synced}</p>
        <div class="kpis">
            <section class="card kpi">
                <h2>"Month-to-date spend"</h2>
                <a class="kpi-link" href="/costs" title="Where the money goes: the Costs page">
                    <p class="kpi-value" id="mtd-spend" data-amount=format!("{:.2}", d.spend.this_month)>
                        {format::usd(d.spend.this_month)}
                    </p>
                </a>
                <a class="sparkline" id="spend-sparkline" href="/costs" inner_html=crate::charts::bars::render_sparkline(&d.last_30_days.iter().map(|s| (s.date, s.total_usd)).collect::<Vec<_>>(), 240, 48)></a>
                <p class=change_class>{change}</p>
                {d.estimated.then(|| view! { <p class="note">"Recent days are Cost Explorer estimates."</p> })}
            </section>
            <section class="card kpi">
                <h2>"Last month"</h2>
                <p class="kpi-value" id="last-month-spend">{format::usd(d.spend.last_month)}</p>
                <p class="delta">{format!("This month on its current pace: {}", format::usd(d.spend.projected))}</p>
                {d.forecast.map(|f| view! {
                    <p class="note" id="forecast">{format!("Cost Explorer forecasts {} for the rest of the month, today included.", format::usd(f))}</p>
                })}
            </section>
            <section class="card kpi">
                <h2>"Alarms firing"</h2>
                <a class="kpi-link" href="/alarms?state=ALARM" title="The alarms in ALARM">
                    <p class=firing_class id="alarms-firing">
                        {firing_count}
                    </p>
                </a>
                <p class="delta">
                    <a href="/alarms" id="all-alarms">{format!("of {} alarms", d.alarm_total)}</a>
                </p>
            </section>
        </div>

        {(!d.budgets.is_empty()).then(|| view! {
            <section class="card" id="overview-budgets">
                <h2><a href="/costs#budgets">"Budgets this month"</a></h2>
                {super::costs::budget_table(&d.budgets)}
            </section>
        })}

        <section class="card">
            <h2>"Alarms in ALARM now"</h2>
            {if d.firing.is_empty() {
                view! { <p class="empty">"No alarm is firing."</p> }.into_any()
            } else {
                view! {
                    <DataTable columns=vec![
                        Column::text("Alarm"),
                        Column::text("Metric"),
                        Column::text("Since"),
                        Column::text("Reason"),
                    ]>
                            {d
                                .firing
                                .into_iter()
                                .map(|a| {
                                    let since = a.state_updated_at.map(|t| format::ago(t, now)).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <td class="alarm-name">{a.name}</td>
                                            <td>{a.metric_name.unwrap_or_default()}</td>
                                            <td>{since}</td>
                                            <td class="reason">{a.state_reason.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                    </DataTable>
                }
                    .into_any()
            }}
        </section>

        <section class="card">
            <h2>"Services"</h2>
            {toggle}
            {if d.services.is_empty() {
                let empty = if d.removed_count > 0 {
                    "Every stored ECS service was deleted in AWS."
                } else {
                    "No ECS services stored yet."
                };
                view! { <p class="empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <DataTable id="services-table" columns=vec![
                        Column::text("Service"),
                        Column::text("Cluster"),
                        Column::num("CPU / MiB"),
                        Column::num("Tasks"),
                        Column::num("Scaling"),
                        Column::text("Capacity"),
                        Column::num("Monthly at today's running tasks"),
                    ]>
                            {d
                                .services
                                .into_iter()
                                .map(|s| {
                                    let href = format!("/services/{}/{}", s.cluster, s.name);
                                    let removed = s.removed_last_seen.is_some();
                                    let gone = s.removed_last_seen.map(|t| view! {
                                        <div class="sub removed">{format::removed_from_aws(t, now)}</div>
                                    });
                                    view! {
                                        <tr class:muted-row=removed>
                                            <td>
                                                <a href=href>{s.name}</a>
                                                {gone}
                                            </td>
                                            <td>{s.cluster}</td>
                                            <td class="num">{s.size}</td>
                                            <td class="num">{format!("{} / {}", s.running, s.desired)}</td>
                                            <td class="num">{s.bounds}</td>
                                            <td>{s.capacity}</td>
                                            <td class="num">{format::usd(s.monthly_cost)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                    </DataTable>
                    <p class="note">
                        "Tasks: running / desired. Monthly cost: today's running tasks at list price, split by the capacity provider strategy (the Services page prices the mean task count over its sizing window instead)."
                    </p>
                }
                    .into_any()
            }}
        </section>

        <section class="card">
            <h2>"Spend this month by AWS service"</h2>
            {if d.by_service.is_empty() {
                view! { <p class="empty">"No cost data for this month yet."</p> }.into_any()
            } else {
                let total = d.spend.this_month.max(f64::EPSILON);
                view! {
                    <DataTable columns=Vec::new()>
                            {d
                                .by_service
                                .into_iter()
                                .map(|g| {
                                    let pct = g.amount / total * 100.0;
                                    view! {
                                        <tr>
                                            <td>{g.key}</td>
                                            <td class="bar-cell">
                                                // An SVG bar: its width is an attribute, where a
                                                // style attribute would break the CSP.
                                                <svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">
                                                    <rect width=format!("{:.1}", pct.max(0.5)) height="1" />
                                                </svg>
                                            </td>
                                            <td class="num">{format::usd(g.amount)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                    </DataTable>
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}
