//! GARCH(1,1) fits against Python's `arch` 8.0 on the bundled real data
//! (`tests/golden/arch/garch11.arch.json`, a copy of the workplace's
//! `../shared/golden/garch11.arch.json`; its README's `garch11` section
//! gives the criteria): a correct fit reaches a log-likelihood within
//! 0.05 % of the reference (a higher one is fine) and a `next_variance`
//! within 2 %, and respects `alpha + beta < 1` (`UNITTEST_BTC-30m` sits on
//! that boundary).
//!
//! One exception, checked rather than assumed: on `ORDERFLOW_BTC_USDT-5m`
//! (return variance ~0.02) arch warns "y is poorly scaled" and its optimiser
//! stops 117 log-likelihood units (1.3 %) short of the maximum, so no correct
//! maximiser can reproduce that `next_variance` (ours is 29 % higher). When
//! a fit beats the reference by more than the tolerance, its `next_variance`
//! is compared with arch's own fit *with `rescale=True`*
//! (`garch11.arch-rescaled.json`, made by `garch11_rescaled.py` there), and
//! that fit must confirm that the reference is not the maximum.
//!
//! Evaluated at arch's own parameters, the likelihood and the forecast must
//! agree with arch's to ~1e-9: that pins the likelihood definition (the
//! backcast in particular), independently of the optimiser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use tradebot_garch::{Garch11, GarchFit, MAX_PERSISTENCE, fit, returns_from_closes};

const MARKETS: [&str; 3] = ["ETH_BTC-5m.csv", "UNITTEST_BTC-30m.csv", "ORDERFLOW_BTC_USDT-5m.csv"];

#[derive(Debug, Deserialize)]
struct Reference {
    n_returns: usize,
    mu: f64,
    omega: f64,
    alpha: f64,
    beta: f64,
    loglikelihood: f64,
    next_variance: f64,
}

impl Reference {
    fn params(&self) -> Garch11 {
        Garch11 { mu: self.mu, omega: self.omega, alpha: self.alpha, beta: self.beta }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// Relative log-likelihood tolerance (0.05 %) and `next_variance` tolerance (2 %).
const LL_TOL: f64 = 5e-4;
const NV_TOL: f64 = 0.02;

fn reference(market: &str) -> Reference {
    reference_in("garch11.arch.json", market)
}

/// arch's fit with `rescale=True`, mapped back to the original units.
fn rescaled(market: &str) -> Reference {
    reference_in("garch11.arch-rescaled.json", market)
}

fn reference_in(file: &str, market: &str) -> Reference {
    let path = root().join("tests/golden/arch").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut all: BTreeMap<String, Reference> = serde_json::from_str(&text).unwrap();
    all.remove(market).unwrap_or_else(|| panic!("{market} not in {}", path.display()))
}

fn returns(market: &str) -> Vec<f64> {
    let path = root().join("tests/data").join(market);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let close = reader.headers().unwrap().iter().position(|h| h == "close").expect("a close column");
    let closes: Vec<f64> = reader.records().map(|rec| rec.unwrap()[close].parse().unwrap()).collect();
    returns_from_closes(&closes)
}

fn check_fit(market: &str) -> GarchFit {
    let want = reference(market);
    let r = returns(market);
    assert_eq!(r.len(), want.n_returns, "{market}");
    let got = fit(&r).unwrap_or_else(|e| panic!("{market}: {e}"));
    let p = got.params;
    eprintln!(
        "{market}: ll {:.6} (arch {:.6}, {:+.2e} rel), next_variance {:.8} (arch {:.8}, {:+.2e} rel), \
         mu {:.6e} (arch {:.6e}), omega {:.6e} (arch {:.6e}), alpha {:.6} (arch {:.6}), beta {:.6} (arch {:.6}), \
         alpha+beta {:.9}, converged {}, {} iterations",
        got.loglikelihood,
        want.loglikelihood,
        (got.loglikelihood - want.loglikelihood) / want.loglikelihood.abs(),
        got.next_variance,
        want.next_variance,
        (got.next_variance - want.next_variance) / want.next_variance,
        p.mu,
        want.mu,
        p.omega,
        want.omega,
        p.alpha,
        want.alpha,
        p.beta,
        want.beta,
        p.persistence(),
        got.converged,
        got.iterations,
    );
    assert_eq!(got.n_returns, want.n_returns);
    let tol = LL_TOL * want.loglikelihood.abs();
    assert!(
        got.loglikelihood >= want.loglikelihood - tol,
        "{market}: log-likelihood {} more than 0.05 % below arch's {}",
        got.loglikelihood,
        want.loglikelihood
    );
    let nv_want = if got.loglikelihood <= want.loglikelihood + tol {
        // Same optimum: the forecast must agree.
        want.next_variance
    } else {
        // The reference stopped short of the maximum; arch's rescaled fit
        // must confirm that, and reach the likelihood we reach.
        let better = rescaled(market);
        eprintln!(
            "{market}: arch's fit stopped short of the maximum; arch with rescale=True: ll {:.6}, \
             next_variance {:.8}, alpha+beta {:.9}",
            better.loglikelihood,
            better.next_variance,
            better.alpha + better.beta
        );
        assert!(better.loglikelihood > want.loglikelihood + tol, "{market}: {better:?}");
        assert!(
            got.loglikelihood >= better.loglikelihood - LL_TOL * better.loglikelihood.abs(),
            "{market}: log-likelihood {} more than 0.05 % below arch's rescaled {}",
            got.loglikelihood,
            better.loglikelihood
        );
        better.next_variance
    };
    let rel = (got.next_variance - nv_want).abs() / nv_want;
    assert!(rel <= NV_TOL, "{market}: next_variance {} vs arch {nv_want} ({rel:.2e})", got.next_variance);

    assert!(p.omega > 0.0 && p.alpha >= 0.0 && p.beta >= 0.0, "{market}: {p:?}");
    assert!(p.persistence() < 1.0 && p.persistence() <= MAX_PERSISTENCE, "{market}: {p:?}");
    // The reported numbers are the model's own at the fitted parameters.
    assert!((got.loglikelihood - p.loglikelihood(&r)).abs() <= 1e-9 * got.loglikelihood.abs());
    assert!((got.next_variance - p.next_variance(&r)).abs() <= 1e-12 * got.next_variance);
    got
}

#[test]
fn eth_btc_5m_matches_arch() {
    check_fit("ETH_BTC-5m.csv");
}

#[test]
fn unittest_btc_30m_matches_arch_on_the_boundary() {
    let got = check_fit("UNITTEST_BTC-30m.csv");
    // arch lands on alpha + beta = 1 (to its constraint tolerance); we stay inside.
    assert!(got.params.persistence() > 0.99, "{got:?}");
}

#[test]
fn orderflow_btc_usdt_5m_matches_arch() {
    check_fit("ORDERFLOW_BTC_USDT-5m.csv");
}

#[test]
fn likelihood_and_forecast_at_arch_parameters_match_arch() {
    for (market, want) in MARKETS.iter().flat_map(|m| [(m, reference(m)), (m, rescaled(m))]) {
        let r = returns(market);
        let p = want.params();
        let ll = p.loglikelihood(&r);
        let rel = (ll - want.loglikelihood).abs() / want.loglikelihood.abs();
        assert!(rel <= 1e-9, "{market}: ll {ll} vs arch {} ({rel:.2e})", want.loglikelihood);
        let nv = p.next_variance(&r);
        let rel = (nv - want.next_variance).abs() / want.next_variance;
        assert!(rel <= 1e-9, "{market}: next_variance {nv} vs arch {} ({rel:.2e})", want.next_variance);
        let s2 = p.filter(&r);
        assert_eq!(s2.len(), r.len());
        assert!(s2.iter().all(|v| v.is_finite() && *v > 0.0), "{market}");
        let f = p.forecast(&r, 2);
        assert_eq!(f[0].to_bits(), nv.to_bits());
        assert!((f[1] - (p.omega + p.persistence() * nv)).abs() <= 1e-15 * f[1]);
    }
}

#[test]
fn fit_serialises_with_the_reference_field_names() {
    let got = fit(&returns("ETH_BTC-5m.csv")).unwrap();
    let json = serde_json::to_value(got).unwrap();
    let obj = json.as_object().unwrap();
    for key in ["n_returns", "mu", "omega", "alpha", "beta", "loglikelihood", "next_variance"] {
        assert!(obj.contains_key(key), "{key} missing from {json}");
    }
    assert_eq!(obj["n_returns"], 5759);
    assert_eq!(obj["alpha"].as_f64(), Some(got.params.alpha));
    assert_eq!(obj["next_variance"].as_f64(), Some(got.next_variance));
}
