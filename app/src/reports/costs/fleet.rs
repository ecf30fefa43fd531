//! The services with their stored task counts and size history, read once for the
//! decomposition, the Spot what-if, the reconciliation and the anomaly notes.

use crate::analysis::downsample::HOUR;
use crate::analysis::spend::task_hours::{
    covered_days, daily_from_hours, hours_from_samples, merge_resolutions, priced_days, size_spans,
    DayTasks, HourTasks, PricedTotals, Pricing, SizeSpan, TaskSample,
};
use crate::domain::calendar::{day_start, DAY};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, PriceTable, TaskSize};
use crate::store::deployments::Deployment;
use crate::store::metrics::SeriesPoints;
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
    /// The whole days the task counts cover, `[start, end)` (None without any).
    pub covered: Option<(i64, i64)>,
    /// Mean and highest task count per day, with the hours at each count on the days the
    /// what-if prices (anomaly notes look days up, the Spot what-if sums them).
    pub daily: Vec<DayTasks>,
    /// The task counts priced at the sizes in force, as running totals (a window in two
    /// look-ups): per hour for a service built from samples, per day for one read from the store
    /// (every window the page, the API and the command line ask for is whole days). The minutes
    /// themselves are not kept: a year of them for 200 services was gigabytes.
    pub priced: PricedTotals,
}

/// What a service is, apart from its task counts.
pub struct ServiceParts {
    /// Cluster.
    pub cluster: String,
    /// Service name.
    pub name: String,
    /// Today's size and architecture.
    pub size: (TaskSize, Architecture),
    /// Capacity provider strategy.
    pub strategy: Vec<StrategyItem>,
    /// Autoscaling maximum.
    pub scaling_max: Option<i64>,
    /// Stored deployments, oldest first.
    pub deployments: Vec<Deployment>,
}

impl ServiceParts {
    /// The sizes in force over time.
    fn spans(&self) -> Vec<SizeSpan> {
        size_spans(
            self.deployments
                .iter()
                .map(|d| (d.created_at, d.size, d.architecture)),
            self.size,
        )
    }
}

impl FleetService {
    /// A service from its parts and its task-count samples (time-ordered), with the size spans,
    /// daily counts and priced totals worked out (the hours at each count kept for every day).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cluster: String,
        name: String,
        size: (TaskSize, Architecture),
        strategy: Vec<StrategyItem>,
        scaling_max: Option<i64>,
        deployments: Vec<Deployment>,
        samples: Vec<TaskSample>,
        prices: &PriceTable,
    ) -> Self {
        let parts = ServiceParts {
            cluster,
            name,
            size,
            strategy,
            scaling_max,
            deployments,
        };
        let sizes = parts.spans();
        let pricing = Pricing {
            spans: &sizes,
            strategy: &parts.strategy,
            prices,
        };
        let hours = hours_from_samples(&samples, &pricing, i64::MIN);
        let priced = PricedTotals::from_parts(hours.iter().map(|h| (h.hour, h.priced)));
        Self::from_hours(parts, sizes, &hours, covered_days(&samples), priced)
    }

    /// A service from its parts, its task counts summed per hour (time-ordered) and their
    /// priced totals.
    fn from_hours(
        parts: ServiceParts,
        sizes: Vec<SizeSpan>,
        hours: &[HourTasks],
        covered: Option<(i64, i64)>,
        priced: PricedTotals,
    ) -> Self {
        Self {
            cluster: parts.cluster,
            name: parts.name,
            size: parts.size.0,
            arch: parts.size.1,
            sizes,
            deployments: parts.deployments,
            strategy: parts.strategy,
            scaling_max: parts.scaling_max,
            covered,
            daily: daily_from_hours(hours),
            priced,
        }
    }
}

/// Reads every service (removed ones too: they were billed) with its deployments and its task
/// counts in `[from, to)` (whole hours), priced with `prices`; the hours at each count are kept
/// for days from `counts_from` (the what-if's). A service with one task-count series is read
/// from its hourly rollups, with the minutes of only the hours a rollup cannot price exactly;
/// one with several (a sync's coarser windows) from its samples, merged.
pub async fn load(
    store: &Store,
    (from, to): (i64, i64),
    counts_from: i64,
    prices: &PriceTable,
) -> StoreResult<Vec<FleetService>> {
    let services = store.list_services_with(Removed::Show).await?;
    let mut deployments = store.deployments_by_service().await?;
    let mut out = Vec::with_capacity(services.len());
    for s in services {
        let series: Vec<(i64, i64)> = store
            .list_series(Some(s.id))
            .await?
            .iter()
            .filter(|sr| sr.key.metric_name == TASK_METRIC && sr.key.statistic == "Average")
            .map(|sr| (sr.key.period, sr.id))
            .collect();
        let svc = s.service;
        let parts = ServiceParts {
            cluster: svc.cluster,
            name: svc.name,
            size: (svc.size, svc.architecture),
            strategy: svc.strategy,
            scaling_max: svc.scaling_max,
            deployments: deployments.remove(&s.id).unwrap_or_default(),
        };
        let sizes = parts.spans();
        let pricing = Pricing {
            spans: &sizes,
            strategy: &parts.strategy,
            prices,
        };
        let (hours, covered) = match series.as_slice() {
            [one] => hours_from_rollups(store, *one, (from, to), &pricing, counts_from).await?,
            _ => {
                let mut read = Vec::with_capacity(series.len());
                for &(period, id) in &series {
                    read.push((period, store.read_points(id, from, to).await?));
                }
                let samples = merge_resolutions(read);
                let hours = hours_from_samples(&samples, &pricing, counts_from);
                (hours, covered_days(&samples))
            }
        };
        let priced = PricedTotals::from_parts(priced_days(&hours));
        out.push(FleetService::from_hours(
            parts, sizes, &hours, covered, priced,
        ));
    }
    Ok(out)
}

/// One series' hours in `[from, to)` from its hourly rollups; the first and last hour (whose
/// exact first and last sample give the covered days) and any hour a rollup cannot price
/// exactly are summed from their samples.
pub async fn hours_from_rollups(
    store: &Store,
    (period, series_id): (i64, i64),
    (from, to): (i64, i64),
    pricing: &Pricing<'_>,
    counts_from: i64,
) -> StoreResult<(Vec<HourTasks>, Option<(i64, i64)>)> {
    let rollups = store.read_buckets(series_id, from, to, HOUR, true).await?;
    let last = rollups.len().saturating_sub(1);
    let mut day = RawDay::default();
    let mut edges: Vec<TaskSample> = Vec::new();
    let mut hours = Vec::with_capacity(rollups.len());
    for (i, &rollup) in rollups.iter().enumerate() {
        let hour = rollup.0;
        let edge = i == 0 || i == last;
        let exact = (!edge)
            .then(|| HourTasks::from_rollup(rollup, period, pricing, hour >= counts_from))
            .flatten();
        if let Some(h) = exact {
            hours.push(h);
            continue;
        }
        let samples = day.hour(store, series_id, period, hour).await?;
        hours.extend(hours_from_samples(&samples, pricing, counts_from));
        if edge {
            edges.extend(samples);
        }
    }
    Ok((hours, covered_days(&edges)))
}

/// The minutes of the day last read, so the hours of one day needing their samples read it once.
#[derive(Default)]
struct RawDay {
    day: Option<i64>,
    points: SeriesPoints,
}

impl RawDay {
    /// The samples of the hour starting at `hour`.
    async fn hour(
        &mut self,
        store: &Store,
        series_id: i64,
        period: i64,
        hour: i64,
    ) -> StoreResult<Vec<TaskSample>> {
        let day = day_start(hour);
        if self.day != Some(day) {
            self.points = store.read_points(series_id, day, day + DAY).await?;
            self.day = Some(day);
        }
        let ts = &self.points.ts;
        let (lo, hi) = (
            ts.partition_point(|&t| t < hour),
            ts.partition_point(|&t| t < hour + HOUR),
        );
        Ok(ts[lo..hi]
            .iter()
            .zip(&self.points.values[lo..hi])
            .map(|(&ts, &tasks)| TaskSample { ts, tasks, period })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::spend::task_hours::PricedHours;
    use crate::domain::capacity::seed_strategy;
    use crate::store::metrics::SeriesKey;

    const DAY0: i64 = 20_000 * DAY;

    /// Three days of minutes: 4 tasks from 10:00 to 20:00, else a count from 0 to 5 changing
    /// every 37 minutes (across the strategy's base of 2), and no samples from 05:00 to 06:00
    /// on the second day.
    fn minutes() -> Vec<TaskSample> {
        (0..3 * 1440)
            .map(|i| DAY0 + i * 60)
            .filter(|ts| !(ts - DAY0 >= DAY + 5 * HOUR && ts - DAY0 < DAY + 6 * HOUR))
            .map(|ts| {
                let hour_of_day = (ts % DAY) / HOUR;
                let tasks = if (10..20).contains(&hour_of_day) {
                    4.0
                } else {
                    ((ts / 60 / 37) % 6) as f64
                };
                TaskSample {
                    ts,
                    tasks,
                    period: 60,
                }
            })
            .collect()
    }

    fn close(a: PricedHours, b: PricedHours) -> bool {
        let near = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(1.0);
        near(a.on_demand_task_hours, b.on_demand_task_hours)
            && near(a.spot_task_hours, b.spot_task_hours)
            && near(a.on_demand_list_usd, b.on_demand_list_usd)
            && near(a.spot_list_usd, b.spot_list_usd)
    }

    #[tokio::test]
    async fn hours_from_rollups_price_as_the_minutes_do() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let key = SeriesKey {
            namespace: "ECS/ContainerInsights".into(),
            metric_name: TASK_METRIC.into(),
            dimensions: "{}".into(),
            statistic: "Average".into(),
            period: 60,
        };
        let id = store.upsert_series(&key, None, None).await.unwrap();
        let samples = minutes();
        let pairs: Vec<(i64, f64)> = samples.iter().map(|s| (s.ts, s.tasks)).collect();
        store.write_points(id, &pairs).await.unwrap();
        // Resized at 14:30 on the first day (inside an hour of steady counts).
        let x86 = Architecture::X86_64;
        let spans = size_spans(
            [
                (DAY0 - DAY, TaskSize::new(512, 1024), x86),
                (DAY0 + 14 * HOUR + 30 * 60, TaskSize::new(1024, 2048), x86),
            ],
            (TaskSize::new(1024, 2048), x86),
        );
        let strategy = seed_strategy();
        let prices = PriceTable::default();
        let pricing = Pricing {
            spans: &spans,
            strategy: &strategy,
            prices: &prices,
        };
        let counts_from = DAY0 + 2 * DAY;
        let window = (DAY0 - DAY, DAY0 + 4 * DAY);

        let (from_rollups, covered) =
            hours_from_rollups(&store, (60, id), window, &pricing, counts_from)
                .await
                .unwrap();
        let from_minutes = hours_from_samples(&samples, &pricing, counts_from);

        assert_eq!(covered, covered_days(&samples));
        assert_eq!(covered, Some((DAY0, DAY0 + 3 * DAY)));
        let (a, b) = (
            PricedTotals::from_parts(from_rollups.iter().map(|h| (h.hour, h.priced))),
            PricedTotals::from_parts(from_minutes.iter().map(|h| (h.hour, h.priced))),
        );
        for start in (0..72).map(|h| DAY0 + h * HOUR) {
            for len in [HOUR, 5 * HOUR, DAY] {
                let w = (start, start + len);
                assert!(close(a.window(w), b.window(w)), "{w:?}");
            }
        }
        // Summed per day, whole days price the same.
        let days = PricedTotals::from_parts(priced_days(&from_rollups));
        for start in (-1..4).map(|d| DAY0 + d * DAY) {
            for len in [DAY, 2 * DAY] {
                let w = (start, start + len);
                assert!(close(days.window(w), b.window(w)), "{w:?}");
            }
        }
        let total = a.window(window);
        assert!(total.spot_task_hours > 0.0 && total.on_demand_list_usd > 0.0);
        let (da, db) = (
            daily_from_hours(&from_rollups),
            daily_from_hours(&from_minutes),
        );
        assert_eq!(da.len(), 3);
        for (x, y) in da.iter().zip(&db) {
            assert_eq!((x.day, x.max), (y.day, y.max));
            assert!((x.mean - y.mean).abs() < 1e-9, "{x:?} {y:?}");
            assert_eq!(x.hours.by_count.len(), y.hours.by_count.len());
            for (p, q) in x.hours.by_count.iter().zip(&y.hours.by_count) {
                assert!(p.0 == q.0 && (p.1 - q.1).abs() < 1e-9, "{p:?} {q:?}");
            }
        }
        // Counts are kept only from `counts_from`.
        assert!(da[0].hours.by_count.is_empty() && !da[2].hours.by_count.is_empty());
    }

    #[test]
    fn a_rollup_prices_an_hour_only_when_its_mean_does() {
        let x86 = Architecture::X86_64;
        let spans = size_spans(
            [(DAY0 + 30 * 60, TaskSize::new(1024, 2048), x86)],
            (TaskSize::new(1024, 2048), x86),
        );
        let mut resized = spans.clone();
        resized.push(SizeSpan {
            from: DAY0 + 2 * HOUR + 60,
            size: TaskSize::new(2048, 4096),
            arch: x86,
        });
        let strategy = seed_strategy();
        let prices = PriceTable::default();
        let pricing = Pricing {
            spans: &resized,
            strategy: &strategy,
            prices: &prices,
        };
        let hour = |h: i64, min: f64, max: f64| (DAY0 + h * HOUR, min, max, (min + max) * 30.0, 60);
        // 2 to 5 tasks: above the base of 2 throughout, the split is linear.
        let steady = HourTasks::from_rollup(hour(1, 2.0, 5.0), 60, &pricing, false).unwrap();
        assert!((steady.task_secs - 3.5 * 3600.0).abs() < 1e-9);
        // 1 to 3 tasks straddle the base; a resize inside the hour; several counts asked for.
        assert!(HourTasks::from_rollup(hour(1, 1.0, 3.0), 60, &pricing, false).is_none());
        assert!(HourTasks::from_rollup(hour(2, 3.0, 3.0), 60, &pricing, false).is_none());
        assert!(HourTasks::from_rollup(hour(1, 2.0, 5.0), 60, &pricing, true).is_none());
        let one = HourTasks::from_rollup(hour(1, 3.0, 3.0), 60, &pricing, true).unwrap();
        assert_eq!(one.counts, vec![(3.0, 1.0)]);
    }
}
