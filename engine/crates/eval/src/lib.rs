//! Honest evaluation of tradebot's ML forecasts.
//!
//! Why this crate exists: an ML agent's forecasts must be judged against
//! what trivial rules get on the same out-of-sample bars, with a test that
//! says whether the difference is more than luck. This crate is that
//! judgement, as pure functions (no I/O):
//!
//! * [`classification_report`]: accuracy, balanced accuracy, log-loss,
//!   Brier score, confusion matrix and reliability table of 3-class
//!   direction forecasts (0 = down, 1 = neutral, 2 = up), checked against
//!   scikit-learn;
//! * direction baselines fitted on training data only: [`MajorityClass`],
//!   [`Persistence`] and [`LaggedLogit`] (multinomial logistic regression
//!   on lagged returns, matching scikit-learn's);
//! * significance: [`binomial_test`] (scipy's `binomtest`, one-sided) and
//!   [`diebold_mariano`] (HLN-corrected, Student-t p-values);
//! * volatility: [`qlike`], [`variance_mse`], the [`ewma_variance`] and
//!   [`Har`] baselines, and [`compare_variance`] against any named
//!   baseline series (a GARCH(1,1) forecast from tradebot-garch included);
//! * [`compare_direction`] and [`direction_verdict`] /
//!   [`volatility_verdict`]: the model against its baselines, summed up in
//!   one sentence that never claims more than the tests support (and never
//!   mentions profit).
//!
//! # Timing: no look-ahead
//!
//! Series are indexed by bar. `returns[t]` is the return from the close of
//! bar `t - 1` to the close of bar `t`, known at the close of bar `t`.
//! `labels[t]` is the class of the *next* move, from bar `t` to `t + 1`, so
//! it is known only at the close of bar `t + 1`. A forecast for sample `t`
//! is made at the close of bar `t` and may use `returns[..=t]` and
//! `labels[..t]` — nothing else. Every baseline here is written that way,
//! and the property tests check it: changing data from `t + 1` on (returns)
//! or from `t` on (labels) does not change the forecast for `t`.
//! Variance series are aligned the same way: `forecast[t]` predicts
//! `realised[t]` from `realised[..t]`.
//!
//! Baselines are fitted on a training range and evaluated on a later test
//! range; the caller chooses the split, and the fits never read past the
//! training range's end (the logit reads `returns` up to the last training
//! sample only, the HAR fit `realised` likewise).

mod baselines;
mod error;
mod logit;
mod metrics;
mod stats;
mod verdict;
mod vol;

pub use baselines::{MajorityClass, Persistence};
pub use error::EvalError;
pub use logit::{LaggedLogit, LogitConfig};
pub use metrics::{
    CALIBRATION_BINS, CLASSES, CalibrationBin, ClassificationReport, LOG_LOSS_EPS, PROB_SUM_TOLERANCE, Probs,
    classification_report, log_losses, predicted_class, validate,
};
pub use stats::{DM_MIN_SAMPLES, DieboldMariano, binomial_test, diebold_mariano};
pub use verdict::{
    DEFAULT_ALPHA, DirectionComparison, NamedReport, compare_direction, direction_verdict, volatility_verdict,
};
pub use vol::{
    Har, HarConfig, RISKMETRICS_LAMBDA, VARIANCE_FLOOR, VarianceScore, VolatilityComparison, compare_variance,
    ewma_variance, qlike, qlike_losses, variance_mse,
};
