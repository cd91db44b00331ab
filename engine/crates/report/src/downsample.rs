//! Min/max downsampling of long series for drawing.
//!
//! A replay can produce millions of points but a chart is about a thousand
//! pixels wide: drawing them all would make a huge file that looks the same.
//! Averaging would hide the spikes a reader looks for (a crash, a drawdown
//! bottom), so each bucket keeps its lowest and its highest point instead.

/// The indices of the points of `values` to draw, in increasing order, at most
/// `max(max_points, 4)` of them.
///
/// * If there are no more than `max_points` values, every finite one is kept.
/// * Otherwise the values are cut into `b = (max_points - 2) / 2` buckets of
///   consecutive indices, bucket `k` covering `k * n / b .. (k + 1) * n / b`,
///   and each bucket keeps the index of its minimum and of its maximum (the
///   first one on ties), in index order; the first and the last finite value of
///   the series are kept too, so the line starts and ends where the data does.
///
/// Non-finite values are never kept: they cannot be drawn. Buckets are by
/// index rather than by time so the bound holds for any spacing of the times.
pub fn min_max_downsample(values: &[f64], max_points: usize) -> Vec<usize> {
    let n = values.len();
    let max_points = max_points.max(4);
    let finite = |i: &usize| values.get(*i).is_some_and(|v| v.is_finite());
    if n <= max_points {
        return (0..n).filter(finite).collect();
    }
    let (Some(first), Some(last)) = ((0..n).find(finite), (0..n).rev().find(finite)) else {
        return Vec::new();
    };
    let buckets = (max_points - 2) / 2;
    let mut out = Vec::with_capacity(2 * buckets + 2);
    out.push(first);
    for k in 0..buckets {
        let (start, end) = bucket_bounds(k, buckets, n);
        let (mut lo, mut hi) = (None::<usize>, None::<usize>);
        for (i, v) in values.iter().enumerate().take(end).skip(start) {
            if !v.is_finite() {
                continue;
            }
            if lo.is_none_or(|j| *v < values[j]) {
                lo = Some(i);
            }
            if hi.is_none_or(|j| *v > values[j]) {
                hi = Some(i);
            }
        }
        let (a, b) = match (lo, hi) {
            (Some(lo), Some(hi)) => (lo.min(hi), lo.max(hi)),
            _ => continue,
        };
        for i in [a, b] {
            if out.last().is_none_or(|&prev| i > prev) {
                out.push(i);
            }
        }
    }
    if out.last().is_none_or(|&prev| last > prev) {
        out.push(last);
    }
    out
}

/// Index range of bucket `k` of `buckets` over `n` values; computed in `u128`
/// so `k * n` cannot overflow.
fn bucket_bounds(k: usize, buckets: usize, n: usize) -> (usize, usize) {
    let at = |k: usize| ((k as u128 * n as u128) / buckets as u128) as usize;
    (at(k), at(k + 1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_series_are_kept_whole() {
        assert_eq!(min_max_downsample(&[3.0, 1.0, 2.0], 10), vec![0, 1, 2]);
        assert!(min_max_downsample(&[], 10).is_empty());
    }

    #[test]
    fn a_single_spike_in_a_million_points_survives() {
        let mut v = vec![100.0; 1_000_000];
        v[654_321] = 1.0;
        v[123_456] = 1_000.0;
        let kept = min_max_downsample(&v, 2000);
        assert!(kept.len() <= 2000);
        assert!(kept.contains(&654_321));
        assert!(kept.contains(&123_456));
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&999_999));
    }

    #[test]
    fn non_finite_values_are_dropped_and_ends_move_to_finite_ones() {
        let mut v: Vec<f64> = (0..100).map(f64::from).collect();
        v[0] = f64::NAN;
        v[99] = f64::INFINITY;
        v[50] = f64::NAN;
        let kept = min_max_downsample(&v, 10);
        assert_eq!(kept.first(), Some(&1));
        assert_eq!(kept.last(), Some(&98));
        assert!(kept.iter().all(|&i| v[i].is_finite()));
        assert!(min_max_downsample(&[f64::NAN; 50], 10).is_empty());
    }

    proptest! {
        #[test]
        fn keeps_first_last_and_every_buckets_min_and_max_within_the_bound(
            values in prop::collection::vec(prop_oneof![9 => -1e6f64..1e6, 1 => Just(f64::NAN)], 0..600),
            max_points in 0usize..80,
        ) {
            let kept = min_max_downsample(&values, max_points);
            let n = values.len();
            prop_assert!(kept.len() <= max_points.max(4));
            prop_assert!(kept.windows(2).all(|w| w[0] < w[1]), "indices strictly increase");
            prop_assert!(kept.iter().all(|&i| values[i].is_finite()));
            let finite: Vec<usize> = (0..n).filter(|&i| values[i].is_finite()).collect();
            prop_assert_eq!(kept.first(), finite.first());
            prop_assert_eq!(kept.last(), finite.last());
            if n <= max_points.max(4) {
                prop_assert_eq!(&kept, &finite);
            } else {
                let buckets = (max_points.max(4) - 2) / 2;
                for k in 0..buckets {
                    let (start, end) = bucket_bounds(k, buckets, n);
                    let in_bucket: Vec<f64> = (start..end).map(|i| values[i]).filter(|v| v.is_finite()).collect();
                    if in_bucket.is_empty() {
                        continue;
                    }
                    let min = in_bucket.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = in_bucket.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let kept_here: Vec<f64> =
                        kept.iter().filter(|&&i| (start..end).contains(&i)).map(|&i| values[i]).collect();
                    prop_assert!(kept_here.contains(&min), "bucket {} lost its min {}", k, min);
                    prop_assert!(kept_here.contains(&max), "bucket {} lost its max {}", k, max);
                }
            }
        }

        #[test]
        fn buckets_cover_every_index_exactly_once(n in 1usize..10_000, buckets in 1usize..500) {
            let mut next = 0;
            for k in 0..buckets {
                let (start, end) = bucket_bounds(k, buckets, n);
                prop_assert_eq!(start, next);
                prop_assert!(end >= start);
                next = end;
            }
            prop_assert_eq!(next, n);
        }
    }
}
