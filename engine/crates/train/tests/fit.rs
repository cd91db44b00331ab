//! The trainer, specified: it learns, it is reproducible, it stops early on
//! validation loss, and what it exports is what it trained.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use indicatif::ProgressBar;
use tradebot_onnx::OnnxRunner;
use tradebot_train::{FitConfig, Network, Split, fit};

const WINDOW: usize = 4;
const FEATURES: usize = 3;

/// Windows of noise whose label is the sign of the last bar's first feature
/// (neutral near zero): learnable, so a working trainer must beat chance.
fn problem(n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut x = Vec::with_capacity(n * WINDOW * FEATURES);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        for _ in 0..WINDOW * FEATURES {
            x.push(rng.f32() * 2.0 - 1.0);
        }
        let signal = x[x.len() - FEATURES];
        y.push(if signal < -0.3 {
            0
        } else if signal > 0.3 {
            2
        } else {
            1
        });
    }
    (x, y)
}

fn quick() -> FitConfig {
    FitConfig { max_epochs: 12, batch_size: 64, learning_rate: 5e-3, patience: 3, ..FitConfig::default() }
}

fn networks() -> [Network; 2] {
    [Network::Mlp { hidden: vec![16] }, Network::Lstm { hidden: 8 }]
}

fn accuracy(probs: &[[f32; 3]], labels: &[u8]) -> f64 {
    let hits = probs
        .iter()
        .zip(labels)
        .filter(|(p, y)| {
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            best == usize::from(**y)
        })
        .count();
    hits as f64 / labels.len() as f64
}

#[test]
fn every_network_learns_a_learnable_rule() {
    let (x, y) = problem(1500, 1);
    let (vx, vy) = problem(300, 2);
    let (tx, ty) = problem(300, 3);
    for net in networks() {
        let trained = fit(
            &net,
            WINDOW,
            FEATURES,
            &quick(),
            Split { inputs: &x, labels: &y },
            Split { inputs: &vx, labels: &vy },
            &ProgressBar::hidden(),
        )
        .unwrap();
        let acc = accuracy(&trained.predict(&tx).unwrap(), &ty);
        assert!(acc > 0.75, "{}: out-of-sample accuracy {acc} on a rule chance gets 0.35 at", net.describe());
    }
}

#[test]
fn tract_reproduces_the_trainer_within_1e_4() {
    let (x, y) = problem(600, 4);
    let (vx, vy) = problem(200, 5);
    let (tx, _) = problem(64, 6);
    for net in networks() {
        let trained = fit(
            &net,
            WINDOW,
            FEATURES,
            &quick(),
            Split { inputs: &x, labels: &y },
            Split { inputs: &vx, labels: &vy },
            &ProgressBar::hidden(),
        )
        .unwrap();
        let ours = trained.predict(&tx).unwrap();
        let shape: Vec<usize> = match net {
            Network::Mlp { .. } => vec![1, WINDOW * FEATURES],
            Network::Lstm { .. } => vec![WINDOW, 1, FEATURES],
            Network::Cnn { .. } => unreachable!("images are tested below"),
        };
        let mut runner = OnnxRunner::from_bytes(&trained.to_onnx().unwrap(), &shape).unwrap();
        let mut worst = 0.0f32;
        for (sample, p) in tx.chunks(WINDOW * FEATURES).zip(&ours) {
            let out = runner.run(sample).unwrap();
            for k in 0..3 {
                worst = worst.max((out[k] - p[k]).abs());
            }
        }
        assert!(worst < 1e-4, "{}: tract differs from candle by {worst}", net.describe());
    }
}

#[test]
fn the_same_seed_gives_the_same_model_bytes_and_another_seed_does_not() {
    let (x, y) = problem(400, 7);
    let (vx, vy) = problem(100, 8);
    for net in networks() {
        let run = |seed: u64| {
            let cfg = FitConfig { seed, max_epochs: 3, ..quick() };
            fit(
                &net,
                WINDOW,
                FEATURES,
                &cfg,
                Split { inputs: &x, labels: &y },
                Split { inputs: &vx, labels: &vy },
                &ProgressBar::hidden(),
            )
            .unwrap()
            .to_onnx()
            .unwrap()
        };
        assert_eq!(run(11), run(11), "{}: not reproducible", net.describe());
        assert_ne!(run(11), run(12), "{}: the seed is ignored", net.describe());
    }
}

#[test]
fn early_stopping_keeps_the_best_validation_epoch() {
    let (x, y) = problem(300, 9);
    // Validation labels unrelated to the inputs: validation loss soon stops
    // improving, and the trainer must stop and keep the best epoch.
    let (vx, _) = problem(200, 10);
    let vy: Vec<u8> = (0..200).map(|i| (i % 3) as u8).collect();
    let cfg = FitConfig { max_epochs: 60, patience: 2, ..quick() };
    let trained = fit(
        &Network::Mlp { hidden: vec![32] },
        WINDOW,
        FEATURES,
        &cfg,
        Split { inputs: &x, labels: &y },
        Split { inputs: &vx, labels: &vy },
        &ProgressBar::hidden(),
    )
    .unwrap();
    let history = &trained.history;
    assert!(history.len() < 60, "did not stop early: {} epochs", history.len());
    let best = history.iter().map(|e| e.validation_loss).fold(f64::INFINITY, f64::min);
    assert_eq!(history[trained.best_epoch - 1].validation_loss, best);
    assert_eq!(history.len(), trained.best_epoch + 2, "stops after `patience` epochs without improvement");
}

#[test]
fn bad_settings_and_shapes_are_refused_with_the_field() {
    let (x, y) = problem(10, 1);
    let split = Split { inputs: &x, labels: &y };
    let err = fit(&Network::Lstm { hidden: 0 }, WINDOW, FEATURES, &quick(), split, split, &ProgressBar::hidden())
        .unwrap_err();
    assert!(err.to_string().contains("network.hidden = 0"), "{err}");
    let cfg = FitConfig { learning_rate: f64::NAN, ..quick() };
    let err =
        fit(&Network::Lstm { hidden: 4 }, WINDOW, FEATURES, &cfg, split, split, &ProgressBar::hidden()).unwrap_err();
    assert!(err.to_string().contains("fit.learning_rate = NaN"), "{err}");
    let short = Split { inputs: &x[..5], labels: &y };
    let err = fit(&Network::Lstm { hidden: 4 }, WINDOW, FEATURES, &quick(), short, split, &ProgressBar::hidden())
        .unwrap_err();
    assert!(err.to_string().contains("5 values for 10 train samples"), "{err}");
}

const SIDE: usize = 12;

/// 12 x 12 images of faint noise: class 0 holds a horizontal stroke of five
/// bright pixels, class 2 a vertical one, class 1 none — a rule only the
/// shape of the pixels tells, so a working convolution must learn it.
fn strokes(n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut x = Vec::with_capacity(n * SIDE * SIDE);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let mut image: Vec<f32> = (0..SIDE * SIDE).map(|_| rng.f32() * 0.3).collect();
        let class = rng.u8(0..3);
        let (r, c) = (rng.usize(0..SIDE - 5), rng.usize(0..SIDE - 5));
        for i in 0..5 {
            match class {
                0 => image[r * SIDE + c + i] = 1.0,
                2 => image[(r + i) * SIDE + c] = 1.0,
                _ => {}
            }
        }
        x.extend_from_slice(&image);
        y.push(class);
    }
    (x, y)
}

#[test]
fn a_cnn_learns_to_tell_strokes_apart_and_tract_reproduces_it_within_1e_4() {
    let (x, y) = strokes(1500, 11);
    let (vx, vy) = strokes(300, 12);
    let (tx, ty) = strokes(300, 13);
    let net = Network::Cnn { channels: 6, kernel: 3, pool: 2 };
    let config = FitConfig { max_epochs: 30, learning_rate: 1e-2, patience: 5, ..quick() };
    let trained = fit(
        &net,
        SIDE,
        SIDE,
        &config,
        Split { inputs: &x, labels: &y },
        Split { inputs: &vx, labels: &vy },
        &ProgressBar::hidden(),
    )
    .unwrap();
    let ours = trained.predict(&tx).unwrap();
    let acc = accuracy(&ours, &ty);
    assert!(acc > 0.75, "{}: out-of-sample accuracy {acc} on a rule chance gets 0.33 at", net.describe());
    let mut runner = OnnxRunner::from_bytes(&trained.to_onnx().unwrap(), &[1, 1, SIDE, SIDE]).unwrap();
    let mut worst = 0.0f32;
    for (image, p) in tx.chunks(SIDE * SIDE).zip(&ours) {
        let out = runner.run(image).unwrap();
        for k in 0..3 {
            worst = worst.max((out[k] - p[k]).abs());
        }
    }
    assert!(worst < 1e-4, "tract differs from candle by {worst}");
}

#[test]
fn a_cnn_needs_an_image_larger_than_its_kernel_and_pooling() {
    let (x, y) = strokes(50, 1);
    let err = fit(
        &Network::Cnn { channels: 2, kernel: 3, pool: 2 },
        3,
        SIDE * SIDE / 3,
        &quick(),
        Split { inputs: &x, labels: &y },
        Split { inputs: &x, labels: &y },
        &ProgressBar::hidden(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("network.kernel"), "{err}");
    let err = Network::Cnn { channels: 0, kernel: 3, pool: 2 }.validate().unwrap_err();
    assert!(err.to_string().contains("network.channels"), "{err}");
}
