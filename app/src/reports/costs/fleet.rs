//! The services with their stored task counts, read once for the decomposition, the Spot what-if,
//! the reconciliation and the anomaly notes.

use crate::analysis::spend::task_hours::{merge_resolutions, TaskSample};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, TaskSize};
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
    /// Task size (today's: the store keeps no size history).
    pub size: TaskSize,
    /// CPU architecture.
    pub arch: Architecture,
    /// Capacity provider strategy (today's).
    pub strategy: Vec<StrategyItem>,
    /// Autoscaling maximum, if it scales.
    pub scaling_max: Option<i64>,
    /// Running-task samples in the window read, oldest first.
    pub samples: Vec<TaskSample>,
}

/// Reads every service (removed ones too: they were billed) with its task counts in `[from, to)`,
/// through the one series read.
pub async fn load(store: &Store, from: i64, to: i64) -> StoreResult<Vec<FleetService>> {
    let services = store.list_services_with(Removed::Show).await?;
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
        out.push(FleetService {
            cluster: svc.cluster,
            name: svc.name,
            size: svc.size,
            arch: svc.architecture,
            strategy: svc.strategy,
            scaling_max: svc.scaling_max,
            samples: merge_resolutions(parts),
        });
    }
    Ok(out)
}
