use serde::{Deserialize, Serialize};

use crate::{HmmError, HmmFit};

/// A fit as `tradebot fit hmm --json` prints it: the field names of the
/// hmmlearn reference file (`tests/golden/hmmlearn/hmm2.hmmlearn.json`),
/// states sorted by mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HmmReport {
    /// Number of observations fitted.
    pub n_obs: usize,
    /// Number of hidden states.
    pub n_states: usize,
    /// Log-likelihood of the observations under the fitted model.
    pub loglikelihood: f64,
    pub means: Vec<f64>,
    pub variances: Vec<f64>,
    /// `transmat[i][j]`: probability of moving from state `i` to state `j`.
    pub transmat: Vec<Vec<f64>>,
    /// Long-run share of time in each state.
    pub stationary: Vec<f64>,
    /// Filtered probability of each state at the last observation.
    pub last_state_prob: Vec<f64>,
}

impl HmmReport {
    /// The report of `fit` on the `observations` it was fitted to.
    pub fn new(fit: &HmmFit, observations: &[f64]) -> Result<Self, HmmError> {
        let mut model = fit.model.clone();
        model.sort_by_mean();
        let last_state_prob = model.last_state_prob(observations)?;
        Ok(Self {
            n_obs: observations.len(),
            n_states: model.states(),
            loglikelihood: fit.loglikelihood,
            stationary: model.stationary(),
            last_state_prob,
            means: model.means,
            variances: model.variances,
            transmat: model.transmat,
        })
    }
}

/// Log returns in percent, `100 * ln(close_t / close_{t-1})`: one fewer than
/// the closes (none for fewer than two). A non-positive or non-finite close
/// gives a non-finite return, which [`fit`](crate::fit) rejects by index.
pub fn log_returns_pct(closes: &[f64]) -> Vec<f64> {
    closes.windows(2).map(|w| 100.0 * (w[1] / w[0]).ln()).collect()
}
