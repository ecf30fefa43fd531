//! `spendwatch sync`: pull inventory, alarms and their history, metrics and costs from AWS into the
//! store, incrementally. One step per phase; each phase's failure is recorded and the sync carries
//! on with what it may read, except when credentials fail (then nothing more can be read).

pub mod lock;
pub mod plan;
pub mod presence;
pub mod specs;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use app::domain::calendar::{day_start, month_start, next_month_start, prev_month_start, DAY};
use app::store::metrics::SeriesKey;
use app::store::services::ServiceRecord;
use app::store::sync_runs::{RunOutcome, RunTotals, RunTrigger};
use app::store::{Store, StoreError};

use crate::aws::clients::load_sdk_config;
use crate::aws::{classify, AwsClients, AwsError, CallLog, SdkSettings};
use crate::collectors::{self, metrics::MetricSpec};
use lock::{LockError, SyncLock};

/// The parts of a sync, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Phase {
    /// ECS services, task definitions, autoscaling targets and policies.
    Inventory,
    /// Alarm definitions and states.
    Alarms,
    /// Alarm history items.
    AlarmHistory,
    /// CloudWatch datapoints.
    Metrics,
    /// Cost Explorer daily costs.
    Costs,
    /// Cost Explorer forecast for the rest of the month.
    Forecast,
}

impl Phase {
    /// Name used in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inventory => "inventory",
            Self::Alarms => "alarms",
            Self::AlarmHistory => "alarm history",
            Self::Metrics => "metrics",
            Self::Costs => "costs",
            Self::Forecast => "forecast",
        }
    }
}

/// What to sync and how.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// One entry per region to sync (profile and region).
    pub regions: Vec<SdkSettings>,
    /// Clusters to watch; empty: every cluster.
    pub clusters: Vec<String>,
    /// Days fetched for metrics never synced before.
    pub lookback_days: u32,
    /// Cost allocation tags to group ECS spend by.
    pub cost_tags: Vec<String>,
    /// Recent days of costs re-fetched because Cost Explorer restates them.
    pub restate_days: u32,
    /// Seconds re-fetched before each metric's newest point, for late datapoints.
    pub overlap_secs: i64,
    /// Phases not to run.
    pub skip: BTreeSet<Phase>,
    /// What started the sync.
    pub trigger: RunTrigger,
    /// Show progress bars.
    pub progress: bool,
}

/// How one phase went.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    /// Which phase.
    pub phase: Phase,
    /// Seconds taken.
    pub seconds: f64,
    /// What it fetched, in words.
    pub summary: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    /// The sync run's id.
    pub run_id: i64,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Calls per API: (api, calls, units).
    pub calls: Vec<(&'static str, u64, u64)>,
    /// Estimated cost of the calls in dollars.
    pub cost_usd: f64,
    /// Datapoints inserted or changed.
    pub datapoints_written: u64,
    /// Other rows inserted or changed.
    pub rows_written: u64,
    /// GetMetricData calls made and the fewest the API's limits allow for the same windows.
    pub metric_calls: (u64, usize),
    /// Errors met (the sync carried on past them unless it failed).
    pub errors: Vec<String>,
    /// Per phase timing and summary.
    pub phases: Vec<PhaseReport>,
}

/// Why a sync did not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Another sync is running.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Credentials or connectivity failed before anything was written.
    #[error("{0}")]
    Aws(AwsError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs a sync against `store` (whose file is `db`) as of `now`.
pub async fn run(
    store: &Store,
    db: &Path,
    opts: &SyncOptions,
    now: i64,
) -> Result<SyncReport, SyncError> {
    let _lock = SyncLock::acquire(db)?;
    let mut regions = Vec::new();
    for settings in &opts.regions {
        regions.push(AwsClients::new(&load_sdk_config(settings).await));
    }
    let log = CallLog::default();
    // Credentials first: when they fail, nothing is written.
    if let Some(first) = regions.first() {
        log.record("sts:GetCallerIdentity", 0);
        first
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| SyncError::Aws(classify("sts:GetCallerIdentity", e)))?;
    }
    store.interrupt_stale_runs(now).await?;
    let run_id = store.start_sync_run(opts.trigger, now).await?;
    let mut sync = Sync {
        store,
        opts,
        log,
        run_id,
        now,
        report: SyncReport {
            run_id,
            ..Default::default()
        },
        fatal: false,
    };
    for clients in &regions {
        sync.region(clients).await?;
    }
    if let Some(first) = regions.first() {
        sync.costs(first).await?;
    }
    sync.finish().await
}

/// What the inventory phase stored.
struct InventoryFound {
    /// Services that exist, with their store ids.
    services: Vec<(i64, ServiceRecord)>,
    /// Scaling policies on them.
    policies: usize,
    /// Services newly found deleted in AWS.
    removed: u64,
}

impl InventoryFound {
    /// The phase's line in the sync summary.
    fn summary(&self) -> String {
        let removed = if self.removed > 0 {
            format!(", {} deleted in AWS (marked removed)", self.removed)
        } else {
            String::new()
        };
        format!(
            "{} services, {} scaling policies{removed}",
            self.services.len(),
            self.policies
        )
    }
}

/// One sync in progress.
struct Sync<'a> {
    store: &'a Store,
    opts: &'a SyncOptions,
    log: CallLog,
    run_id: i64,
    now: i64,
    report: SyncReport,
    fatal: bool,
}

impl Sync<'_> {
    fn wants(&self, phase: Phase) -> bool {
        !self.fatal && !self.opts.skip.contains(&phase)
    }

    fn spinner(&self, phase: Phase, region: &str) -> ProgressBar {
        if !self.opts.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("template is valid"));
        bar.set_message(format!("{} ({region})…", phase.name()));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// Records a phase's outcome; an AWS error is logged and the sync goes on unless it is fatal.
    async fn close(
        &mut self,
        phase: Phase,
        started: Instant,
        bar: ProgressBar,
        result: Result<String, AwsError>,
    ) -> Result<(), SyncError> {
        let seconds = started.elapsed().as_secs_f64();
        let summary = match result {
            Ok(summary) => summary,
            Err(e) => {
                self.fatal |= e.is_fatal();
                let message = e.to_string();
                tracing::warn!(api = e.api(), "{message}");
                self.store
                    .record_sync_error(self.run_id, self.now, Some(e.api()), &message)
                    .await?;
                self.report.errors.push(message);
                "failed (see errors)".into()
            }
        };
        bar.finish_and_clear();
        if self.opts.progress {
            println!("  {:<14} {summary} ({seconds:.1} s)", phase.name());
        }
        self.report.phases.push(PhaseReport {
            phase,
            seconds,
            summary,
        });
        Ok(())
    }

    async fn region(&mut self, clients: &AwsClients) -> Result<(), SyncError> {
        let region = clients.region.clone();
        // Services as this sync's inventory found them, or as stored when inventory is skipped.
        let mut services: Option<Vec<(i64, ServiceRecord)>> = None;
        let mut load_balancers: HashMap<String, String> = HashMap::new();

        if self.wants(Phase::Inventory) {
            let (t, bar) = (Instant::now(), self.spinner(Phase::Inventory, &region));
            let result = self.inventory(clients, &mut load_balancers).await?;
            if let Ok(found) = &result {
                services = Some(found.services.clone());
            }
            self.close(Phase::Inventory, t, bar, result.map(|f| f.summary()))
                .await?;
        }
        if self.wants(Phase::Alarms) {
            let (t, bar) = (Instant::now(), self.spinner(Phase::Alarms, &region));
            let result = match collectors::alarms::fetch_alarms(clients, &self.log).await {
                Ok(alarms) => {
                    for a in &alarms {
                        self.store.upsert_alarm(a, self.now).await?;
                    }
                    self.report.rows_written += alarms.len() as u64;
                    Ok(format!("{} alarms", alarms.len()))
                }
                Err(e) => Err(e),
            };
            self.close(Phase::Alarms, t, bar, result).await?;
        }
        if self.wants(Phase::AlarmHistory) {
            let (t, bar) = (Instant::now(), self.spinner(Phase::AlarmHistory, &region));
            // Re-read a day before the newest item we hold: history items can land late.
            let since = self
                .store
                .last_alarm_history_time(&region)
                .await?
                .map(|ts| ts - DAY);
            let result = match collectors::alarms::fetch_history(
                &clients.cloudwatch,
                &region,
                since,
                &self.log,
            )
            .await
            {
                Ok(items) => {
                    let added = self.store.insert_alarm_history(&items).await?;
                    self.report.rows_written += added;
                    Ok(format!("{} items read, {added} new", items.len()))
                }
                Err(e) => Err(e),
            };
            self.close(Phase::AlarmHistory, t, bar, result).await?;
        }
        if self.wants(Phase::Metrics) {
            let t = Instant::now();
            let services = match services {
                Some(fresh) => fresh,
                None => self
                    .store
                    .list_services()
                    .await?
                    .into_iter()
                    .filter(|s| s.service.region == region)
                    .map(|s| (s.id, s.service))
                    .collect(),
            };
            let result = self.metrics(clients, &services, &load_balancers).await?;
            self.close(Phase::Metrics, t, ProgressBar::hidden(), result)
                .await?;
        }
        Ok(())
    }

    /// Services with their scaling and target groups, stored; services the listing proves
    /// deleted are marked removed. A denied autoscaling read is recorded and the services are
    /// kept without scaling. When listing fails nothing is marked removed.
    async fn inventory(
        &mut self,
        clients: &AwsClients,
        lbs: &mut HashMap<String, String>,
    ) -> Result<Result<InventoryFound, AwsError>, SyncError> {
        let collectors::ecs::Inventory {
            services: described,
            listing,
        } = match collectors::ecs::fetch(clients, &self.opts.clusters, &self.log).await {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let scaling = match collectors::autoscaling::fetch(clients, &self.log).await {
            Ok(s) => s,
            Err(e) if !e.is_fatal() => {
                self.record_error(&e).await?;
                Default::default()
            }
            Err(e) => return Ok(Err(e)),
        };
        match collectors::metrics::list_dimensions(
            &clients.cloudwatch,
            "AWS/ApplicationELB",
            "RequestCount",
            &self.log,
        )
        .await
        {
            Ok(sets) => {
                for dims in sets {
                    let get = |k: &str| dims.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    if let (Some(tg), Some(lb)) = (get("TargetGroup"), get("LoadBalancer")) {
                        lbs.insert(tg, lb);
                    }
                }
            }
            Err(e) if !e.is_fatal() => self.record_error(&e).await?,
            Err(e) => return Ok(Err(e)),
        }
        let mut out = Vec::new();
        let mut policies = 0;
        for d in &described {
            let mut record = collectors::ecs::to_record(&clients.region, d);
            let rid = collectors::autoscaling::resource_id(&record.cluster, &record.name);
            if let Some((lo, hi)) = scaling.bounds.get(&rid) {
                record.scaling_min = Some(*lo);
                record.scaling_max = Some(*hi);
            }
            record.policies = scaling.policies.get(&rid).cloned().unwrap_or_default();
            policies += record.policies.len();
            for tg in &mut record.target_groups {
                tg.load_balancer = lbs.get(&tg.target_group).cloned().unwrap_or_default();
            }
            let id = self.store.upsert_service(&record, self.now).await?;
            out.push((id, record));
        }
        let stored = self.store.list_services().await?;
        let removed = self
            .store
            .mark_removed(&presence::gone(&stored, &listing), self.now)
            .await?;
        self.report.rows_written += out.len() as u64 + removed;
        Ok(Ok(InventoryFound {
            services: out,
            policies,
            removed,
        }))
    }

    /// Records an error the sync carries on past.
    async fn record_error(&mut self, e: &AwsError) -> Result<(), SyncError> {
        let message = e.to_string();
        tracing::warn!(api = e.api(), "{message}");
        self.store
            .record_sync_error(self.run_id, self.now, Some(e.api()), &message)
            .await?;
        self.report.errors.push(message);
        Ok(())
    }

    async fn metrics(
        &mut self,
        clients: &AwsClients,
        services: &[(i64, ServiceRecord)],
        lbs: &HashMap<String, String>,
    ) -> Result<Result<String, AwsError>, SyncError> {
        let insights: BTreeSet<(String, String)> = match collectors::metrics::list_dimensions(
            &clients.cloudwatch,
            "ECS/ContainerInsights",
            "RunningTaskCount",
            &self.log,
        )
        .await
        {
            Ok(sets) => sets
                .iter()
                .filter_map(|d| {
                    let get = |k: &str| d.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    Some((get("ClusterName")?, get("ServiceName")?))
                })
                .collect(),
            Err(e) => return Ok(Err(e)),
        };
        let alarms: Vec<_> = self
            .store
            .list_alarms(None)
            .await?
            .into_iter()
            .filter(|a| a.region == clients.region)
            .collect();
        let records: Vec<ServiceRecord> = services.iter().map(|(_, s)| s.clone()).collect();
        let wanted = specs::wanted(&records, &insights, lbs, &alarms);
        let ids: HashMap<(String, String), i64> = services
            .iter()
            .map(|(id, s)| ((s.cluster.clone(), s.name.clone()), *id))
            .collect();
        let lookback_from = self.now - i64::from(self.opts.lookback_days) * DAY;
        let mut need_from = Vec::with_capacity(wanted.len());
        for w in &wanted {
            let s = &w.spec;
            let known = self
                .store
                .metric_known_until(
                    &s.namespace,
                    &s.metric_name,
                    &s.dimensions_json(),
                    &s.statistic,
                )
                .await?;
            need_from.push(known.map_or(lookback_from, |k| {
                (k - self.opts.overlap_secs).max(lookback_from)
            }));
        }
        let calls = plan::plan(&need_from, self.now);
        let minimum = plan::minimum_calls(&need_from, self.now);
        let specs: Vec<MetricSpec> = wanted.iter().map(|w| w.spec.clone()).collect();
        let bar = if self.opts.progress {
            let b = ProgressBar::new(calls.len() as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "  metrics ({msg}) [{bar:30}] {pos}/{len} GetMetricData calls, {eta} left",
                )
                .expect("template is valid")
                .progress_chars("=> "),
            );
            b.set_message(clients.region.clone());
            b
        } else {
            ProgressBar::hidden()
        };
        let before = self.log.calls("cloudwatch:GetMetricData");
        let mut series_ids: HashMap<(usize, i64), i64> = HashMap::new();
        let mut points_written = 0u64;
        for call in &calls {
            let fetched =
                match collectors::metrics::fetch_call(&clients.cloudwatch, call, &specs, &self.log)
                    .await
                {
                    Ok(f) => f,
                    Err(e) => {
                        bar.finish_and_clear();
                        return Ok(Err(e));
                    }
                };
            for &i in &call.metrics {
                let key = (i, call.window.period);
                let id = match series_ids.get(&key) {
                    Some(id) => *id,
                    None => {
                        let s = &specs[i];
                        let series = SeriesKey {
                            namespace: s.namespace.clone(),
                            metric_name: s.metric_name.clone(),
                            dimensions: s.dimensions_json(),
                            statistic: s.statistic.clone(),
                            period: call.window.period,
                        };
                        let owner = wanted[i].service.as_ref().and_then(|o| ids.get(o)).copied();
                        let id = self.store.upsert_series(&series, None, owner).await?;
                        series_ids.insert(key, id);
                        id
                    }
                };
                if let Some(points) = fetched.get(&i) {
                    points_written += self.store.write_points(id, points).await?.changed;
                }
                self.store.mark_fetched(id, call.window.end).await?;
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        let made = self.log.calls("cloudwatch:GetMetricData") - before;
        let from = calls
            .iter()
            .map(|c| c.window.start)
            .min()
            .map(app::format::datetime)
            .unwrap_or_else(|| "-".into());
        self.report.datapoints_written += points_written;
        self.report.metric_calls.0 += made;
        self.report.metric_calls.1 += minimum;
        Ok(Ok(format!(
            "{} metrics from {from}, {points_written} datapoints written, {made} GetMetricData calls (fewest possible: {minimum})",
            specs.len()
        )))
    }

    async fn costs(&mut self, clients: &AwsClients) -> Result<(), SyncError> {
        let today = day_start(self.now);
        if self.wants(Phase::Costs) {
            let (t, bar) = (Instant::now(), self.spinner(Phase::Costs, "account"));
            let first_sync_from = (0..13).fold(month_start(self.now), |m, _| prev_month_start(m));
            let mut rows = 0;
            let mut result = Ok(());
            for q in collectors::costs::queries(&self.opts.cost_tags) {
                let start = match self.store.last_cost_day_for(&q.scope, &q.group_by).await? {
                    Some(last) => (last.min(today) - i64::from(self.opts.restate_days) * DAY)
                        .max(first_sync_from),
                    None => first_sync_from,
                };
                match collectors::costs::fetch(
                    &clients.costexplorer,
                    &q,
                    start,
                    today + DAY,
                    &self.log,
                )
                .await
                {
                    Ok(records) => rows += self.store.upsert_costs(&records, self.now).await?,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            self.report.rows_written += rows;
            let requests = self.log.calls("ce:GetCostAndUsage");
            self.close(
                Phase::Costs,
                t,
                bar,
                result.map(|_| {
                    format!("{rows} cost rows written, {requests} GetCostAndUsage requests")
                }),
            )
            .await?;
        }
        if self.wants(Phase::Forecast) {
            let (t, bar) = (Instant::now(), self.spinner(Phase::Forecast, "account"));
            let result = match collectors::costs::fetch_forecast(
                &clients.costexplorer,
                today,
                next_month_start(self.now),
                self.now,
                &self.log,
            )
            .await
            {
                Ok(Some(f)) => {
                    self.store.upsert_forecast(&f).await?;
                    Ok(format!(
                        "{} expected for the rest of the month",
                        app::format::usd(f.mean)
                    ))
                }
                Ok(None) => Ok("last day of the month: nothing to forecast".into()),
                Err(e) => Err(e),
            };
            self.close(Phase::Forecast, t, bar, result).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<SyncReport, SyncError> {
        for (api, n, units) in self.log.snapshot() {
            self.store
                .record_api_calls(self.run_id, api, n, units)
                .await?;
        }
        let outcome = if self.fatal {
            RunOutcome::Failed
        } else if self.report.errors.is_empty() {
            RunOutcome::Ok
        } else {
            RunOutcome::Partial
        };
        self.report.outcome = outcome;
        self.report.calls = self.log.snapshot();
        self.report.cost_usd = self.log.cost_usd();
        let total_calls: u64 = self.report.calls.iter().map(|c| c.1).sum();
        let summary = format!(
            "{} datapoints, {} rows, {total_calls} AWS calls (about {}), {} errors",
            self.report.datapoints_written,
            self.report.rows_written,
            app::format::usd_small(self.report.cost_usd),
            self.report.errors.len()
        );
        self.store
            .finish_sync_run(
                self.run_id,
                &RunTotals {
                    outcome,
                    datapoints_written: self.report.datapoints_written as i64,
                    rows_written: self.report.rows_written as i64,
                    api_cost_usd: self.report.cost_usd,
                    summary: Some(summary),
                },
                chrono::Utc::now().timestamp().max(self.now),
            )
            .await?;
        Ok(self.report)
    }
}
