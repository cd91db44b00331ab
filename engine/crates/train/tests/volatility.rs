//! The volatility trainer, specified: it learns a variance correction that
//! depends on its inputs, it is reproducible, and what it exports is what
//! it trained (tract within 1e-4).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use indicatif::ProgressBar;
use tradebot_onnx::OnnxRunner;
use tradebot_train::{FitConfig, RatioSplit, fit_volatility};

const INPUTS: usize = 5;

/// Inputs uniform in [-1, 1]; the true variance ratio is `exp(x0)`, and the
/// realised ratio is it times a chi-square(1) draw (a squared normal), as a
/// squared return would be: noisy, sometimes near 0, mean exp(x0).
fn problem(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut x, mut q, mut truth) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let row: Vec<f32> = (0..INPUTS).map(|_| rng.f32() * 2.0 - 1.0).collect();
        let (u, v) = (rng.f64().max(1e-12), rng.f64());
        let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        let t = f64::from(row[0]).exp();
        truth.push(t.ln() as f32);
        q.push((t * z * z) as f32);
        x.extend(row);
    }
    (x, q, truth)
}

fn quick(seed: u64) -> FitConfig {
    FitConfig { max_epochs: 30, batch_size: 64, learning_rate: 5e-3, patience: 4, seed, ..FitConfig::default() }
}

#[test]
fn it_learns_a_correction_that_depends_on_the_inputs() {
    let (x, q, _) = problem(4000, 1);
    let (vx, vq, _) = problem(1000, 2);
    let (tx, _, truth) = problem(500, 3);
    let trained = fit_volatility(
        &[16],
        INPUTS,
        &quick(7),
        RatioSplit { inputs: &x, ratios: &q },
        RatioSplit { inputs: &vx, ratios: &vq },
        &ProgressBar::hidden(),
    )
    .unwrap();
    let c = trained.predict(&tx).unwrap();
    // The truth's log ratio ranges over [-1, 1]; a constant gets a mean
    // absolute error of 0.5 on it, the learned correction much less.
    let mae = c.iter().zip(&truth).map(|(a, b)| f64::from((a - b).abs())).sum::<f64>() / c.len() as f64;
    assert!(mae < 0.25, "mean |c - ln(true ratio)| = {mae}");
    assert!(trained.best_epoch >= 1 && trained.history.len() >= trained.best_epoch);
}

#[test]
fn tract_reproduces_the_trainer_within_1e_4() {
    let (x, q, _) = problem(800, 4);
    let (vx, vq, _) = problem(200, 5);
    let (tx, _, _) = problem(64, 6);
    let trained = fit_volatility(
        &[8, 4],
        INPUTS,
        &FitConfig { max_epochs: 5, ..quick(3) },
        RatioSplit { inputs: &x, ratios: &q },
        RatioSplit { inputs: &vx, ratios: &vq },
        &ProgressBar::hidden(),
    )
    .unwrap();
    let ours = trained.predict(&tx).unwrap();
    let mut runner = OnnxRunner::from_bytes(&trained.to_onnx().unwrap(), &[1, INPUTS]).unwrap();
    assert_eq!(runner.output_shape().iter().product::<usize>(), 1);
    let mut worst = 0.0f32;
    for (sample, c) in tx.chunks(INPUTS).zip(&ours) {
        worst = worst.max((runner.run(sample).unwrap()[0] - c).abs());
    }
    assert!(worst < 1e-4, "tract differs from candle by {worst}");
}

#[test]
fn the_same_seed_gives_the_same_model_bytes_and_another_seed_does_not() {
    let (x, q, _) = problem(400, 7);
    let (vx, vq, _) = problem(100, 8);
    let run = |seed: u64| {
        fit_volatility(
            &[8],
            INPUTS,
            &FitConfig { max_epochs: 3, ..quick(seed) },
            RatioSplit { inputs: &x, ratios: &q },
            RatioSplit { inputs: &vx, ratios: &vq },
            &ProgressBar::hidden(),
        )
        .unwrap()
        .to_onnx()
        .unwrap()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn bad_inputs_are_refused_with_the_field() {
    let (x, q, _) = problem(10, 9);
    let ok = RatioSplit { inputs: &x, ratios: &q };
    let fit = |train: RatioSplit<'_>, hidden: &[usize]| {
        fit_volatility(hidden, INPUTS, &quick(1), train, ok, &ProgressBar::hidden()).unwrap_err().to_string()
    };
    assert!(fit(RatioSplit { inputs: &x[1..], ratios: &q }, &[4]).contains("inputs"));
    let mut negative = q.clone();
    negative[3] = -1.0;
    assert!(fit(RatioSplit { inputs: &x, ratios: &negative }, &[4]).contains("ratios = -1"));
    assert!(fit(ok, &[4, 0]).contains("network.hidden"));
    assert!(fit(RatioSplit { inputs: &[], ratios: &[] }, &[4]).contains("training split"));
}
