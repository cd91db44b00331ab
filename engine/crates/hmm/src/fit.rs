use serde::{Deserialize, Serialize};

use crate::model::{Params, Workspace, check_finite};
use crate::{GaussianHmm, HmmError};

/// How [`fit`] runs Baum-Welch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Independent random starts; the best log-likelihood wins (EM only finds local optima).
    pub starts: usize,
    /// Maximum EM iterations per start.
    pub max_iter: usize,
    /// A start has converged when an iteration raises the log-likelihood by less than this.
    pub tol: f64,
    /// Seed of the random starts: the same seed, data and options give the same fit, bit for bit.
    pub seed: u64,
    /// Floor on every variance (hmmlearn's `min_covar`).
    pub min_variance: f64,
    /// Added to each state's weighted sum of squared deviations in the
    /// variance update (hmmlearn's `covars_prior` with `covars_weight = 1`).
    pub variance_prior: f64,
}

impl Default for FitOptions {
    /// 10 starts of at most 1000 iterations to a 1e-6 log-likelihood gain;
    /// hmmlearn's `min_covar` (1e-3) and `covars_prior` (1e-2).
    fn default() -> Self {
        Self { starts: 10, max_iter: 1000, tol: 1e-6, seed: 0, min_variance: 1e-3, variance_prior: 1e-2 }
    }
}

/// The best of the starts of a [`fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HmmFit {
    /// Fitted model, states sorted by mean ([`GaussianHmm::sort_by_mean`]).
    pub model: GaussianHmm,
    /// Log-likelihood of the observations under `model` (exactly, not the
    /// value before the last M-step).
    pub loglikelihood: f64,
    /// EM iterations (M-steps) of the winning start.
    pub iterations: usize,
    /// Whether the winning start met `tol` within `max_iter`.
    pub converged: bool,
}

/// Minimum number of observations to fit `states` states: two per state.
pub fn min_observations(states: usize) -> usize {
    (2 * states).max(2)
}

/// Fits a `states`-state Gaussian HMM to `observations` by Baum-Welch (EM),
/// from `options.starts` random starts, and returns the start with the
/// highest log-likelihood.
///
/// Every start draws, from one PRNG seeded with `options.seed`: means around
/// the sample mean (within half a standard deviation), variances the sample
/// variance times `e^u` with `u` uniform in `[-2, 2]`, and sticky transition
/// rows (diagonal uniform in `[0.5, 0.99]`, the rest split at random); the
/// start distribution begins uniform. Like hmmlearn, the start distribution
/// is fitted too (it becomes the posterior of the first observation).
pub fn fit(observations: &[f64], states: usize, options: FitOptions) -> Result<HmmFit, HmmError> {
    if states == 0 {
        return Err(HmmError::NoStates);
    }
    if options.starts == 0 {
        return Err(HmmError::InvalidOptions("at least one start is needed"));
    }
    if options.tol.is_nan() || options.tol < 0.0 {
        return Err(HmmError::InvalidOptions("tol must be a non-negative number"));
    }
    if !(options.min_variance > 0.0 && options.min_variance.is_finite()) {
        return Err(HmmError::InvalidOptions("min_variance must be positive and finite"));
    }
    if !(options.variance_prior >= 0.0 && options.variance_prior.is_finite()) {
        return Err(HmmError::InvalidOptions("variance_prior must be non-negative and finite"));
    }
    let need = min_observations(states);
    if observations.len() < need {
        return Err(HmmError::TooFewObservations { got: observations.len(), need });
    }
    check_finite(observations)?;

    let n = observations.len() as f64;
    let mean = observations.iter().sum::<f64>() / n;
    let variance = (observations.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).max(options.min_variance);

    let mut rng = fastrand::Rng::with_seed(options.seed);
    let mut ws = Workspace::new(states, observations.len());
    let mut best: Option<(Params, f64, usize, bool)> = None;
    for _ in 0..options.starts {
        let mut params = random_start(&mut rng, states, mean, variance, options.min_variance);
        if let Some((ll, iterations, converged)) = run_em(&mut ws, &mut params, observations, &options)
            && best.as_ref().is_none_or(|b| ll > b.1)
        {
            best = Some((params, ll, iterations, converged));
        }
    }
    let (params, loglikelihood, iterations, converged) = best.ok_or(HmmError::NoFiniteStart)?;
    let mut model = params.to_model();
    model.sort_by_mean();
    Ok(HmmFit { model, loglikelihood, iterations, converged })
}

fn random_start(rng: &mut fastrand::Rng, k: usize, mean: f64, variance: f64, min_variance: f64) -> Params {
    let sd = variance.sqrt();
    let means = (0..k).map(|_| mean + 0.5 * sd * (2.0 * rng.f64() - 1.0)).collect();
    let variances = (0..k).map(|_| (variance * (4.0 * rng.f64() - 2.0).exp()).max(min_variance)).collect();
    let mut trans = vec![0.0; k * k];
    for (i, row) in trans.chunks_exact_mut(k).enumerate() {
        if k == 1 {
            row[0] = 1.0;
            continue;
        }
        let stay = 0.5 + 0.49 * rng.f64();
        let weights: Vec<f64> = (0..k).map(|j| if j == i { 0.0 } else { 0.05 + rng.f64() }).collect();
        let total: f64 = weights.iter().sum();
        for (j, a) in row.iter_mut().enumerate() {
            *a = if j == i { stay } else { (1.0 - stay) * weights[j] / total };
        }
    }
    Params { k, start: vec![1.0 / k as f64; k], trans, means, variances }
}

/// Runs EM from `params` in place; returns the log-likelihood of the final
/// `params`, the number of M-steps and whether `tol` was met, or `None` if
/// the likelihood became zero or non-finite.
fn run_em(ws: &mut Workspace, params: &mut Params, obs: &[f64], options: &FitOptions) -> Option<(f64, usize, bool)> {
    let mut previous = f64::NEG_INFINITY;
    let mut iterations = 0;
    loop {
        ws.emissions(params, obs);
        let ll = ws.forward(params);
        if !ll.is_finite() {
            return None;
        }
        // EM with the variance prior maximises a penalised likelihood, so a
        // tiny decrease is possible near the optimum: treat it as converged.
        if iterations > 0 && ll - previous < options.tol {
            return Some((ll, iterations, true));
        }
        if iterations >= options.max_iter {
            return Some((ll, iterations, false));
        }
        previous = ll;
        ws.backward(params);
        ws.m_step(params, obs, options.variance_prior, options.min_variance);
        iterations += 1;
    }
}
