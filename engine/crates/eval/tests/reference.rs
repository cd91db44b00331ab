//! Every metric, test and baseline against values computed by libraries
//! someone else wrote (`tests/reference.json`, made by `tests/reference.py`
//! from a fixed seed; its docstring says which library gives which value).
//!
//! Tolerances, all absolute unless said otherwise:
//! * classification metrics, calibration, Brier, QLIKE, MSE, EWMA: 1e-12
//!   (the same arithmetic in a different order);
//! * binomial p-values: 1e-11 relative (statrs' and scipy's incomplete
//!   beta functions; 1.3e-12 reached in the 1e-52 tail);
//! * Diebold-Mariano statistic and p-values: 1e-10 (Student-t CDFs); the
//!   HAR-vs-EWMA one 1e-8, as it inherits the HAR fit's differences;
//! * logit: coefficients and probabilities 1e-8 (L-BFGS here, Newton there,
//!   on the same convex objective; ~1e-9 reached);
//! * HAR coefficients and forecasts: 1e-8 relative (normal equations vs
//!   statsmodels' pinv; ~4e-10 reached), QLIKE/MSE of the HAR forecasts
//!   likewise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde::Deserialize;
use tradebot_eval::{
    Har, HarConfig, LaggedLogit, LogitConfig, Probs, binomial_test, classification_report, compare_variance,
    diebold_mariano, ewma_variance, log_losses, qlike, variance_mse,
};

#[derive(Deserialize)]
struct Reference {
    classification: Classification,
    binomial: Vec<Binomial>,
    diebold_mariano: Dm,
    logit: Logit,
    volatility: Volatility,
}

#[derive(Deserialize)]
struct Classification {
    labels: Vec<u8>,
    model: Vec<Probs>,
    baseline: Vec<Probs>,
    accuracy: f64,
    balanced_accuracy: f64,
    log_loss: f64,
    brier: f64,
    confusion: [[u64; 3]; 3],
    calibration_accuracy: Vec<f64>,
    calibration_confidence: Vec<f64>,
    calibration_counts: Vec<u64>,
    ece: f64,
    baseline_log_loss: f64,
}

#[derive(Deserialize)]
struct Binomial {
    k: u64,
    n: u64,
    p0: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct Dm {
    h1: DmCase,
    h3: DmCase,
}

#[derive(Deserialize)]
struct DmCase {
    #[serde(default)]
    loss_model: Vec<f64>,
    #[serde(default)]
    loss_baseline: Vec<f64>,
    statistic: f64,
    p_two_sided: f64,
    p_model_better: f64,
}

#[derive(Deserialize)]
struct Logit {
    returns: Vec<f64>,
    labels: Vec<u8>,
    lags: usize,
    c: f64,
    train_end: usize,
    test_start: usize,
    weights: Vec<Vec<f64>>,
    intercepts: Vec<f64>,
    test_probs: Vec<Probs>,
}

#[derive(Deserialize)]
struct Volatility {
    realised: Vec<f64>,
    lambda: f64,
    ewma_pandas_test: Vec<f64>,
    har_train_end: usize,
    har_coefficients: Vec<f64>,
    har_test_forecast: Vec<f64>,
    qlike_har: f64,
    qlike_ewma: f64,
    mse_har: f64,
    dm_har_vs_ewma_statistic: f64,
    dm_har_vs_ewma_p_two_sided: f64,
}

fn reference() -> Reference {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[track_caller]
fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} (diff {:e})", (got - want).abs());
}

#[test]
fn classification_report_matches_sklearn() {
    let c = reference().classification;
    let r = classification_report(&c.labels, &c.model).unwrap();
    close(r.accuracy, c.accuracy, 1e-12, "accuracy");
    close(r.balanced_accuracy, c.balanced_accuracy, 1e-12, "balanced accuracy");
    close(r.log_loss, c.log_loss, 1e-12, "log-loss");
    close(r.brier, c.brier, 1e-12, "brier");
    close(r.ece, c.ece, 1e-12, "ece");
    assert_eq!(r.confusion, c.confusion);
    assert_eq!(r.calibration.iter().map(|b| b.count).collect::<Vec<_>>(), c.calibration_counts);
    // sklearn's calibration_curve lists only the non-empty bins.
    let filled: Vec<_> = r.calibration.iter().filter(|b| b.count > 0).collect();
    assert_eq!(filled.len(), c.calibration_accuracy.len());
    for ((b, acc), conf) in filled.iter().zip(&c.calibration_accuracy).zip(&c.calibration_confidence) {
        close(b.accuracy.unwrap(), *acc, 1e-12, "bin accuracy");
        close(b.mean_confidence.unwrap(), *conf, 1e-12, "bin confidence");
    }
    let base = classification_report(&c.labels, &c.baseline).unwrap();
    close(base.log_loss, c.baseline_log_loss, 1e-12, "baseline log-loss");
}

#[test]
fn binomial_p_values_match_scipy_binomtest() {
    for case in reference().binomial {
        let p = binomial_test(case.k, case.n, case.p0).unwrap();
        let tol = 1e-11 * case.p_value.max(1e-300);
        close(p, case.p_value, tol, &format!("binomtest({}, {}, {})", case.k, case.n, case.p0));
    }
}

#[test]
fn diebold_mariano_h1_is_scipys_one_sample_t_test() {
    let r = reference();
    let c = &r.classification;
    let (lm, lb) = (log_losses(&c.labels, &c.model), log_losses(&c.labels, &c.baseline));
    let want = &r.diebold_mariano.h1;
    let dm = diebold_mariano(&lm, &lb, 1).unwrap();
    close(dm.statistic, want.statistic, 1e-10, "statistic");
    close(dm.p_value_two_sided, want.p_two_sided, 1e-10, "two-sided p");
    close(dm.p_value_model_better, want.p_model_better, 1e-10, "one-sided p");
    assert!(want.loss_model.is_empty() && want.loss_baseline.is_empty());
}

#[test]
fn diebold_mariano_h3_matches_the_hln_formulas_on_statsmodels_acovf() {
    let want = reference().diebold_mariano.h3;
    let dm = diebold_mariano(&want.loss_model, &want.loss_baseline, 3).unwrap();
    close(dm.statistic, want.statistic, 1e-10, "statistic");
    close(dm.p_value_two_sided, want.p_two_sided, 1e-10, "two-sided p");
    close(dm.p_value_model_better, want.p_model_better, 1e-10, "one-sided p");
}

#[test]
fn lagged_logit_matches_sklearn_logistic_regression() {
    let l = reference().logit;
    let config = LogitConfig { lags: l.lags, c: l.c, ..LogitConfig::default() };
    let fit = LaggedLogit::fit(&l.returns, &l.labels, 0..l.train_end, &config).unwrap();
    assert!(fit.converged, "{fit:?}");
    for c in 0..3 {
        for j in 0..l.lags {
            close(fit.weights[c][j], l.weights[c][j], 1e-8, &format!("weight[{c}][{j}]"));
        }
        close(fit.intercepts[c], l.intercepts[c], 1e-8, &format!("intercept[{c}]"));
    }
    let probs = fit.forecast(&l.returns, l.test_start..l.labels.len()).unwrap();
    assert_eq!(probs.len(), l.test_probs.len());
    for (t, (got, want)) in probs.iter().zip(&l.test_probs).enumerate() {
        for k in 0..3 {
            close(got[k], want[k], 1e-8, &format!("test prob[{t}][{k}]"));
        }
    }
}

#[test]
fn volatility_baselines_and_losses_match_pandas_and_statsmodels() {
    let v = reference().volatility;
    let split = v.har_train_end;
    // pandas ewm(adjust=False) starts from realised[0], so its value at t-1
    // is the forecast of realised[t] started from initial = realised[0].
    let ewma = ewma_variance(&v.realised, v.lambda, v.realised[0]).unwrap();
    for (t, want) in (split..v.realised.len()).zip(&v.ewma_pandas_test) {
        close(ewma[t], *want, 1e-12 * want, &format!("ewma[{t}]"));
    }

    let har = Har::fit(&v.realised, 0..split, &HarConfig::default()).unwrap();
    for (got, want) in har.coefficients.iter().zip(&v.har_coefficients) {
        close(*got, *want, 1e-8 * want.abs(), "HAR coefficient");
    }
    let har_test = har.forecast(&v.realised, split..v.realised.len()).unwrap();
    for (got, want) in har_test.iter().zip(&v.har_test_forecast) {
        close(*got, *want, 1e-8 * want, "HAR forecast");
    }

    let realised = &v.realised[split..];
    let ewma_test = &ewma[split..];
    close(qlike(realised, &har_test).unwrap(), v.qlike_har, 1e-8, "QLIKE HAR");
    close(qlike(realised, ewma_test).unwrap(), v.qlike_ewma, 1e-12, "QLIKE EWMA");
    close(variance_mse(realised, &har_test).unwrap(), v.mse_har, 1e-8 * v.mse_har, "MSE HAR");

    let cmp = compare_variance(realised, &har_test, &[("ewma", ewma_test)], 1).unwrap();
    let dm = cmp.baselines[0].dm.unwrap();
    close(dm.statistic, v.dm_har_vs_ewma_statistic, 1e-8, "DM statistic");
    close(dm.p_value_two_sided, v.dm_har_vs_ewma_p_two_sided, 1e-8, "DM p");
}
