//! Days whose spend departs from a robust, weekday-aware baseline: the median and median absolute
//! deviation (MAD) of the trailing days, each day first divided by its weekday's factor, so a
//! quiet weekend is not an anomaly and one expensive day does not move the baseline.

use serde::{Deserialize, Serialize};

use crate::analysis::percentile::percentile;
use crate::domain::calendar::DAY;

/// How anomalies are found (`[costs.anomalies]` in spendwatch.toml).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnomalyRules {
    /// Trailing days the baseline is taken over.
    pub window_days: u32,
    /// Days of data the window needs before a day is judged.
    pub min_history_days: u32,
    /// How many scaled MADs from the baseline a day must be.
    pub threshold_mads: f64,
    /// Smallest departure in dollars worth listing.
    pub min_usd: f64,
    /// Smallest departure as a fraction of the baseline.
    pub min_fraction: f64,
}

impl Default for AnomalyRules {
    fn default() -> Self {
        Self {
            window_days: 28,
            min_history_days: 14,
            threshold_mads: 4.0,
            min_usd: 0.25,
            min_fraction: 0.10,
        }
    }
}

/// One day off its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DayAnomaly {
    /// Start of the day.
    pub date: i64,
    /// What was spent.
    pub amount_usd: f64,
    /// What the baseline expected for that weekday.
    pub expected_usd: f64,
    /// `amount - expected` (negative for a drop).
    pub excess_usd: f64,
    /// Departure in scaled MADs.
    pub score: f64,
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0).unwrap_or(0.0)
}

/// MAD scaled to estimate a standard deviation for normal noise.
const MAD_SCALE: f64 = 1.4826;

fn weekday(day: i64) -> i64 {
    (day.div_euclid(DAY) + 4).rem_euclid(7)
}

/// Each weekday's level against the whole window's median (1 where it cannot be told).
fn weekday_factors(window: &[(i64, f64)]) -> [f64; 7] {
    let all: Vec<f64> = window.iter().map(|p| p.1).collect();
    let overall = median(&all);
    let mut f = [1.0; 7];
    if overall <= 0.0 {
        return f;
    }
    for (w, factor) in f.iter_mut().enumerate() {
        let same: Vec<f64> = window
            .iter()
            .filter(|p| weekday(p.0) == w as i64)
            .map(|p| p.1)
            .collect();
        if !same.is_empty() {
            let m = median(&same) / overall;
            if m > 0.0 {
                *factor = m;
            }
        }
    }
    f
}

/// Judges one day against the days before it; None when there is too little history.
fn judge(day: i64, value: f64, window: &[(i64, f64)], rules: &AnomalyRules) -> Option<DayAnomaly> {
    if window.len() < rules.min_history_days as usize {
        return None;
    }
    let factors = weekday_factors(window);
    let normalized: Vec<f64> = window
        .iter()
        .map(|p| p.1 / factors[weekday(p.0) as usize])
        .collect();
    let base = median(&normalized);
    let deviations: Vec<f64> = normalized.iter().map(|r| (r - base).abs()).collect();
    let factor = factors[weekday(day) as usize];
    let expected = base * factor;
    let spread = MAD_SCALE * median(&deviations) * factor;
    let excess = value - expected;
    let score = if spread > 0.0 {
        excess / spread
    } else if excess == 0.0 {
        0.0
    } else {
        f64::INFINITY.copysign(excess)
    };
    let big = score.abs() >= rules.threshold_mads
        && excess.abs() >= rules.min_usd
        && excess.abs() >= rules.min_fraction * expected.abs();
    big.then_some(DayAnomaly {
        date: day,
        amount_usd: value,
        expected_usd: expected,
        excess_usd: excess,
        score,
    })
}

/// Anomalous days of one group's daily series (`(day, dollars)`, oldest first, gaps left out)
/// from `from` on; earlier days serve only as history.
pub fn detect(series: &[(i64, f64)], from: i64, rules: &AnomalyRules) -> Vec<DayAnomaly> {
    let window = i64::from(rules.window_days) * DAY;
    let mut out = Vec::new();
    let mut lo = 0;
    for (i, &(day, value)) in series.iter().enumerate() {
        while series[lo].0 < day - window {
            lo += 1;
        }
        if day < from {
            continue;
        }
        if let Some(a) = judge(day, value, &series[lo..i], rules) {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten weeks of a weekly rhythm: $10 on weekdays, $7 at weekends, with a little wobble.
    fn weekly() -> Vec<(i64, f64)> {
        (0..70)
            .map(|d| {
                let day = d * DAY;
                let level = if matches!(weekday(day), 0 | 6) {
                    7.0
                } else {
                    10.0
                };
                (day, level + 0.05 * ((d * 7919) % 5 - 2) as f64)
            })
            .collect()
    }

    #[test]
    fn a_weekly_rhythm_is_not_an_anomaly() {
        assert_eq!(detect(&weekly(), 0, &AnomalyRules::default()), vec![]);
    }

    #[test]
    fn a_planted_spike_is_found_with_its_size() {
        let mut s = weekly();
        // Day 50 is a weekday (1970-02-20, a Friday): $25 against about $10.
        assert!(!matches!(weekday(50 * DAY), 0 | 6));
        s[50].1 = 25.0;
        let found = detect(&s, 0, &AnomalyRules::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].date, 50 * DAY);
        assert!((found[0].expected_usd - 10.0).abs() < 0.2, "{found:?}");
        assert!((found[0].excess_usd - 15.0).abs() < 0.2);
    }

    #[test]
    fn the_dollar_floor_is_configurable() {
        let mut s = weekly();
        s[50].1 = 11.5;
        let floor = |min_usd| AnomalyRules {
            min_usd,
            ..AnomalyRules::default()
        };
        assert_eq!(detect(&s, 0, &floor(1.0)).len(), 1);
        assert_eq!(detect(&s, 0, &floor(2.0)), vec![]);
    }
}
