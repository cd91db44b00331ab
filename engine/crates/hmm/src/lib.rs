//! Gaussian hidden Markov models for market regimes.
//!
//! Returns alternate between calm and turbulent stretches that no single
//! distribution describes; a hidden Markov model with one Gaussian per state
//! names those regimes, says how persistent they are (the transition matrix)
//! and, bar by bar, how likely each one is now. The engine needs both halves:
//! an offline fit ([`fit`], Baum-Welch with several seeded random starts, as
//! EM only finds local optima) and an online [`Filter`] that uses only past
//! bars, so a live strategy and a replay see the same regime probabilities.
//!
//! The fit mirrors hmmlearn 0.3's `GaussianHMM` (fitted start distribution,
//! variance floor `min_covar`, `covars_prior`, convergence on the
//! log-likelihood gain) and is checked against it on real data
//! (`tests/golden/hmmlearn`). The recursions are scaled forward-backward with
//! per-bar emission offsets, so long series and outliers neither underflow nor
//! lose precision.
//!
//! ```
//! use tradebot_hmm::{FitOptions, Filter, fit, log_returns_pct};
//!
//! let closes: Vec<f64> = (0..200).map(|i| 100.0 + (i as f64 * 0.7).sin() * (1.0 + (i / 50) as f64)).collect();
//! let returns = log_returns_pct(&closes);
//! let fitted = fit(&returns, 2, FitOptions { starts: 3, ..FitOptions::default() })?;
//! let mut filter = Filter::new(&fitted.model)?;
//! for &x in &returns {
//!     let probabilities = filter.update(x);
//!     assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
//! }
//! # Ok::<(), tradebot_hmm::HmmError>(())
//! ```

mod error;
mod filter;
mod fit;
mod model;
mod report;
mod rolling;

pub use error::HmmError;
pub use filter::Filter;
pub use fit::{FitOptions, HmmFit, fit, min_observations};
pub use model::GaussianHmm;
pub use report::{HmmReport, log_returns_pct};
pub use rolling::{RegimeView, RollingHmm, RollingHmmConfig};

#[cfg(test)]
mod tests;
