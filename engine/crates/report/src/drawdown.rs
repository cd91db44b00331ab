//! The drawdown curve of an equity series.
//!
//! The report draws how far below its best level the strategy has been at
//! each moment; it is derived here from the equity curve so callers need not
//! pass a second series that could disagree with the first.

/// `1 - equity[i] / peak[i]` for every point, where `peak[i]` is the highest
/// finite equity up to and including `i`: `0` at a new high, `0.25` when a
/// quarter of the peak has been lost.
///
/// Points where there is no positive peak yet, or whose equity is not finite,
/// are `NaN` (there is no meaningful drawdown to draw; the downsampler skips
/// them).
pub fn drawdown(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&e| {
            if !e.is_finite() {
                return f64::NAN;
            }
            peak = peak.max(e);
            if peak > 0.0 { 1.0 - e / peak } else { f64::NAN }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn drawdown_is_the_loss_from_the_running_peak() {
        let dd = drawdown(&[100.0, 120.0, 90.0, 130.0, 65.0]);
        assert_eq!(dd, vec![0.0, 0.0, 0.25, 0.0, 0.5]);
    }

    #[test]
    fn points_without_a_positive_peak_or_finite_equity_have_no_drawdown() {
        let dd = drawdown(&[0.0, f64::NAN, 10.0, 5.0]);
        assert!(dd[0].is_nan() && dd[1].is_nan());
        assert_eq!(&dd[2..], &[0.0, 0.5]);
    }

    proptest! {
        #[test]
        fn drawdown_is_zero_at_new_highs_and_never_negative(equity in prop::collection::vec(1.0f64..1e6, 1..300)) {
            let dd = drawdown(&equity);
            let mut peak = 0.0f64;
            for (e, d) in equity.iter().zip(&dd) {
                prop_assert!(*d >= 0.0 && *d < 1.0);
                if *e >= peak {
                    prop_assert_eq!(*d, 0.0);
                }
                peak = peak.max(*e);
            }
        }
    }
}
