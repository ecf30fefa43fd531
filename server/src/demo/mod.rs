//! The built-in demo dataset: a deterministic simulation of the seed's deployment, written through
//! the same store calls a sync uses.

pub mod alarms;
pub mod costs;
pub mod fleet;
pub mod simulate;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use app::domain::calendar::{day_start, DAY};
use app::domain::fargate::PriceTable;
use app::store::canonical_dimensions;
use app::store::deployments::Deployment;
use app::store::metrics::SeriesKey;
use app::store::services::{ScalingPolicy, ServiceRecord, TargetGroup};
use app::store::sync_runs::{RunOutcome, RunTotals, RunTrigger, SyncRun};
use app::store::Store;

use fleet::{Profile, CLUSTER, LOAD_BALANCER, REGION};
use simulate::{Minute, Trace};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSpec {
    /// Number of services.
    pub services: usize,
    /// Days of per-minute metrics.
    pub days: u32,
    /// Random seed.
    pub seed: u64,
    /// End of the data (exclusive), epoch seconds.
    pub end: i64,
}

impl DemoSpec {
    /// The default demo (2 services, 90 days, seed 42) ending at `end`.
    pub fn default_ending(end: i64) -> Self {
        Self {
            services: 2,
            days: 90,
            seed: 42,
            end,
        }
    }
}

/// What a demo run wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Datapoints written.
    pub datapoints: u64,
    /// Alarms written.
    pub alarms: usize,
    /// Alarm history items.
    pub history_items: usize,
    /// Cost rows.
    pub cost_rows: usize,
}

/// One stored metric of a service: namespace, name, statistic, whether it is an ALB metric, value.
type MetricDef = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    fn(&Minute) -> f64,
);

const METRICS: [MetricDef; 8] = [
    ("AWS/ECS", "CPUUtilization", "Average", false, |m| m.cpu_avg),
    ("AWS/ECS", "CPUUtilization", "Maximum", false, |m| m.cpu_max),
    ("AWS/ECS", "MemoryUtilization", "Average", false, |m| {
        m.mem_avg
    }),
    ("AWS/ECS", "MemoryUtilization", "Maximum", false, |m| {
        m.mem_max
    }),
    (
        "ECS/ContainerInsights",
        "RunningTaskCount",
        "Average",
        false,
        |m| f64::from(m.tasks),
    ),
    ("AWS/ApplicationELB", "RequestCount", "Sum", true, |m| {
        m.requests
    }),
    (
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        true,
        |m| m.errors_5xx,
    ),
    (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        "Minimum",
        true,
        |m| m.healthy,
    ),
];

/// Simulates the demo and writes it into `store`, recorded as a sync run with trigger `demo`
/// stamped at the data's end, so the whole database depends on `spec` alone.
pub async fn generate(
    store: &Store,
    spec: &DemoSpec,
    progress: bool,
) -> anyhow::Result<DemoReport> {
    generate_at(store, spec, progress, || spec.end).await
}

/// [`generate`], with the sync run stamped by `clock` (epoch seconds) when the load starts and
/// when it ends: the Sync page then says when the demo was generated and how long it took.
pub async fn generate_at(
    store: &Store,
    spec: &DemoSpec,
    progress: bool,
    clock: impl Fn() -> i64,
) -> anyhow::Result<DemoReport> {
    let end = spec.end;
    let metrics_start = end - i64::from(spec.days) * DAY;
    // Cost Explorer keeps the current month and the 13 before it.
    let cost_start = crate::sync::costs::cost_history_start(end);
    let sim_start = day_start(metrics_start.min(cost_start));
    let fleet = fleet::fleet(spec.services, spec.seed);
    let prices = PriceTable::default();
    // The run is stamped with when it was generated; the data's end is in its summary.
    let run = store.start_sync_run(RunTrigger::Demo, clock()).await?;

    let bar = progress_bar(progress, fleet.len() as u64);
    let mut report = DemoReport::default();
    let mut traces = Vec::with_capacity(fleet.len());
    // Simulate the next service on a blocking thread while this one is written: the two use a
    // core each.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Trace>(2);
    let (to_simulate, seed) = (fleet.clone(), spec.seed);
    let simulator = tokio::task::spawn_blocking(move || {
        for (i, profile) in to_simulate.iter().enumerate() {
            let trace = simulate::simulate(profile, i, seed, sim_start, metrics_start, end);
            if tx.blocking_send(trace).is_err() {
                break; // the writer stopped on an error
            }
        }
    });
    for (i, profile) in fleet.iter().enumerate() {
        bar.set_message(profile.name.clone());
        let trace = rx
            .recv()
            .await
            .context("the demo simulation stopped early")?;
        report.datapoints += write_service(store, profile, &trace, end)
            .await
            .with_context(|| format!("writing demo service {}", profile.name))?;
        // Keep only what alarms and costs need from services beyond the seed's two.
        traces.push(if i < 2 {
            trace
        } else {
            Trace {
                minutes: Vec::new(),
                ..trace
            }
        });
        bar.inc(1);
    }
    simulator.await.context("the demo simulation panicked")?;
    bar.finish_and_clear();

    let (alarm_rows, history) = alarms::alarms(&fleet, &traces, end);
    for a in &alarm_rows {
        store.upsert_alarm(a, end).await?;
    }
    store.insert_alarm_history(&history).await?;
    let cost_rows = costs::costs(&fleet, &traces, &prices, spec.seed, end);
    store.upsert_costs(&cost_rows, end).await?;
    report.alarms = alarm_rows.len();
    report.history_items = history.len();
    report.cost_rows = cost_rows.len();

    store
        .finish_sync_run(
            run,
            &RunTotals {
                outcome: RunOutcome::Ok,
                datapoints_written: report.datapoints as i64,
                rows_written: (report.alarms + report.history_items + report.cost_rows) as i64,
                api_cost_usd: 0.0,
                summary: Some(summary(spec)),
            },
            clock(),
        )
        .await?;
    Ok(report)
}

/// The sync-run summary of a demo load: what it holds, up to when.
pub fn summary(spec: &DemoSpec) -> String {
    format!(
        "demo data up to {}: {} services, {} days (seed {})",
        app::format::datetime(spec.end),
        spec.services,
        spec.days,
        spec.seed
    )
}

/// The finished load of this very demo already in `store`, if there is one.
pub async fn already_loaded(store: &Store, spec: &DemoSpec) -> anyhow::Result<Option<SyncRun>> {
    let wanted = summary(spec);
    Ok(store.list_sync_runs(1000).await?.into_iter().find(|r| {
        r.trigger == RunTrigger::Demo
            && r.outcome == RunOutcome::Ok
            && r.datapoints_written > 0
            && r.summary.as_deref() == Some(wanted.as_str())
    }))
}

fn progress_bar(show: bool, len: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating services [{bar:30}] {pos}/{len} {wide_msg}",
        )
        .expect("template is valid")
        .progress_chars("=> "),
    );
    bar
}

/// Writes one service's inventory and its metric series; returns datapoints written.
async fn write_service(store: &Store, p: &Profile, trace: &Trace, end: i64) -> anyhow::Result<u64> {
    let last = trace.minutes.last().copied();
    let running = last.map(|m| i64::from(m.tasks)).unwrap_or(i64::from(p.min));
    let deployments = deployments(p, trace, end);
    let current = deployments.last().map(|d| d.task_definition.clone());
    let service_id = store
        .upsert_service(&service_record(p, running, current), end)
        .await?;
    store.upsert_deployments(service_id, &deployments).await?;
    let ecs_dims =
        canonical_dimensions([("ClusterName", CLUSTER), ("ServiceName", p.name.as_str())]);
    let alb_dims = canonical_dimensions([
        ("LoadBalancer", LOAD_BALANCER),
        ("TargetGroup", p.target_group.as_str()),
    ]);
    let mut written = 0;
    for (namespace, metric_name, statistic, alb, value) in METRICS {
        let key = SeriesKey {
            namespace: namespace.into(),
            metric_name: metric_name.into(),
            dimensions: if alb {
                alb_dims.clone()
            } else {
                ecs_dims.clone()
            },
            statistic: statistic.into(),
            period: 60,
        };
        let unit = match metric_name {
            "CPUUtilization" | "MemoryUtilization" => "Percent",
            _ => "Count",
        };
        let id = store
            .upsert_series(&key, Some(unit), Some(service_id))
            .await?;
        let values: Vec<f64> = trace.minutes.iter().map(value).collect();
        written += store
            .write_regular_points(id, trace.metrics_start, 60, &values)
            .await?
            .changed;
    }
    Ok(written)
}

/// The service's deployments from the simulation, each a new task definition revision; the last
/// is the one running (PRIMARY).
fn deployments(p: &Profile, trace: &Trace, end: i64) -> Vec<Deployment> {
    let resized_at = fleet::resized_at(end);
    let last = trace.deployments.len();
    trace
        .deployments
        .iter()
        .enumerate()
        .map(|(i, &at)| Deployment {
            id: format!("ecs-svc/{}-{}", p.short, i + 1),
            task_definition: format!("{}:{}", p.name, i + 1),
            created_at: at,
            size: p.size_at(at, resized_at),
            architecture: p.arch,
            status: if i + 1 == last { "PRIMARY" } else { "INACTIVE" }.into(),
        })
        .collect()
}

fn service_record(p: &Profile, running: i64, task_definition: Option<String>) -> ServiceRecord {
    let policy = |name: &str, metric: &str, target: f64| ScalingPolicy {
        name: format!("{}-{name}", p.short),
        policy_type: "TargetTrackingScaling".into(),
        metric: Some(metric.into()),
        target_value: Some(target),
        scale_in_cooldown: Some(300),
        scale_out_cooldown: Some(60),
        disable_scale_in: false,
        step_adjustments: None,
    };
    ServiceRecord {
        region: REGION.into(),
        cluster: CLUSTER.into(),
        name: p.name.clone(),
        arn: Some(format!(
            "arn:aws:ecs:{REGION}:123456789012:service/{CLUSTER}/{}",
            p.name
        )),
        launch_type: if p.strategy.is_empty() {
            Some("FARGATE".into())
        } else {
            None
        },
        architecture: p.arch,
        task_definition,
        size: p.size,
        desired_count: running,
        running_count: running,
        scaling_min: p.autoscaled.then_some(i64::from(p.min)),
        scaling_max: p.autoscaled.then_some(i64::from(p.max)),
        strategy: p.strategy.clone(),
        policies: if p.autoscaled {
            vec![
                policy(
                    "cpu-target-tracking",
                    "ECSServiceAverageCPUUtilization",
                    p.cpu_target,
                ),
                policy(
                    "memory-target-tracking",
                    "ECSServiceAverageMemoryUtilization",
                    p.mem_target,
                ),
            ]
        } else {
            Vec::new()
        },
        target_groups: vec![TargetGroup {
            target_group: p.target_group.clone(),
            load_balancer: LOAD_BALANCER.into(),
        }],
    }
}
