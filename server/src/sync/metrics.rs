//! The metrics phase: which metrics to fetch ([`super::specs`]), from when ([`metric_start`]),
//! in which calls ([`super::plan`]); then the fetch, storing each series' points.

use std::collections::{BTreeSet, HashMap};

use app::domain::calendar::DAY;
use app::store::metrics::SeriesKey;
use app::store::services::ServiceRecord;

use super::inventory::dimension;
use super::plan::{self, MetricSpec, PlannedCall};
use super::run::Sync;
use super::specs::{self, Wanted};
use super::SyncError;
use crate::aws::calls::Api;
use crate::aws::{AwsClients, AwsError};
use crate::collectors::metrics::{fetch_call, list_dimensions};

/// Where a metric's fetch starts: `lookback_days` before `now` on its first sync; later, `overlap`
/// seconds before the newest point stored (late datapoints land there), never before the lookback.
pub fn metric_start(known_until: Option<i64>, now: i64, lookback_days: u32, overlap: i64) -> i64 {
    let lookback_from = now - i64::from(lookback_days) * DAY;
    known_until.map_or(lookback_from, |k| (k - overlap).max(lookback_from))
}

/// (cluster, service) pairs that publish Container Insights task counts, from ListMetrics sets.
pub fn insights_services(sets: &BTreeSet<Vec<(String, String)>>) -> BTreeSet<(String, String)> {
    sets.iter()
        .filter_map(|d| Some((dimension(d, "ClusterName")?, dimension(d, "ServiceName")?)))
        .collect()
}

/// The earliest start among `calls`, as a readable time (`-` when there are none).
fn earliest_start(calls: &[PlannedCall]) -> String {
    calls
        .iter()
        .map(|c| c.window.start)
        .min()
        .map(app::format::datetime)
        .unwrap_or_else(|| "-".into())
}

impl Sync<'_> {
    /// Fetches and stores the datapoints of every wanted metric of the region's `services`.
    pub(super) async fn metrics(
        &mut self,
        clients: &AwsClients,
        services: &[(i64, ServiceRecord)],
        lbs: &HashMap<String, String>,
    ) -> Result<Result<String, AwsError>, SyncError> {
        let insights = match list_dimensions(
            &clients.cloudwatch,
            "ECS/ContainerInsights",
            "RunningTaskCount",
            &self.log,
        )
        .await
        {
            Ok(sets) => insights_services(&sets),
            Err(e) => return Ok(Err(e)),
        };
        let alarms: Vec<_> = self
            .store
            .list_alarms(None)
            .await?
            .into_iter()
            .filter(|a| a.region == clients.region)
            .collect();
        let records: Vec<ServiceRecord> = services.iter().map(|(_, s)| s.clone()).collect();
        let wanted = specs::wanted(&records, &insights, lbs, &alarms);
        let need_from = self.start_times(&wanted).await?;
        let calls = plan::plan(&need_from, self.now);
        let minimum = plan::minimum_calls(&need_from, self.now);
        let specs: Vec<MetricSpec> = wanted.iter().map(|w| w.spec.clone()).collect();
        let ids: HashMap<(String, String), i64> = services
            .iter()
            .map(|(id, s)| ((s.cluster.clone(), s.name.clone()), *id))
            .collect();
        let owners: Vec<Option<i64>> = wanted
            .iter()
            .map(|w| w.service.as_ref().and_then(|o| ids.get(o)).copied())
            .collect();
        self.reporter.steps_planned(calls.len() as u64);
        let before = self.log.calls(Api::CloudWatchGetMetricData.name());
        let mut series_ids: HashMap<(usize, i64), i64> = HashMap::new();
        let mut points_written = 0u64;
        for call in &calls {
            // Every call's points are committed before the next call: a stop lands here.
            if self.stopping() {
                break;
            }
            let fetched = match fetch_call(&clients.cloudwatch, call, &specs, &self.log).await {
                Ok(f) => f,
                Err(e) => return Ok(Err(e)),
            };
            for &i in &call.metrics {
                let key = (i, call.window.period);
                let id = match series_ids.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = self
                            .store
                            .upsert_series(&series_key(&specs[i], key.1), None, owners[i])
                            .await?;
                        series_ids.insert(key, id);
                        id
                    }
                };
                if let Some(points) = fetched.get(&i) {
                    points_written += self.store.write_points(id, points).await?.changed;
                }
                self.store.mark_fetched(id, call.window.end).await?;
            }
            self.reporter.step_done();
        }
        let made = self.log.calls(Api::CloudWatchGetMetricData.name()) - before;
        self.report.datapoints_written += points_written;
        self.report.metric_calls.0 += made;
        self.report.metric_calls.1 += minimum;
        Ok(Ok(format!(
            "{} metrics from {}, {points_written} datapoints written, {made} GetMetricData calls (fewest possible: {minimum})",
            specs.len(),
            earliest_start(&calls),
        )))
    }

    /// Each wanted metric's fetch start, from what the store holds of it.
    async fn start_times(&self, wanted: &[Wanted]) -> Result<Vec<i64>, SyncError> {
        let mut need_from = Vec::with_capacity(wanted.len());
        for w in wanted {
            let s = &w.spec;
            let known = self
                .store
                .metric_known_until(
                    &s.namespace,
                    &s.metric_name,
                    &s.dimensions_json(),
                    &s.statistic,
                )
                .await?;
            need_from.push(metric_start(
                known,
                self.now,
                self.opts.lookback_days,
                self.opts.overlap_secs,
            ));
        }
        Ok(need_from)
    }
}

/// The store's key for `spec` fetched at `period`.
fn series_key(spec: &MetricSpec, period: i64) -> SeriesKey {
    SeriesKey {
        namespace: spec.namespace.clone(),
        metric_name: spec.metric_name.clone(),
        dimensions: spec.dimensions_json(),
        statistic: spec.statistic.clone(),
        period,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plan::Window;

    const NOW: i64 = 1_795_784_400; // 2026-11-27 13:00 UTC

    #[test]
    fn a_first_sync_starts_at_the_lookback() {
        // 90 days before 2026-11-27 13:00 is 2026-08-29 13:00 UTC.
        assert_eq!(metric_start(None, NOW, 90, 900), 1_788_008_400);
    }

    #[test]
    fn a_later_sync_starts_the_overlap_before_the_newest_point() {
        // Newest point 12:40, 15 minutes of overlap: from 12:25.
        let newest = NOW - 20 * 60;
        assert_eq!(metric_start(Some(newest), NOW, 90, 900), 1_795_782_300);
    }

    #[test]
    fn a_later_sync_never_reaches_before_the_lookback() {
        let ancient = NOW - 200 * DAY;
        assert_eq!(metric_start(Some(ancient), NOW, 7, 900), NOW - 7 * DAY);
    }

    #[test]
    fn start_times_plan_across_the_retention_windows() {
        // A new metric (30-day lookback) and one synced up to 12:40 today.
        let need = [
            metric_start(None, NOW, 30, 900),
            metric_start(Some(NOW - 20 * 60), NOW, 30, 900),
        ];
        let calls = plan::plan(&need, NOW);
        // The new metric: 5-minute data from 30 days back to 15 days back, then minute data for
        // the last 15 days. The other needs 12:25 on, rounded down to 12:00: one minute window.
        let windows: Vec<(Window, Vec<usize>)> = calls
            .iter()
            .map(|c| (c.window, c.metrics.clone()))
            .collect();
        let day15 = NOW - 15 * DAY;
        assert!(windows.contains(&(
            Window {
                start: NOW - 30 * DAY,
                end: day15,
                period: 300
            },
            vec![0]
        )));
        assert!(windows.contains(&(
            Window {
                start: NOW - 3600,
                end: NOW,
                period: 60
            },
            vec![1]
        )));
        let minute_span: i64 = windows
            .iter()
            .filter(|(w, m)| w.period == 60 && m.contains(&0))
            .map(|(w, _)| w.end - w.start)
            .sum();
        assert_eq!(minute_span, 15 * DAY);
    }

    #[test]
    fn insights_pairs_need_cluster_and_service() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let sets = BTreeSet::from([
            vec![pair("ClusterName", "prod"), pair("ServiceName", "web")],
            vec![pair("ClusterName", "prod")],
        ]);
        assert_eq!(
            insights_services(&sets),
            BTreeSet::from([("prod".to_string(), "web".to_string())])
        );
    }
}
