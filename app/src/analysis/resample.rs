//! Rolling minute datapoints up into longer periods, the way CloudWatch computes a statistic.

/// A CloudWatch statistic we can compute from per-period values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Mean of the values.
    Average,
    /// Largest value.
    Maximum,
    /// Smallest value.
    Minimum,
    /// Sum of the values.
    Sum,
    /// Number of values.
    SampleCount,
}

impl Statistic {
    /// Parses CloudWatch's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Average" => Self::Average,
            "Maximum" => Self::Maximum,
            "Minimum" => Self::Minimum,
            "Sum" => Self::Sum,
            "SampleCount" => Self::SampleCount,
            _ => return None,
        })
    }
}

/// Groups time-sorted `(ts, value)` points into buckets of `period` seconds aligned to the epoch
/// and applies `stat` to each bucket. Buckets with no points are left out.
pub fn resample(points: &[(i64, f64)], period: i64, stat: Statistic) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let bucket = points[i].0.div_euclid(period) * period;
        let mut j = i;
        let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        while j < points.len() && points[j].0 < bucket + period {
            let v = points[j].1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
            j += 1;
        }
        let n = (j - i) as f64;
        let value = match stat {
            Statistic::Average => sum / n,
            Statistic::Maximum => max,
            Statistic::Minimum => min,
            Statistic::Sum => sum,
            Statistic::SampleCount => n,
        };
        out.push((bucket, value));
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_minute_buckets() {
        let pts: Vec<(i64, f64)> = (0..10).map(|m| (m * 60, m as f64)).collect();
        assert_eq!(
            resample(&pts, 300, Statistic::Average),
            vec![(0, 2.0), (300, 7.0)]
        );
        assert_eq!(
            resample(&pts, 300, Statistic::Maximum),
            vec![(0, 4.0), (300, 9.0)]
        );
        assert_eq!(
            resample(&pts, 300, Statistic::Sum),
            vec![(0, 10.0), (300, 35.0)]
        );
        assert_eq!(
            resample(&pts, 300, Statistic::Minimum),
            vec![(0, 0.0), (300, 5.0)]
        );
    }

    #[test]
    fn gaps_leave_no_bucket() {
        let pts = vec![(0, 1.0), (900, 2.0)];
        assert_eq!(
            resample(&pts, 300, Statistic::SampleCount),
            vec![(0, 1.0), (900, 1.0)]
        );
    }
}
