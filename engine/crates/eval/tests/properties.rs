//! Invariants that must hold for every input: metric ranges, p-value
//! ranges and monotonicity, DM antisymmetry, and no look-ahead in any
//! baseline (changing data the forecast may not see changes nothing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tradebot_eval::{
    Har, HarConfig, LaggedLogit, LogitConfig, Persistence, Probs, binomial_test, classification_report,
    diebold_mariano, ewma_variance,
};

fn probs() -> impl Strategy<Value = Probs> {
    // Weights with exact zeros allowed, so certain (and certainly wrong) forecasts occur.
    (0u32..=4, 0u32..=4, 0u32..=4, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0).prop_filter_map(
        "all-zero weights",
        |(a, b, c, x, y, z)| {
            let w = [f64::from(a) * x, f64::from(b) * y, f64::from(c) * z];
            let s: f64 = w.iter().sum();
            (s > 0.0).then(|| w.map(|v| v / s))
        },
    )
}

fn labelled() -> impl Strategy<Value = (Vec<u8>, Vec<Probs>)> {
    (1usize..60).prop_flat_map(|n| (prop::collection::vec(0u8..3, n), prop::collection::vec(probs(), n)))
}

proptest! {
    #[test]
    fn metrics_stay_in_range((labels, probs) in labelled()) {
        let r = classification_report(&labels, &probs).unwrap();
        prop_assert!((0.0..=1.0).contains(&r.accuracy));
        prop_assert!((0.0..=1.0).contains(&r.balanced_accuracy));
        prop_assert!((0.0..=2.0 + 1e-12).contains(&r.brier));
        prop_assert!(r.log_loss >= 0.0 && r.log_loss.is_finite());
        prop_assert!((0.0..=1.0).contains(&r.ece));
        prop_assert_eq!(r.calibration.iter().map(|b| b.count).sum::<u64>(), labels.len() as u64);
        prop_assert_eq!(r.confusion.iter().flatten().sum::<u64>(), labels.len() as u64);
    }

    #[test]
    fn binomial_p_value_is_a_probability_falling_in_k(n in 1u64..400, p0 in 0.0f64..=1.0, k in 0u64..400) {
        let k = k.min(n);
        let p = binomial_test(k, n, p0).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        if k < n {
            // More hits can only be stronger evidence (up to rounding).
            prop_assert!(binomial_test(k + 1, n, p0).unwrap() <= p + 1e-12);
        }
    }

    #[test]
    fn dm_is_antisymmetric(
        pairs in prop::collection::vec((0.0f64..3.0, 0.0f64..3.0), 3..80),
        horizon in 1usize..4,
    ) {
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        prop_assume!(horizon < a.len());
        let (Ok(ab), Ok(ba)) = (diebold_mariano(&a, &b, horizon), diebold_mariano(&b, &a, horizon)) else {
            // Degenerate in one order means degenerate in both.
            prop_assert!(diebold_mariano(&a, &b, horizon).is_err() && diebold_mariano(&b, &a, horizon).is_err());
            return Ok(());
        };
        prop_assert!((ab.statistic + ba.statistic).abs() <= 1e-9 * (1.0 + ab.statistic.abs()));
        prop_assert!((ab.p_value_two_sided - ba.p_value_two_sided).abs() <= 1e-9);
        prop_assert!((ab.p_value_model_better + ba.p_value_model_better - 1.0).abs() <= 1e-9);
        prop_assert!((0.0..=1.0).contains(&ab.p_value_two_sided));
    }

    #[test]
    fn persistence_does_not_look_ahead(
        labels in prop::collection::vec(0u8..3, 3..50),
        noise in prop::collection::vec(0u8..3, 50),
        cut in 1usize..50,
    ) {
        let t = cut.min(labels.len() - 1);
        let p = Persistence::fit(&labels[..t.max(2)]).unwrap();
        let mut changed = labels.clone();
        changed[t..].copy_from_slice(&noise[..labels.len() - t]);
        prop_assert_eq!(p.forecast(&labels, t..t + 1).unwrap(), p.forecast(&changed, t..t + 1).unwrap());
    }

    #[test]
    fn ewma_and_har_do_not_look_ahead(
        rv in prop::collection::vec(1e-8f64..1e-4, 60..90),
        noise in prop::collection::vec(0.0f64..1.0, 90),
        cut in 40usize..60,
    ) {
        let mut changed = rv.clone();
        for (x, z) in changed[cut..].iter_mut().zip(&noise) {
            *x = z * 1e-3;
        }
        // The forecast of realised[cut] may use realised[..cut] only.
        let (a, b) = (ewma_variance(&rv, 0.94, 1e-6).unwrap(), ewma_variance(&changed, 0.94, 1e-6).unwrap());
        prop_assert_eq!(&a[..=cut], &b[..=cut]);
        // A fit on ..cut must not read realised[cut..], and the forecast at cut neither.
        let (h1, h2) = (Har::fit(&rv, 0..cut, &HarConfig::default()), Har::fit(&changed, 0..cut, &HarConfig::default()));
        if let (Ok(h1), Ok(h2)) = (h1, h2) {
            prop_assert_eq!(h1, h2);
            prop_assert_eq!(h1.forecast(&rv, cut..cut + 1).unwrap(), h1.forecast(&changed, cut..cut + 1).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn lagged_logit_does_not_look_ahead(
        returns in prop::collection::vec(-0.01f64..0.01, 80..100),
        noise in prop::collection::vec(-0.05f64..0.05, 100),
        cut in 50usize..79,
    ) {
        // labels[t] is the class of returns[t + 1] (neutral within 1e-3).
        let label = |r: &[f64]| -> Vec<u8> {
            r[1..].iter().map(|&x| if x > 1e-3 { 2 } else if x < -1e-3 { 0 } else { 1 }).collect()
        };
        let mut changed = returns.clone();
        for (x, z) in changed[cut + 1..].iter_mut().zip(&noise) {
            *x = *z;
        }
        let (labels, labels_changed) = (label(&returns), label(&changed));
        let config = LogitConfig { lags: 3, ..LogitConfig::default() };
        // Training on samples < cut reads labels[..cut] (i.e. returns[..=cut]) only.
        let (Ok(a), Ok(b)) = (
            LaggedLogit::fit(&returns, &labels, 0..cut, &config),
            LaggedLogit::fit(&changed, &labels_changed, 0..cut, &config),
        ) else {
            return Ok(()); // a class absent from a short random training set
        };
        prop_assert_eq!(&a, &b);
        // The forecast for sample cut uses returns[..=cut] only.
        prop_assert_eq!(a.forecast_at(&returns, cut).unwrap(), a.forecast_at(&changed, cut).unwrap());
    }
}
