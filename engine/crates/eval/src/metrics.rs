//! Scores of 3-class direction forecasts.
//!
//! Why this module exists: an ML agent's next-candle forecast is a
//! probability vector `[p_down, p_neutral, p_up]` (classes 0, 1, 2), and
//! "is it any good" needs more than accuracy — a model that always says
//! "up" can look accurate in a rising month. So every score here comes
//! together in one [`ClassificationReport`]: accuracy, balanced accuracy,
//! log-loss, Brier score, the confusion matrix and a reliability table.
//!
//! Conventions (matching scikit-learn where it has the metric):
//! * the predicted class is the argmax; **ties go to the lowest class
//!   index** (numpy's `argmax`), so a uniform forecast predicts "down";
//! * balanced accuracy is the mean recall over the classes that occur in
//!   the labels (`sklearn.metrics.balanced_accuracy_score`);
//! * log-loss clips the probability of the true class below at
//!   [`LOG_LOSS_EPS`] = 1e-15 (scikit-learn's historical `eps`; current
//!   releases clip at `f64::EPSILON` ≈ 2.2e-16 — the two differ only for
//!   forecasts that give the true class less than 1e-15);
//! * the Brier score is the multi-class one: the mean over samples of
//!   `sum_k (p_k - 1{y = k})^2`, in `[0, 2]`.

use serde::Serialize;

use crate::error::EvalError;

/// Number of classes: 0 = down, 1 = neutral, 2 = up.
pub const CLASSES: usize = 3;

/// How far a forecast's probabilities may sum from 1.
pub const PROB_SUM_TOLERANCE: f64 = 1e-6;

/// Lower clip of the true class's probability in the log-loss, so a
/// confident miss costs `-ln(1e-15)` ≈ 34.5 rather than infinity.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Bins of the reliability table: equal-width over confidence in `[0, 1]`.
pub const CALIBRATION_BINS: usize = 10;

/// One forecast: probabilities of down, neutral and up.
pub type Probs = [f64; CLASSES];

/// Checks labels and forecasts (same non-zero length, labels in 0..3,
/// probabilities in `[0, 1]` summing to 1 within [`PROB_SUM_TOLERANCE`]).
///
/// # Errors
///
/// The first offending input, by index.
pub fn validate(labels: &[u8], probs: &[Probs]) -> Result<(), EvalError> {
    validate_labels(labels, "labels")?;
    if labels.len() != probs.len() {
        return Err(EvalError::LengthMismatch { what: "labels vs forecasts", left: labels.len(), right: probs.len() });
    }
    validate_probs(probs)
}

pub(crate) fn validate_labels(labels: &[u8], what: &'static str) -> Result<(), EvalError> {
    if labels.is_empty() {
        return Err(EvalError::Empty { what });
    }
    match labels.iter().enumerate().find(|(_, y)| usize::from(**y) >= CLASSES) {
        Some((index, &value)) => Err(EvalError::InvalidLabel { index, value }),
        None => Ok(()),
    }
}

pub(crate) fn validate_probs(probs: &[Probs]) -> Result<(), EvalError> {
    if probs.is_empty() {
        return Err(EvalError::Empty { what: "forecasts" });
    }
    for (index, p) in probs.iter().enumerate() {
        // `!(0..=1).contains` is also true for NaN.
        if let Some((class, &value)) = p.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
            return Err(EvalError::InvalidProbability { index, class, value });
        }
        let sum: f64 = p.iter().sum();
        if (sum - 1.0).abs() > PROB_SUM_TOLERANCE {
            return Err(EvalError::ProbabilitySum { index, sum });
        }
    }
    Ok(())
}

/// The predicted class: the argmax, ties to the lowest index.
pub fn predicted_class(p: &Probs) -> usize {
    let mut best = 0;
    for k in 1..CLASSES {
        if p[k] > p[best] {
            best = k;
        }
    }
    best
}

/// Per-sample log-loss `-ln(max(p_y, LOG_LOSS_EPS))`: the loss series the
/// Diebold–Mariano test compares. Unvalidated; see [`validate`].
pub fn log_losses(labels: &[u8], probs: &[Probs]) -> Vec<f64> {
    labels.iter().zip(probs).map(|(&y, p)| -p[usize::from(y)].max(LOG_LOSS_EPS).ln()).collect()
}

/// One bin of the reliability table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the bin (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except 1.0 for the last bin).
    pub upper: f64,
    /// Forecasts whose confidence (max probability) falls in the bin.
    pub count: u64,
    /// Their mean confidence; `None` for an empty bin.
    pub mean_confidence: Option<f64>,
    /// Fraction of them whose predicted class was right; `None` when empty.
    pub accuracy: Option<f64>,
}

/// All scores of a set of direction forecasts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationReport {
    /// Number of samples.
    pub n: usize,
    /// Samples whose predicted class was right.
    pub correct: u64,
    /// `correct / n`.
    pub accuracy: f64,
    /// Mean recall over the classes present in the labels.
    pub balanced_accuracy: f64,
    /// Mean negative log-probability of the true class (clipped, see module docs).
    pub log_loss: f64,
    /// Multi-class Brier score, in `[0, 2]`.
    pub brier: f64,
    /// `confusion[true][predicted]` counts (scikit-learn's orientation).
    pub confusion: [[u64; CLASSES]; CLASSES],
    /// How often each class occurs in the labels.
    pub label_counts: [u64; CLASSES],
    /// Reliability table over [`CALIBRATION_BINS`] bins of confidence.
    pub calibration: Vec<CalibrationBin>,
    /// Expected calibration error: `sum_b (count_b / n) |accuracy_b - confidence_b|`.
    pub ece: f64,
}

/// Scores `probs` against `labels` (see the module docs for conventions).
///
/// # Errors
///
/// From [`validate`]: empty or mismatched inputs, labels outside 0..3,
/// probabilities outside `[0, 1]` or not summing to 1.
pub fn classification_report(labels: &[u8], probs: &[Probs]) -> Result<ClassificationReport, EvalError> {
    validate(labels, probs)?;
    let n = labels.len();
    let mut confusion = [[0u64; CLASSES]; CLASSES];
    let mut brier = 0.0;
    let mut bins = [(0u64, 0.0f64, 0u64); CALIBRATION_BINS];
    for (&y, p) in labels.iter().zip(probs) {
        let y = usize::from(y);
        let pred = predicted_class(p);
        confusion[y][pred] += 1;
        brier += (0..CLASSES).map(|k| (p[k] - if k == y { 1.0 } else { 0.0 }).powi(2)).sum::<f64>();
        let confidence = p[pred];
        // Truncation is the binning; the last bin is closed so confidence 1.0 lands in it.
        let b = ((confidence * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        bins[b].0 += 1;
        bins[b].1 += confidence;
        bins[b].2 += u64::from(pred == y);
    }
    let label_counts = confusion.map(|row| row.iter().sum::<u64>());
    let correct: u64 = (0..CLASSES).map(|k| confusion[k][k]).sum();
    let recalls: Vec<f64> = (0..CLASSES)
        .filter(|&k| label_counts[k] > 0)
        .map(|k| confusion[k][k] as f64 / label_counts[k] as f64)
        .collect();
    let log_loss = log_losses(labels, probs).iter().sum::<f64>() / n as f64;

    let mut ece = 0.0;
    let calibration = bins
        .iter()
        .enumerate()
        .map(|(b, &(count, conf_sum, hits))| {
            let (mean_confidence, accuracy) = if count == 0 {
                (None, None)
            } else {
                let (c, a) = (conf_sum / count as f64, hits as f64 / count as f64);
                ece += count as f64 / n as f64 * (a - c).abs();
                (Some(c), Some(a))
            };
            CalibrationBin {
                lower: b as f64 / CALIBRATION_BINS as f64,
                upper: (b + 1) as f64 / CALIBRATION_BINS as f64,
                count,
                mean_confidence,
                accuracy,
            }
        })
        .collect();

    Ok(ClassificationReport {
        n,
        correct,
        accuracy: correct as f64 / n as f64,
        balanced_accuracy: recalls.iter().sum::<f64>() / recalls.len() as f64,
        log_loss,
        brier: brier / n as f64,
        confusion,
        label_counts,
        calibration,
        ece,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_lowest_class() {
        assert_eq!(predicted_class(&[1.0 / 3.0; 3]), 0);
        assert_eq!(predicted_class(&[0.2, 0.4, 0.4]), 1);
        assert_eq!(predicted_class(&[0.1, 0.2, 0.7]), 2);
    }

    #[test]
    fn a_perfect_forecast_scores_perfectly() {
        let labels = [0, 1, 2, 2];
        let probs: Vec<Probs> =
            labels.iter().map(|&y| std::array::from_fn(|k| f64::from(u8::from(k == y as usize)))).collect();
        let r = classification_report(&labels, &probs).unwrap();
        assert_eq!((r.accuracy, r.balanced_accuracy, r.brier, r.ece), (1.0, 1.0, 0.0, 0.0));
        assert!(r.log_loss < 1e-14);
        assert_eq!(r.calibration[9].count, 4);
        assert_eq!(r.confusion, [[1, 0, 0], [0, 1, 0], [0, 0, 2]]);
    }

    #[test]
    fn a_confident_miss_costs_the_clipped_log_loss() {
        let r = classification_report(&[0], &[[0.0, 0.0, 1.0]]).unwrap();
        assert!((r.log_loss - (-LOG_LOSS_EPS.ln())).abs() < 1e-12);
        assert_eq!(r.brier, 2.0);
    }
}
