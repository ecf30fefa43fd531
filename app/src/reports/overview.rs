//! The Overview report: this month's spend against last month, the services, the alarms firing
//! now, and when the data was last synced.

use serde::Serialize;

use super::{csv_usd, Table, Tables};
use crate::analysis::recommend::monthly_cost;
use crate::analysis::spend::{month_to_date, month_windows, MonthToDate};
use crate::domain::fargate::PriceTable;
use crate::error::AppError;
use crate::format;
use crate::state::AppState;
use crate::store::alarms::{AlarmRecord, AlarmState};
use crate::store::costs::{GroupTotal, ACCOUNT, BY_SERVICE};
use crate::store::services::{Removed, StoredService};
use crate::store::sync_runs::SyncRun;
use crate::store::StoreResult;

/// One service as the overview lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceLine {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub name: String,
    /// `512 / 1024`.
    pub size: String,
    /// Running tasks.
    pub running: i64,
    /// Desired tasks.
    pub desired: i64,
    /// Autoscaling bounds, `2–10`, or `fixed`.
    pub bounds: String,
    /// Capacity providers in words.
    pub capacity: String,
    /// Monthly cost at today's running count, dollars.
    pub monthly_cost: f64,
    /// When it was last seen in AWS, if it was deleted there since.
    pub removed_last_seen: Option<i64>,
}

/// Everything the overview shows.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewData {
    /// Page time.
    pub now: i64,
    /// Spend comparison.
    pub spend: MonthToDate,
    /// This month's spend per AWS service.
    pub by_service: Vec<GroupTotal>,
    /// Whether recent days are still estimates.
    pub estimated: bool,
    /// Services.
    pub services: Vec<ServiceLine>,
    /// Alarms in ALARM.
    pub firing: Vec<AlarmRecord>,
    /// All alarms known.
    pub alarm_total: usize,
    /// Newest successful sync.
    pub last_sync: Option<SyncRun>,
    /// Whether the store holds nothing yet.
    pub empty: bool,
    /// Cost Explorer's forecast for the rest of the month, if a sync fetched one.
    pub forecast: Option<f64>,
    /// Whether services deleted in AWS are listed.
    pub removed: Removed,
    /// Services deleted in AWS that the store keeps.
    pub removed_count: usize,
    /// Whole-account spend per day over the 30 whole days before today (days without data left
    /// out): the day under way, a few hours of spend, would read as a plunge.
    pub last_30_days: Vec<crate::analysis::spend::grouping::DayStack>,
    /// This month's budgets (`[budgets]` in spendwatch.toml), as the Costs page has them.
    pub budgets: Vec<crate::analysis::spend::budget::BudgetStatus>,
}

/// What the overview reads from the store as of one day: eight concurrent statements over the
/// costs, services, alarms and sync tables whose answers only change when a sync or demo load
/// finishes, or the day turns.
#[derive(Debug)]
pub struct OverviewReads {
    /// Spend this month, over the same days last month, and over all of last month.
    totals: Vec<f64>,
    by_service: Vec<GroupTotal>,
    alarms: Vec<AlarmRecord>,
    services: Vec<StoredService>,
    estimated: bool,
    last_sync: Option<SyncRun>,
    empty: bool,
    days: Vec<crate::store::costs::DailyCost>,
}

/// The overview's reads, keyed by the day they were read for (its month windows and last 30
/// days follow from it), shared by requests until the data changes.
pub type OverviewCache = super::cache::VersionedSlot<i64, OverviewReads>;

/// Reads what the overview shows as of `day` (its start); the reads are independent, so they
/// run concurrently.
async fn read(store: &crate::store::Store, day: i64) -> StoreResult<OverviewReads> {
    let w = month_windows(day);
    let windows = [w.this_month, w.last_month_same_days, w.last_month];
    let (totals, by_service, alarms, services, estimated, last_sync, empty, days) = futures::try_join!(
        store.daily_spend_totals(ACCOUNT, BY_SERVICE, &windows),
        store.daily_spend_by_group(ACCOUNT, BY_SERVICE, w.this_month.0, w.this_month.1),
        store.list_alarms(None),
        store.list_services_with(Removed::Show),
        store.any_estimated(w.this_month.0, w.this_month.1),
        store.last_good_sync_run(),
        store.is_empty(),
        store.daily_costs(
            ACCOUNT,
            BY_SERVICE,
            day - 30 * crate::domain::calendar::DAY,
            day
        ),
    )?;
    Ok(OverviewReads {
        totals,
        by_service,
        alarms,
        services,
        estimated,
        last_sync,
        empty,
        days,
    })
}

/// Builds the overview as of `now`, from the reads of `now`'s day (read once per data version
/// and day); the forecast covering `now` is read each time (a forecast's period need not start
/// at midnight).
pub async fn build(state: &AppState, removed: Removed, now: i64) -> Result<OverviewData, AppError> {
    let w = month_windows(now);
    let day = crate::domain::calendar::day_start(now);
    let reads = state
        .overview_reads
        .get_or_compute(&state.store, day, || read(&state.store, day))
        .await?;
    let forecast = state.store.forecast_at(now).await?;
    let [this, same, last] = [reads.totals[0], reads.totals[1], reads.totals[2]];
    let budgets = super::costs::budget_statuses(state, now).await?;
    let services = &reads.services;
    Ok(OverviewData {
        now,
        spend: month_to_date(&w, this, same, last),
        by_service: reads.by_service.clone(),
        estimated: reads.estimated,
        services: services
            .iter()
            .filter(|s| removed.lists(s.removed_at))
            .map(|s| service_line(s, &state.settings.prices))
            .collect(),
        removed,
        removed_count: services.iter().filter(|s| s.is_removed()).count(),
        alarm_total: reads.alarms.len(),
        firing: reads
            .alarms
            .iter()
            .filter(|a| a.state_value == AlarmState::Alarm)
            .cloned()
            .collect(),
        last_sync: reads.last_sync.clone(),
        empty: reads.empty,
        forecast: forecast.map(|f| f.mean),
        last_30_days: crate::analysis::spend::grouping::daily_stacks(&reads.days, &[]),
        budgets,
    })
}

/// A service's line; its cost is today's running tasks priced as sizing prices them.
fn service_line(s: &StoredService, prices: &PriceTable) -> ServiceLine {
    let svc = &s.service;
    ServiceLine {
        cluster: svc.cluster.clone(),
        name: svc.name.clone(),
        size: format::size(svc.size.cpu, svc.size.memory_mib),
        running: svc.running_count,
        desired: svc.desired_count,
        bounds: match (svc.scaling_min, svc.scaling_max) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
            _ => "fixed".into(),
        },
        capacity: capacity_words(svc),
        monthly_cost: monthly_cost(
            svc.size,
            svc.architecture,
            &svc.strategy,
            svc.running_count as f64,
            prices,
        ),
        removed_last_seen: s.removed_at.map(|_| s.last_seen),
    }
}

fn capacity_words(svc: &crate::store::services::ServiceRecord) -> String {
    if svc.strategy.is_empty() {
        return svc.launch_type.clone().unwrap_or_else(|| "FARGATE".into());
    }
    svc.strategy
        .iter()
        .map(|i| {
            let base = if i.base > 0 {
                format!(" (base {})", i.base)
            } else {
                String::new()
            };
            format!("{} {}{base}", i.provider, i.weight)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

impl Tables for OverviewData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let services = Table {
            header: vec![
                "cluster",
                "service",
                "size",
                "running",
                "desired",
                "scaling",
                "capacity",
                "monthly_cost_usd",
                "removed_last_seen",
            ],
            rows: self
                .services
                .iter()
                .map(|s| {
                    vec![
                        s.cluster.clone(),
                        s.name.clone(),
                        s.size.clone(),
                        s.running.to_string(),
                        s.desired.to_string(),
                        s.bounds.clone(),
                        s.capacity.clone(),
                        csv_usd(s.monthly_cost),
                        opt(s.removed_last_seen.map(|t| t.to_string())),
                    ]
                })
                .collect(),
        };
        let alarms = Table {
            header: vec!["alarm", "metric", "since", "reason"],
            rows: self
                .firing
                .iter()
                .map(|a| {
                    vec![
                        a.name.clone(),
                        opt(a.metric_name.clone()),
                        opt(a.state_updated_at.map(|t| t.to_string())),
                        opt(a.state_reason.clone()),
                    ]
                })
                .collect(),
        };
        let spend = Table {
            header: vec!["aws_service", "amount_usd"],
            rows: self
                .by_service
                .iter()
                .map(|g| vec![g.key.clone(), csv_usd(g.amount)])
                .collect(),
        };
        vec![
            ("services", services),
            ("alarms", alarms),
            ("spend", spend),
            ("budgets", super::costs::budgets_table(&self.budgets)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::domain::fargate::{Architecture, TaskSize};
    use crate::settings::Settings;
    use crate::store::services::ServiceRecord;
    use crate::store::sync_runs::{RunOutcome, RunTotals, RunTrigger};
    use crate::store::Store;

    fn service(name: &str) -> ServiceRecord {
        ServiceRecord {
            region: "us-east-1".into(),
            cluster: "prod".into(),
            name: name.into(),
            arn: None,
            launch_type: None,
            architecture: Architecture::X86_64,
            task_definition: None,
            size: TaskSize::new(512, 1024),
            desired_count: 2,
            running_count: 2,
            scaling_min: None,
            scaling_max: None,
            strategy: Vec::new(),
            policies: Vec::new(),
            target_groups: Vec::new(),
        }
    }

    fn names(d: &OverviewData) -> Vec<&str> {
        d.services.iter().map(|s| s.name.as_str()).collect()
    }

    #[tokio::test]
    async fn the_overview_reads_again_when_a_sync_finishes_or_the_day_turns() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let now = 1_796_000_000;
        let state = AppState::new(
            store.clone(),
            std::sync::Arc::new(FixedClock(now)),
            Settings::default(),
        );
        store.upsert_service(&service("api"), now).await.unwrap();
        let first = build(&state, Removed::Hide, now).await.unwrap();
        assert_eq!(names(&first), ["api"]);
        assert!(!first.empty);

        // Written by a sync still running: not shown until it finishes (like every cached page).
        let run = store.start_sync_run(RunTrigger::Cli, now).await.unwrap();
        store.upsert_service(&service("web"), now).await.unwrap();
        let during = build(&state, Removed::Hide, now + 60).await.unwrap();
        assert_eq!(names(&during), ["api"]);
        assert_eq!(during.now, now + 60, "the page time is the request's");

        store
            .finish_sync_run(
                run,
                &RunTotals {
                    outcome: RunOutcome::Ok,
                    ..RunTotals::default()
                },
                now + 120,
            )
            .await
            .unwrap();
        let after = build(&state, Removed::Hide, now + 180).await.unwrap();
        assert_eq!(names(&after), ["api", "web"]);
        assert_eq!(after.last_sync.as_ref().map(|r| r.id), Some(run));

        // The next day reads again too (its month windows and last 30 days move).
        let tomorrow = build(&state, Removed::Hide, now + crate::domain::calendar::DAY)
            .await
            .unwrap();
        assert_eq!(names(&tomorrow), ["api", "web"]);
        assert_eq!(
            tomorrow.spend, after.spend,
            "no costs stored: nothing spent"
        );
    }
}
