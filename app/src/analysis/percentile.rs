//! Percentiles by linear interpolation between closest ranks (numpy's default "linear").

/// The `p`th percentile (0..=100) of `values`, or None when empty. Sorts a copy.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    percentile_sorted(&sorted, p)
}

/// The `p`th percentile of already sorted, finite values.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_cases() {
        // n = 5, p95: rank = 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4) = 4.8
        assert_eq!(percentile(&[5.0, 1.0, 3.0, 2.0, 4.0], 95.0), Some(4.8));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.5));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[], 95.0), None);
        assert_eq!(percentile(&[1.0, 2.0], 0.0), Some(1.0));
        assert_eq!(percentile(&[1.0, 2.0], 100.0), Some(2.0));
        // 1..=100, p95: rank 94.05 -> 95 + 0.05 * 1 = 95.05
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((percentile(&hundred, 95.0).unwrap() - 95.05).abs() < 1e-9);
    }

    #[test]
    fn ignores_non_finite_values() {
        assert_eq!(percentile(&[f64::NAN, 1.0, 3.0], 50.0), Some(2.0));
    }
}
