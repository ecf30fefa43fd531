//! Task-hours from a service's stored task counts (RunningTaskCount samples): how many hours the
//! service ran at each count, which is all pricing needs, whatever the capacity provider strategy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::downsample::HOUR;
use crate::domain::calendar::{day_start, hour_start, DAY};
use crate::domain::capacity::{split_tasks, StrategyItem, TaskSplit};
use crate::domain::fargate::{Architecture, PriceTable, TaskSize};
use crate::store::metrics::SeriesPoints;

/// One task-count sample: when, how many tasks (mean over the period), and the period in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TaskSample {
    /// Start of the period.
    pub ts: i64,
    /// Mean running tasks over the period.
    pub tasks: f64,
    /// Seconds the sample covers.
    pub period: i64,
}

/// Merges series of one metric stored at different periods: the finest wherever it has data,
/// coarser ones only outside the span the finer ones cover (so no hour is counted twice).
pub fn merge_resolutions(mut series: Vec<(i64, SeriesPoints)>) -> Vec<TaskSample> {
    series.sort_by_key(|(period, _)| *period);
    let mut covered: Vec<(i64, i64)> = Vec::new();
    let mut out: Vec<TaskSample> = Vec::new();
    for (period, points) in series {
        let (Some(&first), Some(&last)) = (points.ts.first(), points.ts.last()) else {
            continue;
        };
        for (&ts, &v) in points.ts.iter().zip(&points.values) {
            let overlaps = covered.iter().any(|&(a, b)| ts < b && ts + period > a);
            if !overlaps {
                out.push(TaskSample {
                    ts,
                    tasks: v,
                    period,
                });
            }
        }
        covered.push((first, last + period));
    }
    out.sort_by_key(|s| s.ts);
    out
}

/// A task count to a thousandth, for grouping (counts are means over a period).
fn count_key(tasks: f64) -> i64 {
    (tasks * 1000.0).round() as i64
}

/// Hours spent at each task count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskHours {
    /// (tasks, hours at that count), by count.
    pub by_count: Vec<(f64, f64)>,
}

impl TaskHours {
    /// Collects the samples (time-ordered) in `[from, to)`.
    pub fn from_samples(samples: &[TaskSample], from: i64, to: i64) -> Self {
        let mut counts: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for s in samples_in(samples, from, to) {
            let e = counts.entry(count_key(s.tasks)).or_insert((s.tasks, 0.0));
            e.1 += s.period as f64 / 3600.0;
        }
        Self {
            by_count: counts.into_values().collect(),
        }
    }

    /// All the hours of `parts` together.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a TaskHours>) -> Self {
        Self::merge(parts.into_iter().flat_map(|p| &p.by_count))
    }

    /// (count, hours) pairs added up per count.
    fn merge<'a>(pairs: impl IntoIterator<Item = &'a (f64, f64)>) -> Self {
        let mut counts: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for &(n, hours) in pairs {
            counts.entry(count_key(n)).or_insert((n, 0.0)).1 += hours;
        }
        Self {
            by_count: counts.into_values().collect(),
        }
    }

    /// Hours with a sample.
    pub fn hours(&self) -> f64 {
        self.by_count.iter().map(|(_, h)| h).sum()
    }

    /// Task-hours (tasks x hours).
    pub fn task_hours(&self) -> f64 {
        self.by_count.iter().map(|(n, h)| n * h).sum()
    }

    /// Task-hours on demand and on Spot when every sample is split by `strategy` (the base is
    /// filled at each moment, so a mean count would misplace it).
    pub fn split(&self, strategy: &[StrategyItem]) -> TaskSplit {
        self.by_count
            .iter()
            .fold(TaskSplit::default(), |acc, &(n, hours)| {
                let s = split_tasks(strategy, n);
                TaskSplit {
                    on_demand: acc.on_demand + s.on_demand * hours,
                    spot: acc.spot + s.spot * hours,
                }
            })
    }
}

/// A task size in force from `from` until the next span starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SizeSpan {
    /// Start (`i64::MIN` for the first span: nothing earlier is known).
    pub from: i64,
    /// Task size.
    pub size: TaskSize,
    /// CPU architecture.
    pub arch: Architecture,
}

/// The sizes in force over time from a service's deployments (`(created_at, size, arch)`,
/// oldest first): a new span where a deployment changes the size. Before the first deployment
/// its size is assumed (the store knows nothing earlier); without deployments `current` holds
/// throughout.
pub fn size_spans(
    deployments: impl IntoIterator<Item = (i64, TaskSize, Architecture)>,
    current: (TaskSize, Architecture),
) -> Vec<SizeSpan> {
    let mut spans: Vec<SizeSpan> = Vec::new();
    for (from, size, arch) in deployments {
        if spans
            .last()
            .is_some_and(|s| s.size == size && s.arch == arch)
        {
            continue;
        }
        spans.push(SizeSpan { from, size, arch });
    }
    match spans.first_mut() {
        Some(first) => first.from = i64::MIN,
        None => spans.push(SizeSpan {
            from: i64::MIN,
            size: current.0,
            arch: current.1,
        }),
    }
    spans
}

/// Each span's `[start, end)` clipped to `[from, to)`, where they meet.
fn span_windows(
    spans: &[SizeSpan],
    from: i64,
    to: i64,
) -> impl Iterator<Item = (&SizeSpan, i64, i64)> {
    spans.iter().enumerate().filter_map(move |(i, span)| {
        let end = spans.get(i + 1).map_or(i64::MAX, |next| next.from);
        let (a, b) = (from.max(span.from), to.min(end));
        (a < b).then_some((span, a, b))
    })
}

/// The sizes in force at some time in `[from, to)`, oldest first.
pub fn sizes_in(spans: &[SizeSpan], from: i64, to: i64) -> Vec<TaskSize> {
    span_windows(spans, from, to)
        .map(|(s, _, _)| s.size)
        .collect()
}

/// The samples starting in `[from, to)` of a time-ordered slice.
fn samples_in(samples: &[TaskSample], from: i64, to: i64) -> &[TaskSample] {
    let lo = samples.partition_point(|s| s.ts < from);
    let hi = samples.partition_point(|s| s.ts < to);
    &samples[lo..hi.max(lo)]
}

/// Task-hours of a window split by capacity provider, each priced at the on-demand list price of
/// the size in force when it ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PricedHours {
    /// Task-hours on demand.
    pub on_demand_task_hours: f64,
    /// Task-hours on Spot.
    pub spot_task_hours: f64,
    /// The on-demand task-hours at list price, dollars.
    pub on_demand_list_usd: f64,
    /// The Spot task-hours at on-demand list price (before the Spot discount), dollars.
    pub spot_list_usd: f64,
}

impl PricedHours {
    fn plus(self, o: Self) -> Self {
        Self {
            on_demand_task_hours: self.on_demand_task_hours + o.on_demand_task_hours,
            spot_task_hours: self.spot_task_hours + o.spot_task_hours,
            on_demand_list_usd: self.on_demand_list_usd + o.on_demand_list_usd,
            spot_list_usd: self.spot_list_usd + o.spot_list_usd,
        }
    }

    fn minus(self, o: Self) -> Self {
        Self {
            on_demand_task_hours: self.on_demand_task_hours - o.on_demand_task_hours,
            spot_task_hours: self.spot_task_hours - o.spot_task_hours,
            on_demand_list_usd: self.on_demand_list_usd - o.on_demand_list_usd,
            spot_list_usd: self.spot_list_usd - o.spot_list_usd,
        }
    }
}

/// A service's samples priced once (split by its strategy, each at the size in force when it
/// was taken) as running totals, so any window's [`PricedHours`] is two look-ups: the Costs page
/// prices many windows (two periods, every month, per request) over the same samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PricedTotals {
    /// Sample start times, ascending.
    ts: Vec<i64>,
    /// `totals[i]`: the samples before `i` together (one more entry than `ts`).
    totals: Vec<PricedHours>,
}

impl PricedTotals {
    /// Prices time-ordered `samples` by `strategy` at the sizes of `spans`.
    pub fn new(
        samples: &[TaskSample],
        spans: &[SizeSpan],
        strategy: &[StrategyItem],
        prices: &PriceTable,
    ) -> Self {
        let pricing = Pricing {
            spans,
            strategy,
            prices,
        };
        Self::from_parts(samples.iter().map(|s| (s.ts, pricing.sample(s))))
    }

    /// Running totals of time-ordered, already priced parts (`(start, priced)`): a window then
    /// counts the parts starting in it, so parts of an hour give exact totals for windows of
    /// whole hours.
    pub fn from_parts(parts: impl IntoIterator<Item = (i64, PricedHours)>) -> Self {
        let mut ts = Vec::new();
        let mut totals = vec![PricedHours::default()];
        let mut running = PricedHours::default();
        for (t, p) in parts {
            running = running.plus(p);
            ts.push(t);
            totals.push(running);
        }
        Self { ts, totals }
    }

    /// The samples starting in `[from, to)`, priced.
    pub fn window(&self, (from, to): (i64, i64)) -> PricedHours {
        let lo = self.ts.partition_point(|&t| t < from);
        let hi = self.ts.partition_point(|&t| t < to).max(lo);
        self.totals[hi].minus(self.totals[lo])
    }
}

/// How a service's samples are priced: the sizes in force over time, its strategy, list prices.
#[derive(Debug, Clone, Copy)]
pub struct Pricing<'a> {
    /// Sizes over time (oldest first).
    pub spans: &'a [SizeSpan],
    /// Capacity provider strategy.
    pub strategy: &'a [StrategyItem],
    /// List prices.
    pub prices: &'a PriceTable,
}

impl Pricing<'_> {
    /// The on-demand hourly price of one task at the size in force at `ts`.
    fn unit_at(&self, ts: i64) -> f64 {
        let i = self.spans.partition_point(|z| z.from <= ts);
        i.checked_sub(1)
            .and_then(|i| self.spans.get(i))
            .map_or(0.0, |z| self.prices.hourly(z.size, z.arch))
    }

    /// `hours` at a mean of `tasks` split by the strategy and priced at `unit`.
    fn priced(&self, tasks: f64, hours: f64, unit: f64) -> PricedHours {
        let split = split_tasks(self.strategy, tasks);
        PricedHours {
            on_demand_task_hours: split.on_demand * hours,
            spot_task_hours: split.spot * hours,
            on_demand_list_usd: split.on_demand * hours * unit,
            spot_list_usd: split.spot * hours * unit,
        }
    }

    /// One sample split by the strategy and priced at the size in force when it was taken.
    pub fn sample(&self, s: &TaskSample) -> PricedHours {
        self.priced(s.tasks, s.period as f64 / 3600.0, self.unit_at(s.ts))
    }

    /// Whether the samples of the hour starting at `hour`, all between `min` and `max` tasks,
    /// price the same as their mean: the split is linear between the counts where the strategy's
    /// bases fill up (and zero), and one size must hold for the whole hour.
    fn linear_over(&self, hour: i64, min: f64, max: f64) -> bool {
        let mut bases = self.strategy.iter().scan(0.0, |filled, item| {
            *filled += f64::from(item.base);
            Some(*filled)
        });
        let kinked = min < 0.0 && max > 0.0 || bases.any(|b| min < b && b < max);
        let resized = self
            .spans
            .iter()
            .any(|z| z.from > hour && z.from < hour + HOUR);
        !kinked && !resized
    }
}

/// One hour of a service's task counts, summed: all that pricing, the daily counts and the
/// what-if need, so a year of minutes is kept as a year of hours.
#[derive(Debug, Clone, PartialEq)]
pub struct HourTasks {
    /// Start of the hour.
    pub hour: i64,
    /// Seconds with a sample.
    pub secs: f64,
    /// Tasks x seconds.
    pub task_secs: f64,
    /// Highest sample.
    pub max: f64,
    /// The samples priced.
    pub priced: PricedHours,
    /// Hours at each count, where asked for (the what-if's days), else empty.
    pub counts: Vec<(f64, f64)>,
}

impl HourTasks {
    /// The hour from its hourly rollup (`min`, `max`, `sum`, `count` of samples of `period`
    /// seconds), when that prices exactly as its samples would; None when the samples are needed
    /// (the split bends inside the hour, a deployment resized tasks in it, or the counts are
    /// asked for and the hour held more than one count).
    pub fn from_rollup(
        (hour, min, max, sum, count): (i64, f64, f64, f64, i64),
        period: i64,
        pricing: &Pricing,
        with_counts: bool,
    ) -> Option<Self> {
        if count <= 0 || !pricing.linear_over(hour, min, max) || (with_counts && min != max) {
            return None;
        }
        let secs = (count * period) as f64;
        let hours = secs / 3600.0;
        let mean = sum / count as f64;
        Some(Self {
            hour,
            secs,
            task_secs: sum * period as f64,
            max,
            priced: pricing.priced(mean, hours, pricing.unit_at(hour)),
            counts: if with_counts {
                vec![(min, hours)]
            } else {
                Vec::new()
            },
        })
    }
}

/// Sums time-ordered samples per hour, priced sample by sample; the hours at each count are
/// kept for hours starting at or after `counts_from`.
pub fn hours_from_samples(
    samples: &[TaskSample],
    pricing: &Pricing,
    counts_from: i64,
) -> Vec<HourTasks> {
    samples
        .chunk_by(|a, b| a.ts.div_euclid(HOUR) == b.ts.div_euclid(HOUR))
        .map(|hour| {
            let start = hour_start(hour[0].ts);
            let init = HourTasks {
                hour: start,
                secs: 0.0,
                task_secs: 0.0,
                max: f64::MIN,
                priced: PricedHours::default(),
                counts: Vec::new(),
            };
            let mut h = hour.iter().fold(init, |mut h, s| {
                h.secs += s.period as f64;
                h.task_secs += s.tasks * s.period as f64;
                h.max = h.max.max(s.tasks);
                h.priced = h.priced.plus(pricing.sample(s));
                h
            });
            if start >= counts_from {
                h.counts = TaskHours::from_samples(hour, i64::MIN, i64::MAX).by_count;
            }
            h
        })
        .collect()
}

/// The priced hours summed per UTC day (time-ordered): running totals of these answer windows
/// of whole days exactly in a 24th of the memory.
pub fn priced_days(hours: &[HourTasks]) -> Vec<(i64, PricedHours)> {
    hours
        .chunk_by(|a, b| day_start(a.hour) == day_start(b.hour))
        .map(|day| {
            let priced = day
                .iter()
                .fold(PricedHours::default(), |acc, h| acc.plus(h.priced));
            (day_start(day[0].hour), priced)
        })
        .collect()
}

/// Mean and highest task count and the hours at each count (where kept) per UTC day of
/// time-ordered hours.
pub fn daily_from_hours(hours: &[HourTasks]) -> Vec<DayTasks> {
    hours
        .chunk_by(|a, b| day_start(a.hour) == day_start(b.hour))
        .map(|day| {
            let (task_secs, secs, max) = day.iter().fold((0.0, 0.0, f64::MIN), |acc, h| {
                (acc.0 + h.task_secs, acc.1 + h.secs, acc.2.max(h.max))
            });
            DayTasks {
                day: day_start(day[0].hour),
                mean: if secs > 0.0 { task_secs / secs } else { 0.0 },
                max,
                hours: TaskHours::merge(day.iter().flat_map(|h| &h.counts)),
            }
        })
        .collect()
}

/// One day's task count summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayTasks {
    /// Start of the day.
    pub day: i64,
    /// Time-weighted mean count.
    pub mean: f64,
    /// Highest sample.
    pub max: f64,
    /// Hours at each count that day (the Spot what-if sums days).
    pub hours: TaskHours,
}

/// The first whole day covered by samples and the end of the last one (`[start, end)`), for
/// comparing task-hours with billed days; None without samples.
pub fn covered_days(samples: &[TaskSample]) -> Option<(i64, i64)> {
    let first = samples.first()?.ts;
    let last = samples.last()?;
    let start = if first % DAY == 0 {
        first
    } else {
        day_start(first) + DAY
    };
    Some((start, day_start(last.ts + last.period - 1) + DAY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::capacity::seed_strategy;

    #[test]
    fn hours_at_each_count_and_their_split() {
        // 2 hours at 2 tasks, 1 hour at 12 tasks (60-minute samples).
        let samples: Vec<TaskSample> = [2.0, 2.0, 12.0]
            .iter()
            .enumerate()
            .map(|(i, &n)| TaskSample {
                ts: i as i64 * 3600,
                tasks: n,
                period: 3600,
            })
            .collect();
        let h = TaskHours::from_samples(&samples, 0, 3 * 3600);
        assert_eq!(h.hours(), 3.0);
        assert_eq!(h.task_hours(), 16.0);
        // Base 2 then 60/40: 2 tasks all on demand; 12 tasks: 8 on demand, 4 Spot.
        let s = h.split(&seed_strategy());
        assert!(
            (s.on_demand - 12.0).abs() < 1e-9 && (s.spot - 4.0).abs() < 1e-9,
            "{s:?}"
        );
    }

    #[test]
    fn each_hour_is_priced_at_the_size_in_force() {
        // 4 hourly samples of 2 tasks, all on demand; resized from 1024/2048 to 2048/4096 at
        // hour 2 (a second deployment of the same size at hour 1 starts no new span).
        let samples: Vec<TaskSample> = (0..4)
            .map(|i| TaskSample {
                ts: i * 3600,
                tasks: 2.0,
                period: 3600,
            })
            .collect();
        let x86 = Architecture::X86_64;
        let spans = size_spans(
            [
                (0, TaskSize::new(1024, 2048), x86),
                (3600, TaskSize::new(1024, 2048), x86),
                (7200, TaskSize::new(2048, 4096), x86),
            ],
            (TaskSize::new(256, 512), x86),
        );
        assert_eq!(spans.len(), 2);
        let prices = PriceTable::default();
        let (small, big) = (
            prices.hourly(TaskSize::new(1024, 2048), x86),
            prices.hourly(TaskSize::new(2048, 4096), x86),
        );
        let on_demand = [StrategyItem {
            provider: "FARGATE".into(),
            base: 0,
            weight: 1,
        }];
        let totals = PricedTotals::new(&samples, &spans, &on_demand, &prices);
        let p = totals.window((0, 4 * 3600));
        assert_eq!(p.on_demand_task_hours, 8.0);
        // 2 hours x 2 tasks at each size.
        assert!(
            (p.on_demand_list_usd - (4.0 * small + 4.0 * big)).abs() < 1e-12,
            "{p:?}"
        );
        // Before the first deployment its size holds; a window inside one span has one size.
        let first = totals.window((0, 3600));
        assert!((first.on_demand_list_usd - 2.0 * small).abs() < 1e-12);
        let last = totals.window((3 * 3600, 9 * 3600));
        assert!(
            (last.on_demand_list_usd - 2.0 * big).abs() < 1e-12,
            "{last:?}"
        );
        assert_eq!(totals.window((9 * 3600, 10 * 3600)), PricedHours::default());
        assert_eq!(
            sizes_in(&spans, 0, 2 * 3600),
            vec![TaskSize::new(1024, 2048)]
        );
        assert_eq!(sizes_in(&spans, 0, 3 * 3600).len(), 2);
        // No deployments: today's size throughout.
        let today = size_spans([], (TaskSize::new(256, 512), x86));
        assert_eq!(today[0].size, TaskSize::new(256, 512));
    }

    #[test]
    fn coarse_series_fill_only_where_fine_ones_have_nothing() {
        let fine = SeriesPoints::from_pairs(vec![(7200, 3.0), (7260, 3.0)]);
        let coarse = SeriesPoints::from_pairs(vec![(0, 1.0), (3600, 1.0), (7200, 9.0)]);
        let merged = merge_resolutions(vec![(3600, coarse), (60, fine)]);
        let ts: Vec<i64> = merged.iter().map(|s| s.ts).collect();
        assert_eq!(ts, vec![0, 3600, 7200, 7260]);
        assert!(merged.iter().all(|s| s.tasks != 9.0));
    }
}
