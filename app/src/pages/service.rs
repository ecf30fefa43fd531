//! One service: its CPU and memory use over time and as a distribution, against its current size,
//! the recommended size and every tier; the recommendation card; the task count.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::analysis::downsample::{Band, ColumnPlan};
use crate::analysis::recommend::{tier_for, Recommendation, Tier};
use crate::charts::{cdf, time_series, LineKind, RefLine};
use crate::components::{load_page, FindingBadge, Layout};
use crate::domain::calendar::DAY;
use crate::domain::fargate::TaskSize;
use crate::domain::range::{DateRange, PRESETS};
use crate::error::AppError;
use crate::format;
use crate::reports::recommendations::UsageSeries;
use crate::state::AppState;
use crate::store::metrics::StoredSeries;
use crate::store::services::{Removed, StoredService};
use crate::store::{Store, StoreResult};

/// Pixel width of the time charts.
const CHART_WIDTH: u32 = 900;
/// Columns a series is shrunk to: one per two pixels reads the same and draws half the points.
const CHART_COLUMNS: i64 = CHART_WIDTH as i64 / 2;
/// Ranges up to this long are drawn from raw minutes, longer ones from hourly rollups.
const RAW_UP_TO: i64 = 3 * DAY;

/// Everything the Service page shows.
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

/// Query parameters of the page.
#[derive(Debug, Clone, Default)]
pub struct ServiceQuery {
    /// `7d`, `14d`, `30d`, `90d`, `custom`.
    pub range: Option<String>,
    /// Custom start, YYYY-MM-DD.
    pub from: Option<String>,
    /// Custom end (inclusive), YYYY-MM-DD.
    pub to: Option<String>,
}

/// Finds the service, parses the range, sizes the service and draws its charts.
pub async fn load(
    state: AppState,
    cluster: String,
    name: String,
    q: ServiceQuery,
) -> Result<ServiceData, AppError> {
    let now = state.clock.now();
    let rules = &state.settings.rules;
    let range = DateRange::parse(
        q.range.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        now,
        rules.lookback_days,
    )
    .map_err(AppError::bad_request)?;
    let store = &state.store;
    // A service deleted in AWS still has its page: its history is kept.
    let service = store
        .list_services_with(Removed::Show)
        .await?
        .into_iter()
        .find(|s| s.service.cluster == cluster && s.service.name == name)
        .ok_or_else(|| {
            AppError::not_found(format!("There is no service {name} in cluster {cluster}."))
        })?;
    let series = UsageSeries::pick(&store.list_series(Some(service.id)).await?);
    let settings = &state.settings;
    let evidence = state.recommendations.get(store, settings, now).await?;
    let evidence = evidence
        .iter()
        .find(|e| e.recommendation.service_id == service.id)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "{name} was added after this page's data was read: reload."
            ))
        })?;
    let rec = evidence.recommendation.rec.clone();

    let size = service.service.size;
    let cpu_scale = size.vcpu() / 100.0;
    let mem_scale = f64::from(size.memory_mib) / 100.0;
    let cpu = bands(store, series.cpu_max.as_ref(), &range, cpu_scale).await?;
    let mem = bands(store, series.mem_max.as_ref(), &range, mem_scale).await?;
    let tasks = bands(store, series.tasks.as_ref(), &range, 1.0).await?;
    let recommended = rec.recommended.as_ref().map(|r| r.size());
    let cpu_lines = ref_lines(
        size,
        recommended,
        &settings.tiers,
        |s| s.vcpu(),
        |v| format!("{v:.2}"),
    );
    let mem_lines = ref_lines(
        size,
        recommended,
        &settings.tiers,
        |s| f64::from(s.memory_mib),
        |v| format!("{v:.0}"),
    );
    let time = |y_label, unit, columns: &Columns, lines: &[RefLine], decimals, integer| {
        time_series::render(&time_series::TimeChart {
            y_label,
            unit,
            bands: &columns.bands,
            column_width: columns.plan.width,
            max_gap: columns.plan.max_gap(),
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
    Ok(ServiceData {
        now,
        cpu_chart: time("vCPU, busiest task", "vCPU", &cpu, &cpu_lines, 2, false),
        mem_chart: time("MiB, busiest task", "MiB", &mem, &mem_lines, 0, false),
        tasks_chart: time("running tasks", "tasks", &tasks, &[], 0, true),
        cpu_cdf: dist(
            "vCPU, busiest task",
            "vCPU",
            &evidence.cpu_cdf,
            &cpu_lines,
            2,
        ),
        mem_cdf: dist("MiB, busiest task", "MiB", &evidence.mem_cdf, &mem_lines, 0),
        lookback_days: rules.lookback_days,
        service,
        rec,
        range,
    })
}

/// A series read for a chart: its columns and how they were read.
struct Columns {
    /// The columns, by start time, in absolute units.
    bands: Vec<Band>,
    /// Bucket width and resolution they were read at.
    plan: ColumnPlan,
}

/// A series over the range, shrunk to chart columns (min and max kept per column) and scaled
/// into absolute units. Columns are whole multiples of the resolution read, so a column is empty
/// only where data is missing.
async fn bands(
    store: &Store,
    series: Option<&StoredSeries>,
    range: &DateRange,
    scale: f64,
) -> StoreResult<Columns> {
    let raw_period = series.map_or(60, |s| s.key.period);
    let plan = ColumnPlan::new(range.span(), CHART_COLUMNS, raw_period, RAW_UP_TO);
    let Some(s) = series else {
        return Ok(Columns {
            bands: Vec::new(),
            plan,
        });
    };
    let buckets = store
        .read_buckets(
            s.id,
            plan.origin(range.from),
            range.to,
            plan.width,
            plan.hourly,
        )
        .await?;
    let bands = buckets
        .into_iter()
        .map(|(ts, min, max, sum, count)| Band {
            // The first bucket may start up to one period before the range: draw it at its edge.
            ts: ts.max(range.from),
            min: min * scale,
            max: max * scale,
            mean: if count > 0 {
                sum / count as f64 * scale
            } else {
                (min + max) / 2.0 * scale
            },
        })
        .collect();
    Ok(Columns { bands, plan })
}

/// Lines for the current size, the recommendation and each tier. The current and recommended
/// lines are named by the tier that holds their whole size ([`tier_for`], as on the card); a tier
/// line that only coincides with one of them in this dimension is left out, so it never reads as
/// if the size were in that tier. Tiers at the same level share one line.
fn ref_lines(
    current: TaskSize,
    recommended: Option<TaskSize>,
    tiers: &[Tier],
    value: impl Fn(TaskSize) -> f64,
    unit: impl Fn(f64) -> String,
) -> Vec<RefLine> {
    let tier_name = |size: TaskSize| {
        tier_for(tiers, size).map_or_else(|| "no tier".to_string(), |t| t.name.clone())
    };
    let same = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let mut sizes = vec![("current", current, LineKind::Current)];
    if let Some(r) = recommended {
        sizes.push(("recommended", r, LineKind::Recommended));
    }
    // (value, tier name, roles, kind): current and recommended at one level and in one tier are
    // one line.
    let mut named: Vec<(f64, String, Vec<&str>, LineKind)> = Vec::new();
    for (role, size, kind) in sizes {
        let (v, name) = (value(size), tier_name(size));
        match named.iter_mut().find(|n| same(n.0, v) && n.1 == name) {
            Some(n) => n.2.push(role),
            None => named.push((v, name, vec![role], kind)),
        }
    }
    let mut lines: Vec<RefLine> = named
        .into_iter()
        .map(|(v, name, roles, kind)| RefLine {
            label: format!("{} · {name} {}", roles.join(" · "), unit(v)),
            value: v,
            kind,
        })
        .collect();
    let sized = lines.len();
    for t in tiers {
        let v = value(t.size());
        if lines[..sized].iter().any(|l| same(l.value, v)) {
            continue;
        }
        match lines[sized..].iter_mut().find(|l| same(l.value, v)) {
            Some(l) => l.label = format!("{} · {}", t.name, l.label),
            None => lines.push(RefLine {
                label: format!("{} {}", t.name, unit(v)),
                value: v,
                kind: LineKind::Tier,
            }),
        }
    }
    // Tiers first so the sizes' lines are drawn on top.
    lines.rotate_left(sized);
    lines
}

/// The Service page.
#[component]
pub fn ServicePage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map().get_untracked();
    let q = use_query_map().get_untracked();
    let query = ServiceQuery {
        range: q.get("range"),
        from: q.get("from"),
        to: q.get("to"),
    };
    let cluster = params.get("cluster").unwrap_or_default();
    let name = params.get("name").unwrap_or_default();
    view! { <Layout title=name.clone()>{load_page(load(state, cluster, name, query), service_view)}</Layout> }
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
    view! {
        <p class="sync-status">{subtitle}</p>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::recommend::default_tiers;

    fn labels(lines: &[RefLine]) -> Vec<(String, f64)> {
        lines.iter().map(|l| (l.label.clone(), l.value)).collect()
    }

    #[test]
    fn size_lines_carry_the_tier_that_holds_the_whole_size() {
        // The 5-service demo's worker: 1 vCPU / 4 GB (in Prod-Med) sized down to 0.5 vCPU / 2 GB
        // (in Prod-Small). Its CPU lines coincide with the Prod-Small and Dev tier lines.
        let tiers = default_tiers();
        let (current, recommended) = (TaskSize::new(1024, 4096), TaskSize::new(512, 2048));
        let current_tier = tier_for(&tiers, current).unwrap().name.clone();
        let recommended_tier = tier_for(&tiers, recommended).unwrap().name.clone();
        let cpu = ref_lines(
            current,
            Some(recommended),
            &tiers,
            |s| s.vcpu(),
            |v| format!("{v:.2}"),
        );
        let cpu_labels = labels(&cpu);
        assert!(cpu_labels.contains(&(format!("current · {current_tier} 1.00"), 1.0)));
        assert!(cpu_labels.contains(&(format!("recommended · {recommended_tier} 0.50"), 0.5)));
        // No line at a size's level names another tier, and every tier line is its own level.
        for l in &cpu {
            let at_size = [1.0, 0.5].contains(&l.value);
            assert_eq!(at_size, l.kind != LineKind::Tier, "{l:?}");
        }
        assert_eq!(current_tier, "Prod-Med");
        assert_eq!(recommended_tier, "Prod-Small");
        assert!(!cpu
            .iter()
            .any(|l| l.label.contains("Dev") && l.value == 0.5));

        // Memory: 4096 is Prod-Med's own level, shown once as the current line.
        let mem = ref_lines(
            current,
            Some(recommended),
            &tiers,
            |s| f64::from(s.memory_mib),
            |v| format!("{v:.0}"),
        );
        assert_eq!(mem.iter().filter(|l| l.value == 4096.0).count(), 1);
        assert!(labels(&mem).contains(&("current · Prod-Med 4096".into(), 4096.0)));
        // Every line is drawn once per level and kind.
        assert_eq!(
            mem.iter().filter(|l| l.kind == LineKind::Current).count(),
            1
        );
    }

    #[test]
    fn same_size_now_and_after_is_one_line() {
        let tiers = default_tiers();
        let size = TaskSize::new(1024, 2048);
        let lines = ref_lines(
            size,
            Some(size),
            &tiers,
            |s| s.vcpu(),
            |v| format!("{v:.2}"),
        );
        let at: Vec<&RefLine> = lines.iter().filter(|l| l.value == 1.0).collect();
        assert_eq!(at.len(), 1);
        assert_eq!(at[0].label, "current · recommended · Prod-Small 1.00");
    }
}
