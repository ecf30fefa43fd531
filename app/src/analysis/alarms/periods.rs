//! Period values for a replay, from the stored series of an alarm's metric: which series to read
//! (a plan), and how finer stored points roll up into the alarm's period with the right
//! statistic (an Average from Sum / SampleCount where those are stored, never a mean of means
//! when it can be avoided).

use serde::Serialize;

use super::replay::PeriodValues;
use crate::analysis::resample::Statistic;
use crate::store::metrics::SeriesPoints;

/// A stored series of the alarm's metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSeriesInfo {
    /// Series id.
    pub id: i64,
    /// Its statistic as CloudWatch spells it (`Average`, `p99`, ...).
    pub statistic: String,
    /// Its period in seconds.
    pub period: i64,
}

/// Which series to read and how to combine them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Roll each series up with `combine` (finest first: a finer series wins where it has data).
    Direct {
        /// Series ids, finest period first.
        series: Vec<i64>,
        /// How stored values combine into one period.
        combine: CombineWith,
    },
    /// Average = sum of Sum / sum of SampleCount per period, from (Sum, SampleCount) pairs.
    AverageFromSumAndCount {
        /// (Sum series, SampleCount series), finest period first.
        pairs: Vec<(i64, i64)>,
    },
}

/// How stored values of one statistic combine into a longer period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CombineWith {
    /// Sum (Sum, SampleCount).
    Sum,
    /// Largest (Maximum).
    Max,
    /// Smallest (Minimum).
    Min,
    /// Mean of the stored averages: exact only when every stored period had the same sample
    /// count; used when no Sum and SampleCount are stored.
    MeanOfAverages,
    /// The stored value as it is (a percentile stored at exactly the alarm's period).
    AsStored,
}

/// Why a replay cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CannotReplay {
    /// A percentile statistic that is not stored at the alarm's period.
    #[error("the store holds no {statistic} datapoints at a {period}-second period, and percentiles cannot be computed from the other statistics, so this alarm cannot be replayed")]
    PercentileNotStored {
        /// The percentile, e.g. `p99`.
        statistic: String,
        /// The period asked for.
        period: i64,
    },
    /// No stored series of the statistic.
    #[error("the store holds no {statistic} series of this metric (it holds: {stored})")]
    StatisticNotStored {
        /// The statistic asked for.
        statistic: String,
        /// What is stored, e.g. `Average at 60 s`.
        stored: String,
    },
    /// The period is not a multiple of any stored resolution.
    #[error("a period of {period} s is not a multiple of the stored resolution ({resolutions})")]
    PeriodNotMultiple {
        /// The period asked for.
        period: i64,
        /// Stored periods of the statistic.
        resolutions: String,
    },
    /// The alarm has no single metric (composite or metric math).
    #[error("{0}")]
    NotAMetricAlarm(String),
}

/// Whether a statistic is a percentile (`p99`, `p99.9`).
pub fn is_percentile(statistic: &str) -> bool {
    statistic
        .strip_prefix('p')
        .is_some_and(|n| n.parse::<f64>().is_ok())
}

/// Picks the stored series that give `statistic` at `period`.
pub fn plan(
    stored: &[StoredSeriesInfo],
    statistic: &str,
    period: i64,
) -> Result<Plan, CannotReplay> {
    let usable = |stat: &str| -> Vec<&StoredSeriesInfo> {
        let mut v: Vec<&StoredSeriesInfo> = stored
            .iter()
            .filter(|s| s.statistic == stat && s.period > 0 && period % s.period == 0)
            .collect();
        v.sort_by_key(|s| s.period);
        v
    };
    if is_percentile(statistic) {
        return match stored
            .iter()
            .find(|s| s.statistic == statistic && s.period == period)
        {
            Some(s) => Ok(Plan::Direct {
                series: vec![s.id],
                combine: CombineWith::AsStored,
            }),
            None => Err(CannotReplay::PercentileNotStored {
                statistic: statistic.into(),
                period,
            }),
        };
    }
    if statistic == "Average" {
        let sums = usable("Sum");
        let counts = usable("SampleCount");
        let pairs: Vec<(i64, i64)> = sums
            .iter()
            .filter_map(|s| {
                counts
                    .iter()
                    .find(|c| c.period == s.period)
                    .map(|c| (s.id, c.id))
            })
            .collect();
        if !pairs.is_empty() {
            return Ok(Plan::AverageFromSumAndCount { pairs });
        }
    }
    let combine = match Statistic::parse(statistic) {
        Some(Statistic::Sum | Statistic::SampleCount) => CombineWith::Sum,
        Some(Statistic::Maximum) => CombineWith::Max,
        Some(Statistic::Minimum) => CombineWith::Min,
        Some(Statistic::Average) => CombineWith::MeanOfAverages,
        None => {
            return Err(CannotReplay::StatisticNotStored {
                statistic: statistic.into(),
                stored: describe(stored),
            })
        }
    };
    let series = usable(statistic);
    if series.is_empty() {
        let same: Vec<String> = stored
            .iter()
            .filter(|s| s.statistic == statistic)
            .map(|s| format!("{} s", s.period))
            .collect();
        return Err(if same.is_empty() {
            CannotReplay::StatisticNotStored {
                statistic: statistic.into(),
                stored: describe(stored),
            }
        } else {
            CannotReplay::PeriodNotMultiple {
                period,
                resolutions: same.join(", "),
            }
        });
    }
    Ok(Plan::Direct {
        series: series.iter().map(|s| s.id).collect(),
        combine,
    })
}

fn describe(stored: &[StoredSeriesInfo]) -> String {
    if stored.is_empty() {
        return "nothing".into();
    }
    stored
        .iter()
        .map(|s| format!("{} at {} s", s.statistic, s.period))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The grid of whole periods covering `[from, to)`, aligned to the epoch as CloudWatch aligns them.
pub fn empty_grid(from: i64, to: i64, period: i64) -> PeriodValues {
    let start = from.div_euclid(period) * period;
    let end = (to + period - 1).div_euclid(period) * period;
    let len = ((end - start) / period).max(0) as usize;
    PeriodValues {
        start,
        period,
        values: vec![None; len],
    }
}

/// Rolls stored points up into the periods of `grid` (points outside it are skipped).
pub fn roll_up(points: &SeriesPoints, combine: CombineWith, grid: &PeriodValues) -> PeriodValues {
    let mut acc: Vec<Option<(f64, u32)>> = vec![None; grid.values.len()];
    for (&ts, &v) in points.ts.iter().zip(&points.values) {
        if !v.is_finite() || ts < grid.start {
            continue;
        }
        let i = ((ts - grid.start) / grid.period) as usize;
        let Some(slot) = acc.get_mut(i) else { continue };
        *slot = Some(match (*slot, combine) {
            (None, _) => (v, 1),
            (Some((a, n)), CombineWith::Sum | CombineWith::MeanOfAverages) => (a + v, n + 1),
            (Some((a, n)), CombineWith::Max) => (a.max(v), n + 1),
            (Some((a, n)), CombineWith::Min) => (a.min(v), n + 1),
            (Some((_, n)), CombineWith::AsStored) => (v, n + 1),
        });
    }
    PeriodValues {
        values: acc
            .into_iter()
            .map(|a| {
                a.map(|(v, n)| match combine {
                    CombineWith::MeanOfAverages => v / f64::from(n),
                    _ => v,
                })
            })
            .collect(),
        ..grid.clone()
    }
}

/// Per-period Average from rolled-up Sum and SampleCount (None where either is missing or the
/// count is zero).
pub fn average_from(sum: &PeriodValues, count: &PeriodValues) -> PeriodValues {
    PeriodValues {
        values: sum
            .values
            .iter()
            .zip(&count.values)
            .map(|(s, c)| match (s, c) {
                (Some(s), Some(c)) if *c > 0.0 => Some(s / c),
                _ => None,
            })
            .collect(),
        ..sum.clone()
    }
}

/// Overlays layers on one grid: in each period the first layer (the finest) with a value wins.
pub fn overlay(layers: Vec<PeriodValues>, grid: &PeriodValues) -> PeriodValues {
    let mut out = grid.clone();
    for layer in layers {
        for (o, v) in out.values.iter_mut().zip(layer.values) {
            if o.is_none() {
                *o = v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: i64, statistic: &str, period: i64) -> StoredSeriesInfo {
        StoredSeriesInfo {
            id,
            statistic: statistic.into(),
            period,
        }
    }

    fn pts(pairs: &[(i64, f64)]) -> SeriesPoints {
        SeriesPoints::from_pairs(pairs.to_vec())
    }

    #[test]
    fn average_comes_from_sum_and_sample_count_when_stored() {
        let stored = [
            info(1, "Average", 60),
            info(2, "Sum", 60),
            info(3, "SampleCount", 60),
        ];
        assert_eq!(
            plan(&stored, "Average", 300),
            Ok(Plan::AverageFromSumAndCount {
                pairs: vec![(2, 3)]
            })
        );
        // Minute 0: 1 sample of 10; minute 1: 3 samples summing 6 (average 2). The true 2-minute
        // average is 16 / 4 = 4; the mean of the two averages would be 6.
        let grid = empty_grid(0, 120, 120);
        let sum = roll_up(&pts(&[(0, 10.0), (60, 6.0)]), CombineWith::Sum, &grid);
        let count = roll_up(&pts(&[(0, 1.0), (60, 3.0)]), CombineWith::Sum, &grid);
        assert_eq!(average_from(&sum, &count).values, vec![Some(4.0)]);
        let means = roll_up(
            &pts(&[(0, 10.0), (60, 2.0)]),
            CombineWith::MeanOfAverages,
            &grid,
        );
        assert_eq!(means.values, vec![Some(6.0)]);
    }

    #[test]
    fn plan_picks_series_whose_period_divides_finest_first() {
        let stored = [
            info(1, "Maximum", 300),
            info(2, "Maximum", 60),
            info(3, "Maximum", 3600),
        ];
        assert_eq!(
            plan(&stored, "Maximum", 600),
            Ok(Plan::Direct {
                series: vec![2, 1],
                combine: CombineWith::Max
            })
        );
        assert!(matches!(
            plan(&stored[..1], "Maximum", 420),
            Err(CannotReplay::PeriodNotMultiple { period: 420, .. })
        ));
        assert!(matches!(
            plan(&stored, "Sum", 300),
            Err(CannotReplay::StatisticNotStored { .. })
        ));
    }

    #[test]
    fn percentiles_replay_only_when_stored_at_the_period() {
        let stored = [info(1, "Average", 60), info(2, "p99", 300)];
        assert!(matches!(
            plan(&stored, "p99", 60),
            Err(CannotReplay::PercentileNotStored { .. })
        ));
        assert!(plan(&stored, "p99", 300).is_ok());
        assert!(matches!(
            plan(&stored[..1], "p95", 60),
            Err(CannotReplay::PercentileNotStored { .. })
        ));
    }

    #[test]
    fn roll_up_per_statistic_and_gaps_stay_missing() {
        let grid = empty_grid(0, 900, 300);
        let p = pts(&[(0, 1.0), (60, 5.0), (120, 3.0), (600, 7.0)]);
        assert_eq!(
            roll_up(&p, CombineWith::Sum, &grid).values,
            vec![Some(9.0), None, Some(7.0)]
        );
        assert_eq!(
            roll_up(&p, CombineWith::Max, &grid).values,
            vec![Some(5.0), None, Some(7.0)]
        );
        assert_eq!(
            roll_up(&p, CombineWith::Min, &grid).values,
            vec![Some(1.0), None, Some(7.0)]
        );
    }

    #[test]
    fn finer_layers_win_where_they_have_data() {
        let grid = empty_grid(0, 900, 300);
        let fine = PeriodValues {
            values: vec![None, Some(2.0), None],
            ..grid.clone()
        };
        let coarse = PeriodValues {
            values: vec![Some(1.0), Some(9.0), None],
            ..grid.clone()
        };
        assert_eq!(
            overlay(vec![fine, coarse], &grid).values,
            vec![Some(1.0), Some(2.0), None]
        );
    }
}
