//! The AWS APIs a sync calls, each named and priced once, and the ledger of calls a sync makes.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{classify, AwsError, RetryLog};

/// Dollars per metric requested through GetMetricData.
pub const GET_METRIC_DATA_PER_METRIC: f64 = 0.01 / 1000.0;
/// Dollars per other CloudWatch API request.
pub const CLOUDWATCH_PER_REQUEST: f64 = 0.01 / 1000.0;
/// Dollars per Cost Explorer request (every page counts).
pub const COST_EXPLORER_PER_REQUEST: f64 = 0.01;

/// How an API is billed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Price {
    /// No charge (ECS, Application Auto Scaling, STS).
    Free,
    /// Dollars per request.
    PerRequest(f64),
    /// Dollars per billable unit a request carries (metrics requested).
    PerUnit(f64),
}

/// Every AWS API a sync calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    /// sts:GetCallerIdentity (the credentials check).
    StsGetCallerIdentity,
    /// ecs:ListClusters.
    EcsListClusters,
    /// ecs:ListServices.
    EcsListServices,
    /// ecs:DescribeServices.
    EcsDescribeServices,
    /// ecs:DescribeTaskDefinition.
    EcsDescribeTaskDefinition,
    /// application-autoscaling:DescribeScalableTargets.
    AutoscalingDescribeScalableTargets,
    /// application-autoscaling:DescribeScalingPolicies.
    AutoscalingDescribeScalingPolicies,
    /// cloudwatch:DescribeAlarms.
    CloudWatchDescribeAlarms,
    /// cloudwatch:DescribeAlarmHistory.
    CloudWatchDescribeAlarmHistory,
    /// cloudwatch:ListMetrics.
    CloudWatchListMetrics,
    /// cloudwatch:GetMetricData.
    CloudWatchGetMetricData,
    /// ce:GetCostAndUsage.
    CostExplorerGetCostAndUsage,
    /// ce:GetCostForecast.
    CostExplorerGetCostForecast,
}

impl Api {
    /// Every API, in declaration order.
    pub const ALL: [Api; 13] = [
        Api::StsGetCallerIdentity,
        Api::EcsListClusters,
        Api::EcsListServices,
        Api::EcsDescribeServices,
        Api::EcsDescribeTaskDefinition,
        Api::AutoscalingDescribeScalableTargets,
        Api::AutoscalingDescribeScalingPolicies,
        Api::CloudWatchDescribeAlarms,
        Api::CloudWatchDescribeAlarmHistory,
        Api::CloudWatchListMetrics,
        Api::CloudWatchGetMetricData,
        Api::CostExplorerGetCostAndUsage,
        Api::CostExplorerGetCostForecast,
    ];

    /// `service:Action`, as IAM policies, the store and error messages spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Api::StsGetCallerIdentity => "sts:GetCallerIdentity",
            Api::EcsListClusters => "ecs:ListClusters",
            Api::EcsListServices => "ecs:ListServices",
            Api::EcsDescribeServices => "ecs:DescribeServices",
            Api::EcsDescribeTaskDefinition => "ecs:DescribeTaskDefinition",
            Api::AutoscalingDescribeScalableTargets => {
                "application-autoscaling:DescribeScalableTargets"
            }
            Api::AutoscalingDescribeScalingPolicies => {
                "application-autoscaling:DescribeScalingPolicies"
            }
            Api::CloudWatchDescribeAlarms => "cloudwatch:DescribeAlarms",
            Api::CloudWatchDescribeAlarmHistory => "cloudwatch:DescribeAlarmHistory",
            Api::CloudWatchListMetrics => "cloudwatch:ListMetrics",
            Api::CloudWatchGetMetricData => "cloudwatch:GetMetricData",
            Api::CostExplorerGetCostAndUsage => "ce:GetCostAndUsage",
            Api::CostExplorerGetCostForecast => "ce:GetCostForecast",
        }
    }

    /// How AWS bills the API.
    pub const fn price(self) -> Price {
        match self {
            Api::CloudWatchGetMetricData => Price::PerUnit(GET_METRIC_DATA_PER_METRIC),
            Api::CloudWatchDescribeAlarms
            | Api::CloudWatchDescribeAlarmHistory
            | Api::CloudWatchListMetrics => Price::PerRequest(CLOUDWATCH_PER_REQUEST),
            Api::CostExplorerGetCostAndUsage | Api::CostExplorerGetCostForecast => {
                Price::PerRequest(COST_EXPLORER_PER_REQUEST)
            }
            Api::StsGetCallerIdentity
            | Api::EcsListClusters
            | Api::EcsListServices
            | Api::EcsDescribeServices
            | Api::EcsDescribeTaskDefinition
            | Api::AutoscalingDescribeScalableTargets
            | Api::AutoscalingDescribeScalingPolicies => Price::Free,
        }
    }

    /// The price of `calls` to this API carrying `units`.
    pub fn cost(self, calls: u64, units: u64) -> f64 {
        match self.price() {
            Price::Free => 0.0,
            Price::PerRequest(usd) => calls as f64 * usd,
            Price::PerUnit(usd) => units as f64 * usd,
        }
    }

    /// The API named `name` (`service:Action`), if a sync calls it.
    pub fn from_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Calls and billable units per API, and the SDK's retries behind them. Cheap to clone: shared.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<BTreeMap<Api, (u64, u64)>>>,
    retries: RetryLog,
}

impl CallLog {
    /// The interceptor that counts the SDK's retries of these calls (every client carries it).
    pub fn retries(&self) -> &RetryLog {
        &self.retries
    }

    /// Records one call with `units` billable units (metrics requested for GetMetricData).
    pub fn record(&self, api: Api, units: u64) {
        let mut map = self.inner.lock().expect("call log lock");
        let e = map.entry(api).or_default();
        e.0 += 1;
        e.1 += units;
    }

    /// Records a call to `api` carrying `units`, awaits it, and classifies its error.
    pub async fn call<T, E, R>(
        &self,
        api: Api,
        units: u64,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        self.record(api, units);
        request.await.map_err(|e| classify(api.name(), e))
    }

    /// One page of a paginated `api` (what the paginator's `next()` gave): recorded as a call
    /// and its error classified; None when there are no more pages.
    pub fn page<T, E, R>(
        &self,
        api: Api,
        page: Option<Result<T, SdkError<E, R>>>,
    ) -> Option<Result<T, AwsError>>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let page = page?;
        self.record(api, 0);
        Some(page.map_err(|e| classify(api.name(), e)))
    }

    /// (api, calls, units), by API.
    pub fn snapshot(&self) -> Vec<(&'static str, u64, u64)> {
        let mut out: Vec<_> = self
            .inner
            .lock()
            .expect("call log lock")
            .iter()
            .map(|(api, (c, u))| (api.name(), *c, *u))
            .collect();
        // By name, as the ledger has always listed them.
        out.sort_by_key(|(name, _, _)| *name);
        out
    }

    /// Calls made to one API (by `service:Action` name).
    pub fn calls(&self, api: &str) -> u64 {
        let Some(api) = Api::from_name(api) else {
            return 0;
        };
        self.inner
            .lock()
            .expect("call log lock")
            .get(&api)
            .map_or(0, |e| e.0)
    }

    /// What the calls cost in dollars.
    pub fn cost_usd(&self) -> f64 {
        self.inner
            .lock()
            .expect("call log lock")
            .iter()
            .map(|(api, (calls, units))| api.cost(*calls, *units))
            .sum()
    }
}

/// The price of `calls` to the API named `api` carrying `units` (0 for an API a sync never calls).
pub fn cost_of(api: &str, calls: u64, units: u64) -> f64 {
    Api::from_name(api).map_or(0.0, |a| a.cost(calls, units))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_price_list() {
        let log = CallLog::default();
        log.record(Api::CloudWatchGetMetricData, 500);
        log.record(Api::CloudWatchGetMetricData, 500);
        log.record(Api::CostExplorerGetCostAndUsage, 1);
        log.record(Api::EcsListServices, 0);
        assert_eq!(log.calls("cloudwatch:GetMetricData"), 2);
        assert!((log.cost_usd() - (0.01 + 0.01)).abs() < 1e-12);
    }

    #[test]
    fn every_api_has_one_name_that_leads_back_to_it() {
        for api in Api::ALL {
            assert_eq!(Api::from_name(api.name()), Some(api));
        }
        let mut names: Vec<_> = Api::ALL.iter().map(|a| a.name()).collect();
        names.dedup();
        assert_eq!(names.len(), Api::ALL.len());
    }

    #[test]
    fn prices_by_service() {
        // 1000 ListMetrics calls cost a cent; ECS calls nothing; one Cost Explorer request a cent.
        assert!((cost_of("cloudwatch:ListMetrics", 1000, 0) - 0.01).abs() < 1e-12);
        assert_eq!(cost_of("ecs:DescribeServices", 1000, 0), 0.0);
        assert_eq!(Api::CostExplorerGetCostForecast.cost(1, 1), 0.01);
        // GetMetricData is billed per metric requested, not per call.
        assert!((Api::CloudWatchGetMetricData.cost(1, 1000) - 0.01).abs() < 1e-12);
    }
}
