//! The model against its baselines, and the one sentence that sums it up.
//!
//! Why this module exists: the report a person reads should say, in one
//! honest sentence, whether a forecast's edge survives a significance test
//! — and not be tempted to round "slightly better on this sample" up to
//! "works". The sentence speaks about forecasts only, never about profit:
//! a forecast edge says nothing of costs, sizing or execution.
//!
//! An edge is called significant only when *both* tests reject at `alpha`:
//! the binomial test of accuracy against the most accurate baseline and
//! the one-sided Diebold–Mariano test of log-loss against the baseline with
//! the lowest log-loss. Requiring both (an intersection–union test) keeps
//! the verdict's level at `alpha` without a multiple-testing correction.

use serde::Serialize;

use crate::error::EvalError;
use crate::metrics::{ClassificationReport, Probs, classification_report, log_losses};
use crate::stats::{DieboldMariano, binomial_test, diebold_mariano};
use crate::vol::VolatilityComparison;

/// The usual significance level.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// A baseline's name and scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedReport {
    /// The baseline's name, e.g. "majority".
    pub name: String,
    /// Its scores on the same samples as the model.
    pub report: ClassificationReport,
}

/// A direction model against its baselines on the same test samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionComparison {
    /// The model's scores.
    pub model: ClassificationReport,
    /// Every baseline's scores, in the order given.
    pub baselines: Vec<NamedReport>,
    /// Index in `baselines` of the most accurate one (the first of equals).
    pub accuracy_baseline: usize,
    /// [`binomial_test`] of the model's hits against that baseline's accuracy.
    pub accuracy_p_value: f64,
    /// Index in `baselines` of the one with the lowest log-loss.
    pub log_loss_baseline: usize,
    /// DM test of the model's per-sample log-loss against that baseline's.
    pub dm: Option<DieboldMariano>,
    /// Why the DM test is undefined, if it is (e.g. identical forecasts).
    pub dm_error: Option<String>,
}

/// Scores `model` and each named baseline against `labels` and runs both
/// tests (see the module docs); `horizon` is the DM horizon (1 for
/// next-bar forecasts).
///
/// # Errors
///
/// No baselines, or any forecast series invalid for
/// [`classification_report`](crate::classification_report).
pub fn compare_direction(
    labels: &[u8],
    model: &[Probs],
    baselines: &[(&str, &[Probs])],
    horizon: usize,
) -> Result<DirectionComparison, EvalError> {
    if baselines.is_empty() {
        return Err(EvalError::Empty { what: "baselines" });
    }
    let model_report = classification_report(labels, model)?;
    let reports = baselines
        .iter()
        .map(|&(name, probs)| Ok(NamedReport { name: name.into(), report: classification_report(labels, probs)? }))
        .collect::<Result<Vec<_>, EvalError>>()?;
    let pick = |better: fn(&ClassificationReport, &ClassificationReport) -> bool| {
        (1..reports.len()).fold(0, |best, i| if better(&reports[i].report, &reports[best].report) { i } else { best })
    };
    let accuracy_baseline = pick(|a, b| a.accuracy > b.accuracy);
    let log_loss_baseline = pick(|a, b| a.log_loss < b.log_loss);
    let accuracy_p_value =
        binomial_test(model_report.correct, labels.len() as u64, reports[accuracy_baseline].report.accuracy)?;
    let (dm, dm_error) =
        match diebold_mariano(&log_losses(labels, model), &log_losses(labels, baselines[log_loss_baseline].1), horizon)
        {
            Ok(dm) => (Some(dm), None),
            Err(e) => (None, Some(e.to_string())),
        };
    Ok(DirectionComparison {
        model: model_report,
        baselines: reports,
        accuracy_baseline,
        accuracy_p_value,
        log_loss_baseline,
        dm,
        dm_error,
    })
}

fn check_alpha(alpha: f64) -> Result<(), EvalError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(EvalError::InvalidParameter { name: "alpha", value: alpha, reason: "must be in (0, 1)" })
    }
}

/// `0.05` -> `"5%"`, `0.001` -> `"0.1%"`.
fn percent(alpha: f64) -> String {
    let s = format!("{:.2}", alpha * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// A p-value to two significant digits, or `< 0.001`.
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else if p < 0.01 {
        format!("p = {p:.4}")
    } else if p < 0.1 {
        format!("p = {p:.3}")
    } else {
        format!("p = {p:.2}")
    }
}

fn dm_text(dm: Option<&DieboldMariano>, error: Option<&String>) -> String {
    match (dm, error) {
        (Some(dm), _) => format!("DM {}", p_text(dm.p_value_model_better)),
        (None, Some(e)) => format!("DM test undefined: {e}"),
        (None, None) => "DM test undefined".into(),
    }
}

fn headline(accuracy_edge: bool, loss_edge: bool, alpha: f64, loss: &str) -> String {
    let level = percent(alpha);
    match (accuracy_edge, loss_edge) {
        (true, true) => format!("Edge is statistically significant at {level}"),
        (false, false) => "No statistically significant edge".into(),
        (true, false) => format!("No clear edge: only accuracy is significantly better at {level}, {loss} is not"),
        (false, true) => format!("No clear edge: only {loss} is significantly better at {level}, accuracy is not"),
    }
}

/// One sentence on whether the model's direction forecasts beat the
/// baselines (e.g. "No statistically significant edge: accuracy 0.512 vs
/// majority 0.508 (binomial p = 0.31); log-loss 1.093 vs persistence 1.090
/// (DM p = 0.64)."). The DM p-value shown is the one-sided "model better".
///
/// # Errors
///
/// `alpha` outside `(0, 1)`.
pub fn direction_verdict(cmp: &DirectionComparison, alpha: f64) -> Result<String, EvalError> {
    check_alpha(alpha)?;
    let acc = &cmp.baselines[cmp.accuracy_baseline];
    let ll = &cmp.baselines[cmp.log_loss_baseline];
    let accuracy_edge = cmp.accuracy_p_value < alpha;
    let loss_edge = cmp.dm.is_some_and(|d| d.p_value_model_better < alpha);
    Ok(format!(
        "{}: accuracy {:.3} vs {} {:.3} (binomial {}); log-loss {:.3} vs {} {:.3} ({}).",
        headline(accuracy_edge, loss_edge, alpha, "log-loss"),
        cmp.model.accuracy,
        acc.name,
        acc.report.accuracy,
        p_text(cmp.accuracy_p_value),
        cmp.model.log_loss,
        ll.name,
        ll.report.log_loss,
        dm_text(cmp.dm.as_ref(), cmp.dm_error.as_ref()),
    ))
}

/// One sentence on whether the model's variance forecasts beat the best
/// baseline (lowest QLIKE) by the one-sided DM test on QLIKE losses.
///
/// # Errors
///
/// `alpha` outside `(0, 1)`, or a comparison without baselines.
pub fn volatility_verdict(cmp: &VolatilityComparison, alpha: f64) -> Result<String, EvalError> {
    check_alpha(alpha)?;
    let best = cmp.best_baseline().ok_or(EvalError::Empty { what: "baselines" })?;
    let edge = best.dm.is_some_and(|d| d.p_value_model_better < alpha);
    let head = if edge {
        format!("Edge is statistically significant at {}", percent(alpha))
    } else {
        "No statistically significant edge".into()
    };
    Ok(format!(
        "{head}: QLIKE {:.4} vs {} {:.4} ({}).",
        cmp.model.qlike,
        best.name,
        best.qlike,
        dm_text(best.dm.as_ref(), best.dm_error.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.001), "0.1%");
        assert_eq!(p_text(0.3123), "p = 0.31");
        assert_eq!(p_text(0.0312), "p = 0.031");
        assert_eq!(p_text(0.00012), "p < 0.001");
    }
}
