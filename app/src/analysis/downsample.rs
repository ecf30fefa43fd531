//! Shrinking a series to the pixels a chart has, keeping each bucket's min and max so spikes
//! survive.

use serde::{Deserialize, Serialize};

/// One chart column: the time it starts and the range of values in it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Start of the bucket.
    pub ts: i64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean value.
    pub mean: f64,
}

/// Seconds of one hourly rollup.
pub const HOUR: i64 = 3600;
/// A line breaks only where more than this many periods of the series' own resolution are missing.
pub const GAP_PERIODS: i64 = 3;

/// How a series is read for a chart: from which table, in which bucket width, and where its line
/// may break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnPlan {
    /// Read hourly rollups rather than raw datapoints.
    pub hourly: bool,
    /// Seconds between two datapoints of what is read: the raw period, or an hour for rollups.
    pub resolution: i64,
    /// Bucket width in seconds: a whole multiple of `resolution`, so every bucket holds the same
    /// number of datapoints and none is empty unless data is missing.
    pub width: i64,
}

impl ColumnPlan {
    /// Plans `columns` buckets over `span` seconds of a series sampled every `raw_period` seconds;
    /// spans longer than `raw_up_to` read hourly rollups.
    pub fn new(span: i64, columns: i64, raw_period: i64, raw_up_to: i64) -> Self {
        let hourly = span > raw_up_to;
        let resolution = if hourly { HOUR } else { raw_period.max(1) };
        let wanted = (span.max(1) + columns.max(1) - 1) / columns.max(1);
        let periods = ((wanted + resolution - 1) / resolution).max(1);
        Self {
            hourly,
            resolution,
            width: periods * resolution,
        }
    }

    /// Where buckets start for a range from `from`: on a whole period of the resolution (on the
    /// hour for rollups), so each bucket's start is the time of the first datapoint it holds.
    pub fn origin(&self, from: i64) -> i64 {
        from.div_euclid(self.resolution) * self.resolution
    }

    /// The largest distance between two consecutive bucket starts that is still one line: beyond
    /// it more than [`GAP_PERIODS`] periods of data are missing.
    pub fn max_gap(&self) -> i64 {
        self.width + GAP_PERIODS * self.resolution
    }
}

/// Groups time-sorted `(ts, min, max, sum, count)` samples into at most `buckets` equal time
/// buckets over `[from, to)`. Empty buckets are left out (a gap, not a zero).
pub fn downsample(
    samples: &[(i64, f64, f64, f64, i64)],
    from: i64,
    to: i64,
    buckets: usize,
) -> Vec<Band> {
    let span = (to - from).max(1);
    let n = buckets.max(1) as i64;
    let width = ((span + n - 1) / n).max(1);
    let mut out: Vec<Band> = Vec::with_capacity(buckets);
    let mut acc: Option<(i64, f64, f64, f64, i64)> = None;
    for &(ts, min, max, sum, count) in samples {
        if ts < from || ts >= to {
            continue;
        }
        let b = from + (ts - from) / width * width;
        match &mut acc {
            Some(a) if a.0 == b => {
                a.1 = a.1.min(min);
                a.2 = a.2.max(max);
                a.3 += sum;
                a.4 += count;
            }
            _ => {
                if let Some(a) = acc.take() {
                    out.push(band(a));
                }
                acc = Some((b, min, max, sum, count));
            }
        }
    }
    if let Some(a) = acc {
        out.push(band(a));
    }
    out
}

fn band((ts, min, max, sum, count): (i64, f64, f64, f64, i64)) -> Band {
    Band {
        ts,
        min,
        max,
        mean: if count > 0 {
            sum / count as f64
        } else {
            (min + max) / 2.0
        },
    }
}

/// Raw points as samples for [`downsample`].
pub fn points_as_samples(points: &[(i64, f64)]) -> Vec<(i64, f64, f64, f64, i64)> {
    points.iter().map(|&(t, v)| (t, v, v, v, 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn buckets_are_whole_multiples_of_the_resolution_read() {
        for days in [1, 3, 7, 14, 30, 90, 400] {
            let plan = ColumnPlan::new(days * DAY, 450, 60, 3 * DAY);
            assert_eq!(plan.hourly, days > 3, "{days} days");
            assert_eq!(plan.resolution, if days > 3 { HOUR } else { 60 });
            assert_eq!(plan.width % plan.resolution, 0, "{days} days: {plan:?}");
            assert!(plan.width >= plan.resolution);
            // Never many more columns than asked for.
            assert!(days * DAY / plan.width <= 450, "{days} days: {plan:?}");
        }
        // Seven days of hourly rollups: one bucket per hour, not 1344-second buckets that leave
        // every other one empty.
        assert_eq!(ColumnPlan::new(7 * DAY, 450, 60, 3 * DAY).width, HOUR);
        // A five-minute series keeps five-minute multiples.
        assert_eq!(ColumnPlan::new(DAY, 450, 300, 3 * DAY).width, 300);
    }

    #[test]
    fn buckets_start_on_whole_periods() {
        let from = 1_764_400_000 - 14 * DAY + 1234;
        let hourly = ColumnPlan::new(14 * DAY, 450, 60, 3 * DAY);
        let origin = hourly.origin(from);
        assert_eq!(origin % HOUR, 0);
        assert!(origin <= from && from - origin < HOUR);
        let raw = ColumnPlan::new(DAY, 450, 60, 3 * DAY);
        assert_eq!(raw.origin(from) % 60, 0);
        assert!(from - raw.origin(from) < 60);
    }

    #[test]
    fn a_line_breaks_only_after_more_than_a_few_missing_periods() {
        let plan = ColumnPlan::new(14 * DAY, 450, 60, 3 * DAY);
        // Consecutive hourly buckets, and up to GAP_PERIODS missing hours, are one line...
        assert!(plan.width <= plan.max_gap());
        assert!(plan.width + GAP_PERIODS * HOUR <= plan.max_gap());
        // ...one more missing hour is a gap.
        assert!(plan.width + (GAP_PERIODS + 1) * HOUR > plan.max_gap());
    }

    #[test]
    fn keeps_spikes_and_dips() {
        let mut pts: Vec<(i64, f64)> = (0..1000).map(|i| (i * 60, 10.0)).collect();
        pts[417].1 = 99.0;
        pts[800].1 = 0.5;
        let bands = downsample(&points_as_samples(&pts), 0, 60_000, 100);
        assert_eq!(bands.len(), 100);
        assert_eq!(bands.iter().map(|b| b.max).fold(0.0, f64::max), 99.0);
        assert_eq!(
            bands.iter().map(|b| b.min).fold(f64::INFINITY, f64::min),
            0.5
        );
        assert_eq!(bands[41].max, 99.0);
        assert!((bands[0].mean - 10.0).abs() < 1e-12);
    }

    #[test]
    fn fewer_points_than_pixels_pass_through() {
        let pts = vec![(0, 1.0), (3600, 2.0)];
        let bands = downsample(&points_as_samples(&pts), 0, 7200, 800);
        assert_eq!(bands.len(), 2);
        assert_eq!(
            bands[1],
            Band {
                ts: 3600,
                min: 2.0,
                max: 2.0,
                mean: 2.0
            }
        );
    }

    #[test]
    fn gaps_stay_gaps_and_out_of_range_is_dropped() {
        let pts = vec![(-60, 5.0), (0, 1.0), (9000, 2.0), (20_000, 3.0)];
        let bands = downsample(&points_as_samples(&pts), 0, 10_000, 10);
        assert_eq!(
            bands.iter().map(|b| b.ts).collect::<Vec<_>>(),
            vec![0, 9000]
        );
    }
}
