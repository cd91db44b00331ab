use crate::model::{Params, predict};
use crate::{GaussianHmm, HmmError};

/// Online forward filter: after each observation, the probability of each
/// hidden state given everything seen so far, `p(s_t | x_0..x_t)`.
///
/// Uses only the past, so the value at bar `t` is what a live engine knows at
/// `t`'s close, and equals [`GaussianHmm::filter`] on the same prefix. All
/// buffers are allocated in [`Filter::new`]; [`Filter::update`] allocates
/// nothing and costs `O(K^2)`.
#[derive(Debug, Clone)]
pub struct Filter {
    params: Params,
    /// `1 / variance` and `ln variance` per state, precomputed for the densities.
    inv_var: Vec<f64>,
    ln_var: Vec<f64>,
    prob: Vec<f64>,
    scratch: Vec<f64>,
    started: bool,
    loglikelihood: f64,
    observations: usize,
}

impl Filter {
    /// A filter that has seen nothing yet (its probabilities are `model.start`).
    pub fn new(model: &GaussianHmm) -> Result<Self, HmmError> {
        let params = Params::from_model(model)?;
        let k = params.k;
        Ok(Self {
            inv_var: params.variances.iter().map(|v| 1.0 / v).collect(),
            ln_var: params.variances.iter().map(|v| v.ln()).collect(),
            prob: params.start.clone(),
            scratch: vec![0.0; k],
            params,
            started: false,
            loglikelihood: 0.0,
            observations: 0,
        })
    }

    /// Number of hidden states.
    pub fn states(&self) -> usize {
        self.params.k
    }

    /// Feeds one observation and returns the filtered state probabilities.
    ///
    /// A NaN or infinite `x` is treated as missing: the state distribution is
    /// only propagated one step through the transition matrix. If `x` is
    /// impossible under every predicted state (numerically), the prediction is
    /// kept as well, so the result always sums to 1.
    pub fn update(&mut self, x: f64) -> &[f64] {
        let k = self.params.k;
        // Prediction p(s_t | x_0..x_{t-1}) into scratch.
        if self.started {
            predict(&self.prob, &self.params.trans, &mut self.scratch);
        } else {
            self.scratch.copy_from_slice(&self.params.start);
            self.started = true;
        }
        self.observations += 1;
        if x.is_finite() {
            // Log densities into prob, then exp relative to the max (no underflow for outliers).
            let mut max = f64::NEG_INFINITY;
            for j in 0..k {
                let d = x - self.params.means[j];
                let l = -0.5 * (self.ln_var[j] + d * d * self.inv_var[j]);
                self.prob[j] = l;
                max = max.max(l);
            }
            let mut sum = 0.0;
            for (p, s) in self.prob.iter_mut().zip(&self.scratch) {
                *p = s * (*p - max).exp();
                sum += *p;
            }
            if sum > 0.0 && sum.is_finite() {
                self.prob.iter_mut().for_each(|p| *p /= sum);
                self.loglikelihood += sum.ln() + max - 0.5 * crate::model::LN_2PI;
                return &self.prob;
            }
        }
        self.prob.copy_from_slice(&self.scratch);
        &self.prob
    }

    /// The current filtered probabilities (the start distribution before any update).
    pub fn probabilities(&self) -> &[f64] {
        &self.prob
    }

    /// Log-likelihood of the finite observations fed so far (the one-step
    /// predictive densities summed); equals [`GaussianHmm::loglikelihood`] on
    /// them unless one was impossible under the model (that one adds nothing here).
    pub fn loglikelihood(&self) -> f64 {
        self.loglikelihood
    }

    /// Number of updates so far.
    pub fn observations(&self) -> usize {
        self.observations
    }

    /// Forgets every observation.
    pub fn reset(&mut self) {
        self.prob.copy_from_slice(&self.params.start);
        self.started = false;
        self.loglikelihood = 0.0;
        self.observations = 0;
    }
}

#[cfg(test)]
mod tests {
    use crate::model::log_density;

    #[test]
    fn density_matches_model() {
        // The filter's inlined density is the model's log_density.
        let (x, m, v) = (0.3_f64, -0.1_f64, 0.7_f64);
        let d = x - m;
        let ours = -0.5 * (v.ln() + d * d / v) - 0.5 * crate::model::LN_2PI;
        assert!((ours - log_density(x, m, v)).abs() < 1e-15);
    }
}
