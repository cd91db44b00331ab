//! Is the strategy better than a baseline, or is the difference noise?
//!
//! Compares two equity curves sampled at the same steps through the per-step
//! difference of their simple returns, `d_t = r_strategy,t - r_baseline,t`.
//! The one-sided p-value is `1 - Φ(t)` with `t = mean(d) / (std(d) / √n)`:
//! the probability of a mean excess at least this large if the true mean
//! excess were zero. It assumes independent steps; autocorrelated returns
//! (trend-following positions held for many bars) make it optimistic, so it
//! is a screen, not a proof.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::moments::Moments;

/// The strategy's excess over one baseline.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ExcessReturn {
    /// Steps compared.
    pub steps: u64,
    /// Mean per-step return difference (strategy minus baseline).
    pub mean_excess_per_step: Option<f64>,
    /// `mean / (std / √n)`; null with fewer than two steps or no spread.
    pub t_stat: Option<f64>,
    /// One-sided p-value of "the strategy is not better" (`1 - Φ(t)`).
    pub p_value: Option<f64>,
}

/// Compares two equity curves of equal length (extra points of the longer
/// one are ignored). Steps where either previous equity is not positive, or
/// a value is not finite, are skipped.
pub fn excess_return(strategy: &[f64], baseline: &[f64]) -> ExcessReturn {
    let mut m = Moments::default();
    let n = strategy.len().min(baseline.len());
    for i in 1..n {
        let (s0, s1, b0, b1) = (strategy[i - 1], strategy[i], baseline[i - 1], baseline[i]);
        if [s0, s1, b0, b1].iter().all(|v| v.is_finite()) && s0 > 0.0 && b0 > 0.0 {
            m.push((s1 / s0 - 1.0) - (b1 / b0 - 1.0));
        }
    }
    let steps = m.count();
    let mean = (steps > 0).then(|| m.mean());
    let sd = m.sample_std();
    let t_stat = match (mean, sd) {
        (Some(mean), Some(sd)) if sd > 0.0 && steps >= 2 => Some(mean / (sd / (steps as f64).sqrt())),
        _ => None,
    };
    let p_value = t_stat.map(|t| 1.0 - Normal::standard().cdf(t));
    ExcessReturn { steps, mean_excess_per_step: mean, t_stat, p_value }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn curve(returns: &[f64]) -> Vec<f64> {
        let mut e = vec![100.0];
        for r in returns {
            e.push(e.last().unwrap() * (1.0 + r));
        }
        e
    }

    #[test]
    fn a_steady_edge_is_significant_and_noise_is_not() {
        let base: Vec<f64> = (0..500).map(|i| if i % 2 == 0 { 0.01 } else { -0.01 }).collect();
        let better: Vec<f64> =
            base.iter().enumerate().map(|(i, r)| r + 0.001 + 0.0005 * ((i % 3) as f64 - 1.0)).collect();
        let x = excess_return(&curve(&better), &curve(&base));
        assert_eq!(x.steps, 500);
        assert!(x.p_value.unwrap() < 1e-6, "{x:?}");
        let noise: Vec<f64> =
            base.iter().enumerate().map(|(i, r)| r + if i % 2 == 0 { 0.002 } else { -0.002 }).collect();
        let y = excess_return(&curve(&noise), &curve(&base));
        assert!((y.p_value.unwrap() - 0.5).abs() < 0.05, "{y:?}");
    }

    #[test]
    fn identical_curves_have_no_test() {
        let e = curve(&[0.01, -0.02, 0.03]);
        let x = excess_return(&e, &e);
        assert_eq!((x.t_stat, x.p_value), (None, None));
        assert_eq!(x.mean_excess_per_step, Some(0.0));
    }
}
