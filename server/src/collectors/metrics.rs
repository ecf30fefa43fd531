//! CloudWatch metrics: discovering dimensions (ListMetrics) and fetching datapoints (GetMetricData).

use std::collections::{BTreeSet, HashMap};

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode,
};
use aws_smithy_types::DateTime;

use crate::aws::calls::Api;
use crate::aws::{epoch, AwsError, CallLog};
use crate::sync::plan::{MetricSpec, PlannedCall};

/// Dimension sets seen for a metric (ListMetrics, every page, duplicates removed).
pub async fn list_dimensions(
    client: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric_name: &str,
    log: &CallLog,
) -> Result<BTreeSet<Vec<(String, String)>>, AwsError> {
    let mut out = BTreeSet::new();
    let mut pages = client
        .list_metrics()
        .namespace(namespace)
        .metric_name(metric_name)
        .into_paginator()
        .send();
    while let Some(page) = log.page(Api::CloudWatchListMetrics, pages.next().await) {
        for m in page?.metrics() {
            let mut dims: Vec<(String, String)> = m
                .dimensions()
                .iter()
                .map(|d| {
                    (
                        d.name().unwrap_or_default().to_string(),
                        d.value().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            dims.sort();
            out.insert(dims);
        }
    }
    Ok(out)
}

/// The query ids of a call: `m<index into specs>`.
fn query_id(i: usize) -> String {
    format!("m{i}")
}

/// Runs one planned GetMetricData call, following NextToken, and returns the datapoints per spec
/// index, oldest first. Results AWS marks Forbidden are reported as denied.
pub async fn fetch_call(
    client: &aws_sdk_cloudwatch::Client,
    call: &PlannedCall,
    specs: &[MetricSpec],
    log: &CallLog,
) -> Result<HashMap<usize, Vec<(i64, f64)>>, AwsError> {
    let queries: Vec<MetricDataQuery> = call
        .metrics
        .iter()
        .map(|&i| {
            let s = &specs[i];
            let metric = Metric::builder()
                .namespace(&s.namespace)
                .metric_name(&s.metric_name)
                .set_dimensions(Some(
                    s.dimensions
                        .iter()
                        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                        .collect(),
                ))
                .build();
            MetricDataQuery::builder()
                .id(query_id(i))
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(call.window.period as i32)
                        .stat(&s.statistic)
                        .build(),
                )
                .return_data(true)
                .build()
        })
        .collect();
    let by_id: HashMap<String, usize> = call.metrics.iter().map(|&i| (query_id(i), i)).collect();
    let mut out: HashMap<usize, Vec<(i64, f64)>> = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let request = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_secs(call.window.start))
            .end_time(DateTime::from_secs(call.window.end))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.take())
            .send();
        let units = queries.len() as u64;
        let page = log
            .call(Api::CloudWatchGetMetricData, units, request)
            .await?;
        for r in page.metric_data_results() {
            if r.status_code() == Some(&StatusCode::Forbidden) {
                return Err(AwsError::Denied {
                    api: Api::CloudWatchGetMetricData.name(),
                    code: "Forbidden".into(),
                });
            }
            let Some(&i) = r.id().and_then(|id| by_id.get(id)) else {
                continue;
            };
            let points = out.entry(i).or_default();
            points.extend(
                r.timestamps()
                    .iter()
                    .map(epoch)
                    .zip(r.values().iter().copied()),
            );
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    for points in out.values_mut() {
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);
    }
    Ok(out)
}
