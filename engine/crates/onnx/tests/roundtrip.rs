//! Round trips: weights in Rust → ONNX bytes → tract → outputs, compared with
//! the plain-Rust reference forward pass of the same weights (max abs diff
//! ≤ 1e-4), plus the error paths of the runner.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_onnx::{
    Activation, CLASSES, Cnn, Dense, Lstm, Mlp, OnnxError, OnnxRunner, export_cnn, export_lstm_classifier, export_mlp,
};

const TOLERANCE: f32 = 1e-4;

/// Uniform in `[-scale, scale)`.
fn values(rng: &mut fastrand::Rng, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| (rng.f32() * 2.0 - 1.0) * scale).collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ: {a:?} vs {b:?}");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn dense(rng: &mut fastrand::Rng, inputs: usize, outputs: usize, activation: Activation) -> Dense {
    // Xavier-like scale keeps activations in a range where softmax is not saturated.
    let scale = (6.0 / (inputs + outputs) as f32).sqrt();
    Dense { weights: values(rng, outputs * inputs, scale), bias: values(rng, outputs, 0.1), activation }
}

fn mlp_50_64_32_3(seed: u64) -> Mlp {
    let mut rng = fastrand::Rng::with_seed(seed);
    Mlp {
        layers: vec![
            dense(&mut rng, 50, 64, Activation::Relu),
            dense(&mut rng, 64, 32, Activation::Tanh),
            dense(&mut rng, 32, 3, Activation::None),
        ],
        softmax_output: true,
    }
}

fn lstm(seed: u64, input_size: usize, hidden_size: usize) -> Lstm {
    let mut rng = fastrand::Rng::with_seed(seed);
    let scale = 1.0 / (hidden_size as f32).sqrt();
    Lstm {
        input_size,
        hidden_size,
        weight_ih: values(&mut rng, 4 * hidden_size * input_size, scale),
        weight_hh: values(&mut rng, 4 * hidden_size * hidden_size, scale),
        bias_ih: values(&mut rng, 4 * hidden_size, scale),
        bias_hh: values(&mut rng, 4 * hidden_size, scale),
        head_weights: values(&mut rng, CLASSES * hidden_size, 1.0),
        head_bias: [0.1, -0.2, 0.05],
    }
}

fn cnn(seed: u64, channels: usize) -> Cnn {
    let mut rng = fastrand::Rng::with_seed(seed);
    Cnn {
        channels,
        kernel_size: 5,
        pool_size: 2,
        conv_weights: values(&mut rng, channels * 25, 0.2),
        conv_bias: values(&mut rng, channels, 0.1),
        head_weights: values(&mut rng, CLASSES * channels, 1.0),
        head_bias: [0.0, 0.1, -0.1],
    }
}

#[test]
fn mlp_roundtrip_matches_reference() {
    let mut worst = 0.0f32;
    for seed in 1..=5 {
        let mlp = mlp_50_64_32_3(seed);
        let bytes = export_mlp(&mlp, 50).unwrap();
        let mut runner = OnnxRunner::from_bytes(&bytes, &[1, 50]).unwrap();
        assert_eq!(runner.output_shape(), &[1, 3]);
        let mut rng = fastrand::Rng::with_seed(seed + 100);
        for _ in 0..20 {
            let x = values(&mut rng, 50, 2.0);
            let want = mlp.forward(&x).unwrap();
            let got = runner.run(&x).unwrap();
            assert!((got.iter().sum::<f32>() - 1.0).abs() < 1e-5, "softmax output sums to 1: {got:?}");
            let diff = max_abs_diff(got, &want);
            assert!(diff <= TOLERANCE, "seed {seed}: tract {got:?} vs reference {want:?}");
            worst = worst.max(diff);
        }
    }
    println!("MLP 50-64-32-3 + softmax: max abs diff {worst:e}");
}

#[test]
fn mlp_batch_and_plain_output() {
    // No softmax, activation on the last layer: the output is the last activation.
    let mut rng = fastrand::Rng::with_seed(7);
    let mlp = Mlp {
        layers: vec![dense(&mut rng, 6, 5, Activation::Tanh), dense(&mut rng, 5, 4, Activation::Relu)],
        softmax_output: false,
    };
    let bytes = export_mlp(&mlp, 6).unwrap();
    // The batch dimension is symbolic in the file: serve 3 rows at once.
    let mut runner = OnnxRunner::from_bytes(&bytes, &[3, 6]).unwrap();
    let x = values(&mut rng, 18, 1.5);
    let got = runner.run(&x).unwrap().to_vec();
    assert_eq!(runner.output_shape(), &[3, 4]);
    let want: Vec<f32> = x.chunks(6).flat_map(|row| mlp.forward(row).unwrap()).collect();
    let diff = max_abs_diff(&got, &want);
    assert!(diff <= TOLERANCE, "{got:?} vs {want:?}");
}

#[test]
fn lstm_roundtrip_matches_reference() {
    let (steps, features, hidden) = (20, 8, 16);
    let mut worst = 0.0f32;
    for seed in 1..=5 {
        let model = lstm(seed, features, hidden);
        let bytes = export_lstm_classifier(&model).unwrap();
        let mut runner = OnnxRunner::from_bytes(&bytes, &[steps, 1, features]).unwrap();
        assert_eq!(runner.output_shape(), &[1, 3]);
        let mut rng = fastrand::Rng::with_seed(seed + 200);
        for _ in 0..10 {
            let x = values(&mut rng, steps * features, 1.5);
            let want = model.forward(&x).unwrap();
            let got = runner.run(&x).unwrap();
            let diff = max_abs_diff(got, &want);
            assert!(diff <= TOLERANCE, "seed {seed}: tract {got:?} vs reference {want:?}");
            worst = worst.max(diff);
        }
    }
    println!("LSTM 20 steps x 8 features, hidden 16 -> 3: max abs diff {worst:e}");
}

#[test]
fn lstm_runs_are_independent() {
    // tract's Scan keeps h and c across calls of a reused state; the runner must
    // not let one call's sequence leak into the next (ONNX: zero initial state).
    let model = lstm(5, 8, 16);
    let bytes = export_lstm_classifier(&model).unwrap();
    let mut runner = OnnxRunner::from_bytes(&bytes, &[3, 1, 8]).unwrap();
    assert!(runner.is_stateful());
    let mut rng = fastrand::Rng::with_seed(6);
    let (a, b) = (values(&mut rng, 24, 1.5), values(&mut rng, 24, 1.5));
    let first = runner.run(&a).unwrap().to_vec();
    runner.run(&b).unwrap();
    let again = runner.run(&a).unwrap().to_vec();
    assert_eq!(first, again, "the same sequence gave different outputs on a reused runner");
    let diff = max_abs_diff(&again, &model.forward(&a).unwrap());
    assert!(diff <= 1e-5, "{diff:e}");

    let mlp = OnnxRunner::from_bytes(&export_mlp(&mlp_50_64_32_3(1), 50).unwrap(), &[1, 50]).unwrap();
    assert!(!mlp.is_stateful());
}

#[test]
fn lstm_streaming_with_carried_state() {
    // One step per call with the state carried equals the whole sequence at once.
    let (steps, features) = (20, 8);
    let model = lstm(8, features, 16);
    let bytes = export_lstm_classifier(&model).unwrap();
    let mut runner = OnnxRunner::from_bytes(&bytes, &[1, 1, features]).unwrap();
    runner.set_carry_state(true);
    let mut rng = fastrand::Rng::with_seed(10);
    let x = values(&mut rng, steps * features, 1.5);
    let mut worst = 0.0f32;
    let mut first_pass = Vec::new();
    for t in 0..steps {
        let got = runner.run(&x[t * features..(t + 1) * features]).unwrap().to_vec();
        let want = model.forward(&x[..(t + 1) * features]).unwrap();
        worst = worst.max(max_abs_diff(&got, &want));
        first_pass.push(got);
    }
    assert!(worst <= TOLERANCE, "streamed vs whole-prefix reference: {worst:e}");
    // A reset starts a new sequence: the same steps give the same outputs.
    runner.reset_state().unwrap();
    for (t, want) in first_pass.iter().enumerate() {
        assert_eq!(runner.run(&x[t * features..(t + 1) * features]).unwrap(), &want[..]);
    }
    println!("LSTM streamed one step per call, 20 steps: max abs diff {worst:e}");
}

#[test]
fn lstm_gate_order_matters() {
    // Guards the i,f,g,o -> i,o,f,c mapping: a model whose forget and output
    // gates differ must not survive a swapped export. Check that the reference
    // is sensitive to swapping the f and o blocks, so the round-trip test above
    // would catch a wrong permutation.
    let model = lstm(3, 4, 5);
    let mut swapped = model.clone();
    let block = 5 * 4;
    let (f, o) = (block, 3 * block);
    for k in 0..block {
        swapped.weight_ih.swap(f + k, o + k);
    }
    let mut rng = fastrand::Rng::with_seed(9);
    let x = values(&mut rng, 10 * 4, 1.5);
    let a = model.forward(&x).unwrap();
    let b = swapped.forward(&x).unwrap();
    assert!(max_abs_diff(&a, &b) > 1e-3, "{a:?} vs {b:?}");
}

#[test]
fn lstm_other_sequence_length_from_same_bytes() {
    // The sequence length is symbolic in the file; the runner fixes it.
    let model = lstm(11, 8, 16);
    let bytes = export_lstm_classifier(&model).unwrap();
    let mut runner = OnnxRunner::from_bytes(&bytes, &[1, 1, 8]).unwrap();
    let mut rng = fastrand::Rng::with_seed(12);
    let x = values(&mut rng, 8, 1.0);
    let diff = max_abs_diff(runner.run(&x).unwrap(), &model.forward(&x).unwrap());
    assert!(diff <= TOLERANCE);
}

#[test]
fn cnn_roundtrip_matches_reference() {
    let (h, w) = (64, 64);
    let mut worst = 0.0f32;
    for seed in 1..=3 {
        let model = cnn(seed, 8);
        let bytes = export_cnn(&model, h, w).unwrap();
        let mut runner = OnnxRunner::from_bytes(&bytes, &[1, 1, h, w]).unwrap();
        assert_eq!(runner.output_shape(), &[1, 3]);
        let mut rng = fastrand::Rng::with_seed(seed + 300);
        for _ in 0..5 {
            let x = values(&mut rng, h * w, 1.0);
            let want = model.forward(&x, h, w).unwrap();
            let got = runner.run(&x).unwrap();
            let diff = max_abs_diff(got, &want);
            assert!(diff <= TOLERANCE, "seed {seed}: tract {got:?} vs reference {want:?}");
            worst = worst.max(diff);
        }
    }
    println!("CNN 1x64x64, conv 8x5x5, maxpool 2, GAP -> 3: max abs diff {worst:e}");
}

#[test]
fn from_path_roundtrip() {
    let mlp = mlp_50_64_32_3(42);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.onnx");
    std::fs::write(&path, export_mlp(&mlp, 50).unwrap()).unwrap();
    let mut runner = OnnxRunner::from_path(&path, &[1, 50]).unwrap();
    assert!(runner.origin().contains("mlp.onnx"));
    let x = vec![0.25f32; 50];
    let diff = max_abs_diff(runner.run(&x).unwrap(), &mlp.forward(&x).unwrap());
    assert!(diff <= TOLERANCE);
}

#[test]
fn corrupt_bytes_are_an_error() {
    let bytes = export_mlp(&mlp_50_64_32_3(1), 50).unwrap();
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let truncated = &bytes[..bytes.len() / 2];
    let mut flipped = bytes.clone();
    for b in flipped.iter_mut().take(64) {
        *b ^= 0xA5;
    }
    for (what, case) in
        [("garbage", &garbage[..]), ("truncated", truncated), ("flipped", &flipped[..]), ("empty", &[][..])]
    {
        match OnnxRunner::from_bytes(case, &[1, 50]) {
            Err(e @ (OnnxError::Parse { .. } | OnnxError::Prepare { .. } | OnnxError::Unsupported { .. })) => {
                let msg = e.to_string();
                assert!(msg.contains("in-memory ONNX model"), "{what}: {msg}");
            }
            Err(e) => panic!("{what}: unexpected error kind {e:?}"),
            Ok(_) => panic!("{what}: corrupt model loaded"),
        }
    }
}

#[test]
fn corrupt_file_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.onnx");
    std::fs::write(&path, b"this is not protobuf \xff\xff\xff\xff").unwrap();
    let err = OnnxRunner::from_path(&path, &[1, 50]).unwrap_err();
    assert!(matches!(err, OnnxError::Parse { .. }), "{err:?}");
    assert!(err.to_string().contains("broken.onnx"), "{err}");

    let missing = dir.path().join("missing.onnx");
    let err = OnnxRunner::from_path(&missing, &[1, 50]).unwrap_err();
    assert!(matches!(err, OnnxError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.onnx"), "{err}");
}

#[test]
fn wrong_input_length_is_an_error() {
    let mlp = mlp_50_64_32_3(1);
    let mut runner = OnnxRunner::from_bytes(&export_mlp(&mlp, 50).unwrap(), &[1, 50]).unwrap();
    for len in [0, 49, 51, 100] {
        let err = runner.run(&vec![0.0; len]).unwrap_err();
        match &err {
            OnnxError::InputLength { expected: 50, got, .. } => assert_eq!(*got, len),
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("expects 50 input values"), "{err}");
    }
    // The runner is still usable afterwards.
    assert!(runner.run(&[0.0; 50]).is_ok());
}

#[test]
fn input_shape_not_fitting_the_model_is_an_error() {
    let bytes = export_mlp(&mlp_50_64_32_3(1), 50).unwrap();
    let err = OnnxRunner::from_bytes(&bytes, &[1, 49]).unwrap_err();
    assert!(matches!(err, OnnxError::Prepare { .. }), "{err:?}");
    assert!(err.to_string().contains("[1, 49]"), "{err}");
    for bad in [&[][..], &[1, 0][..]] {
        let err = OnnxRunner::from_bytes(&bytes, bad).unwrap_err();
        assert!(matches!(err, OnnxError::InputShape { .. }), "{err:?}");
    }
}

#[test]
fn inconsistent_weights_are_rejected_at_export() {
    let mut mlp = mlp_50_64_32_3(1);
    assert!(matches!(export_mlp(&mlp, 49), Err(OnnxError::InvalidModel { .. })));
    mlp.layers[1].weights.pop();
    let err = export_mlp(&mlp, 50).unwrap_err();
    assert!(err.to_string().contains("layer 1"), "{err}");
    assert!(matches!(
        export_mlp(&Mlp { layers: vec![], softmax_output: true }, 3),
        Err(OnnxError::InvalidModel { .. })
    ));

    let mut model = lstm(1, 8, 16);
    model.bias_hh.push(0.0);
    assert!(matches!(export_lstm_classifier(&model), Err(OnnxError::InvalidModel { .. })));
    let model = lstm(1, 8, 16);
    assert!(matches!(model.forward(&[0.0; 12]), Err(OnnxError::ForwardInput { .. })));

    let model = cnn(1, 4);
    assert!(matches!(export_cnn(&model, 5, 5), Err(OnnxError::InvalidModel { .. })));
    assert!(matches!(model.forward(&[0.0; 10], 8, 8), Err(OnnxError::ForwardInput { .. })));
}
