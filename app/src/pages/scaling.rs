//! A service's Scaling page: its history replayed through other scaling settings and task
//! sizes, actual against simulated, with an optional sweep and the recommended size paired with
//! the target that keeps its headroom. A GET form: every what-if is a URL and works without
//! JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::analysis::scaling::{Metric, Policy, SweepKind};
use crate::charts::whatif::{render_compare, render_frontier, CompareChart, FrontierPoint};
use crate::components::{load_page, Column, DataTable, Layout};
use crate::error::AppError;
use crate::format;
use crate::reports::whatif::{build, parse_request, WhatIfCharts, WhatIfReport};
use crate::state::AppState;

/// The report with its charts drawn.
#[derive(Debug, Clone)]
pub struct ScalingData {
    /// The report.
    pub report: WhatIfReport,
    /// Task count, actual and simulated (SVG).
    pub tasks_chart: String,
    /// Average CPU (SVG).
    pub cpu_chart: String,
    /// Average memory (SVG).
    pub mem_chart: String,
    /// The sweep's frontier (SVG), when a sweep ran.
    pub frontier: Option<String>,
}

/// Draws the report's charts.
pub fn draw(report: WhatIfReport) -> ScalingData {
    let c: &WhatIfCharts = &report.charts;
    let (from, to) = (report.range.from, report.range.to);
    let chart = |y_label, unit, actual, simulated, y_max, decimals| {
        render_compare(&CompareChart {
            y_label,
            unit,
            actual,
            simulated,
            column_width: c.column_width,
            from,
            to,
            y_max,
            decimals,
        })
    };
    let tasks_chart = chart(
        "tasks",
        "tasks",
        &c.actual_tasks,
        &c.simulated_tasks,
        None,
        0,
    );
    let cpu_chart = chart(
        "average CPU %",
        "%",
        &c.actual_cpu,
        &c.simulated_cpu,
        Some(100.0),
        0,
    );
    let mem_chart = chart(
        "average memory %",
        "%",
        &c.actual_mem,
        &c.simulated_mem,
        Some(100.0),
        0,
    );
    let frontier = report.sweep.as_ref().map(|s| {
        let points: Vec<FrontierPoint> = s
            .points
            .iter()
            .map(|p| FrontierPoint {
                label: sweep_value(s.kind, p.value),
                minutes_over: p.minutes_over_alarm as f64,
                monthly_cost: p.monthly_cost_usd,
                current: p.current,
                recommended: p.recommended,
            })
            .collect();
        render_frontier(&points, s.kind.label())
    });
    ScalingData {
        report,
        tasks_chart,
        cpu_chart,
        mem_chart,
        frontier,
    }
}

fn sweep_value(kind: SweepKind, v: f64) -> String {
    match kind {
        SweepKind::MaxTasks => format!("{v:.0}"),
        _ => format!("{v:.0}%"),
    }
}

/// The Scaling page.
#[component]
pub fn ScalingPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map().get_untracked();
    let q = use_query_map().get_untracked();
    let cluster = params.get("cluster").unwrap_or_default();
    let name = params.get("name").unwrap_or_default();
    let title = format!("{name} · scaling what-if");
    let report = async move {
        let now = state.clock.now();
        let get = |k: &str| q.get(k);
        let (query, range) = parse_request(&get, now, state.settings.rules.lookback_days)
            .map_err(AppError::bad_request)?;
        build(&state, Some(&cluster), &name, query, range, now)
            .await
            .map(draw)
    };
    view! { <Layout title=title>{load_page(report, scaling_view)}</Layout> }
}

fn scaling_view(d: ScalingData) -> impl IntoView {
    let r = &d.report;
    let base = format!("/services/{}/{}/scaling", r.cluster, r.service);
    let service_href = format!("/services/{}/{}", r.cluster, r.service);
    let own = &r.own_settings.policy;
    let cal = r.own_calibration;
    let calibration = format!(
        "Calibration: replaying the service's own settings gives {:+.1}% task-hours against what really ran, {:.2} tasks off on average minute by minute ({} minutes compared).",
        cal.task_hours_error_pct, cal.mean_abs_task_diff, cal.minutes_compared
    );
    let capped = (r.capped_minutes > 0).then(|| {
        view! {
            <p class="warning" id="capped">
                {format!(
                    "Demand was capped for {} minutes: utilization sat at the ceiling, so the demand replayed there is a lower bound and the what-if may understate the tasks needed.",
                    r.capped_minutes
                )}
            </p>
        }
    });
    let own_text = format!(
        "Own settings: {}–{} tasks; {}{}; cooldowns {} s out / {} s in; {}.",
        own.min,
        own.max,
        if own.tracking.is_empty() {
            "no target tracking".to_string()
        } else {
            own.tracking
                .iter()
                .map(|t| {
                    format!(
                        "{} target {:.0}{}",
                        t.metric.label(),
                        t.target,
                        if t.scale_in { "" } else { " (no scale-in)" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
        own.steps
            .iter()
            .map(|p| format!("; {}", p.describe()))
            .collect::<String>(),
        own.scale_out_cooldown_s,
        own.scale_in_cooldown_s,
        format::size(
            r.own_settings.task_size.cpu,
            r.own_settings.task_size.memory_mib
        )
    );
    let alarms_note = if r.alarms_assumed {
        "The service has no CPU or memory alarm: the seed's thresholds (85% CPU, 90% memory) are counted.".to_string()
    } else {
        format!(
            "Alarm thresholds counted: {}.",
            r.alarms
                .iter()
                .map(|a| format!("{} ({} {:.0}%)", a.name, a.metric.label(), a.threshold))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    view! {
        <p class="sync-status">
            <a href=service_href>{format!("← {}", r.service)}</a>
            {format!(" · {} · {} to {}", r.cluster, format::date(r.range.from), format::date(r.range.to - 1))}
        </p>
        <section class="card" id="whatif-form-card">
            <h2>"Settings to replay"</h2>
            <p class="note">{own_text}</p>
            {step_policies(own)}
            {presets(&d, &base)}
            {form(&d, &base)}
        </section>
        <section class="card" id="comparison">
            <h2>"Actual against simulated"</h2>
            {capped}
            <p class="note" id="calibration">{calibration}</p>
            {comparison_table(r)}
            <p class="note">{alarms_note}</p>
            {r.notes.iter().map(|n| view! { <p class="note">{n.clone()}</p> }).collect_view()}
        </section>
        <section class="card">
            <h2>"Tasks"</h2>
            <div class="chart" id="tasks-chart" inner_html=d.tasks_chart.clone()></div>
            <h3>"Average CPU utilization"</h3>
            <div class="chart" id="cpu-chart" inner_html=d.cpu_chart.clone()></div>
            <h3>"Average memory utilization"</h3>
            <div class="chart" id="mem-chart" inner_html=d.mem_chart.clone()></div>
            <p class="note">"Grey: what really ran; blue: the replay. Each column shows its highest value; hover for both."</p>
        </section>
        {sweep_section(&d, &base)}
        {together_section(r, &base)}
    }
}

/// The service's step scaling policies, step by step: replayed as stored (the form does not
/// change them).
fn step_policies(own: &Policy) -> Option<impl IntoView> {
    if own.steps.is_empty() {
        return None;
    }
    let columns = vec![
        Column::text("Step policy"),
        Column::text("When the alarm's value is"),
        Column::text("Adjustment"),
    ];
    let rows = own
        .steps
        .iter()
        .flat_map(|p| {
            let name = format!("{} ({} s cooldown)", p.name, p.cooldown_s);
            p.describe_steps()
                .into_iter()
                .map(move |(interval, adjustment)| (name.clone(), interval, adjustment))
        })
        .map(|(name, interval, adjustment)| {
            view! { <tr><td>{name}</td><td>{interval}</td><td>{adjustment}</td></tr> }
        })
        .collect_view();
    Some(view! {
        <div id="step-policies">
            <DataTable id="step-policies-table" columns>{rows}</DataTable>
            <p class="note">"Step policies are replayed as stored, with every setting above; the form does not change them."</p>
        </div>
    })
}

fn presets(d: &ScalingData, base: &str) -> impl IntoView {
    view! {
        <p class="presets" id="presets">
            "Presets: "
            {d.report
                .presets
                .iter()
                .map(|p| {
                    let href = if p.query.is_empty() { base.to_string() } else { format!("{base}?{}", p.query) };
                    view! { <a class="chip" href=href>{p.name.clone()}</a> " " }
                })
                .collect_view()}
        </p>
    }
}

fn form(d: &ScalingData, base: &str) -> impl IntoView {
    let r = &d.report;
    let s = &r.settings.policy;
    let q = &r.query;
    let target = |m: Metric| s.target(m).map(|t| format!("{t}")).unwrap_or_default();
    let num = |name: &'static str, label: &'static str, value: String, step: &'static str| {
        view! {
            <label>{label} " " <input type="number" name=name value=value step=step min="0" /></label>
        }
    };
    let sweep = q.sweep.map(|k| k.as_str()).unwrap_or("none");
    let range = r.range.preset.clone();
    view! {
        <form class="whatif-form" method="get" action=base.to_string() id="whatif-form">
            <fieldset>
                <legend>"Target tracking"</legend>
                {num("target_cpu", "CPU target %", target(Metric::Cpu), "any")}
                {num("target_memory", "Memory target %", target(Metric::Memory), "any")}
            </fieldset>
            <fieldset>
                <legend>"Bounds and cooldowns"</legend>
                {num("min", "Min tasks", s.min.to_string(), "1")}
                {num("max", "Max tasks", s.max.to_string(), "1")}
                {num("scale_out_cooldown", "Scale-out cooldown s", s.scale_out_cooldown_s.to_string(), "1")}
                {num("scale_in_cooldown", "Scale-in cooldown s", s.scale_in_cooldown_s.to_string(), "1")}
                {num("startup", "Task start-up min", s.startup_minutes.to_string(), "1")}
            </fieldset>
            <fieldset>
                <legend>"Task size and capacity providers"</legend>
                {num("cpu", "CPU units", r.settings.task_size.cpu.to_string(), "1")}
                {num("memory", "Memory MiB", r.settings.task_size.memory_mib.to_string(), "1")}
                {num("base", "On-demand base", q.base.map(|v| v.to_string()).unwrap_or_default(), "1")}
                {num("spot_pct", "Spot % beyond base", q.spot_pct.map(|v| v.to_string()).unwrap_or_default(), "1")}
            </fieldset>
            <fieldset>
                <legend>"Range and sweep"</legend>
                <label>"Range "
                    <select name="range">
                        {["7d", "14d", "30d", "90d"].into_iter().map(|v| view! {
                            <option value=v selected=range == v>{v}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Sweep "
                    <select name="sweep" id="sweep">
                        {[("none", "none"), ("target-cpu", "CPU target 40–90%"), ("target-memory", "memory target 40–90%"), ("max-tasks", "max tasks")]
                            .into_iter()
                            .map(|(v, label)| view! { <option value=v selected=sweep == v>{label}</option> })
                            .collect_view()}
                    </select>
                </label>
            </fieldset>
            <button type="submit" class="chip active" id="replay">"Replay"</button>
        </form>
    }
}

fn comparison_table(r: &WhatIfReport) -> impl IntoView {
    let columns = vec![
        Column::text("Measure"),
        Column::num("Actual"),
        Column::num("Simulated"),
    ];
    let rows = r.comparison();
    view! {
        <DataTable id="comparison-table" columns>
            {rows
                .into_iter()
                .map(|(m, a, s)| view! { <tr><td>{m}</td><td class="num">{a}</td><td class="num">{s}</td></tr> })
                .collect_view()}
        </DataTable>
    }
}

fn sweep_section(d: &ScalingData, base: &str) -> Option<impl IntoView> {
    let s = d.report.sweep.as_ref()?;
    let here = d.report.query.clone();
    let columns = vec![
        Column::num(s.kind.label()),
        Column::num("Monthly cost"),
        Column::num("Minutes over alarm"),
        Column::num("Minutes at max"),
        Column::num("Task-hours"),
        Column::num("Scale events"),
        Column::text(""),
    ];
    let kind = s.kind;
    let rows = s
        .points
        .iter()
        .map(|p| {
            let mut q = here.clone();
            q.sweep = None;
            match kind {
                SweepKind::TargetCpu => q.target_cpu = Some(p.value),
                SweepKind::TargetMemory => q.target_memory = Some(p.value),
                SweepKind::MaxTasks => q.max = Some(p.value as u32),
            }
            let href = format!(
                "{base}?{}&range={}",
                q.to_query_string(),
                d.report.range.preset
            );
            let mark = match (p.current, p.recommended) {
                (true, true) => "current · recommended",
                (true, false) => "current",
                (false, true) => "recommended",
                _ => "",
            };
            view! {
                <tr class:current-row=p.current class:recommended-row=p.recommended>
                    <td class="num"><a href=href>{sweep_value(kind, p.value)}</a></td>
                    <td class="num">{format::usd(p.monthly_cost_usd)}</td>
                    <td class="num">{p.minutes_over_alarm}</td>
                    <td class="num">{p.minutes_at_max}</td>
                    <td class="num">{format!("{:.0}", p.task_hours)}</td>
                    <td class="num">{p.scale_events}</td>
                    <td>{mark}</td>
                </tr>
            }
        })
        .collect_view();
    Some(view! {
        <section class="card" id="sweep">
            <h2>{format!("Sweep: {}", kind.label())}</h2>
            <div class="chart" id="frontier-chart" inner_html=d.frontier.clone().unwrap_or_default()></div>
            <DataTable id="sweep-table" columns>{rows}</DataTable>
            <p class="note">"Red: the setting replayed above; green: the recommended one, the cheapest whose minutes over the alarm thresholds are no more than the current setting's."</p>
        </section>
    })
}

fn together_section(r: &WhatIfReport, base: &str) -> impl IntoView {
    let Some(t) = &r.together else {
        return view! {
            <section class="card" id="together">
                <h2>"Size and scaling together"</h2>
                <p class="note">"The recommendation keeps this service's size: nothing to pair."</p>
            </section>
        }
        .into_any();
    };
    let targets = [
        t.target_cpu.map(|v| format!("CPU target {v:.1}%")),
        t.target_memory.map(|v| format!("memory target {v:.1}%")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let href = format!("{base}?{}", t.query);
    view! {
        <section class="card" id="together">
            <h2>"Size and scaling together"</h2>
            <p>
                {format!(
                    "The recommended size {} with {} (the same spare capacity per task as today's targets) would have cost {} a month ({:.0} task-hours, {} minutes over an alarm threshold, {} at max), against {} for the settings above.",
                    format::size(t.task_size.cpu, t.task_size.memory_mib),
                    if targets.is_empty() { "the same targets".to_string() } else { targets },
                    format::usd(t.totals.monthly_cost_usd),
                    t.totals.task_hours,
                    t.totals.minutes_over_alarm,
                    t.totals.minutes_at_max,
                    format::usd(r.simulated.monthly_cost_usd),
                )}
            </p>
            <p><a href=href id="together-link">"Replay the pair"</a></p>
        </section>
    }
    .into_any()
}
