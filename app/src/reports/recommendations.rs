//! Recommendations for stored services: read their usage, run the sizing analysis.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::analysis::recommend::{
    recommend, Autoscaling, Recommendation, ServiceFacts, Usage, NEGLIGIBLE_USD,
};
use crate::charts::cdf::cdf_points;
use crate::domain::calendar::DAY;
use crate::settings::Settings;
use crate::store::metrics::StoredSeries;
use crate::store::services::{Removed, StoredService};
use crate::store::{Store, StoreResult};

/// A recommendation with the service it is for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRecommendation {
    /// Store id of the service.
    #[serde(skip)]
    pub service_id: i64,
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// Set when the service was deleted in AWS (listed only when removed services are asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removal>,
    /// CPU architecture (sets the price table the analysis used).
    #[serde(skip)]
    pub architecture: crate::domain::fargate::Architecture,
    /// The analysis.
    #[serde(flatten)]
    pub rec: Recommendation,
}

/// When a service deleted in AWS was last seen there and found gone, epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// The last sync that found it.
    pub last_seen: i64,
    /// The sync that found it gone.
    pub removed_at: i64,
}

impl Removal {
    /// The removal of a stored service, if it was removed.
    pub fn of(s: &StoredService) -> Option<Self> {
        s.removed_at.map(|removed_at| Self {
            last_seen: s.last_seen,
            removed_at,
        })
    }
}

/// What following every recommendation does to the monthly bill, split by cause.
///
/// `net_change == increases - savings + capacity_provider_change`: savings and increases are the
/// size parts of the changes (see [`crate::analysis::recommend::MonthlyCost`]), the
/// capacity-provider part is the Spot-share side effect of changed task counts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct SavingsSummary {
    /// Sum of `recommended - current` over services with a recommendation.
    pub net_change: f64,
    /// Dollars a month saved by resizing, summed over services whose size part is negative.
    pub savings: f64,
    /// How many services a resize makes cheaper.
    pub savings_count: usize,
    /// Dollars a month added by resizing, over services whose size part is positive.
    pub increases: f64,
    /// How many services a resize makes dearer.
    pub increases_count: usize,
    /// Sum of the capacity-provider parts.
    pub capacity_provider_change: f64,
    /// Sum of monthly cost now.
    pub current: f64,
}

/// Sums the recommendations' changes (see [`SavingsSummary`]).
pub fn summarize(recs: &[ServiceRecommendation]) -> SavingsSummary {
    let mut s = SavingsSummary::default();
    for r in recs {
        let cost = &r.rec.monthly_cost_usd;
        s.current += cost.current;
        s.net_change += cost.net_change();
        s.capacity_provider_change += cost.capacity_provider_change.unwrap_or(0.0);
        let size = cost.size_change.unwrap_or(0.0);
        // Sub-cent parts are summed (so the totals add up exactly) but not counted.
        if size < 0.0 {
            s.savings -= size;
            s.savings_count += usize::from(size <= -NEGLIGIBLE_USD);
        } else {
            s.increases += size;
            s.increases_count += usize::from(size >= NEGLIGIBLE_USD);
        }
    }
    s
}

/// The series of a service that sizing reads, at their finest period.
#[derive(Debug, Clone, Default)]
pub struct UsageSeries {
    /// AWS/ECS CPUUtilization Maximum.
    pub cpu_max: Option<StoredSeries>,
    /// AWS/ECS MemoryUtilization Maximum.
    pub mem_max: Option<StoredSeries>,
    /// ECS/ContainerInsights RunningTaskCount.
    pub tasks: Option<StoredSeries>,
}

impl UsageSeries {
    /// Picks the series out of a service's list.
    pub fn pick(all: &[StoredSeries]) -> Self {
        let find = |metric: &str, stat: &str| {
            all.iter()
                .filter(|s| s.key.metric_name == metric && s.key.statistic == stat)
                .min_by_key(|s| s.key.period)
                .cloned()
        };
        Self {
            cpu_max: find("CPUUtilization", "Maximum"),
            mem_max: find("MemoryUtilization", "Maximum"),
            tasks: find("RunningTaskCount", "Average"),
        }
    }
}

/// What sizing needs to know about a service besides its usage.
pub fn facts(s: &StoredService) -> ServiceFacts {
    let svc = &s.service;
    let tracks = |metric: &str| {
        svc.policies.iter().any(|p| {
            p.policy_type == "TargetTrackingScaling" && p.metric.as_deref() == Some(metric)
        })
    };
    let autoscaling = match (svc.scaling_min, svc.scaling_max) {
        (Some(min), Some(max)) => Some(Autoscaling {
            min: min as f64,
            max: max as f64,
            tracks_cpu: tracks("ECSServiceAverageCPUUtilization"),
            tracks_memory: tracks("ECSServiceAverageMemoryUtilization"),
        }),
        _ => None,
    };
    ServiceFacts {
        size: svc.size,
        arch: svc.architecture,
        strategy: svc.strategy.clone(),
        autoscaling,
    }
}

/// Reads a service's usage over `[from, to)`.
pub async fn load_usage(
    store: &Store,
    service: &StoredService,
    series: &UsageSeries,
    from: i64,
    to: i64,
) -> StoreResult<Usage> {
    let read = |s: &Option<StoredSeries>| {
        let id = s.as_ref().map(|s| s.id);
        async move {
            match id {
                Some(id) => store.read_values(id, from, to).await,
                None => Ok(Vec::new()),
            }
        }
    };
    let cpu_max_pct = read(&series.cpu_max).await?;
    let mem_max_pct = read(&series.mem_max).await?;
    let mut tasks = read(&series.tasks).await?;
    if tasks.is_empty() {
        // No Container Insights: assume the current desired count throughout.
        tasks = vec![service.service.desired_count as f64; cpu_max_pct.len().max(1)];
    }
    let period = series.cpu_max.as_ref().map_or(60, |s| s.key.period);
    Ok(Usage {
        cpu_max_pct,
        mem_max_pct,
        tasks,
        period,
    })
}

/// The end of the sizing window for a page or report made at `now`: the start of the current
/// hour, so results stay the same (and cacheable) within the hour.
pub fn window_end(now: i64) -> i64 {
    crate::domain::calendar::hour_start(now)
}

/// A recommendation with the distribution of use it was sized on (for the CDF charts).
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The recommendation.
    pub recommendation: ServiceRecommendation,
    /// CDF of busiest-task CPU, vCPU: (value, percent of minutes at or below).
    pub cpu_cdf: Vec<(f64, f64)>,
    /// CDF of busiest-task memory, MiB.
    pub mem_cdf: Vec<(f64, f64)>,
}

/// Points kept per CDF: enough to look exact at chart size.
const CDF_POINTS: usize = 400;

/// Sizes one service on the `lookback` days before [`window_end`]`(now)`, keeping the evidence.
pub async fn evidence_for(
    store: &Store,
    settings: &Settings,
    service: &StoredService,
    now: i64,
) -> StoreResult<Evidence> {
    let series = UsageSeries::pick(&store.list_series(Some(service.id)).await?);
    let (usage, recommendation) = size_on_usage(store, settings, service, &series, now).await?;
    Ok(with_cdfs(recommendation, &usage, service))
}

/// Reads a service's usage over the sizing window and sizes it on that.
async fn size_on_usage(
    store: &Store,
    settings: &Settings,
    service: &StoredService,
    series: &UsageSeries,
    now: i64,
) -> StoreResult<(Usage, ServiceRecommendation)> {
    let end = window_end(now);
    let from = end - i64::from(settings.rules.lookback_days) * DAY;
    let usage = load_usage(store, service, series, from, end).await?;
    let rec = recommend(
        &facts(service),
        &usage,
        &settings.rules,
        &settings.tiers,
        &settings.prices,
    );
    let recommendation = ServiceRecommendation {
        service_id: service.id,
        cluster: service.service.cluster.clone(),
        service: service.service.name.clone(),
        removed: Removal::of(service),
        architecture: service.service.architecture,
        rec,
    };
    Ok((usage, recommendation))
}

/// A recommendation with the distributions of use it was sized on (for the CDF charts).
fn with_cdfs(
    recommendation: ServiceRecommendation,
    usage: &Usage,
    service: &StoredService,
) -> Evidence {
    let size = service.service.size;
    let scaled = |pcts: &[f64], scale: f64| pcts.iter().map(|p| p * scale).collect::<Vec<f64>>();
    Evidence {
        cpu_cdf: cdf_points(&scaled(&usage.cpu_max_pct, size.vcpu() / 100.0), CDF_POINTS),
        mem_cdf: cdf_points(
            &scaled(&usage.mem_max_pct, f64::from(size.memory_mib) / 100.0),
            CDF_POINTS,
        ),
        recommendation,
    }
}

/// The recommendation for one service (see [`evidence_for`]), without the CDFs.
pub async fn for_service(
    store: &Store,
    settings: &Settings,
    service: &StoredService,
    now: i64,
) -> StoreResult<ServiceRecommendation> {
    let series = UsageSeries::pick(&store.list_series(Some(service.id)).await?);
    Ok(size_on_usage(store, settings, service, &series, now)
        .await?
        .1)
}

/// Evidence for every stored service (those deleted in AWS only with [`Removed::Show`]), by
/// cluster then name.
pub async fn all_evidence(
    store: &Store,
    settings: &Settings,
    now: i64,
    removed: Removed,
) -> StoreResult<Vec<Evidence>> {
    size_all(store, settings, now, removed, true).await
}

/// Recommendations for every stored service (see [`all_evidence`]), by cluster then name, without
/// the CDFs (which only the pages draw).
pub async fn for_all(
    store: &Store,
    settings: &Settings,
    now: i64,
    removed: Removed,
) -> StoreResult<Vec<ServiceRecommendation>> {
    Ok(size_all(store, settings, now, removed, false)
        .await?
        .into_iter()
        .map(|e| e.recommendation)
        .collect())
}

/// Sizes every service, each on its own task so decoding and sizing use every core (a join of
/// futures would run them all on one thread); their reads run on separate connections. Every
/// service's series come from one statement. CDFs (a sort per series) only when `cdfs`.
async fn size_all(
    store: &Store,
    settings: &Settings,
    now: i64,
    removed: Removed,
    cdfs: bool,
) -> StoreResult<Vec<Evidence>> {
    let (services, all_series) =
        futures::try_join!(store.list_services_with(removed), store.list_series(None),)?;
    let mut by_service: HashMap<i64, Vec<StoredSeries>> = HashMap::new();
    for s in all_series {
        if let Some(id) = s.service_id {
            by_service.entry(id).or_default().push(s);
        }
    }
    let settings = Arc::new(settings.clone());
    let tasks: Vec<_> = services
        .into_iter()
        .map(|service| {
            let series = UsageSeries::pick(by_service.get(&service.id).map_or(&[], Vec::as_slice));
            let (store, settings) = (store.clone(), settings.clone());
            tokio::spawn(async move {
                let (usage, recommendation) =
                    size_on_usage(&store, &settings, &service, &series, now).await?;
                StoreResult::Ok(if cdfs {
                    with_cdfs(recommendation, &usage, &service)
                } else {
                    Evidence {
                        recommendation,
                        cpu_cdf: Vec::new(),
                        mem_cdf: Vec::new(),
                    }
                })
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        // A task only fails to join by panicking (none is aborted): pass the panic on, as
        // awaiting the future in place would have.
        out.push(
            task.await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?,
        );
    }
    Ok(out)
}

/// The evidence a view lists: services deleted in AWS only with [`Removed::Show`].
pub fn listed(evidence: &[Evidence], removed: Removed) -> impl Iterator<Item = &Evidence> {
    evidence
        .iter()
        .filter(move |e| removed.lists(e.recommendation.removed.map(|r| r.removed_at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::recommend::{Finding, MonthlyCost, SizeChoice, TaskCounts, UsageSummary};

    fn rec(current: f64, size_change: f64, provider_change: f64) -> ServiceRecommendation {
        let size = SizeChoice {
            cpu: 512,
            memory_mib: 1024,
            tier: None,
        };
        ServiceRecommendation {
            service_id: 1,
            cluster: "c".into(),
            service: "s".into(),
            removed: None,
            architecture: Default::default(),
            rec: Recommendation {
                finding: Finding::RightSized,
                current: size.clone(),
                recommended: Some(size),
                usage: UsageSummary::default(),
                sized: None,
                monthly_cost_usd: MonthlyCost {
                    current,
                    recommended: Some(current + size_change + provider_change),
                    size_change: Some(size_change),
                    capacity_provider_change: Some(provider_change),
                },
                tasks: TaskCounts::default(),
                projected: None,
                reason: String::new(),
                risks: Vec::new(),
            },
        }
    }

    #[test]
    fn the_summary_splits_savings_increases_and_the_spot_mix() {
        let s = summarize(&[
            rec(100.0, -20.0, -5.0),
            rec(40.0, 31.2, 0.0),
            rec(90.0, 0.0, -9.5),
            rec(50.0, -10.0, 2.0),
        ]);
        assert_eq!((s.savings_count, s.increases_count), (2, 1));
        assert!((s.savings - 30.0).abs() < 1e-9);
        assert!((s.increases - 31.2).abs() < 1e-9);
        assert!((s.capacity_provider_change + 12.5).abs() < 1e-9);
        // -30 + 31.2 - 12.5 = -11.3: the net change of following all four.
        assert!((s.net_change + 11.3).abs() < 1e-9);
        assert!((s.current - 280.0).abs() < 1e-9);
    }
}
