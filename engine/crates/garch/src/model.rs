//! The GARCH(1,1) recursion, its log-likelihood and forecasts, for given
//! parameters.

use serde::{Deserialize, Serialize};

/// Decay of the exponentially weighted backcast (arch's 0.94).
pub const BACKCAST_DECAY: f64 = 0.94;
/// Number of leading observations the backcast averages over (arch's 75).
pub const BACKCAST_WINDOW: usize = 75;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Percent simple returns `100 * (close_t / close_{t-1} - 1)`, one fewer than
/// `closes` (empty for fewer than two closes).
///
/// A zero or non-finite close yields a non-finite return, which
/// [`fit`](crate::fit) reports with its index.
#[must_use]
pub fn returns_from_closes(closes: &[f64]) -> Vec<f64> {
    closes.windows(2).map(|w| 100.0 * (w[1] / w[0] - 1.0)).collect()
}

/// arch's backcast, the stand-in for `e_{-1}^2` and `s_{-1}^2`: with
/// `e_i = r_i - mean(r)` and `tau = min(75, n)`,
/// `sum_{i < tau} w_i e_i^2` where `w_i = 0.94^i / sum_{j < tau} 0.94^j`
/// (`i = 0` is the first observation, so it weighs most).
///
/// As in arch (`ARCHModel.fit` computes it once, from the residuals at the
/// starting mean), the residuals are taken around the sample mean, not
/// around the `mu` being evaluated: the backcast is a constant of the data,
/// and the likelihood surface is the one arch maximises. NaN for no returns.
#[must_use]
pub fn backcast(returns: &[f64]) -> f64 {
    if returns.is_empty() {
        return f64::NAN;
    }
    let mean = mean(returns);
    let tau = returns.len().min(BACKCAST_WINDOW);
    let (mut weighted, mut total, mut w) = (0.0, 0.0, 1.0);
    for &r in &returns[..tau] {
        let e = r - mean;
        weighted += w * e * e;
        total += w;
        w *= BACKCAST_DECAY;
    }
    weighted / total
}

pub(crate) fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// GARCH(1,1) parameters with a constant mean (returns in percent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Garch11 {
    /// Constant mean of the returns.
    pub mu: f64,
    /// Variance intercept, `> 0`.
    pub omega: f64,
    /// Weight of the last squared shock, `>= 0`.
    pub alpha: f64,
    /// Weight of the last variance, `>= 0`; `alpha + beta < 1`.
    pub beta: f64,
}

/// The end of one pass of the recursion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass {
    /// Gaussian log-likelihood; `-inf` if a variance was not positive and finite.
    pub(crate) loglikelihood: f64,
    /// `omega + alpha * e_T^2 + beta * s_T^2`, the variance of the next bar.
    pub(crate) next_variance: f64,
}

impl Garch11 {
    /// `alpha + beta`: how slowly a variance shock dies out.
    #[must_use]
    pub fn persistence(&self) -> f64 {
        self.alpha + self.beta
    }

    /// Long-run variance `omega / (1 - alpha - beta)`; infinite when
    /// `alpha + beta >= 1`.
    #[must_use]
    pub fn unconditional_variance(&self) -> f64 {
        let gap = 1.0 - self.persistence();
        if gap > 0.0 { self.omega / gap } else { f64::INFINITY }
    }

    /// The recursion over `returns` from the backcast `bc`, without
    /// allocating (the optimiser calls this thousands of times).
    pub(crate) fn pass(&self, returns: &[f64], bc: f64) -> Pass {
        let Self { mu, omega, alpha, beta } = *self;
        let (mut e2_prev, mut s2_prev) = (bc, bc);
        let mut sum = 0.0;
        for &r in returns {
            let s2 = omega + alpha * e2_prev + beta * s2_prev;
            if !(s2 > 0.0 && s2.is_finite()) {
                return Pass { loglikelihood: f64::NEG_INFINITY, next_variance: f64::NAN };
            }
            let e = r - mu;
            let e2 = e * e;
            sum += s2.ln() + e2 / s2;
            (e2_prev, s2_prev) = (e2, s2);
        }
        let n = returns.len() as f64;
        Pass { loglikelihood: -0.5 * (n * LN_2PI + sum), next_variance: omega + alpha * e2_prev + beta * s2_prev }
    }

    /// Conditional variances `s_t^2`, one per return (each uses only the
    /// returns before it), started from [`backcast`]`(returns)`.
    #[must_use]
    pub fn filter(&self, returns: &[f64]) -> Vec<f64> {
        self.filter_from(returns, backcast(returns))
    }

    /// [`filter`](Self::filter) started from a given backcast `bc` (the
    /// stand-in for `e_{-1}^2` and `s_{-1}^2`) instead of the series' own:
    /// how a model fitted on a window keeps filtering the bars after it
    /// ([`RollingGarch`](crate::RollingGarch) starts from the fit window's).
    #[must_use]
    pub fn filter_from(&self, returns: &[f64], bc: f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(returns.len());
        let (mut e2_prev, mut s2_prev) = (bc, bc);
        for &r in returns {
            let s2 = self.omega + self.alpha * e2_prev + self.beta * s2_prev;
            out.push(s2);
            let e = r - self.mu;
            (e2_prev, s2_prev) = (e * e, s2);
        }
        out
    }

    /// Gaussian log-likelihood of `returns` (arch's `loglikelihood`);
    /// `-inf` if the parameters make a variance non-positive, 0 for no returns.
    #[must_use]
    pub fn loglikelihood(&self, returns: &[f64]) -> f64 {
        self.pass(returns, backcast(returns)).loglikelihood
    }

    /// One-step-ahead variance after the last return,
    /// `omega + alpha * e_T^2 + beta * s_T^2` (arch's `forecast(horizon=1)`).
    /// NaN for no returns.
    #[must_use]
    pub fn next_variance(&self, returns: &[f64]) -> f64 {
        self.next_variance_from(returns, backcast(returns))
    }

    /// [`next_variance`](Self::next_variance) started from the backcast `bc`
    /// (see [`filter_from`](Self::filter_from)).
    #[must_use]
    pub fn next_variance_from(&self, returns: &[f64], bc: f64) -> f64 {
        let (mut e2_prev, mut s2_prev) = (bc, bc);
        for &r in returns {
            let s2 = self.omega + self.alpha * e2_prev + self.beta * s2_prev;
            let e = r - self.mu;
            (e2_prev, s2_prev) = (e * e, s2);
        }
        self.omega + self.alpha * e2_prev + self.beta * s2_prev
    }

    /// Variance forecasts for the next `horizon` bars after `returns`:
    /// `f_1` = [`next_variance`](Self::next_variance),
    /// `f_h = omega + (alpha + beta) * f_{h-1}` (analytic, as arch).
    #[must_use]
    pub fn forecast(&self, returns: &[f64], horizon: usize) -> Vec<f64> {
        let mut f = self.next_variance(returns);
        let mut out = Vec::with_capacity(horizon);
        for _ in 0..horizon {
            out.push(f);
            f = self.omega + self.persistence() * f;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_are_percent_simple_returns() {
        let r = returns_from_closes(&[100.0, 101.0, 99.99]);
        assert_eq!(r.len(), 2);
        assert!((r[0] - 1.0).abs() < 1e-12);
        assert!((r[1] + 1.0).abs() < 1e-12);
        assert!(returns_from_closes(&[1.0]).is_empty());
        assert!(returns_from_closes(&[0.0, 1.0])[0].is_infinite());
    }

    #[test]
    fn backcast_weights_the_first_observation_most() {
        // Demeaned: [1, -1, 0, ...]; weights 1, 0.94, ... normalised.
        let mut r = vec![0.0; 200];
        r[0] = 1.0;
        r[1] = -1.0;
        let total: f64 = (0..75).map(|i| 0.94f64.powi(i)).sum();
        assert!((backcast(&r) - (1.0 + 0.94) / total).abs() < 1e-15);
        // Fewer than 75 observations: all of them.
        let r = [1.0, -1.0];
        assert!((backcast(&r) - 1.0).abs() < 1e-15);
        assert!(backcast(&[]).is_nan());
    }

    #[test]
    fn filter_loglikelihood_and_forecast_agree() {
        let r: Vec<f64> = (0..50).map(|i| ((i * 7919) % 13) as f64 / 6.0 - 1.0).collect();
        let g = Garch11 { mu: 0.01, omega: 0.05, alpha: 0.1, beta: 0.8 };
        let s2 = g.filter(&r);
        let bc = backcast(&r);
        assert!((s2[0] - (0.05 + 0.9 * bc)).abs() < 1e-15);
        let ll: f64 = r.iter().zip(&s2).map(|(x, v)| -0.5 * (LN_2PI + v.ln() + (x - g.mu).powi(2) / v)).sum();
        assert!((g.loglikelihood(&r) - ll).abs() < 1e-10);
        let e = r[49] - g.mu;
        let next = 0.05 + 0.1 * e * e + 0.8 * s2[49];
        assert!((g.next_variance(&r) - next).abs() < 1e-15);
        assert!((g.pass(&r, bc).next_variance - next).abs() < 1e-15);
        let f = g.forecast(&r, 3);
        assert_eq!(f.len(), 3);
        assert!((f[2] - (0.05 + 0.9 * (0.05 + 0.9 * next))).abs() < 1e-15);
        // Converges to the long-run variance.
        let far = g.forecast(&r, 2000);
        assert!((far[1999] - g.unconditional_variance()).abs() < 1e-12);
    }

    #[test]
    fn invalid_parameters_have_minus_infinite_likelihood() {
        let r = [0.5, -0.3, 0.2, 0.1];
        let g = Garch11 { mu: 0.0, omega: -1.0, alpha: 0.0, beta: 0.0 };
        assert_eq!(g.loglikelihood(&r), f64::NEG_INFINITY);
        assert_eq!(Garch11 { mu: 0.0, omega: 1.0, alpha: 0.0, beta: 0.0 }.loglikelihood(&[]), 0.0);
    }
}
