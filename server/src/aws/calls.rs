//! The ledger of AWS calls a sync makes, and what they cost the user.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Dollars per metric requested through GetMetricData.
pub const GET_METRIC_DATA_PER_METRIC: f64 = 0.01 / 1000.0;
/// Dollars per other CloudWatch API request.
pub const CLOUDWATCH_PER_REQUEST: f64 = 0.01 / 1000.0;
/// Dollars per Cost Explorer request (every page counts).
pub const COST_EXPLORER_PER_REQUEST: f64 = 0.01;

/// Calls and billable units per API (`service:Action`). Cheap to clone: shared.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<BTreeMap<&'static str, (u64, u64)>>>,
}

impl CallLog {
    /// Records one call with `units` billable units (metrics requested for GetMetricData).
    pub fn record(&self, api: &'static str, units: u64) {
        let mut map = self.inner.lock().expect("call log lock");
        let e = map.entry(api).or_default();
        e.0 += 1;
        e.1 += units;
    }

    /// (api, calls, units), by API.
    pub fn snapshot(&self) -> Vec<(&'static str, u64, u64)> {
        self.inner
            .lock()
            .expect("call log lock")
            .iter()
            .map(|(k, (c, u))| (*k, *c, *u))
            .collect()
    }

    /// Calls made to one API.
    pub fn calls(&self, api: &str) -> u64 {
        self.inner
            .lock()
            .expect("call log lock")
            .get(api)
            .map_or(0, |e| e.0)
    }

    /// What the calls cost in dollars.
    pub fn cost_usd(&self) -> f64 {
        self.snapshot()
            .iter()
            .map(|(api, calls, units)| cost_of(api, *calls, *units))
            .sum()
    }
}

/// The price of `calls` to `api` carrying `units`.
pub fn cost_of(api: &str, calls: u64, units: u64) -> f64 {
    match api {
        "cloudwatch:GetMetricData" => units as f64 * GET_METRIC_DATA_PER_METRIC,
        a if a.starts_with("ce:") => calls as f64 * COST_EXPLORER_PER_REQUEST,
        a if a.starts_with("cloudwatch:") => calls as f64 * CLOUDWATCH_PER_REQUEST,
        _ => 0.0, // ECS, Application Auto Scaling and STS calls are free
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_price_list() {
        let log = CallLog::default();
        log.record("cloudwatch:GetMetricData", 500);
        log.record("cloudwatch:GetMetricData", 500);
        log.record("ce:GetCostAndUsage", 1);
        log.record("ecs:ListServices", 0);
        assert_eq!(log.calls("cloudwatch:GetMetricData"), 2);
        assert!((log.cost_usd() - (0.01 + 0.01)).abs() < 1e-12);
    }
}
