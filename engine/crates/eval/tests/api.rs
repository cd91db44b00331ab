//! Bad inputs are refused with an error naming what and where; the
//! comparison picks the right baselines; the verdict says what the tests
//! support and nothing more.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_eval::{
    DEFAULT_ALPHA, EvalError, Har, HarConfig, LaggedLogit, LogitConfig, MajorityClass, Persistence, Probs,
    classification_report, compare_direction, compare_variance, diebold_mariano, direction_verdict, ewma_variance,
    qlike, volatility_verdict,
};

const U: Probs = [0.3, 0.3, 0.4];

#[test]
fn empty_and_mismatched_inputs_are_refused() {
    assert_eq!(classification_report(&[], &[]), Err(EvalError::Empty { what: "labels" }));
    assert_eq!(
        classification_report(&[0, 1], &[U]),
        Err(EvalError::LengthMismatch { what: "labels vs forecasts", left: 2, right: 1 })
    );
    assert!(matches!(qlike(&[1.0], &[1.0, 2.0]), Err(EvalError::LengthMismatch { .. })));
    assert!(matches!(diebold_mariano(&[1.0, 2.0, 3.0], &[1.0], 1), Err(EvalError::LengthMismatch { .. })));
    assert_eq!(MajorityClass::fit(&[]), Err(EvalError::Empty { what: "training labels" }));
}

#[test]
fn bad_probabilities_name_the_sample() {
    assert_eq!(
        classification_report(&[0, 1, 2], &[U, [0.5, 0.5, 0.1], U]),
        Err(EvalError::ProbabilitySum { index: 1, sum: 1.1 })
    );
    let nan = classification_report(&[0, 1], &[U, [0.5, f64::NAN, 0.5]]).unwrap_err();
    assert!(matches!(nan, EvalError::InvalidProbability { index: 1, class: 1, value } if value.is_nan()));
    assert_eq!(
        classification_report(&[0], &[[-0.1, 0.6, 0.5]]),
        Err(EvalError::InvalidProbability { index: 0, class: 0, value: -0.1 })
    );
    // Within 1e-6 of 1 is accepted.
    assert!(classification_report(&[0], &[[0.3, 0.3, 0.4 + 5e-7]]).is_ok());
    assert_eq!(classification_report(&[0, 3], &[U, U]), Err(EvalError::InvalidLabel { index: 1, value: 3 }));
}

#[test]
fn non_finite_and_negative_series_name_the_index() {
    assert!(matches!(
        diebold_mariano(&[1.0, 2.0, f64::INFINITY, 1.0], &[1.0; 4], 1),
        Err(EvalError::NonFinite { what: "loss_model", index: 2, .. })
    ));
    assert!(matches!(
        qlike(&[1.0, f64::NAN], &[1.0, 1.0]),
        Err(EvalError::NonFinite { what: "realised", index: 1, value }) if value.is_nan()
    ));
    assert_eq!(
        ewma_variance(&[1.0, -2.0], 0.94, 1.0),
        Err(EvalError::NegativeVariance { what: "realised", index: 1, value: -2.0 })
    );
    let mut returns: Vec<f64> = (0..40).map(|i| f64::from(i % 7) - 3.0).collect();
    let labels: Vec<u8> = (0..40).map(|i| (i % 3) as u8).collect();
    returns[20] = f64::NAN;
    let err = LaggedLogit::fit(&returns, &labels, 0..30, &LogitConfig::default()).unwrap_err();
    assert!(matches!(err, EvalError::NonFinite { what: "returns", index: 20, .. }), "{err:?}");
}

#[test]
fn degenerate_tests_and_fits_are_typed_errors() {
    assert_eq!(
        diebold_mariano(&[1.0, 2.0], &[2.0, 1.0], 1),
        Err(EvalError::TooFewSamples { what: "Diebold-Mariano test", got: 2, min: 3 })
    );
    assert!(matches!(diebold_mariano(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 1), Err(EvalError::ZeroVariance { .. })));
    assert!(matches!(diebold_mariano(&[1.0, 2.0, 3.0], &[2.0, 1.0, 3.0], 3), Err(EvalError::InvalidParameter { .. })));
    let returns: Vec<f64> = (0..40).map(|i| f64::from(i % 5)).collect();
    let no_up: Vec<u8> = (0..40).map(|i| (i % 2) as u8).collect();
    assert_eq!(
        LaggedLogit::fit(&returns, &no_up, 0..30, &LogitConfig::default()),
        Err(EvalError::MissingClass { class: 2 })
    );
    assert!(matches!(Har::fit(&[1.0; 40], 0..40, &HarConfig::default()), Err(EvalError::ZeroVariance { .. })));
    assert!(matches!(
        Har::fit(&[1.0; 40], 0..40, &HarConfig { windows: [1, 0, 3] }),
        Err(EvalError::InvalidParameter { name: "windows", .. })
    ));
    assert!(matches!(ewma_variance(&[1.0], 1.0, 1.0), Err(EvalError::InvalidParameter { name: "lambda", .. })));
    assert!(matches!(Persistence::fit(&[1]), Err(EvalError::TooFewSamples { .. })));
}

/// A labelled sequence whose next move repeats the last one 80% of the time.
fn sticky(n: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut labels = vec![0u8];
    for _ in 1..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        let last = *labels.last().unwrap();
        labels.push(if u < 0.8 { last } else { (state % 3) as u8 });
    }
    labels
}

#[test]
fn a_persistence_rule_on_sticky_data_beats_majority_significantly() {
    let labels = sticky(2000);
    let (train, test) = (0..1000, 1000..2000);
    let majority = MajorityClass::fit(&labels[train.clone()]).unwrap().forecast(test.len());
    let persistence = Persistence::fit(&labels[train]).unwrap();
    let model = persistence.forecast(&labels, test.clone()).unwrap();
    let cmp = compare_direction(&labels[test], &model, &[("majority", &majority)], 1).unwrap();
    let sentence = direction_verdict(&cmp, DEFAULT_ALPHA).unwrap();
    assert!(sentence.starts_with("Edge is statistically significant at 5%: accuracy 0."), "{sentence}");
    assert!(sentence.contains("vs majority") && sentence.contains("p < 0.001"), "{sentence}");
    assert!(!sentence.to_lowercase().contains("profit"));
}

#[test]
fn a_model_no_better_than_its_baseline_gets_no_edge() {
    let labels = sticky(600);
    let (train, test) = (0..300, 300..600);
    let majority = MajorityClass::fit(&labels[train.clone()]).unwrap();
    let persistence = Persistence::fit(&labels[train]).unwrap().forecast(&labels, test.clone()).unwrap();
    // The "model" is the majority rule with a little noise: no edge over persistence.
    let model: Vec<Probs> = (0..test.len())
        .map(|i| {
            let e = 0.01 * ((i * 7919) % 13) as f64 / 13.0;
            let p = majority.probs;
            [p[0] + e, p[1], p[2] - e]
        })
        .collect();
    let constant = majority.forecast(test.len());
    let baselines: [(&str, &[Probs]); 2] = [("majority", &constant), ("persistence", &persistence)];
    let cmp = compare_direction(&labels[test], &model, &baselines, 1).unwrap();
    assert_eq!(cmp.baselines[cmp.accuracy_baseline].name, "persistence");
    assert_eq!(cmp.baselines[cmp.log_loss_baseline].name, "persistence");
    let sentence = direction_verdict(&cmp, 0.05).unwrap();
    assert!(sentence.starts_with("No statistically significant edge: accuracy "), "{sentence}");
    assert!(sentence.contains("vs persistence") && sentence.contains("(DM p = "), "{sentence}");
    assert!(direction_verdict(&cmp, 1.5).is_err());
}

#[test]
fn identical_forecasts_report_an_undefined_dm_test_not_a_number() {
    let labels = [0, 1, 2, 2, 1, 0];
    let f = vec![U; 6];
    let cmp = compare_direction(&labels, &f, &[("same", &f)], 1).unwrap();
    assert!(cmp.dm.is_none() && cmp.dm_error.is_some());
    let sentence = direction_verdict(&cmp, 0.05).unwrap();
    assert!(sentence.starts_with("No statistically significant edge") && sentence.contains("DM test undefined"));
}

#[test]
fn volatility_comparison_names_the_best_baseline() {
    let realised: Vec<f64> = (0..300).map(|i| 1e-6 * (1.0 + ((i * 37) % 11) as f64)).collect();
    let ewma = ewma_variance(&realised, 0.94, 5e-6).unwrap();
    let flat = vec![6e-6; realised.len()];
    let awful = vec![1e-4; realised.len()];
    let cmp = compare_variance(&realised, &ewma, &[("awful", &awful), ("flat", &flat)], 1).unwrap();
    assert_eq!(cmp.best_baseline().unwrap().name, "flat");
    assert!(cmp.baselines[0].dm.unwrap().p_value_model_better < 1e-6);
    let sentence = volatility_verdict(&cmp, 0.05).unwrap();
    assert!(sentence.contains("vs flat") && sentence.starts_with("No statistically significant edge"), "{sentence}");
}
