//! Fits against hmmlearn 0.3 (`../shared/golden/hmm2.hmmlearn.json`, copied
//! to `tests/golden/hmmlearn`): two-state Gaussian HMMs of percent log returns
//! of real candles, best of 10 random starts, states sorted by mean.
//!
//! The README there says how to compare: EM finds local optima, so a correct
//! fit reaches a log-likelihood no more than 0.1 % below the reference, and
//! then its means, variances and transition matrix are within 5 % relative
//! (0.01 absolute for probabilities); `stationary` and `last_state_prob` are
//! compared the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use tradebot_hmm::{FitOptions, GaussianHmm, HmmReport, fit, log_returns_pct};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").join(path)
}

fn returns(name: &str) -> Vec<f64> {
    let mut r = csv::Reader::from_path(repo("tests/data").join(name)).unwrap();
    let i = r.headers().unwrap().iter().position(|h| h == "close").unwrap();
    let closes: Vec<f64> = r.records().map(|rec| rec.unwrap()[i].parse().unwrap()).collect();
    log_returns_pct(&closes)
}

fn reference(name: &str) -> HmmReport {
    let text = std::fs::read_to_string(repo("tests/golden/hmmlearn/hmm2.hmmlearn.json")).unwrap();
    let mut all: BTreeMap<String, HmmReport> = serde_json::from_str(&text).unwrap();
    all.remove(name).unwrap()
}

fn close_rel(what: &str, ours: &[f64], reference: &[f64]) {
    assert_eq!(ours.len(), reference.len(), "{what}");
    for (o, r) in ours.iter().zip(reference) {
        assert!((o - r).abs() <= 0.05 * r.abs(), "{what}: ours {ours:?} vs hmmlearn {reference:?}");
    }
}

fn close_prob(what: &str, ours: &[f64], reference: &[f64]) {
    assert_eq!(ours.len(), reference.len(), "{what}");
    for (o, r) in ours.iter().zip(reference) {
        assert!((o - r).abs() <= 0.01, "{what}: ours {ours:?} vs hmmlearn {reference:?}");
    }
}

fn check(name: &str, ours: &HmmReport) {
    let r = reference(name);
    eprintln!("{name}\n  ours     {ours:?}\n  hmmlearn {r:?}");
    assert_eq!((ours.n_obs, ours.n_states), (r.n_obs, r.n_states), "{name}");
    assert!(
        ours.loglikelihood >= r.loglikelihood - 1e-3 * r.loglikelihood.abs(),
        "{name}: log-likelihood {} more than 0.1 % below hmmlearn's {}",
        ours.loglikelihood,
        r.loglikelihood
    );
    close_rel(&format!("{name} means"), &ours.means, &r.means);
    close_rel(&format!("{name} variances"), &ours.variances, &r.variances);
    for (i, (o, rr)) in ours.transmat.iter().zip(&r.transmat).enumerate() {
        close_prob(&format!("{name} transmat row {i}"), o, rr);
    }
    close_prob(&format!("{name} stationary"), &ours.stationary, &r.stationary);
    close_prob(&format!("{name} last_state_prob"), &ours.last_state_prob, &r.last_state_prob);
}

fn fit_report(name: &str, options: FitOptions) -> HmmReport {
    let x = returns(name);
    let fitted = fit(&x, 2, options).unwrap();
    assert!(fitted.converged, "{name}: {options:?} did not converge");
    HmmReport::new(&fitted, &x).unwrap()
}

#[test]
fn eth_btc_5m_matches_hmmlearn() {
    check("ETH_BTC-5m.csv", &fit_report("ETH_BTC-5m.csv", FitOptions::default()));
}

#[test]
fn unittest_btc_30m_matches_hmmlearn() {
    check("UNITTEST_BTC-30m.csv", &fit_report("UNITTEST_BTC-30m.csv", FitOptions::default()));
}

/// The criterion does not hinge on a lucky seed or on the best of 10: here
/// every single random start reaches it (50 of 50 seeds did when this was
/// written; six are checked to keep the test short).
#[test]
fn single_starts_match_hmmlearn_too() {
    for name in ["ETH_BTC-5m.csv", "UNITTEST_BTC-30m.csv"] {
        for seed in 1..=6 {
            check(name, &fit_report(name, FitOptions { starts: 1, seed, ..FitOptions::default() }));
        }
    }
}

/// The reference parameters evaluated by our forward recursion. hmmlearn fits
/// the start distribution, which the reference file does not give; we use the
/// stationary distribution, which can cost at most `ln(1 / min_i pi_i)`
/// (under 2 nats here) against the fitted one, and also the best one-hot start
/// (hmmlearn's fitted start is the first observation's posterior, close to
/// one-hot), which must land within 1e-6 relative of hmmlearn's value.
#[test]
fn loglikelihood_at_reference_parameters() {
    for name in ["ETH_BTC-5m.csv", "UNITTEST_BTC-30m.csv"] {
        let r = reference(name);
        let x = returns(name);
        let mut model = GaussianHmm {
            start: vec![0.5, 0.5],
            transmat: r.transmat.clone(),
            means: r.means.clone(),
            variances: r.variances.clone(),
        };
        let stationary = model.stationary();
        close_prob(&format!("{name} stationary of reference transmat"), &stationary, &r.stationary);
        model.start = stationary.clone();
        let at_stationary = model.loglikelihood(&x).unwrap();
        let bound = (1.0 / stationary.iter().cloned().fold(1.0, f64::min)).ln();
        eprintln!("{name}: start = stationary {at_stationary}, hmmlearn {}", r.loglikelihood);
        assert!((at_stationary - r.loglikelihood).abs() <= bound, "{name}: {at_stationary} vs {}", r.loglikelihood);
        let best_one_hot = (0..2)
            .map(|i| {
                model.start = vec![0.0; 2];
                model.start[i] = 1.0;
                model.loglikelihood(&x).unwrap()
            })
            .fold(f64::NEG_INFINITY, f64::max);
        eprintln!("{name}: best one-hot start {best_one_hot}");
        assert!(
            (best_one_hot - r.loglikelihood).abs() <= 1e-6 * r.loglikelihood.abs(),
            "{name}: {best_one_hot} vs {}",
            r.loglikelihood
        );
        model.start = stationary;
        close_prob(
            &format!("{name} last_state_prob at reference"),
            &model.last_state_prob(&x).unwrap(),
            &r.last_state_prob,
        );
    }
}
