//! Percentiles by linear interpolation between closest ranks (numpy's default "linear").

/// The `p`th percentile (0..=100) of `values`, or None when empty. Selects in a copy (linear
/// time): the same two closest ranks a sort would give, without sorting.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    percentile_in_place(&mut finite, p)
}

/// The `p`th percentile of finite `values`, reordering them: `select_nth_unstable` puts the lower
/// closest rank in place and leaves every larger value after it, whose minimum is the upper rank.
/// Equal to [`percentile_sorted`] on the sorted values, bit for bit.
pub fn percentile_in_place(values: &mut [f64], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (lo, hi, frac) = closest_ranks(n, p);
    let (_, lo_value, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let lo_value = *lo_value;
    let hi_value = if hi == lo {
        lo_value
    } else {
        above
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(lo_value)
    };
    Some(lo_value + (hi_value - lo_value) * frac)
}

/// The `p`th percentile of already sorted, finite values.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let (lo, hi, frac) = closest_ranks(n, p);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// The two ranks (0-based) around the `p`th percentile of `n > 0` values, and how far between.
fn closest_ranks(n: usize, p: f64) -> (usize, usize, f64) {
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
    let lo = rank.floor() as usize;
    (lo, rank.ceil() as usize, rank - lo as f64)
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

    proptest::proptest! {
        /// Selection picks the same ranks a full sort does, bit for bit, duplicates and signed
        /// zeros included.
        #[test]
        fn selection_equals_the_sorted_percentile(
            values in proptest::collection::vec(
                proptest::prop_oneof![-1e6f64..1e6, proptest::sample::select(vec![0.0, -0.0, 1.5, 99.5])],
                1..300,
            ),
            p in 0.0f64..=100.0,
        ) {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let selected = percentile(&values, p).unwrap();
            let by_sort = percentile_sorted(&sorted, p).unwrap();
            proptest::prop_assert_eq!(selected.to_bits(), by_sort.to_bits());
        }
    }

    #[test]
    fn ignores_non_finite_values() {
        assert_eq!(percentile(&[f64::NAN, 1.0, 3.0], 50.0), Some(2.0));
    }
}
