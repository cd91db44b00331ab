use serde::{Deserialize, Serialize};

use crate::HmmError;

/// `ln(2 pi)`.
pub(crate) const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// How far a probability vector's sum may stray from 1 before the model is rejected.
const SUM_TOLERANCE: f64 = 1e-6;

/// A hidden Markov model with `K` states and one 1-D Gaussian per state.
///
/// `start[i]` is the probability of state `i` at the first observation,
/// `transmat[i][j]` the probability of moving from state `i` to state `j`,
/// and state `i` emits `N(means[i], variances[i])`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianHmm {
    pub start: Vec<f64>,
    pub transmat: Vec<Vec<f64>>,
    pub means: Vec<f64>,
    pub variances: Vec<f64>,
}

impl GaussianHmm {
    /// Number of hidden states.
    pub fn states(&self) -> usize {
        self.means.len()
    }

    /// Checks shapes, probabilities (non-negative, rows summing to 1) and
    /// variances (finite, positive); returns the number of states.
    pub fn validate(&self) -> Result<usize, HmmError> {
        let k = self.means.len();
        if k == 0 {
            return Err(HmmError::NoStates);
        }
        if self.variances.len() != k || self.start.len() != k || self.transmat.len() != k {
            return Err(HmmError::InvalidModel(format!(
                "{k} means but {} variances, {} start probabilities and {} transition rows",
                self.variances.len(),
                self.start.len(),
                self.transmat.len()
            )));
        }
        check_distribution("start", &self.start)?;
        for (i, row) in self.transmat.iter().enumerate() {
            if row.len() != k {
                return Err(HmmError::InvalidModel(format!("transition row {i} has {} entries, not {k}", row.len())));
            }
            check_distribution(&format!("transition row {i}"), row)?;
        }
        for (i, (&m, &v)) in self.means.iter().zip(&self.variances).enumerate() {
            if !m.is_finite() {
                return Err(HmmError::InvalidModel(format!("mean {i} is not finite ({m})")));
            }
            if !(v.is_finite() && v > 0.0) {
                return Err(HmmError::InvalidModel(format!("variance {i} is not finite and positive ({v})")));
            }
        }
        Ok(k)
    }

    /// Log-likelihood `ln p(x_0..x_{T-1})` of the observations under the model
    /// (0 for no observations), by the scaled forward recursion.
    /// `f64::NEG_INFINITY` if the sequence is impossible under the model.
    pub fn loglikelihood(&self, observations: &[f64]) -> Result<f64, HmmError> {
        let params = Params::from_model(self)?;
        check_finite(observations)?;
        let mut ws = Workspace::new(params.k, observations.len());
        ws.emissions(&params, observations);
        Ok(ws.forward(&params))
    }

    /// Filtered state probabilities `p(s_t | x_0..x_t)` for every `t`: what an
    /// online [`Filter`](crate::Filter) reports after each observation.
    pub fn filter(&self, observations: &[f64]) -> Result<Vec<Vec<f64>>, HmmError> {
        let mut filter = crate::Filter::new(self)?;
        check_finite(observations)?;
        Ok(observations.iter().map(|&x| filter.update(x).to_vec()).collect())
    }

    /// Filtered state probabilities at the last observation (the start
    /// distribution if there are none).
    pub fn last_state_prob(&self, observations: &[f64]) -> Result<Vec<f64>, HmmError> {
        let mut filter = crate::Filter::new(self)?;
        check_finite(observations)?;
        for &x in observations {
            filter.update(x);
        }
        Ok(filter.probabilities().to_vec())
    }

    /// Smoothed state probabilities `p(s_t | x_0..x_{T-1})` for every `t`
    /// (forward-backward). At the last observation they equal the filtered ones.
    /// [`HmmError::ZeroLikelihood`] if the observations are impossible under the model.
    pub fn posteriors(&self, observations: &[f64]) -> Result<Vec<Vec<f64>>, HmmError> {
        let params = Params::from_model(self)?;
        check_finite(observations)?;
        let mut ws = Workspace::new(params.k, observations.len());
        ws.emissions(&params, observations);
        if ws.forward(&params) == f64::NEG_INFINITY {
            return Err(HmmError::ZeroLikelihood);
        }
        ws.backward(&params);
        let k = params.k;
        Ok((0..observations.len()).map(|t| ws.gamma(t).take(k).collect()).collect())
    }

    /// Stationary distribution `pi = pi * transmat` of the hidden chain.
    ///
    /// Solved exactly for an irreducible chain; for a reducible one (several
    /// stationary distributions) the long-run average starting from `start`.
    /// Assumes a valid model (see [`GaussianHmm::validate`]).
    pub fn stationary(&self) -> Vec<f64> {
        let k = self.transmat.len();
        solve_stationary(&self.transmat).unwrap_or_else(|| {
            // Cesàro average of start * A^n: converges for every chain.
            let mut p = self.start.clone();
            let mut next = vec![0.0; k];
            let mut sum = vec![0.0; k];
            let n = 20_000;
            for _ in 0..n {
                for (j, nj) in next.iter_mut().enumerate() {
                    *nj = p.iter().zip(&self.transmat).map(|(pi, row)| pi * row[j]).sum();
                }
                std::mem::swap(&mut p, &mut next);
                sum.iter_mut().zip(&p).for_each(|(s, pi)| *s += pi);
            }
            normalised(sum)
        })
    }

    /// Relabels the states by increasing mean (ties by variance), permuting
    /// `start`, the rows and columns of `transmat`, `means` and `variances`.
    /// Fits and the reference values report states in this order.
    pub fn sort_by_mean(&mut self) {
        let mut order: Vec<usize> = (0..self.means.len()).collect();
        order.sort_by(|&a, &b| {
            self.means[a].total_cmp(&self.means[b]).then(self.variances[a].total_cmp(&self.variances[b]))
        });
        self.relabel(&order);
    }

    /// Relabels the states by increasing variance (ties by mean): state 0
    /// is the calmest. Volatility regimes keep their labels across refits
    /// this way, where mean returns near zero would swap them at random.
    pub fn sort_by_variance(&mut self) {
        let mut order: Vec<usize> = (0..self.means.len()).collect();
        order.sort_by(|&a, &b| {
            self.variances[a].total_cmp(&self.variances[b]).then(self.means[a].total_cmp(&self.means[b]))
        });
        self.relabel(&order);
    }

    fn relabel(&mut self, order: &[usize]) {
        let pick = |v: &[f64]| order.iter().map(|&i| v.get(i).copied().unwrap_or(f64::NAN)).collect::<Vec<_>>();
        self.start = pick(&self.start);
        self.means = pick(&self.means);
        self.variances = pick(&self.variances);
        self.transmat = order.iter().filter_map(|&i| self.transmat.get(i)).map(|row| pick(row)).collect();
    }
}

fn check_distribution(what: &str, p: &[f64]) -> Result<(), HmmError> {
    if let Some((i, v)) = p.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        return Err(HmmError::InvalidModel(format!("{what}: probability {i} is {v}")));
    }
    let sum: f64 = p.iter().sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        return Err(HmmError::InvalidModel(format!("{what} sums to {sum}, not 1")));
    }
    Ok(())
}

/// Fails on the first NaN or infinite observation, naming its index.
pub(crate) fn check_finite(observations: &[f64]) -> Result<(), HmmError> {
    match observations.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(HmmError::NonFinite { index, value: observations[index] }),
        None => Ok(()),
    }
}

pub(crate) fn normalised(mut p: Vec<f64>) -> Vec<f64> {
    let sum: f64 = p.iter().sum();
    if sum > 0.0 {
        p.iter_mut().for_each(|v| *v /= sum);
    }
    p
}

/// Solves `pi (A - I) = 0`, `sum pi = 1` by Gaussian elimination with partial
/// pivoting; `None` if the system is singular (reducible chain).
fn solve_stationary(a: &[Vec<f64>]) -> Option<Vec<f64>> {
    let k = a.len();
    // Row r of the system: sum_i pi_i (A[i][r] - delta_ir) = 0; the last row
    // is replaced by sum_i pi_i = 1.
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|r| {
            let mut row: Vec<f64> =
                (0..k).map(|i| if r + 1 == k { 1.0 } else { a[i][r] - if i == r { 1.0 } else { 0.0 } }).collect();
            row.push(if r + 1 == k { 1.0 } else { 0.0 });
            row
        })
        .collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|&x, &y| m[x][col].abs().total_cmp(&m[y][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            if r != col && f != 0.0 {
                row[col..].iter_mut().zip(&pivot_row[col..]).for_each(|(x, p)| *x -= f * p);
            }
        }
    }
    let pi: Vec<f64> = (0..k).map(|i| (m[i][k] / m[i][i]).max(0.0)).collect();
    pi.iter().all(|v| v.is_finite()).then(|| normalised(pi))
}

/// Log density of `N(mean, variance)` at `x`.
#[inline]
pub(crate) fn log_density(x: f64, mean: f64, variance: f64) -> f64 {
    let d = x - mean;
    -0.5 * (LN_2PI + variance.ln() + d * d / variance)
}

/// A model's parameters in flat arrays, as the recursions use them.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub k: usize,
    pub start: Vec<f64>,
    /// Row-major `k x k`.
    pub trans: Vec<f64>,
    pub means: Vec<f64>,
    pub variances: Vec<f64>,
}

impl Params {
    pub fn from_model(model: &GaussianHmm) -> Result<Self, HmmError> {
        let k = model.validate()?;
        Ok(Self {
            k,
            start: model.start.clone(),
            trans: model.transmat.iter().flatten().copied().collect(),
            means: model.means.clone(),
            variances: model.variances.clone(),
        })
    }

    pub fn to_model(&self) -> GaussianHmm {
        GaussianHmm {
            start: self.start.clone(),
            transmat: self.trans.chunks_exact(self.k.max(1)).map(<[f64]>::to_vec).collect(),
            means: self.means.clone(),
            variances: self.variances.clone(),
        }
    }
}

/// Buffers of the scaled forward-backward recursions for `T` observations,
/// allocated once per fit and reused by every start and iteration.
///
/// Emissions are stored as `b[t][j] = exp(ln N(x_t; j) - offset[t])` with
/// `offset[t] = max_j ln N(x_t; j)`, so an outlier that underflows every
/// density still leaves the likeliest state at 1. `alpha[t]` is the filtered
/// distribution (normalised each step by `scale[t]`), and `beta` is scaled by
/// the same factors (Rabiner's scaling), so `alpha[t][i] * beta[t][i]` is the
/// posterior directly and `ln L = sum_t ln scale[t] + offset[t]`.
#[derive(Debug)]
pub(crate) struct Workspace {
    k: usize,
    b: Vec<f64>,
    offset: Vec<f64>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    scale: Vec<f64>,
}

impl Workspace {
    pub fn new(k: usize, t: usize) -> Self {
        Self {
            k,
            b: vec![0.0; k * t],
            offset: vec![0.0; t],
            alpha: vec![0.0; k * t],
            beta: vec![0.0; k * t],
            scale: vec![0.0; t],
        }
    }

    pub fn emissions(&mut self, p: &Params, obs: &[f64]) {
        let k = self.k;
        for ((&x, b), offset) in obs.iter().zip(self.b.chunks_exact_mut(k)).zip(&mut self.offset) {
            let mut max = f64::NEG_INFINITY;
            for ((bj, &m), &v) in b.iter_mut().zip(&p.means).zip(&p.variances) {
                *bj = log_density(x, m, v);
                max = max.max(*bj);
            }
            b.iter_mut().for_each(|bj| *bj = (*bj - max).exp());
            *offset = max;
        }
    }

    /// Forward pass; returns the log-likelihood (`-inf` if some observation
    /// has zero probability given the past, after which `alpha` is meaningless).
    pub fn forward(&mut self, p: &Params) -> f64 {
        let k = self.k;
        let t_len = self.scale.len();
        let mut ll = 0.0;
        for t in 0..t_len {
            let (done, rest) = self.alpha.split_at_mut(t * k);
            let cur = &mut rest[..k];
            let b = &self.b[t * k..(t + 1) * k];
            if t == 0 {
                cur.iter_mut().zip(&p.start).zip(b).for_each(|((a, s), bj)| *a = s * bj);
            } else {
                predict(&done[(t - 1) * k..], &p.trans, cur);
                cur.iter_mut().zip(b).for_each(|(a, bj)| *a *= bj);
            }
            let c: f64 = cur.iter().sum();
            self.scale[t] = c;
            if !(c > 0.0 && c.is_finite()) {
                return f64::NEG_INFINITY;
            }
            cur.iter_mut().for_each(|a| *a /= c);
            ll += c.ln() + self.offset[t];
        }
        ll
    }

    /// Backward pass (after a finite [`Workspace::forward`]).
    pub fn backward(&mut self, p: &Params) {
        let k = self.k;
        let t_len = self.scale.len();
        if t_len == 0 {
            return;
        }
        self.beta[(t_len - 1) * k..].iter_mut().for_each(|v| *v = 1.0);
        let mut tmp = vec![0.0; k];
        for t in (0..t_len - 1).rev() {
            let (head, tail) = self.beta.split_at_mut((t + 1) * k);
            let next = &tail[..k];
            let b = &self.b[(t + 1) * k..(t + 2) * k];
            let c = self.scale[t + 1];
            tmp.iter_mut().zip(b).zip(next).for_each(|((w, bj), nj)| *w = bj * nj / c);
            for (i, bi) in head[t * k..].iter_mut().enumerate() {
                *bi = p.trans[i * k..(i + 1) * k].iter().zip(&tmp).map(|(a, w)| a * w).sum();
            }
        }
    }

    /// Posterior state probabilities at `t` (after forward and backward).
    pub fn gamma(&self, t: usize) -> impl Iterator<Item = f64> + '_ {
        let k = self.k;
        self.alpha[t * k..(t + 1) * k].iter().zip(&self.beta[t * k..(t + 1) * k]).map(|(a, b)| a * b)
    }

    /// One EM M-step into `p` (after forward and backward), mirroring
    /// hmmlearn's `GaussianHMM` with diagonal covariance and default priors:
    /// start = posterior at `t = 0`; transitions = expected transition counts,
    /// row-normalised; means = posterior-weighted means; variances =
    /// `(variance_prior + sum_t gamma_t (x_t - mean)^2) / sum_t gamma_t`,
    /// floored at `min_variance`. A state with no posterior mass keeps its
    /// emission parameters, and a row with no expected transitions its row.
    pub fn m_step(&self, p: &mut Params, obs: &[f64], variance_prior: f64, min_variance: f64) {
        let k = self.k;
        let t_len = obs.len();
        if t_len == 0 {
            return;
        }
        // Start.
        let g0: Vec<f64> = self.gamma(0).collect();
        let s0: f64 = g0.iter().sum();
        if s0 > 0.0 {
            p.start.iter_mut().zip(&g0).for_each(|(s, g)| *s = g / s0);
        }
        // Transitions: xi_t(i, j) = alpha_t(i) A_ij b_{t+1}(j) beta_{t+1}(j) / c_{t+1}.
        let mut xi = vec![0.0; k * k];
        let mut w = vec![0.0; k];
        for t in 0..t_len - 1 {
            let c = self.scale[t + 1];
            let b = &self.b[(t + 1) * k..(t + 2) * k];
            let beta = &self.beta[(t + 1) * k..(t + 2) * k];
            w.iter_mut().zip(b).zip(beta).for_each(|((wj, bj), nj)| *wj = bj * nj / c);
            for (i, &ai) in self.alpha[t * k..(t + 1) * k].iter().enumerate() {
                if ai == 0.0 {
                    continue;
                }
                let row = &p.trans[i * k..(i + 1) * k];
                for ((x, a), wj) in xi[i * k..(i + 1) * k].iter_mut().zip(row).zip(&w) {
                    *x += ai * a * wj;
                }
            }
        }
        for (row, counts) in p.trans.chunks_exact_mut(k).zip(xi.chunks_exact(k)) {
            let sum: f64 = counts.iter().sum();
            if sum > 0.0 && sum.is_finite() {
                row.iter_mut().zip(counts).for_each(|(a, x)| *a = x / sum);
            }
        }
        // Emissions.
        let mut weight = vec![0.0; k];
        let mut first = vec![0.0; k];
        for (t, &x) in obs.iter().enumerate() {
            for ((g, wk), fk) in self.gamma(t).zip(&mut weight).zip(&mut first) {
                *wk += g;
                *fk += g * x;
            }
        }
        let means: Vec<f64> =
            (0..k).map(|j| if weight[j] > 1e-300 { first[j] / weight[j] } else { p.means[j] }).collect();
        let mut second = vec![0.0; k];
        for (t, &x) in obs.iter().enumerate() {
            for ((g, sk), m) in self.gamma(t).zip(&mut second).zip(&means) {
                *sk += g * (x - m) * (x - m);
            }
        }
        for j in 0..k {
            if weight[j] > 1e-300 {
                p.means[j] = means[j];
                p.variances[j] = ((variance_prior + second[j]) / weight[j].max(1e-5)).max(min_variance);
            }
        }
    }
}

/// `out[j] = sum_i prev[i] * trans[i][j]` (one step of the chain).
#[inline]
pub(crate) fn predict(prev: &[f64], trans: &[f64], out: &mut [f64]) {
    let k = out.len();
    out.iter_mut().for_each(|o| *o = 0.0);
    for (&pi, row) in prev.iter().zip(trans.chunks_exact(k)) {
        if pi != 0.0 {
            out.iter_mut().zip(row).for_each(|(o, a)| *o += pi * a);
        }
    }
}
