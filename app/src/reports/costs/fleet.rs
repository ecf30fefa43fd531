//! The services with their stored task counts and size history, read once for the
//! decomposition, the Spot what-if, the reconciliation and the anomaly notes.

use crate::analysis::spend::task_hours::{
    daily_tasks, merge_resolutions, size_spans, DayTasks, PricedTotals, SizeSpan, TaskSample,
};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, PriceTable, TaskSize};
use crate::store::deployments::Deployment;
use crate::store::services::Removed;
use crate::store::{Store, StoreResult};

/// The metric giving running tasks (Container Insights), read as its Average.
const TASK_METRIC: &str = "RunningTaskCount";

/// One service as the cost model needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetService {
    /// Cluster.
    pub cluster: String,
    /// Service name.
    pub name: String,
    /// Today's task size.
    pub size: TaskSize,
    /// CPU architecture.
    pub arch: Architecture,
    /// The sizes in force over time, from the stored deployments (today's size alone without
    /// any).
    pub sizes: Vec<SizeSpan>,
    /// The stored deployments, oldest first.
    pub deployments: Vec<Deployment>,
    /// Capacity provider strategy (today's).
    pub strategy: Vec<StrategyItem>,
    /// Autoscaling maximum, if it scales.
    pub scaling_max: Option<i64>,
    /// Running-task samples in the window read, oldest first.
    pub samples: Vec<TaskSample>,
    /// Mean and highest task count and the hours at each count per day of the samples
    /// (computed once with them: anomaly notes look days up, the Spot what-if sums them).
    pub daily: Vec<DayTasks>,
    /// The samples priced at the sizes in force, as running totals (any window in two look-ups).
    pub priced: PricedTotals,
}

impl FleetService {
    /// A service from its parts, with the size spans, daily counts and priced totals worked out.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cluster: String,
        name: String,
        (size, arch): (TaskSize, Architecture),
        strategy: Vec<StrategyItem>,
        scaling_max: Option<i64>,
        deployments: Vec<Deployment>,
        samples: Vec<TaskSample>,
        prices: &PriceTable,
    ) -> Self {
        let sizes = size_spans(
            deployments
                .iter()
                .map(|d| (d.created_at, d.size, d.architecture)),
            (size, arch),
        );
        let priced = PricedTotals::new(&samples, &sizes, &strategy, prices);
        Self {
            cluster,
            name,
            size,
            arch,
            sizes,
            deployments,
            strategy,
            scaling_max,
            daily: daily_tasks(&samples),
            priced,
            samples,
        }
    }
}

/// Reads every service (removed ones too: they were billed) with its deployments and its task
/// counts in `[from, to)`, through the one series read, priced with `prices`.
pub async fn load(
    store: &Store,
    from: i64,
    to: i64,
    prices: &PriceTable,
) -> StoreResult<Vec<FleetService>> {
    let services = store.list_services_with(Removed::Show).await?;
    let mut deployments = store.deployments_by_service().await?;
    let mut out = Vec::with_capacity(services.len());
    for s in services {
        let series = store.list_series(Some(s.id)).await?;
        let mut parts = Vec::new();
        for sr in series
            .iter()
            .filter(|sr| sr.key.metric_name == TASK_METRIC && sr.key.statistic == "Average")
        {
            parts.push((sr.key.period, store.read_points(sr.id, from, to).await?));
        }
        let svc = s.service;
        out.push(FleetService::new(
            svc.cluster,
            svc.name,
            (svc.size, svc.architecture),
            svc.strategy,
            svc.scaling_max,
            deployments.remove(&s.id).unwrap_or_default(),
            merge_resolutions(parts),
            prices,
        ));
    }
    Ok(out)
}
