//! Multinomial logistic regression on lagged returns: the "cheap model" baseline.
//!
//! Why this module exists: an ML agent should beat not only trivial rules
//! but also the simplest learned model on the same information. This one
//! sees the last `k` returns (default 5) and nothing else.
//!
//! The fit reproduces scikit-learn's `LogisticRegression(C=c,
//! solver="lbfgs")` on 3 classes (multinomial, intercept fitted and not
//! penalised) — minimising
//!
//! ```text
//! sum_i [ ln sum_c exp(z_ic) - z_{i,y_i} ] + ||W||^2 / (2C),   z_i = W x_i + b
//! ```
//!
//! — on features standardised with the *training* mean and standard
//! deviation of each lag (lagged returns are ~1e-3, which would make the
//! penalty and the optimiser's tolerances scale-dependent). It is
//! implemented here with argmin's L-BFGS and an analytic gradient rather
//! than with `linfa-logistic`, which would bring ndarray and its own
//! optimiser stack for one small convex problem; the optimiser itself is
//! the maintained one `tradebot-garch` already uses.
//!
//! Timing (crate docs): `returns[t]` is known at the close of bar `t`,
//! `labels[t]` is the class of the move from `t` to `t + 1`. Sample `t`'s
//! features are `returns[t], returns[t-1], ..., returns[t-k+1]`, so the
//! first sample that can be used or forecast is `t = k - 1`.

use std::cell::Cell;
use std::ops::Range;

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use serde::Serialize;

use crate::baselines::check_range;
use crate::error::EvalError;
use crate::metrics::{CLASSES, Probs};
use crate::stats::check_finite;

/// Gradient norm (of the per-sample objective) below which L-BFGS stops.
const GRADIENT_TOLERANCE: f64 = 1e-10;
/// Gradient norm at the returned point below which a fit counts as converged.
const CONVERGED_GRADIENT: f64 = 1e-8;
/// Cap on objective evaluations. argmin's More-Thuente line search has no
/// iteration limit of its own and can cycle on rounding-level differences
/// near the optimum; past the cap the objective returns an error, which ends
/// the line search and the run with the best point found so far.
const MAX_EVALUATIONS: u64 = 20_000;

/// Settings of [`LaggedLogit::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogitConfig {
    /// Number of lagged returns `k` (default 5).
    pub lags: usize,
    /// Inverse L2 strength, scikit-learn's `C` (default 1.0).
    pub c: f64,
    /// L-BFGS iteration limit (default 1000).
    pub max_iters: u64,
}

impl Default for LogitConfig {
    fn default() -> Self {
        Self { lags: 5, c: 1.0, max_iters: 1000 }
    }
}

/// A fitted multinomial logistic regression on standardised lagged returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaggedLogit {
    /// Number of lags `k`.
    pub lags: usize,
    /// Training mean of each lag (lag 0 = the latest return).
    pub feature_mean: Vec<f64>,
    /// Training (population) standard deviation of each lag.
    pub feature_std: Vec<f64>,
    /// `weights[c][j]`: coefficient of standardised lag `j` for class `c`;
    /// each column sums to 0 over classes (a property of the L2 optimum).
    pub weights: [Vec<f64>; CLASSES],
    /// Intercepts, centred to sum to 0 (only differences are identified).
    pub intercepts: [f64; CLASSES],
    /// Training samples used.
    pub n_train: usize,
    /// Whether the objective's gradient norm at the returned coefficients
    /// is below 1e-8 (per sample), i.e. the optimum was reached.
    pub converged: bool,
    /// L-BFGS iterations.
    pub iterations: u64,
}

impl LaggedLogit {
    /// Fits on the samples `t` in `train` with `t >= lags - 1`.
    ///
    /// # Errors
    ///
    /// `lags == 0` or `c <= 0`, a range past the end of `returns` or
    /// `labels`, a non-finite return or invalid label in the window used,
    /// a class absent from the training labels ([`EvalError::MissingClass`]:
    /// its unpenalised intercept would run to minus infinity), a constant
    /// lag ([`EvalError::ZeroVariance`]) or an optimiser failure.
    pub fn fit(returns: &[f64], labels: &[u8], train: Range<usize>, config: &LogitConfig) -> Result<Self, EvalError> {
        let k = config.lags;
        if k == 0 {
            return Err(EvalError::InvalidParameter { name: "lags", value: 0.0, reason: "must be at least 1" });
        }
        if !(config.c > 0.0 && config.c.is_finite()) {
            return Err(EvalError::InvalidParameter {
                name: "c",
                value: config.c,
                reason: "must be positive and finite",
            });
        }
        check_range(&train, labels.len(), "logit training labels")?;
        check_range(&train, returns.len(), "logit training returns")?;
        let first = train.start.max(k - 1);
        if first >= train.end {
            return Err(EvalError::TooFewSamples { what: "logit fit", got: 0, min: 1 });
        }
        let lo = first + 1 - k;
        check_finite(&returns[lo..train.end], "returns").map_err(|e| match e {
            EvalError::NonFinite { what, index, value } => EvalError::NonFinite { what, index: index + lo, value },
            other => other,
        })?;
        let ys = &labels[first..train.end];
        if let Some((i, &value)) = ys.iter().enumerate().find(|(_, y)| usize::from(**y) >= CLASSES) {
            return Err(EvalError::InvalidLabel { index: first + i, value });
        }
        if let Some(class) = (0..CLASSES).find(|&c| !ys.iter().any(|&y| usize::from(y) == c)) {
            return Err(EvalError::MissingClass { class });
        }

        let raw: Vec<Vec<f64>> = (first..train.end).map(|t| lag_window(returns, t, k)).collect();
        let n = raw.len() as f64;
        let feature_mean: Vec<f64> = (0..k).map(|j| raw.iter().map(|x| x[j]).sum::<f64>() / n).collect();
        let feature_std: Vec<f64> =
            (0..k).map(|j| (raw.iter().map(|x| (x[j] - feature_mean[j]).powi(2)).sum::<f64>() / n).sqrt()).collect();
        if feature_std.iter().any(|&s| s.is_nan() || s <= 0.0) {
            return Err(EvalError::ZeroVariance { what: "a lagged return" });
        }
        let xs: Vec<Vec<f64>> = raw.iter().map(|x| standardise(x, &feature_mean, &feature_std)).collect();
        let problem = Problem { xs: &xs, ys, k, inv_c: 1.0 / config.c, evaluations: Cell::new(0) };

        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
            .with_tolerance_grad(GRADIENT_TOLERANCE)
            // No cost-change criterion: an absolute one stopped runs early
            // after a near-zero step; the gradient and the caps decide.
            .and_then(|s| s.with_tolerance_cost(0.0))
            .map_err(|e| EvalError::Optimiser(e.to_string()))?;
        let start = vec![0.0; CLASSES * (k + 1)];
        let res = Executor::new(problem.clone(), solver)
            .configure(|s| s.param(start).max_iters(config.max_iters))
            .run()
            .map_err(|e| EvalError::Optimiser(e.to_string()))?;
        let state = res.state();
        let theta = state.get_best_param().cloned().ok_or_else(|| EvalError::Optimiser("no parameters".into()))?;
        if theta.iter().any(|v| !v.is_finite()) {
            return Err(EvalError::Optimiser("non-finite coefficients".into()));
        }
        // Judged by the gradient at the returned point rather than by the
        // termination reason: near the optimum the line search may give up on
        // rounding-level cost changes (or hit the evaluation cap) at a point
        // that is as good as it gets.
        let mut gradient = Vec::new();
        problem.cost_and_gradient(&theta, Some(&mut gradient));
        let converged = gradient.iter().map(|g| g * g).sum::<f64>().sqrt() <= CONVERGED_GRADIENT;
        let (weights, mut intercepts) = problem.unpack(&theta);
        let centre = intercepts.iter().sum::<f64>() / CLASSES as f64;
        intercepts.iter_mut().for_each(|b| *b -= centre);
        Ok(Self {
            lags: k,
            feature_mean,
            feature_std,
            weights,
            intercepts,
            n_train: xs.len(),
            converged,
            iterations: state.get_iter(),
        })
    }

    /// First sample index that can be forecast (`lags - 1`).
    pub fn first_index(&self) -> usize {
        self.lags - 1
    }

    /// The forecast for sample `t`: uses `returns[t + 1 - lags..=t]` only.
    ///
    /// # Errors
    ///
    /// [`EvalError::NotEnoughHistory`] for `t < lags - 1`,
    /// [`EvalError::OutOfRange`] past the end, a non-finite return.
    pub fn forecast_at(&self, returns: &[f64], t: usize) -> Result<Probs, EvalError> {
        if t < self.first_index() {
            return Err(EvalError::NotEnoughHistory { what: "logit forecast", index: t, first: self.first_index() });
        }
        if t >= returns.len() {
            return Err(EvalError::OutOfRange { what: "logit forecast", end: t + 1, len: returns.len() });
        }
        let raw = lag_window(returns, t, self.lags);
        if let Some((j, &value)) = raw.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(EvalError::NonFinite { what: "returns", index: t - j, value });
        }
        let x = standardise(&raw, &self.feature_mean, &self.feature_std);
        Ok(softmax(std::array::from_fn(|c| self.intercepts[c] + dot(&self.weights[c], &x))))
    }

    /// Forecasts every sample in `range` (see [`forecast_at`](Self::forecast_at)).
    ///
    /// # Errors
    ///
    /// As [`forecast_at`](Self::forecast_at), and an empty range.
    pub fn forecast(&self, returns: &[f64], range: Range<usize>) -> Result<Vec<Probs>, EvalError> {
        check_range(&range, returns.len(), "logit forecast")?;
        range.map(|t| self.forecast_at(returns, t)).collect()
    }
}

/// `[returns[t], returns[t-1], ..., returns[t-k+1]]`; caller ensures `t + 1 >= k`.
fn lag_window(returns: &[f64], t: usize, k: usize) -> Vec<f64> {
    (0..k).map(|j| returns[t - j]).collect()
}

fn standardise(x: &[f64], mean: &[f64], std: &[f64]) -> Vec<f64> {
    x.iter().zip(mean).zip(std).map(|((v, m), s)| (v - m) / s).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Softmax with the max subtracted, so large scores cannot overflow.
fn softmax(z: Probs) -> Probs {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = z.map(|v| (v - max).exp());
    let sum: f64 = e.iter().sum();
    e.map(|v| v / sum)
}

/// The penalised negative log-likelihood, divided by `n` so the
/// optimiser's tolerances do not depend on the sample size (same minimiser).
/// Parameters: class `c`'s `k` weights then its intercept, for c = 0, 1, 2.
#[derive(Debug, Clone)]
struct Problem<'a> {
    xs: &'a [Vec<f64>],
    ys: &'a [u8],
    k: usize,
    inv_c: f64,
    evaluations: Cell<u64>,
}

impl Problem<'_> {
    fn count(&self) -> Result<(), ArgminError> {
        let n = self.evaluations.get() + 1;
        self.evaluations.set(n);
        if n > MAX_EVALUATIONS { Err(ArgminError::msg("evaluation cap reached")) } else { Ok(()) }
    }

    fn unpack(&self, theta: &[f64]) -> ([Vec<f64>; CLASSES], [f64; CLASSES]) {
        let w = std::array::from_fn(|c| theta[c * (self.k + 1)..c * (self.k + 1) + self.k].to_vec());
        let b = std::array::from_fn(|c| theta[c * (self.k + 1) + self.k]);
        (w, b)
    }

    fn cost_and_gradient(&self, theta: &[f64], gradient: Option<&mut Vec<f64>>) -> f64 {
        let stride = self.k + 1;
        let mut grad = vec![0.0; theta.len()];
        let mut loss = 0.0;
        for (x, &y) in self.xs.iter().zip(self.ys) {
            let z: Probs = std::array::from_fn(|c| theta[c * stride + self.k] + dot(&theta[c * stride..][..self.k], x));
            let p = softmax(z);
            let y = usize::from(y);
            loss -= p[y].ln();
            for c in 0..CLASSES {
                let r = p[c] - if c == y { 1.0 } else { 0.0 };
                grad[c * stride..][..self.k].iter_mut().zip(x).for_each(|(g, xj)| *g += r * xj);
                grad[c * stride + self.k] += r;
            }
        }
        let mut penalty = 0.0;
        for c in 0..CLASSES {
            for j in 0..self.k {
                let w = theta[c * stride + j];
                penalty += w * w;
                grad[c * stride + j] += self.inv_c * w;
            }
        }
        let n = self.xs.len() as f64;
        if let Some(out) = gradient {
            *out = grad.into_iter().map(|g| g / n).collect();
        }
        (loss + 0.5 * self.inv_c * penalty) / n
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> Result<f64, ArgminError> {
        self.count()?;
        Ok(self.cost_and_gradient(theta, None))
    }
}

impl Gradient for Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, ArgminError> {
        self.count()?;
        let mut g = Vec::new();
        self.cost_and_gradient(theta, Some(&mut g));
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytic_gradient_matches_central_differences() {
        let xs: Vec<Vec<f64>> = (0..20).map(|i| vec![(i as f64 * 0.7).sin(), (i as f64 * 1.3).cos()]).collect();
        let ys: Vec<u8> = (0..20).map(|i| (i % 3) as u8).collect();
        let problem = Problem { xs: &xs, ys: &ys, k: 2, inv_c: 0.5, evaluations: Cell::new(0) };
        let theta: Vec<f64> = (0..9).map(|i| 0.1 * i as f64 - 0.4).collect();
        let g = problem.gradient(&theta).unwrap();
        for i in 0..theta.len() {
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[i] += 1e-6;
            down[i] -= 1e-6;
            let numeric = (problem.cost(&up).unwrap() - problem.cost(&down).unwrap()) / 2e-6;
            assert!((g[i] - numeric).abs() < 1e-8, "{i}: {} vs {numeric}", g[i]);
        }
    }
}
