//! Unit tests on simulated data (the real-data comparison with hmmlearn is `tests/golden.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use crate::{Filter, FitOptions, GaussianHmm, HmmError, HmmReport, fit, log_returns_pct, min_observations};

fn calm_and_wild() -> GaussianHmm {
    GaussianHmm {
        start: vec![0.3, 0.7],
        transmat: vec![vec![0.95, 0.05], vec![0.02, 0.98]],
        means: vec![-0.2, 0.05],
        variances: vec![2.0, 0.1],
    }
}

fn three_states() -> GaussianHmm {
    GaussianHmm {
        start: vec![0.2, 0.5, 0.3],
        transmat: vec![vec![0.9, 0.07, 0.03], vec![0.05, 0.9, 0.05], vec![0.1, 0.2, 0.7]],
        means: vec![1.0, -0.5, 0.0],
        variances: vec![0.5, 0.2, 3.0],
    }
}

/// Draws `n` observations from `model` (inverse-CDF states, Box-Muller emissions).
fn simulate(model: &GaussianHmm, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let draw = |rng: &mut fastrand::Rng, p: &[f64]| {
        let u = rng.f64();
        let mut acc = 0.0;
        p.iter()
            .position(|pi| {
                acc += pi;
                u < acc
            })
            .unwrap_or(p.len() - 1)
    };
    let mut s = draw(&mut rng, &model.start);
    (0..n)
        .map(|t| {
            if t > 0 {
                s = draw(&mut rng, &model.transmat[s]);
            }
            let (u1, u2) = (1.0 - rng.f64(), rng.f64());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            model.means[s] + model.variances[s].sqrt() * z
        })
        .collect()
}

fn assert_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
    }
}

#[test]
fn filter_matches_forward_backward_at_the_last_step() {
    for model in [calm_and_wild(), three_states()] {
        let x = simulate(&model, 400, 7);
        let filtered = model.filter(&x).unwrap();
        let smoothed = model.posteriors(&x).unwrap();
        assert_close(filtered.last().unwrap(), smoothed.last().unwrap(), 1e-12);
        // Earlier, smoothing uses the future, so the two differ somewhere.
        assert!(filtered.iter().zip(&smoothed).any(|(f, s)| (f[0] - s[0]).abs() > 1e-3));
        // The online filter reproduces the batch one at every step.
        let mut online = Filter::new(&model).unwrap();
        assert_close(online.probabilities(), &model.start, 0.0);
        for (xt, ft) in x.iter().zip(&filtered) {
            assert_close(online.update(*xt), ft, 1e-12);
        }
        assert_close(&model.last_state_prob(&x).unwrap(), filtered.last().unwrap(), 1e-12);
        let ll = model.loglikelihood(&x).unwrap();
        assert!((online.loglikelihood() - ll).abs() <= 1e-9 * ll.abs(), "{} vs {ll}", online.loglikelihood());
        assert_eq!(online.observations(), x.len());
        online.reset();
        assert_eq!(online.observations(), 0);
        assert_close(online.update(x[0]), &filtered[0], 1e-12);
        // Posteriors are distributions.
        for s in &smoothed {
            assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn loglikelihood_of_a_single_state_is_the_gaussian_one() {
    let model = GaussianHmm { start: vec![1.0], transmat: vec![vec![1.0]], means: vec![0.5], variances: vec![2.0] };
    let x = [0.0, 1.0, -3.0, 2.5];
    let expected: f64 =
        x.iter().map(|v| -0.5 * ((std::f64::consts::TAU * 2.0).ln() + (v - 0.5) * (v - 0.5) / 2.0)).sum();
    assert!((model.loglikelihood(&x).unwrap() - expected).abs() < 1e-12);
    assert_eq!(model.loglikelihood(&[]).unwrap(), 0.0);
}

#[test]
fn fit_is_deterministic_for_a_seed() {
    let x = simulate(&calm_and_wild(), 600, 3);
    let options = FitOptions { starts: 4, seed: 42, ..FitOptions::default() };
    let a = fit(&x, 2, options).unwrap();
    let b = fit(&x, 2, options).unwrap();
    assert_eq!(a, b);
    // Another seed takes other paths to (here) the same optimum.
    let c = fit(&x, 2, FitOptions { seed: 43, ..options }).unwrap();
    assert!((a.loglikelihood - c.loglikelihood).abs() < 1e-4 * a.loglikelihood.abs());
}

#[test]
fn fit_recovers_simulated_parameters() {
    let truth = calm_and_wild();
    let x = simulate(&truth, 4000, 11);
    let fitted = fit(&x, 2, FitOptions { starts: 5, ..FitOptions::default() }).unwrap();
    assert!(fitted.converged);
    let m = &fitted.model;
    assert!(m.means[0] < m.means[1]);
    assert_close(&m.variances, &truth.variances, 0.2 * 2.0);
    assert!((m.variances[1] - 0.1).abs() < 0.02, "{m:?}");
    assert!((m.transmat[0][0] - 0.95).abs() < 0.03 && (m.transmat[1][1] - 0.98).abs() < 0.02, "{m:?}");
    // The reported log-likelihood is that of the returned model, at least the truth's.
    let ll = m.loglikelihood(&x).unwrap();
    assert!((fitted.loglikelihood - ll).abs() < 1e-9 * ll.abs());
    assert!(ll > truth.loglikelihood(&x).unwrap());
    // Rows of transmat and start are distributions.
    for row in m.transmat.iter().chain(std::iter::once(&m.start)) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
}

#[test]
fn one_state_fit_is_the_sample_mean_and_variance() {
    let x = simulate(&calm_and_wild(), 300, 5);
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    let fitted = fit(&x, 1, FitOptions { starts: 2, ..FitOptions::default() }).unwrap();
    assert!((fitted.model.means[0] - mean).abs() < 1e-12);
    // hmmlearn's covars_prior (0.01) is added to the sum of squares.
    assert!((fitted.model.variances[0] - (ss + 0.01) / n).abs() < 1e-12);
    assert_eq!(fitted.model.transmat, vec![vec![1.0]]);
    let plain = fit(&x, 1, FitOptions { starts: 1, variance_prior: 0.0, ..FitOptions::default() }).unwrap();
    assert!((plain.model.variances[0] - ss / n).abs() < 1e-12);
}

#[test]
fn variance_floor_holds() {
    // A run of identical values wants a zero-variance state.
    let mut x = vec![0.0; 50];
    x.extend(simulate(&calm_and_wild(), 200, 9));
    let fitted = fit(&x, 2, FitOptions { starts: 3, ..FitOptions::default() }).unwrap();
    assert!(fitted.model.variances.iter().all(|&v| v >= 1e-3), "{:?}", fitted.model);
    assert!(fitted.loglikelihood.is_finite());
}

#[test]
fn bad_input_is_an_error() {
    let x = simulate(&calm_and_wild(), 100, 1);
    let options = FitOptions::default();
    assert_eq!(fit(&x, 0, options), Err(HmmError::NoStates));
    assert_eq!(min_observations(3), 6);
    assert_eq!(fit(&x[..5], 3, options), Err(HmmError::TooFewObservations { got: 5, need: 6 }));
    assert_eq!(fit(&[], 1, options), Err(HmmError::TooFewObservations { got: 0, need: 2 }));
    let mut bad = x.clone();
    bad[17] = f64::NAN;
    assert!(matches!(fit(&bad, 2, options), Err(HmmError::NonFinite { index: 17, .. })));
    let message = fit(&bad, 2, options).unwrap_err().to_string();
    assert!(message.contains("17"), "{message}");
    // A zero close makes an infinite log return, reported by its index.
    let returns = log_returns_pct(&[1.0, 1.1, 0.0, 1.2, 1.3, 1.0]);
    assert!(matches!(fit(&returns, 2, options), Err(HmmError::NonFinite { index: 1, value }) if value.is_infinite()));
    assert!(matches!(fit(&x, 2, FitOptions { starts: 0, ..options }), Err(HmmError::InvalidOptions(_))));
    assert!(matches!(fit(&x, 2, FitOptions { tol: f64::NAN, ..options }), Err(HmmError::InvalidOptions(_))));
    assert!(matches!(fit(&x, 2, FitOptions { min_variance: 0.0, ..options }), Err(HmmError::InvalidOptions(_))));
    assert!(matches!(calm_and_wild().loglikelihood(&bad), Err(HmmError::NonFinite { index: 17, .. })));

    let mut model = calm_and_wild();
    model.transmat[1] = vec![0.5, 0.6];
    assert!(matches!(model.loglikelihood(&x), Err(HmmError::InvalidModel(_))));
    let mut model = calm_and_wild();
    model.variances[0] = 0.0;
    assert!(matches!(Filter::new(&model), Err(HmmError::InvalidModel(_))));
    let mut model = calm_and_wild();
    model.means.push(1.0);
    assert!(matches!(model.filter(&x), Err(HmmError::InvalidModel(_))));
    let empty = GaussianHmm { start: vec![], transmat: vec![], means: vec![], variances: vec![] };
    assert_eq!(empty.validate(), Err(HmmError::NoStates));
}

#[test]
fn stationary_distribution() {
    // Two states: pi = (b, a) / (a + b) for off-diagonals a (0 -> 1) and b (1 -> 0).
    let pi = calm_and_wild().stationary();
    assert_close(&pi, &[0.02 / 0.07, 0.05 / 0.07], 1e-12);
    let model = three_states();
    let pi = model.stationary();
    for j in 0..3 {
        let next: f64 = (0..3).map(|i| pi[i] * model.transmat[i][j]).sum();
        assert!((next - pi[j]).abs() < 1e-12);
    }
    assert!((pi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // Reducible chain (no unique answer): the long-run average from start.
    let stuck = GaussianHmm {
        start: vec![0.25, 0.75],
        transmat: vec![vec![1.0, 0.0], vec![0.0, 1.0]],
        means: vec![0.0, 1.0],
        variances: vec![1.0, 1.0],
    };
    assert_close(&stuck.stationary(), &[0.25, 0.75], 1e-12);
}

#[test]
fn sorting_by_mean_relabels_consistently() {
    let model = three_states();
    let x = simulate(&model, 300, 2);
    let mut sorted = model.clone();
    sorted.sort_by_mean();
    assert_eq!(sorted.means, vec![-0.5, 0.0, 1.0]);
    assert_eq!(sorted.variances, vec![0.2, 3.0, 0.5]);
    assert_eq!(sorted.start, vec![0.5, 0.3, 0.2]);
    // Old state 1 (-0.5) -> old state 0 (1.0) was 0.05; now 0 -> 2.
    assert_eq!(sorted.transmat[0][2], 0.05);
    assert_eq!(sorted.transmat[2][0], 0.07);
    let (a, b) = (model.loglikelihood(&x).unwrap(), sorted.loglikelihood(&x).unwrap());
    assert!((a - b).abs() < 1e-9 * a.abs());
    let mut pi = model.stationary();
    pi = vec![pi[1], pi[2], pi[0]];
    assert_close(&sorted.stationary(), &pi, 1e-12);
}

#[test]
fn filter_treats_non_finite_input_as_missing_and_survives_outliers() {
    let model = calm_and_wild();
    let mut f = Filter::new(&model).unwrap();
    let p = f.update(0.01).to_vec();
    let predicted: Vec<f64> = (0..2).map(|j| p[0] * model.transmat[0][j] + p[1] * model.transmat[1][j]).collect();
    let ll = f.loglikelihood();
    assert_close(f.update(f64::NAN), &predicted, 1e-15);
    assert_eq!(f.loglikelihood(), ll);
    // Far in the tails every density underflows; the likelier state still wins.
    let p = f.update(1e6).to_vec();
    assert!(p.iter().all(|v| v.is_finite()) && (p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(p[0] > 0.999, "{p:?}");
    assert!(model.loglikelihood(&[0.0, 1e6, -1e6]).unwrap().is_finite());
    // A state that can never be entered makes its likely observations impossible.
    let absorbing = GaussianHmm {
        start: vec![1.0, 0.0],
        transmat: vec![vec![1.0, 0.0], vec![0.5, 0.5]],
        means: vec![0.0, 100.0],
        variances: vec![1e-3, 1e-3],
    };
    let x = [0.0, 100.0, 0.0];
    assert_eq!(absorbing.loglikelihood(&x).unwrap(), f64::NEG_INFINITY);
    assert_eq!(absorbing.posteriors(&x), Err(HmmError::ZeroLikelihood));
    // The filter keeps its prediction there instead of failing.
    assert_eq!(absorbing.filter(&x).unwrap(), vec![vec![1.0, 0.0]; 3]);
}

#[test]
fn report_has_the_reference_field_names() {
    let x = simulate(&calm_and_wild(), 300, 4);
    let fitted = fit(&x, 2, FitOptions { starts: 2, ..FitOptions::default() }).unwrap();
    let report = HmmReport::new(&fitted, &x).unwrap();
    assert_eq!((report.n_obs, report.n_states), (300, 2));
    let json = serde_json::to_value(&report).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["last_state_prob", "loglikelihood", "means", "n_obs", "n_states", "stationary", "transmat", "variances"]
    );
    let back: HmmReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn log_returns_in_percent() {
    let r = log_returns_pct(&[100.0, 110.0, 99.0]);
    assert_close(&r, &[100.0 * 1.1f64.ln(), 100.0 * 0.9f64.ln()], 1e-12);
    assert!(log_returns_pct(&[5.0]).is_empty());
    assert!(log_returns_pct(&[]).is_empty());
}

fn arb_model() -> impl Strategy<Value = GaussianHmm> {
    (1usize..=4).prop_flat_map(|k| {
        let dist = move || {
            proptest::collection::vec(0.0f64..1.0, k).prop_map(|v| {
                let v: Vec<f64> = v.into_iter().map(|p| p + 1e-3).collect();
                let s: f64 = v.iter().sum();
                v.into_iter().map(|p| p / s).collect::<Vec<f64>>()
            })
        };
        (
            dist(),
            proptest::collection::vec(dist(), k),
            proptest::collection::vec(-10.0f64..10.0, k),
            proptest::collection::vec(1e-3f64..50.0, k),
        )
            .prop_map(|(start, transmat, means, variances)| GaussianHmm { start, transmat, means, variances })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn filtered_probabilities_sum_to_one(
        model in arb_model(),
        x in proptest::collection::vec(prop_oneof![8 => -20.0f64..20.0, 1 => -1e8f64..1e8, 1 => Just(f64::NAN)], 0..150),
    ) {
        let mut f = Filter::new(&model).unwrap();
        for &v in &x {
            let p = f.update(v);
            prop_assert!(p.iter().all(|q| (0.0..=1.0 + 1e-12).contains(q)), "{:?}", p);
            prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", p);
        }
        let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
        for p in model.filter(&finite).unwrap() {
            prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", p);
        }
    }
}
