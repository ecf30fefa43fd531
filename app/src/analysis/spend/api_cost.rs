//! What Spendwatch's own syncing costs a month: the configured schedule priced from the last
//! syncs' call counts, with Cost Explorer asked at most once per refresh interval.

use serde::{Deserialize, Serialize};

use crate::analysis::percentile::percentile;
use crate::domain::fargate::HOURS_PER_MONTH;

/// Cost Explorer's price per request (GetCostAndUsage, GetCostForecast, pages included).
pub const COST_EXPLORER_REQUEST_USD: f64 = 0.01;

/// One past sync's spend on AWS APIs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSpend {
    /// Everything but Cost Explorer (CloudWatch metrics, mostly), dollars.
    pub other_usd: f64,
    /// Cost Explorer, dollars (0 when the sync skipped it).
    pub cost_explorer_usd: f64,
}

/// The monthly projection of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ApiCostProjection {
    /// Syncs a month at the schedule.
    pub syncs_per_month: f64,
    /// Cost Explorer fetches a month (at most one per refresh interval).
    pub cost_explorer_fetches_per_month: f64,
    /// Typical non-Cost-Explorer cost of one sync (median of the runs).
    pub per_sync_usd: f64,
    /// Typical cost of one Cost Explorer fetch (median of the runs that made one).
    pub per_cost_fetch_usd: f64,
    /// The month: syncs x per sync + fetches x per fetch.
    pub monthly_usd: f64,
}

fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0).unwrap_or(0.0)
}

/// Projects a month of syncing every `every_secs` with Cost Explorer fresh for `refresh_secs`,
/// from past runs; None without a schedule or runs.
pub fn project(runs: &[RunSpend], every_secs: i64, refresh_secs: i64) -> Option<ApiCostProjection> {
    if every_secs <= 0 || runs.is_empty() {
        return None;
    }
    let month = HOURS_PER_MONTH * 3600.0;
    let syncs = month / every_secs as f64;
    let fetches = month / every_secs.max(refresh_secs) as f64;
    let others: Vec<f64> = runs.iter().map(|r| r.other_usd).collect();
    let fetch_costs: Vec<f64> = runs
        .iter()
        .map(|r| r.cost_explorer_usd)
        .filter(|c| *c > 0.0)
        .collect();
    let per_sync = median(&others);
    let per_fetch = median(&fetch_costs);
    Some(ApiCostProjection {
        syncs_per_month: syncs,
        cost_explorer_fetches_per_month: fetches,
        per_sync_usd: per_sync,
        per_cost_fetch_usd: per_fetch,
        monthly_usd: syncs * per_sync + fetches * per_fetch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_syncs_ask_cost_explorer_every_eight_hours() {
        // Three runs: $0.002 of metrics each; two asked Cost Explorer 3 times ($0.03).
        let run = |other, ce| RunSpend {
            other_usd: other,
            cost_explorer_usd: ce,
        };
        let runs = [run(0.002, 0.03), run(0.002, 0.0), run(0.002, 0.03)];
        let p = project(&runs, 3600, 8 * 3600).unwrap();
        // 730 syncs x $0.002 = $1.46; 730 / 8 = 91.25 fetches x $0.03 = $2.7375.
        assert!((p.syncs_per_month - 730.0).abs() < 1e-9);
        assert!((p.cost_explorer_fetches_per_month - 91.25).abs() < 1e-9);
        assert!((p.monthly_usd - (1.46 + 2.7375)).abs() < 1e-9, "{p:?}");
        // Without the refresh interval every sync asks: 730 x $0.03 = $21.90 more.
        let every = project(&runs, 3600, 0).unwrap();
        assert!((every.monthly_usd - (1.46 + 21.9)).abs() < 1e-9);
    }

    #[test]
    fn no_schedule_no_projection() {
        assert_eq!(project(&[], 3600, 0), None);
    }
}
