//! Direction baselines a model must beat: majority class and "last move persists".
//!
//! Why this module exists: a forecast score means nothing on its own; it
//! means something next to what a trivial rule gets on the same bars. Both
//! rules here are fitted on the training labels only and forecast with no
//! look-ahead (the timing convention is in the crate docs: the forecast
//! for sample `t` may use `labels[..t]`). Their probabilities are
//! Laplace-smoothed, so their log-loss is always finite. The third
//! baseline, multinomial logistic regression on lagged returns, is
//! [`LaggedLogit`](crate::LaggedLogit).

use std::ops::Range;

use serde::Serialize;

use crate::error::EvalError;
use crate::metrics::{CLASSES, Probs, validate_labels};

/// Predicts the training class frequencies, Laplace-smoothed:
/// `p_k = (count_k + 1) / (n + 3)`, the same vector for every sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MajorityClass {
    /// The constant forecast.
    pub probs: Probs,
}

impl MajorityClass {
    /// Counts the classes of `train_labels`.
    ///
    /// # Errors
    ///
    /// Empty labels or a label outside 0..3.
    pub fn fit(train_labels: &[u8]) -> Result<Self, EvalError> {
        validate_labels(train_labels, "training labels")?;
        let mut counts = [0usize; CLASSES];
        for &y in train_labels {
            counts[usize::from(y)] += 1;
        }
        let denom = (train_labels.len() + CLASSES) as f64;
        Ok(Self { probs: counts.map(|c| (c + 1) as f64 / denom) })
    }

    /// The forecast for `n` samples (the same vector `n` times).
    pub fn forecast(&self, n: usize) -> Vec<Probs> {
        vec![self.probs; n]
    }
}

/// Predicts that the next move has the class of the last observed one,
/// with probability `hit_rate`, the other two classes sharing the rest
/// evenly.
///
/// `hit_rate` is how often `labels[t] == labels[t-1]` in the training
/// labels, Laplace-smoothed as `(hits + 1) / (pairs + 2)` so it is strictly
/// inside `(0, 1)` and the log-loss stays finite. It may be below 1/3: on
/// mean-reverting data the rule then (honestly) says the last move is
/// *less* likely than the others to repeat, and its argmax is not the last
/// class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Persistence {
    /// Probability given to the previous label's class.
    pub hit_rate: f64,
}

impl Persistence {
    /// Fits `hit_rate` on consecutive pairs of `train_labels`.
    ///
    /// # Errors
    ///
    /// Fewer than 2 labels, or a label outside 0..3.
    pub fn fit(train_labels: &[u8]) -> Result<Self, EvalError> {
        validate_labels(train_labels, "training labels")?;
        if train_labels.len() < 2 {
            return Err(EvalError::TooFewSamples { what: "persistence fit", got: train_labels.len(), min: 2 });
        }
        let pairs = train_labels.len() - 1;
        let hits = train_labels.windows(2).filter(|w| w[0] == w[1]).count();
        Ok(Self { hit_rate: (hits + 1) as f64 / (pairs + 2) as f64 })
    }

    /// The forecast given the last observed label.
    pub fn forecast_after(&self, previous: u8) -> Probs {
        let rest = (1.0 - self.hit_rate) / (CLASSES - 1) as f64;
        std::array::from_fn(|k| if k == usize::from(previous) { self.hit_rate } else { rest })
    }

    /// Forecasts samples `range` of `labels`; sample `t` uses `labels[t-1]` only.
    ///
    /// # Errors
    ///
    /// [`EvalError::NotEnoughHistory`] if `range` starts at 0 (no previous
    /// label), [`EvalError::OutOfRange`] past the end of `labels`, an
    /// invalid label among those used, or an empty range.
    pub fn forecast(&self, labels: &[u8], range: Range<usize>) -> Result<Vec<Probs>, EvalError> {
        check_range(&range, labels.len(), "persistence forecast")?;
        if range.start == 0 {
            return Err(EvalError::NotEnoughHistory { what: "persistence forecast", index: 0, first: 1 });
        }
        let used = &labels[range.start - 1..range.end - 1];
        validate_labels(used, "labels").map_err(|e| match e {
            EvalError::InvalidLabel { index, value } => {
                EvalError::InvalidLabel { index: index + range.start - 1, value }
            }
            other => other,
        })?;
        Ok(used.iter().map(|&y| self.forecast_after(y)).collect())
    }
}

/// Rejects an empty range or one that ends past `len`.
pub(crate) fn check_range(range: &Range<usize>, len: usize, what: &'static str) -> Result<(), EvalError> {
    if range.end > len {
        return Err(EvalError::OutOfRange { what, end: range.end, len });
    }
    if range.is_empty() {
        return Err(EvalError::Empty { what });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_is_laplace_smoothed_training_frequency() {
        let m = MajorityClass::fit(&[2, 2, 2, 0]).unwrap();
        assert_eq!(m.probs, [2.0 / 7.0, 1.0 / 7.0, 4.0 / 7.0]);
    }

    #[test]
    fn persistence_repeats_the_previous_label() {
        // pairs: (0,0) hit, (0,2) miss, (2,2) hit -> (2 + 1) / (3 + 2) = 0.6
        let p = Persistence::fit(&[0, 0, 2, 2]).unwrap();
        assert!((p.hit_rate - 0.6).abs() < 1e-15);
        let f = p.forecast(&[1, 2, 0], 1..3).unwrap();
        assert_eq!(f, vec![[0.2, 0.6, 0.2], [0.2, 0.2, 0.6]]);
        assert!(p.forecast(&[1, 2], 0..2).is_err());
    }
}
