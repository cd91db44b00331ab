//! Volatility forecasts: losses, no-look-ahead baselines and the comparison.
//!
//! Why this module exists: a variance forecast (an ML agent's, or
//! tradebot-garch's) is only worth its complexity if it beats EWMA and HAR
//! out of sample under a loss that ranks forecasts correctly even though
//! the realised variance is only observed through a noisy proxy (a squared
//! return). QLIKE and MSE are both "robust" in Patton's (2011) sense; QLIKE
//! is the one the Diebold–Mariano test runs on, because MSE of variances is
//! dominated by a few extreme bars.
//!
//! Alignment: every series here is indexed like the realised proxy, and
//! `forecast[t]` is the forecast of `realised[t]` made *before* it is seen,
//! from `realised[..t]` only.

use std::ops::Range;

use serde::Serialize;

use crate::baselines::check_range;
use crate::error::EvalError;
use crate::stats::{DieboldMariano, check_finite, diebold_mariano};

/// Floor applied to both the realised proxy and the forecast in QLIKE.
///
/// A bar with a zero return has `r^2 = 0`, where QLIKE's `-ln(r^2/s^2)` is
/// infinite; so is a zero forecast. Both are raised to 1e-12 (a 1e-6
/// return — far below a tick on any market here, for returns as fractions).
/// On data with many zero-return bars QLIKE then charges `~ln(s^2/1e-12)`
/// for each of them, the same for every forecaster; a range-based or
/// aggregated proxy is the better fix than a larger floor.
pub const VARIANCE_FLOOR: f64 = 1e-12;

/// RiskMetrics' daily decay, the default EWMA `lambda`.
pub const RISKMETRICS_LAMBDA: f64 = 0.94;

fn check_variances(xs: &[f64], what: &'static str) -> Result<(), EvalError> {
    if xs.is_empty() {
        return Err(EvalError::Empty { what });
    }
    check_finite(xs, what)?;
    match xs.iter().enumerate().find(|(_, v)| **v < 0.0) {
        Some((index, &value)) => Err(EvalError::NegativeVariance { what, index, value }),
        None => Ok(()),
    }
}

fn check_pair(realised: &[f64], forecast: &[f64]) -> Result<(), EvalError> {
    check_variances(realised, "realised")?;
    check_variances(forecast, "forecast")?;
    if realised.len() != forecast.len() {
        return Err(EvalError::LengthMismatch {
            what: "realised vs forecast",
            left: realised.len(),
            right: forecast.len(),
        });
    }
    Ok(())
}

/// Per-sample QLIKE `r2/s2 - ln(r2/s2) - 1` (0 for a perfect forecast),
/// with both floored at [`VARIANCE_FLOOR`].
///
/// # Errors
///
/// Empty or mismatched series, a non-finite or negative variance.
pub fn qlike_losses(realised: &[f64], forecast: &[f64]) -> Result<Vec<f64>, EvalError> {
    check_pair(realised, forecast)?;
    Ok(realised
        .iter()
        .zip(forecast)
        .map(|(r, s)| {
            let ratio = r.max(VARIANCE_FLOOR) / s.max(VARIANCE_FLOOR);
            ratio - ratio.ln() - 1.0
        })
        .collect())
}

/// Mean QLIKE (see [`qlike_losses`]).
///
/// # Errors
///
/// As [`qlike_losses`].
pub fn qlike(realised: &[f64], forecast: &[f64]) -> Result<f64, EvalError> {
    let l = qlike_losses(realised, forecast)?;
    Ok(l.iter().sum::<f64>() / l.len() as f64)
}

/// Mean squared error of the variance forecast (no floor).
///
/// # Errors
///
/// As [`qlike_losses`].
pub fn variance_mse(realised: &[f64], forecast: &[f64]) -> Result<f64, EvalError> {
    check_pair(realised, forecast)?;
    Ok(realised.iter().zip(forecast).map(|(r, s)| (r - s).powi(2)).sum::<f64>() / realised.len() as f64)
}

/// EWMA (RiskMetrics) variance forecasts:
/// `out[0] = initial`, `out[t] = lambda * out[t-1] + (1 - lambda) * realised[t-1]`.
///
/// With squared returns as `realised` this is RiskMetrics' zero-mean
/// recursion. `initial` is the caller's: e.g. the training sample's mean
/// squared return — never one computed from the series being forecast.
///
/// # Errors
///
/// `lambda` outside `[0, 1)`, a non-finite or negative `initial` or
/// realised value, an empty series.
pub fn ewma_variance(realised: &[f64], lambda: f64, initial: f64) -> Result<Vec<f64>, EvalError> {
    if !(0.0..1.0).contains(&lambda) {
        return Err(EvalError::InvalidParameter { name: "lambda", value: lambda, reason: "must be in [0, 1)" });
    }
    if !(initial >= 0.0 && initial.is_finite()) {
        return Err(EvalError::InvalidParameter {
            name: "initial",
            value: initial,
            reason: "must be a finite variance",
        });
    }
    check_variances(realised, "realised")?;
    let mut out = Vec::with_capacity(realised.len());
    let mut s2 = initial;
    for r2 in realised {
        out.push(s2);
        s2 = lambda * s2 + (1.0 - lambda) * r2;
    }
    Ok(out)
}

/// Settings of [`Har::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HarConfig {
    /// Averaging windows (in bars) of the "daily", "weekly" and "monthly"
    /// regressors; Corsi's 1, 5, 22 days by default, read as bars on candles.
    pub windows: [usize; 3],
}

impl Default for HarConfig {
    fn default() -> Self {
        Self { windows: [1, 5, 22] }
    }
}

/// Corsi's HAR model of the realised variance:
/// `forecast[t] = b0 + b1 * mean(rv[t-w1..t]) + b2 * mean(rv[t-w2..t]) + b3 * mean(rv[t-w3..t])`,
/// fitted by OLS on the training targets only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Har {
    /// The averaging windows.
    pub windows: [usize; 3],
    /// `[b0, b1, b2, b3]`: intercept, then the three averages' coefficients.
    pub coefficients: [f64; 4],
    /// Training targets used.
    pub n_train: usize,
}

impl Har {
    /// Fits on the targets `t` in `train` with `t >= max(windows)`.
    ///
    /// # Errors
    ///
    /// A zero window, a range past the end, fewer than 8 usable targets, a
    /// non-finite or negative realised value, or collinear regressors
    /// ([`EvalError::ZeroVariance`]).
    pub fn fit(realised: &[f64], train: Range<usize>, config: &HarConfig) -> Result<Self, EvalError> {
        let windows = config.windows;
        if windows.contains(&0) {
            return Err(EvalError::InvalidParameter { name: "windows", value: 0.0, reason: "must be at least 1" });
        }
        check_range(&train, realised.len(), "HAR training")?;
        check_variances(&realised[..train.end], "realised")?;
        let first = train.start.max(Self::first_of(windows));
        let n = train.end.saturating_sub(first);
        if n < 8 {
            return Err(EvalError::TooFewSamples { what: "HAR fit", got: n, min: 8 });
        }
        // Scale by the mean target: OLS is equivariant (slopes unchanged,
        // intercept times the scale), and squared returns of ~1e-6 would
        // otherwise put the intercept's diagonal 12 orders of magnitude
        // away from the slopes'.
        let scale = realised[first..train.end].iter().sum::<f64>() / n as f64;
        if scale <= 0.0 || !scale.is_finite() {
            return Err(EvalError::ZeroVariance { what: "the HAR target" });
        }
        let mut xtx = [[0.0; 4]; 4];
        let mut xty = [0.0; 4];
        for t in first..train.end {
            let x = Self::regressors(realised, t, windows).map(|v| v / scale);
            let x = [1.0, x[0], x[1], x[2]];
            let y = realised[t] / scale;
            for i in 0..4 {
                xty[i] += x[i] * y;
                for j in 0..4 {
                    xtx[i][j] += x[i] * x[j];
                }
            }
        }
        let mut b = solve4(xtx, xty).ok_or(EvalError::ZeroVariance { what: "the HAR regressors" })?;
        b[0] *= scale;
        Ok(Self { windows, coefficients: b, n_train: n })
    }

    fn first_of(windows: [usize; 3]) -> usize {
        windows.iter().copied().max().unwrap_or(1)
    }

    /// First index that can be forecast (`max(windows)`).
    pub fn first_index(&self) -> usize {
        Self::first_of(self.windows)
    }

    fn regressors(realised: &[f64], t: usize, windows: [usize; 3]) -> [f64; 3] {
        windows.map(|w| realised[t - w..t].iter().sum::<f64>() / w as f64)
    }

    /// Forecasts `realised[t]` for `t` in `range` from `realised[..t]`.
    /// A negative OLS forecast is raised to 0 (QLIKE then floors it).
    ///
    /// # Errors
    ///
    /// [`EvalError::NotEnoughHistory`] before [`first_index`](Self::first_index),
    /// a range past the end or empty, a non-finite or negative value used.
    pub fn forecast(&self, realised: &[f64], range: Range<usize>) -> Result<Vec<f64>, EvalError> {
        check_range(&range, realised.len(), "HAR forecast")?;
        let first = self.first_index();
        if range.start < first {
            return Err(EvalError::NotEnoughHistory { what: "HAR forecast", index: range.start, first });
        }
        let used = &realised[range.start - first..range.end - 1];
        check_variances(used, "realised").map_err(|e| match e {
            EvalError::NonFinite { what, index, value } => {
                EvalError::NonFinite { what, index: index + range.start - first, value }
            }
            EvalError::NegativeVariance { what, index, value } => {
                EvalError::NegativeVariance { what, index: index + range.start - first, value }
            }
            other => other,
        })?;
        let b = self.coefficients;
        Ok(range
            .map(|t| {
                let x = Self::regressors(realised, t, self.windows);
                (b[0] + b[1] * x[0] + b[2] * x[1] + b[3] * x[2]).max(0.0)
            })
            .collect())
    }
}

/// Solves the 4x4 normal equations by Gaussian elimination with partial
/// pivoting. Done by hand because a four-unknown system does not justify a
/// linear-algebra dependency; the regressors are rescaled by the caller, so
/// the normal equations are well enough conditioned for it. `None` when a
/// pivot vanishes relative to the matrix's scale (collinear regressors).
fn solve4(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> Option<[f64; 4]> {
    let norm = a.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for col in 0..4 {
        let pivot = (col..4).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        let size = a[pivot][col].abs();
        if size.is_nan() || size <= 1e-12 * norm {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..4 {
            let f = a[row][col] / pivot_row[col];
            a[row][col..].iter_mut().zip(&pivot_row[col..]).for_each(|(x, p)| *x -= f * p);
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 4];
    for row in (0..4).rev() {
        let tail: f64 = (row + 1..4).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// QLIKE and MSE of one variance forecast series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VarianceScore {
    /// The series' name ("model" for the model).
    pub name: String,
    /// Mean QLIKE.
    pub qlike: f64,
    /// Mean squared error of the variance.
    pub mse: f64,
    /// DM test of the model's QLIKE against this series' (`None` for the
    /// model itself, or when the test is undefined — see `dm_error`).
    pub dm: Option<DieboldMariano>,
    /// Why the DM test is undefined (e.g. identical forecasts), if it is.
    pub dm_error: Option<String>,
}

/// A model's variance forecasts against named baselines on the same samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolatilityComparison {
    /// Samples compared.
    pub n: usize,
    /// The model's scores.
    pub model: VarianceScore,
    /// Each baseline's scores and the DM test of the model against it.
    pub baselines: Vec<VarianceScore>,
}

impl VolatilityComparison {
    /// The baseline with the lowest QLIKE (the first of equals).
    pub fn best_baseline(&self) -> Option<&VarianceScore> {
        self.baselines.iter().reduce(|best, b| if b.qlike < best.qlike { b } else { best })
    }
}

/// Scores `model` and each `(name, forecasts)` baseline against `realised`
/// (all aligned, see the module docs), with a Diebold–Mariano test of the
/// model's QLIKE losses against each baseline's at `horizon`.
///
/// Baselines can be anything the caller has: [`ewma_variance`],
/// [`Har::forecast`], or a GARCH(1,1) series from tradebot-garch.
///
/// # Errors
///
/// No baselines, or any series invalid for [`qlike_losses`].
pub fn compare_variance(
    realised: &[f64],
    model: &[f64],
    baselines: &[(&str, &[f64])],
    horizon: usize,
) -> Result<VolatilityComparison, EvalError> {
    if baselines.is_empty() {
        return Err(EvalError::Empty { what: "baselines" });
    }
    let model_losses = qlike_losses(realised, model)?;
    let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len() as f64;
    let model_score = VarianceScore {
        name: "model".into(),
        qlike: mean(&model_losses),
        mse: variance_mse(realised, model)?,
        dm: None,
        dm_error: None,
    };
    let baselines = baselines
        .iter()
        .map(|&(name, forecast)| {
            let losses = qlike_losses(realised, forecast)?;
            let (dm, dm_error) = match diebold_mariano(&model_losses, &losses, horizon) {
                Ok(dm) => (Some(dm), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Ok(VarianceScore {
                name: name.into(),
                qlike: mean(&losses),
                mse: variance_mse(realised, forecast)?,
                dm,
                dm_error,
            })
        })
        .collect::<Result<Vec<_>, EvalError>>()?;
    Ok(VolatilityComparison { n: realised.len(), model: model_score, baselines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qlike_is_zero_for_a_perfect_forecast_and_finite_at_zero() {
        assert_eq!(qlike(&[0.5, 2.0], &[0.5, 2.0]).unwrap(), 0.0);
        let l = qlike_losses(&[0.0], &[1e-6]).unwrap()[0];
        assert!((l - (1e-6 + 1e6f64.ln() - 1.0)).abs() < 1e-9 && l.is_finite());
    }

    #[test]
    fn har_uses_only_targets_with_a_full_monthly_window() {
        // A HAR law plus a deterministic wiggle (a noiseless one converges to a
        // constant, which is collinear); the fit itself is checked against numpy.
        let mut rv: Vec<f64> = (0..22).map(|i| 1.0 + 0.5 * (i as f64).sin()).collect();
        for t in 22..200 {
            let x = Har::regressors(&rv, t, [1, 5, 22]);
            rv.push(0.1 + 0.5 * x[0] + 0.2 * x[1] + 0.1 * x[2] + 0.3 * (t as f64 * 0.37).sin().powi(2));
        }
        let h = Har::fit(&rv, 0..150, &HarConfig::default()).unwrap();
        assert_eq!(h.n_train, 128);
        let f = h.forecast(&rv, 150..200).unwrap();
        assert_eq!(f.len(), 50);
        assert!(f.iter().all(|v| *v > 0.0));
    }

    #[test]
    fn solve4_solves_and_rejects_singular() {
        let a = [[4.0, 1.0, 0.0, 0.0], [1.0, 3.0, 1.0, 0.0], [0.0, 1.0, 2.0, 1.0], [0.0, 0.0, 1.0, 5.0]];
        let x = [1.0, -2.0, 0.5, 3.0];
        let b = a.map(|row| row.iter().zip(&x).map(|(p, q)| p * q).sum());
        let got = solve4(a, b).unwrap();
        assert!(got.iter().zip(&x).all(|(g, e)| (g - e).abs() < 1e-12));
        assert!(
            solve4([[1.0, 2.0, 0.0, 0.0], [2.0, 4.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], b)
                .is_none()
        );
    }
}
