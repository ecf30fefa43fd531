//! `spendwatch sync`: pull inventory, alarms and their history, metrics and costs from AWS into the
//! store, incrementally. One file per phase (inventory, alarms, metrics, costs); this module holds
//! the types and the order they run in. Each phase's failure is recorded and the sync carries on
//! with what it may read, except when credentials fail (then nothing more can be read). The sync
//! prints nothing: progress goes to a [`Reporter`].

pub mod alarms;
pub mod costs;
pub mod inventory;
pub mod lock;
pub mod metrics;
pub mod plan;
pub mod presence;
pub mod reporter;
pub mod run;
pub mod specs;

use std::collections::BTreeSet;
use std::path::Path;

use app::store::sync_runs::{RunOutcome, RunTrigger};
use app::store::{Store, StoreError};

use crate::aws::calls::Api;
use crate::aws::clients::load_sdk_config;
use crate::aws::{AwsClients, AwsError, CallLog, RetryTally, SdkSettings};
use lock::{LockError, SyncLock};
pub use reporter::{Reporter, Silent};
use run::Sync;

/// The parts of a sync, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Seconds a Cost Explorer fetch stays fresh (costs and forecast are skipped within them).
    pub cost_refresh_secs: i64,
    /// Fetch from Cost Explorer even when the last fetch is fresh ("Sync now", `--force-costs`).
    pub force_costs: bool,
    /// Asks a running sync to stop at its next transaction boundary (the server's shutdown).
    pub stop: StopSignal,
}

/// A request to stop, shared by whoever asks (the server on SIGTERM) and the running sync, which
/// checks it between phases and between GetMetricData calls (each call's writes are committed)
/// and then records the run as interrupted.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl StopSignal {
    /// Asks the sync to stop.
    pub fn request(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
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
    /// Throttled answers and the SDK's retries, with the time they waited.
    pub retries: RetryTally,
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

/// Runs a sync against `store` (whose file is `db`) as of `now`, silently.
pub async fn run(
    store: &Store,
    db: &Path,
    opts: &SyncOptions,
    now: i64,
) -> Result<SyncReport, SyncError> {
    run_reporting(store, db, opts, now, &Silent).await
}

/// Runs a sync as [`run`] does, telling `reporter` how it goes.
pub async fn run_reporting(
    store: &Store,
    db: &Path,
    opts: &SyncOptions,
    now: i64,
    reporter: &dyn Reporter,
) -> Result<SyncReport, SyncError> {
    let _lock = SyncLock::acquire(db)?;
    let log = CallLog::default();
    let mut regions = Vec::new();
    for settings in &opts.regions {
        regions.push(AwsClients::new(&load_sdk_config(settings).await, &log));
    }
    sync_regions(store, opts, &regions, log, now, reporter).await
}

/// Runs a sync as [`run`] does with clients already built (their retries reported to `log`), for
/// tests that put canned answers in front of the server. The caller holds the sync lock.
pub async fn run_with_clients(
    store: &Store,
    db: &Path,
    opts: &SyncOptions,
    regions: &[AwsClients],
    log: CallLog,
    now: i64,
) -> Result<SyncReport, SyncError> {
    let _lock = SyncLock::acquire(db)?;
    sync_regions(store, opts, regions, log, now, &Silent).await
}

/// The sync proper: the credentials check, then every region's phases, then the account's.
async fn sync_regions(
    store: &Store,
    opts: &SyncOptions,
    regions: &[AwsClients],
    log: CallLog,
    now: i64,
    reporter: &dyn Reporter,
) -> Result<SyncReport, SyncError> {
    // Credentials first: when they fail, nothing is written.
    if let Some(first) = regions.first() {
        log.call(
            Api::StsGetCallerIdentity,
            0,
            first.sts.get_caller_identity().send(),
        )
        .await
        .map_err(SyncError::Aws)?;
    }
    store.interrupt_stale_runs(now).await?;
    let run_id = store.start_sync_run(opts.trigger, now).await?;
    let mut sync = Sync::new(store, opts, log, run_id, now, reporter);
    match sync.phases(regions).await {
        Ok(()) => sync.finish().await,
        Err(e) => {
            sync.abandon(&e).await;
            Err(e)
        }
    }
}

impl Sync<'_> {
    /// Every region's phases, then the account's; stops at the first store error.
    async fn phases(&mut self, regions: &[AwsClients]) -> Result<(), SyncError> {
        for clients in regions {
            self.region(clients).await?;
        }
        if let Some(first) = regions.first() {
            self.costs(first).await?;
        }
        Ok(())
    }

    /// Every per-region phase the options ask for, in order.
    async fn region(&mut self, clients: &AwsClients) -> Result<(), SyncError> {
        let region = clients.region.as_str();
        // Services as this sync's inventory found them, or as stored when inventory is skipped.
        let mut services = None;
        let mut load_balancers = Default::default();
        if self.wants(Phase::Inventory) {
            let started = self.begin(Phase::Inventory, region);
            let result = self.inventory(clients, &mut load_balancers).await?;
            if let Ok(found) = &result {
                services = Some(found.services.clone());
            }
            let result = result.map(|f| f.summary());
            self.close(Phase::Inventory, started, result).await?;
        }
        if self.wants(Phase::Alarms) {
            let started = self.begin(Phase::Alarms, region);
            let result = self.alarms(clients).await?;
            self.close(Phase::Alarms, started, result).await?;
        }
        if self.wants(Phase::AlarmHistory) {
            let started = self.begin(Phase::AlarmHistory, region);
            let result = self.alarm_history(clients).await?;
            self.close(Phase::AlarmHistory, started, result).await?;
        }
        if self.wants(Phase::Metrics) {
            let started = self.begin(Phase::Metrics, region);
            let services = match services {
                Some(fresh) => fresh,
                None => self.stored_services(region).await?,
            };
            let result = self.metrics(clients, &services, &load_balancers).await?;
            self.close(Phase::Metrics, started, result).await?;
        }
        Ok(())
    }

    /// The account-wide phases: costs and the forecast.
    async fn costs(&mut self, clients: &AwsClients) -> Result<(), SyncError> {
        if let Some(why) = self.costs_fresh().await? {
            for phase in [Phase::Costs, Phase::Forecast] {
                if self.wants(phase) {
                    let started = self.begin(phase, "account");
                    self.close(phase, started, Ok(why.clone())).await?;
                }
            }
            return Ok(());
        }
        if self.wants(Phase::Costs) {
            let started = self.begin(Phase::Costs, "account");
            let result = self.cost_rows(clients).await?;
            self.close(Phase::Costs, started, result).await?;
        }
        if self.wants(Phase::Forecast) {
            let started = self.begin(Phase::Forecast, "account");
            let result = self.forecast(clients).await?;
            self.close(Phase::Forecast, started, result).await?;
        }
        Ok(())
    }
}
