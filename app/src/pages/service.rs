//! One service: its CPU and memory use over time and as a distribution, against its current size,
//! the recommended size and every tier; the recommendation card; the task count.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::analysis::recommend::Recommendation;
use crate::charts::{cdf, time_series, RefLine};
use crate::components::{load_page, FindingBadge, Layout};
use crate::domain::range::{DateRange, PRESETS};
use crate::error::AppError;
use crate::format;
use crate::reports::service::{build, Columns, ServiceReport, CHART_WIDTH};
use crate::state::AppState;
use crate::store::services::StoredService;

/// The Service page's report with its charts drawn.
#[derive(Debug, Clone)]
pub struct ServiceData {
    /// The service.
    pub service: StoredService,
    /// The recommendation.
    pub rec: Recommendation,
    /// The range shown.
    pub range: DateRange,
    /// CPU use over time (SVG).
    pub cpu_chart: String,
    /// Memory use over time (SVG).
    pub mem_chart: String,
    /// CPU distribution (SVG).
    pub cpu_cdf: String,
    /// Memory distribution (SVG).
    pub mem_cdf: String,
    /// Task count over time (SVG).
    pub tasks_chart: String,
    /// Days the recommendation was sized on.
    pub lookback_days: u32,
    /// Page time.
    pub now: i64,
}

/// Draws the report's charts.
fn draw(r: ServiceReport) -> ServiceData {
    let range = &r.range;
    let time = |y_label, unit, columns: &Columns, lines: &[RefLine], decimals, integer| {
        time_series::render(&time_series::TimeChart {
            y_label,
            unit,
            bands: &columns.bands,
            column_width: columns.column_width,
            max_gap: columns.max_gap,
            integer,
            lines,
            from: range.from,
            to: range.to,
            width: CHART_WIDTH,
            height: 300,
            decimals,
        })
    };
    let dist = |x_label, unit, points: &[(f64, f64)], lines: &[RefLine], decimals| {
        cdf::render(&cdf::CdfChart {
            x_label,
            unit,
            points,
            lines,
            width: 440,
            height: 280,
            decimals,
        })
    };
    ServiceData {
        cpu_chart: time("vCPU, busiest task", "vCPU", &r.cpu, &r.cpu_lines, 2, false),
        mem_chart: time(
            "MiB, busiest task",
            "MiB",
            &r.memory,
            &r.memory_lines,
            0,
            false,
        ),
        tasks_chart: time("running tasks", "tasks", &r.tasks, &[], 0, true),
        cpu_cdf: dist("vCPU, busiest task", "vCPU", &r.cpu_cdf, &r.cpu_lines, 2),
        mem_cdf: dist(
            "MiB, busiest task",
            "MiB",
            &r.memory_cdf,
            &r.memory_lines,
            0,
        ),
        lookback_days: r.lookback_days,
        now: r.now,
        service: r.service,
        rec: r.rec,
        range: r.range,
    }
}

/// The Service page.
#[component]
pub fn ServicePage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map().get_untracked();
    let q = use_query_map().get_untracked();
    let cluster = params.get("cluster").unwrap_or_default();
    let name = params.get("name").unwrap_or_default();
    let title = name.clone();
    let report = async move {
        let now = state.clock.now();
        let range = DateRange::parse(
            q.get("range").as_deref(),
            q.get("from").as_deref(),
            q.get("to").as_deref(),
            now,
            state.settings.rules.lookback_days,
        )
        .map_err(AppError::bad_request)?;
        build(&state, &cluster, &name, range, now).await.map(draw)
    };
    view! { <Layout title=title>{load_page(report, service_view)}</Layout> }
}

fn range_picker(d: &ServiceData) -> impl IntoView {
    let base = format!(
        "/services/{}/{}",
        d.service.service.cluster, d.service.service.name
    );
    let custom = d.range.preset == "custom";
    let from = format::date(d.range.from);
    let to = format::date(d.range.to - 1);
    view! {
        <form class="range-picker" method="get" action=base.clone()>
            {PRESETS
                .iter()
                .map(|days| {
                    let value = format!("{days}d");
                    let current = d.range.preset == value;
                    view! {
                        <a class={if current { "chip active" } else { "chip" }} href=format!("{base}?range={value}")>
                            {format!("{days} days")}
                        </a>
                    }
                })
                .collect_view()}
            <input type="hidden" name="range" value="custom" />
            <label>"From " <input type="date" name="from" value=from required=true /></label>
            <label>"to " <input type="date" name="to" value=to required=true /></label>
            <button type="submit" class={if custom { "chip active" } else { "chip" }}>"Show"</button>
        </form>
    }
}

fn service_view(d: ServiceData) -> impl IntoView {
    let svc = &d.service.service;
    let rec = &d.rec;
    let picker = range_picker(&d);
    let subtitle = format!(
        "{} · {} · {} tasks running{}",
        svc.cluster,
        svc.architecture.as_str(),
        svc.running_count,
        match (svc.scaling_min, svc.scaling_max) {
            (Some(lo), Some(hi)) => format!(" · autoscaling {lo}–{hi}"),
            _ => String::new(),
        }
    );
    let card = recommendation_card(rec, d.lookback_days);
    let removed = d.service.removed_at.map(|_| {
        view! {
            <section class="card warning" id="removed">
                <p>
                    {format!(
                        "This service was {}. Its history is kept; its size and task counts are as last seen.",
                        format::removed_from_aws(d.service.last_seen, d.now)
                    )}
                </p>
            </section>
        }
    });
    let scaling = format!("/services/{}/{}/scaling", svc.cluster, svc.name);
    view! {
        <p class="sync-status">
            {subtitle}
            " · "
            <a href=scaling id="scaling-link">"Scaling what-if"</a>
        </p>
        {removed}
        {card}
        <section class="card">
            <div class="card-head">
                <h2>"CPU and memory use"</h2>
                {picker}
            </div>
            <h3>"CPU, busiest task (vCPU)"</h3>
            <div class="chart" id="cpu-chart" inner_html=d.cpu_chart></div>
            <h3>"Memory, busiest task (MiB)"</h3>
            <div class="chart" id="mem-chart" inner_html=d.mem_chart></div>
            <p class="note">
                "Shaded: the lowest to highest value in each column; line: the highest. Horizontal lines: the current size (red), the recommended size (green) and each tier (grey)."
            </p>
        </section>
        <section class="card">
            <h2>{format!("Distribution of use over the last {} days", d.lookback_days)}</h2>
            <div class="chart-pair">
                <div class="chart" id="cpu-cdf" inner_html=d.cpu_cdf></div>
                <div class="chart" id="mem-cdf" inner_html=d.mem_cdf></div>
            </div>
            <p class="note">"Share of minutes at or below each level of use: where the curve meets 100% is the peak."</p>
        </section>
        <section class="card">
            <h2>"Running tasks"</h2>
            <div class="chart" id="tasks-chart" inner_html=d.tasks_chart></div>
        </section>
    }
}

fn recommendation_card(rec: &Recommendation, lookback_days: u32) -> impl IntoView {
    let size = |cpu: u32, mem: u32, tier: &Option<String>| {
        format!(
            "{} ({})",
            format::size(cpu, mem),
            tier.clone().unwrap_or_else(|| "no tier".into())
        )
    };
    let current = size(rec.current.cpu, rec.current.memory_mib, &rec.current.tier);
    let recommended = rec
        .recommended
        .as_ref()
        .map(|r| size(r.cpu, r.memory_mib, &r.tier))
        .unwrap_or_else(|| "—".into());
    let after = rec
        .monthly_cost_usd
        .recommended
        .map(format::usd)
        .unwrap_or_else(|| "—".into());
    let percentile = rec.usage.cpu_percentile;
    let projected = rec
        .projected
        .map(|p| {
            format!(
                "p{percentile:.0} CPU {:.0}%, peak memory {:.0}% of the new size",
                p.cpu_sized_percentile_pct, p.memory_max_pct
            )
        })
        .unwrap_or_default();
    let tasks = match rec.tasks.recommended {
        Some(n) if (n - rec.tasks.current).abs() > 0.05 => format!(
            "{:.1} tasks on average now, {n:.1} after",
            rec.tasks.current
        ),
        _ => format!("{:.1} tasks on average", rec.tasks.current),
    };
    let change = |c: Option<f64>| c.map(format::usd_signed).unwrap_or_else(|| "—".into());
    let pinned = (rec.usage.cpu_pinned_minutes > 0.0).then(|| {
        view! {
            <div class="warning" id="rec-cpu-pinned">
                <strong>"CPU pinned at its limit: "</strong>
                {format!(
                    "the busiest task used all {:.2} vCPU for {:.0} minutes of the last {lookback_days} days. Demand above the limit is throttled and never shows in the metric, so the sized CPU is a lower bound: the service may need more.",
                    f64::from(rec.current.cpu) / 1024.0,
                    rec.usage.cpu_pinned_minutes
                )}
            </div>
        }
    });
    view! {
        <section class="card recommendation" id="recommendation">
            <div class="card-head">
                <h2>"Recommendation"</h2>
                <FindingBadge finding=rec.finding />
            </div>
            {pinned}
            <dl class="facts">
                <div><dt>"Current size"</dt><dd id="rec-current">{current}</dd></div>
                <div><dt>"Recommended"</dt><dd id="rec-recommended">{recommended}</dd></div>
                <div><dt>{format!("Monthly now, {lookback_days}-day mean tasks")}</dt><dd id="rec-cost-now">{format::usd(rec.monthly_cost_usd.current)}</dd></div>
                <div><dt>"Monthly after"</dt><dd id="rec-cost-after">{after}</dd></div>
                <div><dt>"Change from size"</dt><dd id="rec-size-change">{change(rec.monthly_cost_usd.size_change)}</dd></div>
                <div><dt>"Change from Spot mix"</dt><dd id="rec-provider-change">{change(rec.monthly_cost_usd.capacity_provider_change)}</dd></div>
                <div><dt>"Tasks"</dt><dd>{tasks}</dd></div>
            </dl>
            <p class="reason" id="rec-reason">{rec.reason.clone()}</p>
            {(!projected.is_empty()).then(|| view! { <p class="note">{format!("On the recommended size: {projected}.")}</p> })}
            {(!rec.risks.is_empty()).then(|| view! {
                <ul class="risks">{rec.risks.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul>
            })}
            <p class="note">
                {format!(
                    "Evidence: {:.0} hours of per-minute data from the last {lookback_days} days; busiest-task CPU p{percentile:.0} {:.2} vCPU (peak {:.2}), peak memory {:.0} MiB.",
                    rec.usage.hours_of_data, rec.usage.cpu_sized_percentile_vcpu, rec.usage.cpu_max_vcpu, rec.usage.memory_max_mib
                )}
            </p>
        </section>
    }
}
