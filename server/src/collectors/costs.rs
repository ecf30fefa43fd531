//! Cost Explorer: daily spend by service, by usage type within ECS, by tag; and the forecast for
//! the rest of the month. Every request costs the user $0.01, so the requests are few and counted.

use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity, GroupDefinition,
    GroupDefinitionType, Metric, ResultByTime,
};
use chrono::NaiveDate;

use app::domain::calendar::{midnight, DAY};
use app::store::costs::{CostRecord, Forecast, ACCOUNT, BY_SERVICE, BY_USAGE_TYPE, UNBLENDED};

use crate::aws::calls::Api;
use crate::aws::{AwsError, CallLog};

/// Cost Explorer's SERVICE value for ECS.
pub const ECS: &str = "Amazon Elastic Container Service";

/// One GetCostAndUsage grouping to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostQuery {
    /// `""` for the whole account, or the SERVICE it is filtered to.
    pub scope: String,
    /// `SERVICE`, `USAGE_TYPE` or `TAG:<key>`.
    pub group_by: String,
    /// Metrics asked for.
    pub metrics: Vec<&'static str>,
}

/// The queries a sync makes: by service; by usage type within ECS; by each tag within ECS.
pub fn queries(tags: &[String]) -> Vec<CostQuery> {
    let mut q = vec![
        CostQuery {
            scope: ACCOUNT.into(),
            group_by: BY_SERVICE.into(),
            metrics: vec![UNBLENDED],
        },
        CostQuery {
            scope: ECS.into(),
            group_by: BY_USAGE_TYPE.into(),
            metrics: vec![UNBLENDED, "UsageQuantity"],
        },
    ];
    q.extend(tags.iter().map(|t| CostQuery {
        scope: ECS.into(),
        group_by: format!("TAG:{t}"),
        metrics: vec![UNBLENDED],
    }));
    q
}

/// `YYYY-MM-DD` of an epoch second.
pub fn ymd(ts: i64) -> String {
    app::format::date(ts)
}

fn interval(start: i64, end: i64) -> DateInterval {
    DateInterval::builder()
        .start(ymd(start))
        .end(ymd(end))
        .build()
        .expect("start and end are set")
}

/// Fetches one query's daily results over `[start, end)` (UTC days), every page.
pub async fn fetch(
    client: &aws_sdk_costexplorer::Client,
    q: &CostQuery,
    start: i64,
    end: i64,
    log: &CallLog,
) -> Result<Vec<CostRecord>, AwsError> {
    let group = match q.group_by.strip_prefix("TAG:") {
        Some(tag) => GroupDefinition::builder()
            .r#type(GroupDefinitionType::Tag)
            .key(tag)
            .build(),
        None => GroupDefinition::builder()
            .r#type(GroupDefinitionType::Dimension)
            .key(&q.group_by)
            .build(),
    };
    let filter = (!q.scope.is_empty()).then(|| {
        Expression::builder()
            .dimensions(
                DimensionValues::builder()
                    .key(Dimension::Service)
                    .values(&q.scope)
                    .build(),
            )
            .build()
    });
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = client
            .get_cost_and_usage()
            .time_period(interval(start, end))
            .granularity(Granularity::Daily)
            .set_metrics(Some(q.metrics.iter().map(|m| m.to_string()).collect()))
            .group_by(group.clone())
            .set_filter(filter.clone())
            .set_next_page_token(token.take())
            .send();
        let page = log
            .call(Api::CostExplorerGetCostAndUsage, 1, request)
            .await?;
        for r in page.results_by_time() {
            out.extend(to_records(q, r));
        }
        match page.next_page_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

fn day(s: &str) -> Option<i64> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .map(midnight)
}

/// Converts one ResultByTime into rows (one per group and metric).
pub fn to_records(q: &CostQuery, r: &ResultByTime) -> Vec<CostRecord> {
    let Some(period) = r.time_period() else {
        return Vec::new();
    };
    let (Some(start), Some(end)) = (day(period.start()), day(period.end())) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for g in r.groups() {
        let key = g.keys().join(",");
        for (metric, value) in g.metrics().into_iter().flatten() {
            let Some(amount) = value.amount().and_then(|a| a.parse::<f64>().ok()) else {
                continue;
            };
            out.push(CostRecord {
                granularity: "DAILY".into(),
                period_start: start,
                period_end: end,
                scope: q.scope.clone(),
                group_by: q.group_by.clone(),
                group_key: key.clone(),
                metric: metric.clone(),
                amount,
                unit: value.unit().unwrap_or_default().to_string(),
                estimated: r.estimated(),
            });
        }
    }
    out
}

/// Forecasts unblended cost from `today` to the end of its month (None when no day is left).
pub async fn fetch_forecast(
    client: &aws_sdk_costexplorer::Client,
    today: i64,
    month_end: i64,
    made_at: i64,
    log: &CallLog,
) -> Result<Option<Forecast>, AwsError> {
    if month_end - today < DAY {
        // Cost Explorer forecasts whole days from today on: nothing left to forecast.
        return Ok(None);
    }
    let request = client
        .get_cost_forecast()
        .time_period(interval(today, month_end))
        .metric(Metric::UnblendedCost)
        .granularity(Granularity::Monthly)
        .prediction_interval_level(80)
        .send();
    let out = log
        .call(Api::CostExplorerGetCostForecast, 1, request)
        .await?;
    let num = |s: Option<&str>| s.and_then(|v| v.parse::<f64>().ok());
    let Some(mean) = num(out.total().and_then(|t| t.amount())) else {
        return Ok(None);
    };
    let lower = out
        .forecast_results_by_time()
        .iter()
        .map(|f| num(f.prediction_interval_lower_bound()))
        .sum::<Option<f64>>();
    let upper = out
        .forecast_results_by_time()
        .iter()
        .map(|f| num(f.prediction_interval_upper_bound()))
        .sum::<Option<f64>>();
    Ok(Some(Forecast {
        period_start: today,
        period_end: month_end,
        metric: UNBLENDED.into(),
        mean,
        lower,
        upper,
        made_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_costexplorer::types::{Group, MetricValue};

    #[test]
    fn converts_grouped_results() {
        let r = ResultByTime::builder()
            .time_period(
                DateInterval::builder()
                    .start("2026-11-01")
                    .end("2026-11-02")
                    .build()
                    .unwrap(),
            )
            .groups(
                Group::builder()
                    .keys("USE1-Fargate-vCPU-Hours:perCPU")
                    .metrics(
                        "UnblendedCost",
                        MetricValue::builder().amount("1.2345").unit("USD").build(),
                    )
                    .metrics(
                        "UsageQuantity",
                        MetricValue::builder().amount("30.5").unit("Hrs").build(),
                    )
                    .build(),
            )
            .estimated(true)
            .build();
        let q = &queries(&[])[1];
        let mut rows = to_records(q, &r);
        rows.sort_by(|a, b| a.metric.cmp(&b.metric));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].metric, "UnblendedCost");
        assert_eq!(rows[0].amount, 1.2345);
        assert_eq!(rows[0].scope, ECS);
        assert!(rows[0].estimated);
        assert_eq!(rows[1].unit, "Hrs");
        assert_eq!(rows[0].period_end - rows[0].period_start, DAY);
    }

    #[test]
    fn one_query_per_grouping() {
        let q = queries(&["aws:ecs:serviceName".into()]);
        assert_eq!(
            q.iter().map(|q| q.group_by.as_str()).collect::<Vec<_>>(),
            vec!["SERVICE", "USAGE_TYPE", "TAG:aws:ecs:serviceName"]
        );
    }
}
