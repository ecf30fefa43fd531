//! Planning GetMetricData calls: split each metric's missing range into windows CloudWatch will
//! answer (by age: 60 s up to 15 days, 300 s up to 63, 3600 s beyond), then pack queries into as
//! few calls as the limits allow (500 queries and 100,800 datapoints a call; one time window a call).
//! The metric collector takes its requests from here ([`MetricSpec`], [`PlannedCall`]); this
//! module depends on no collector.

use app::domain::calendar::DAY;

/// Queries one GetMetricData call may carry.
pub const MAX_QUERIES: usize = 500;
/// Datapoints one GetMetricData call may return.
pub const MAX_POINTS: i64 = 100_800;

/// A time window fetched at one period: `[start, end)`, both multiples of `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    /// Inclusive start.
    pub start: i64,
    /// Exclusive end.
    pub end: i64,
    /// Seconds per datapoint.
    pub period: i64,
}

impl Window {
    /// Datapoints one metric can have in the window.
    pub fn points(&self) -> i64 {
        ((self.end - self.start) / self.period).max(0)
    }
}

/// One planned call: a window and the metrics (indexes into the caller's list) it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCall {
    /// The call's StartTime, EndTime and the queries' period.
    pub window: Window,
    /// Indexes of the metrics queried.
    pub metrics: Vec<usize>,
}

/// A metric and statistic to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricSpec {
    /// Namespace.
    pub namespace: String,
    /// Metric name.
    pub metric_name: String,
    /// Dimensions, sorted by name.
    pub dimensions: Vec<(String, String)>,
    /// Statistic (`Average`, `Maximum`, `p99`, ...).
    pub statistic: String,
}

impl MetricSpec {
    /// A spec with dimensions put in canonical order.
    pub fn new(namespace: &str, metric_name: &str, dims: &[(&str, &str)], statistic: &str) -> Self {
        let mut dimensions: Vec<(String, String)> = dims
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        dimensions.sort();
        Self {
            namespace: namespace.into(),
            metric_name: metric_name.into(),
            dimensions,
            statistic: statistic.into(),
        }
    }

    /// The dimensions as the store keeps them.
    pub fn dimensions_json(&self) -> String {
        app::store::canonical_dimensions(
            self.dimensions
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }
}

fn floor_to(t: i64, step: i64) -> i64 {
    t.div_euclid(step) * step
}

fn ceil_to(t: i64, step: i64) -> i64 {
    -floor_to(-t, step)
}

/// Splits `[from, now)` into the windows CloudWatch keeps at each resolution.
pub fn windows_by_age(from: i64, now: i64) -> Vec<Window> {
    let end = floor_to(now, 60);
    let fine_from = ceil_to(now - 15 * DAY, 300); // 60 s data is kept 15 days
    let mid_from = ceil_to(now - 63 * DAY, 3600); // 300 s data is kept 63 days
    let mut out = Vec::new();
    if from < mid_from {
        out.push(Window {
            start: floor_to(from, 3600),
            end: mid_from,
            period: 3600,
        });
    }
    if from < fine_from {
        out.push(Window {
            start: floor_to(from, 300).max(mid_from),
            end: fine_from,
            period: 300,
        });
    }
    let start = floor_to(from, 60).max(fine_from);
    if start < end {
        out.push(Window {
            start,
            end,
            period: 60,
        });
    }
    out.retain(|w| w.points() > 0);
    out
}

/// Plans calls for metrics whose missing ranges start at `need_from[i]`, up to `now`.
///
/// Start times are rounded down to the hour so metrics synced together share windows (an hour of
/// overlap is free: upserts ignore unchanged points, and price is per metric, not per point).
pub fn plan(need_from: &[i64], now: i64) -> Vec<PlannedCall> {
    let mut groups: std::collections::BTreeMap<Window, Vec<usize>> = Default::default();
    for (i, from) in need_from.iter().enumerate() {
        for w in windows_by_age(floor_to(*from, 3600), now) {
            groups.entry(w).or_default().push(i);
        }
    }
    groups
        .into_iter()
        .flat_map(|(w, metrics)| pack(w, &metrics))
        .collect()
}

/// Packs one window's metrics into calls.
///
/// Each call carries as many whole-window queries as its datapoint limit allows. When that leaves
/// too much of each call unused (a 15-day minute window holds 4.67 queries' worth, so 4 fit), the
/// window is cut into `k` time slices, which lets more queries share a call. But every slice asks
/// for each metric again, and AWS bills per metric requested, so `k` is the smallest that brings
/// the calls within 5% of the fewest possible.
pub fn pack(w: Window, metrics: &[usize]) -> Vec<PlannedCall> {
    let n = metrics.len() as i64;
    if n == 0 {
        return Vec::new();
    }
    let fewest = ((n * w.points() + MAX_POINTS - 1) / MAX_POINTS)
        .max((n + MAX_QUERIES as i64 - 1) / MAX_QUERIES as i64);
    let good_enough = (fewest as f64 * 1.05).ceil() as usize;
    let mut best: Option<Vec<PlannedCall>> = None;
    for k in 1..=16 {
        let calls = sliced(w, metrics, k);
        let better = best.as_ref().is_none_or(|b| calls.len() < b.len());
        if better {
            best = Some(calls);
        }
        if best.as_ref().is_some_and(|b| b.len() <= good_enough) {
            break;
        }
    }
    best.unwrap_or_default()
}

/// The window cut into `k` period-aligned slices, each packed with as many queries as fit.
fn sliced(w: Window, metrics: &[usize], k: i64) -> Vec<PlannedCall> {
    let slice_points = (w.points() + k - 1) / k;
    let mut calls = Vec::new();
    let mut start = w.start;
    while start < w.end {
        let end = (start + slice_points.max(1) * w.period).min(w.end);
        let slice = Window {
            start,
            end,
            period: w.period,
        };
        let per_call = ((MAX_POINTS / slice.points().max(1)).max(1) as usize).min(MAX_QUERIES);
        calls.extend(metrics.chunks(per_call).map(|c| PlannedCall {
            window: slice,
            metrics: c.to_vec(),
        }));
        start = end;
    }
    calls
}

/// The fewest calls the limits allow for these windows: per window, enough calls for its
/// datapoints and for its queries.
pub fn minimum_calls(need_from: &[i64], now: i64) -> usize {
    let mut groups: std::collections::BTreeMap<Window, i64> = Default::default();
    for from in need_from {
        for w in windows_by_age(floor_to(*from, 3600), now) {
            *groups.entry(w).or_default() += 1;
        }
    }
    groups
        .iter()
        .map(|(w, n)| {
            let by_points = (n * w.points() + MAX_POINTS - 1) / MAX_POINTS;
            let by_queries = (n + MAX_QUERIES as i64 - 1) / MAX_QUERIES as i64;
            by_points.max(by_queries) as usize
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_957_200; // 2026-11-29 13:00 UTC

    #[test]
    fn ninety_days_is_three_windows_at_three_periods() {
        let w = windows_by_age(NOW - 90 * DAY, NOW);
        assert_eq!(
            w.iter().map(|w| w.period).collect::<Vec<_>>(),
            vec![3600, 300, 60]
        );
        assert_eq!(w[0].start, NOW - 90 * DAY);
        assert_eq!(w[0].end, w[1].start);
        assert_eq!(w[1].end, w[2].start);
        assert_eq!(w[2].end, NOW);
        assert!(
            w[2].start >= NOW - 15 * DAY,
            "60 s data only within 15 days"
        );
        assert!(
            w[1].start >= NOW - 63 * DAY,
            "300 s data only within 63 days"
        );
        for x in &w {
            assert_eq!(x.start % x.period, 0);
            assert_eq!(x.end % x.period, 0);
        }
    }

    #[test]
    fn a_recent_gap_is_one_window_of_minutes() {
        let w = windows_by_age(NOW - 3600, NOW);
        assert_eq!(
            w,
            vec![Window {
                start: NOW - 3600,
                end: NOW,
                period: 60
            }]
        );
        assert!(windows_by_age(NOW, NOW).is_empty());
    }

    #[test]
    fn packing_meets_the_minimum_for_a_first_sync() {
        for n in [1usize, 21, 100, 499, 500, 501, 1800] {
            let need = vec![NOW - 90 * DAY; n];
            let calls = plan(&need, NOW);
            let min = minimum_calls(&need, NOW);
            assert!(
                calls.len() as f64 <= min as f64 * 1.10 + 0.5,
                "{n} metrics: {} calls, minimum {min}",
                calls.len()
            );
            for c in &calls {
                assert!(c.metrics.len() <= MAX_QUERIES);
                assert!(
                    c.metrics.len() as i64 * c.window.points() <= MAX_POINTS,
                    "{c:?}"
                );
            }
            // Each metric is requested at most a few times per window (AWS bills per request of a
            // metric), and its whole range is covered exactly once.
            let requested: usize = calls.iter().map(|c| c.metrics.len()).sum();
            assert!(
                requested <= n * 3 * 3,
                "{n} metrics requested {requested} times"
            );
            let mut covered = vec![0i64; n];
            for c in &calls {
                for m in &c.metrics {
                    covered[*m] += c.window.end - c.window.start;
                }
            }
            let span = windows_by_age(NOW - 90 * DAY, NOW)
                .iter()
                .map(|w| w.end - w.start)
                .sum::<i64>();
            assert!(covered.iter().all(|c| *c == span));
        }
    }

    #[test]
    fn incremental_syncs_share_windows() {
        // Metrics last synced within the same hour are fetched together.
        let need = vec![NOW - 3600 + 60, NOW - 3600 + 600, NOW - 3600 + 1800];
        let calls = plan(&need, NOW);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].metrics, vec![0, 1, 2]);
        assert_eq!(
            calls[0].window,
            Window {
                start: NOW - 3600,
                end: NOW,
                period: 60
            }
        );
    }
}
