//! The bundled meta-agents compute the seed's formulas: each is checked
//! against a plain Rust rewrite of its formula on the sample predictions and
//! on hand-made ones (agreeing, split, one dissenter), to 1e-12.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::sync::OnceLock;

use tradebot_plugin::wit::{AgentPrediction, Probabilities};
use tradebot_plugin::{
    LoadedComponent, MetaOutcome, PluginError, PluginHost, PluginLimits, WasmMetaAgent, bundled_plugin, sample_context,
    sample_predictions,
};

// ---- shared host and components -------------------------------------------

struct Plugins {
    host: PluginHost,
    confidence_weighted: LoadedComponent,
    average: LoadedComponent,
    learned: LoadedComponent,
}

fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let host = PluginHost::new(PluginLimits::default()).unwrap();
        let load = |name: &str| host.load(&bundled_plugin(name)).unwrap();
        Plugins {
            confidence_weighted: load("meta-confidence-weighted"),
            average: load("meta-average"),
            learned: load("meta-learned"),
            host,
        }
    })
}

fn agent(loaded: &LoadedComponent, config: &str) -> WasmMetaAgent {
    WasmMetaAgent::new(&plugins().host, loaded, config).unwrap()
}

// ---- the seed's formulas, written out ---------------------------------------

fn prediction(agent: &str, [down, neutral, up]: [f64; 3], confidence: f64) -> AgentPrediction {
    AgentPrediction {
        agent: agent.into(),
        probabilities: Probabilities { down, neutral, up },
        confidence,
        latency_us: 50.0,
    }
}

fn probs(p: &AgentPrediction) -> [f64; 3] {
    [p.probabilities.down, p.probabilities.neutral, p.probabilities.up]
}

/// Index of the largest value, the first on ties.
fn argmax(v: [f64; 3]) -> usize {
    let mut best = 0;
    for i in 1..3 {
        if v[i] > v[best] {
            best = i;
        }
    }
    best
}

/// One minus the share of agents whose most probable class is the most common one.
fn disagreement(predictions: &[AgentPrediction]) -> f64 {
    let mut counts = [0usize; 3];
    for p in predictions {
        counts[argmax(probs(p))] += 1;
    }
    1.0 - *counts.iter().max().unwrap() as f64 / predictions.len() as f64
}

#[derive(Debug)]
struct Expected {
    probabilities: [f64; 3],
    confidence: f64,
    disagreement: f64,
    should_trade: bool,
}

/// Confidence and should-trade from combined probabilities, as every seed
/// combiner does it: `(1 - d) * max(p)`, trade with confidence >= 0.55 and
/// disagreement <= 0.4 (or the given thresholds).
fn finish(probabilities: [f64; 3], predictions: &[AgentPrediction], thresholds: (f64, f64)) -> Expected {
    let d = disagreement(predictions);
    let confidence = (1.0 - d) * probabilities.iter().copied().fold(f64::MIN, f64::max);
    Expected {
        probabilities,
        confidence,
        disagreement: d,
        should_trade: confidence >= thresholds.0 && d <= thresholds.1,
    }
}

const SEED_THRESHOLDS: (f64, f64) = (0.55, 0.4);

/// `final = Σ w·c·p / Σ w·c`, with `w` the agent's weight (1 unless given).
fn confidence_weighted(predictions: &[AgentPrediction], weight: impl Fn(&str) -> f64) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut total = 0.0;
    for p in predictions {
        let w = p.confidence * weight(&p.agent);
        for (s, v) in sum.iter_mut().zip(probs(p)) {
            *s += w * v;
        }
        total += w;
    }
    sum.map(|s| s / total)
}

fn simple_average(predictions: &[AgentPrediction]) -> [f64; 3] {
    let n = predictions.len() as f64;
    [0, 1, 2].map(|k| predictions.iter().map(|p| probs(p)[k]).sum::<f64>() / n)
}

fn assert_matches(what: &str, got: &MetaOutcome, want: &Expected) {
    assert_eq!(got.fault, None, "{what}");
    for (g, w) in got.probabilities.iter().zip(want.probabilities) {
        assert!((g - w).abs() <= 1e-12, "{what}: probabilities {:?}, expected {want:?}", got.probabilities);
    }
    assert!((got.confidence - want.confidence).abs() <= 1e-12, "{what}: confidence {} vs {want:?}", got.confidence);
    assert!((got.disagreement - want.disagreement).abs() <= 1e-12, "{what}: disagreement {}", got.disagreement);
    assert_eq!(got.should_trade, want.should_trade, "{what}: should_trade (expected {want:?})");
}

/// Prediction sets with known shapes, besides the sample's six agents
/// (three say down, three say up: disagreement 0.5).
fn prediction_sets() -> Vec<(&'static str, Vec<AgentPrediction>)> {
    let sample = sample_predictions();
    vec![
        ("the six sample agents", sample.clone()),
        ("the first three sample agents (all down)", sample[..3].to_vec()),
        ("the last three sample agents (all up)", sample[3..].to_vec()),
        ("one sample agent", sample[..1].to_vec()),
        (
            "four agents agreeing on up",
            vec![
                prediction("trend", [0.05, 0.15, 0.80], 0.9),
                prediction("pattern", [0.10, 0.20, 0.70], 0.8),
                prediction("regime", [0.02, 0.08, 0.90], 0.95),
                prediction("sentiment", [0.15, 0.10, 0.75], 0.6),
            ],
        ),
        (
            "one dissenter of five",
            vec![
                prediction("trend", [0.05, 0.15, 0.80], 0.9),
                prediction("pattern", [0.10, 0.20, 0.70], 0.8),
                prediction("regime", [0.02, 0.08, 0.90], 0.95),
                prediction("sentiment", [0.15, 0.10, 0.75], 0.6),
                prediction("volatility", [0.70, 0.20, 0.10], 0.4),
            ],
        ),
        (
            "a confident agent outvoted by unsure ones",
            vec![
                prediction("trend", [0.90, 0.05, 0.05], 1.0),
                prediction("pattern", [0.30, 0.30, 0.40], 0.1),
                prediction("regime", [0.30, 0.25, 0.45], 0.1),
            ],
        ),
        (
            "an agent with zero confidence",
            vec![prediction("trend", [0.1, 0.1, 0.8], 0.0), prediction("pattern", [0.6, 0.3, 0.1], 0.7)],
        ),
    ]
}

// ---- confidence-weighted ------------------------------------------------------

#[test]
fn confidence_weighted_is_the_seed_formula_with_equal_weights() {
    let mut m = agent(&plugins().confidence_weighted, "");
    let context = sample_context();
    let mut traded = 0;
    for (what, predictions) in prediction_sets() {
        let want = finish(confidence_weighted(&predictions, |_| 1.0), &predictions, SEED_THRESHOLDS);
        let got = m.combine(&predictions, &context);
        assert_matches(what, &got, &want);
        traded += usize::from(got.should_trade);
    }
    // Both outcomes of the rule were exercised.
    assert!(traded > 0 && traded < prediction_sets().len(), "{traded} sets traded");
}

#[test]
fn confidence_weighted_on_the_sample_predictions_is_split_and_does_not_trade() {
    let mut m = agent(&plugins().confidence_weighted, "");
    let out = m.combine(&sample_predictions(), &sample_context());
    assert_eq!(out.fault, None);
    assert!((out.disagreement - 0.5).abs() < 1e-15, "{}", out.disagreement);
    assert!(!out.should_trade);
    assert_eq!(out.notes.len(), 1);
    assert_eq!((out.notes[0].key.as_str(), out.notes[0].value.as_str()), ("method", "confidence_weighted"));
}

#[test]
fn confidence_weighted_applies_per_agent_weights_from_its_config() {
    let mut m = agent(&plugins().confidence_weighted, r#"{"weights": {"trend": 3.0, "volatility": 0.0}}"#);
    let weight = |name: &str| match name {
        "trend" => 3.0,
        "volatility" => 0.0,
        _ => 1.0,
    };
    let mut unweighted = agent(&plugins().confidence_weighted, "");
    let context = sample_context();
    for (what, predictions) in prediction_sets() {
        let want = finish(confidence_weighted(&predictions, weight), &predictions, SEED_THRESHOLDS);
        assert_matches(what, &m.combine(&predictions, &context), &want);
    }
    // The weights matter: the sample's combined probabilities move.
    let weighted = m.combine(&sample_predictions(), &context).probabilities;
    let plain = unweighted.combine(&sample_predictions(), &context).probabilities;
    assert!((weighted[0] - plain[0]).abs() > 1e-3, "{weighted:?} vs {plain:?}");
}

#[test]
fn confidence_weighted_reads_its_thresholds_from_its_config() {
    // The sample is split (disagreement 0.5): the seed's rule does not trade,
    // a rule that tolerates any disagreement and confidence does.
    let mut m = agent(&plugins().confidence_weighted, r#"{"min_confidence": 0.0, "max_disagreement": 1.0}"#);
    let predictions = sample_predictions();
    let want = finish(confidence_weighted(&predictions, |_| 1.0), &predictions, (0.0, 1.0));
    assert!(want.should_trade);
    assert_matches("permissive thresholds", &m.combine(&predictions, &sample_context()), &want);
}

#[test]
fn every_combiner_abstains_without_predictions() {
    for (name, loaded) in [("confidence-weighted", &plugins().confidence_weighted), ("average", &plugins().average)] {
        let out = agent(loaded, "").combine(&[], &sample_context());
        assert_eq!(out.fault, None, "{name}");
        assert_eq!(out.probabilities, [0.0, 1.0, 0.0], "{name}");
        assert_eq!((out.confidence, out.should_trade), (0.0, false), "{name}");
        assert!(out.notes.iter().any(|n| n.key == "abstain"), "{name}: {:?}", out.notes);
    }
}

// ---- simple average ---------------------------------------------------------------

#[test]
fn simple_average_is_the_mean_of_the_probabilities_whatever_the_confidences() {
    let mut m = agent(&plugins().average, "");
    let context = sample_context();
    for (what, predictions) in prediction_sets() {
        let want = finish(simple_average(&predictions), &predictions, SEED_THRESHOLDS);
        assert_matches(what, &m.combine(&predictions, &context), &want);
    }
    // The confident dissenter counts once, like the unsure agents: the two
    // combiners disagree on that set.
    let (_, set) = prediction_sets().into_iter().find(|(w, _)| w.starts_with("a confident agent")).unwrap();
    let avg = m.combine(&set, &context).probabilities;
    let cw = agent(&plugins().confidence_weighted, "").combine(&set, &context).probabilities;
    assert!(avg[0] < 0.6 && cw[0] > 0.7, "average {avg:?}, confidence-weighted {cw:?}");
}

// ---- learned -------------------------------------------------------------------------

/// A hand-made network: agents `trend` and `pattern`, 2 hidden units.
struct Net {
    w1: [[f64; 6]; 2],
    b1: [f64; 2],
    w2: [[f64; 2]; 3],
    b2: [f64; 3],
}

const NET: Net = Net {
    w1: [[1.0, -0.5, 0.25, 0.0, 0.5, -1.0], [-0.3, 0.8, 0.1, 0.6, -0.2, 0.4]],
    b1: [0.1, -0.5],
    w2: [[0.5, -1.0], [0.2, 0.3], [-0.7, 1.2]],
    b2: [0.0, 0.1, -0.1],
};

fn learned_config(net: &Net) -> String {
    let rows = |rows: &[&[f64]]| {
        let rows: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
        format!("[{}]", rows.join(", "))
    };
    format!(
        r#"{{"agents": ["trend", "pattern"], "w1": {}, "b1": {:?}, "w2": {}, "b2": {:?}}}"#,
        rows(&[&net.w1[0], &net.w1[1]]),
        net.b1,
        rows(&[&net.w2[0], &net.w2[1], &net.w2[2]]),
        net.b2
    )
}

/// `softmax(W2 · relu(W1 · x + b1) + b2)`, x = trend's then pattern's
/// probabilities (down, neutral, up).
fn forward(net: &Net, predictions: &[AgentPrediction]) -> [f64; 3] {
    let find = |name: &str| probs(predictions.iter().find(|p| p.agent == name).unwrap());
    let x: Vec<f64> = [find("trend"), find("pattern")].concat();
    let h: [f64; 2] = [0, 1].map(|j| ((0..6).map(|i| net.w1[j][i] * x[i]).sum::<f64>() + net.b1[j]).max(0.0));
    let logits: [f64; 3] = [0, 1, 2].map(|k| net.w2[k][0] * h[0] + net.w2[k][1] * h[1] + net.b2[k]);
    let e = logits.map(f64::exp);
    let z = e[0] + e[1] + e[2];
    e.map(|v| v / z)
}

#[test]
fn learned_combiner_is_the_forward_pass_of_its_weights() {
    let mut m = agent(&plugins().learned, &learned_config(&NET));
    let context = sample_context();
    let sets: Vec<_> = prediction_sets()
        .into_iter()
        .filter(|(_, set)| ["trend", "pattern"].iter().all(|n| set.iter().any(|p| p.agent == *n)))
        .collect();
    assert!(sets.len() >= 4, "too few sets with both agents");
    for (what, predictions) in sets {
        let want = finish(forward(&NET, &predictions), &predictions, SEED_THRESHOLDS);
        let got = m.combine(&predictions, &context);
        assert_matches(what, &got, &want);
        assert!(got.notes.iter().any(|n| n.key == "method" && n.value == "learned"), "{:?}", got.notes);
    }
}

#[test]
fn learned_combiner_finds_its_agents_by_name_not_position() {
    let mut m = agent(&plugins().learned, &learned_config(&NET));
    let context = sample_context();
    let predictions = sample_predictions();
    let mut reversed = predictions.clone();
    reversed.reverse();
    let a = m.combine(&predictions, &context);
    let b = m.combine(&reversed, &context);
    assert_eq!(a.fault, None);
    assert_eq!(a.probabilities, b.probabilities);
    // The probabilities are not just the first agents' inputs in order.
    let want = forward(&NET, &predictions);
    for (g, w) in b.probabilities.iter().zip(want) {
        assert!((g - w).abs() <= 1e-12);
    }
}

#[test]
fn learned_combiner_abstains_when_an_agent_it_was_trained_on_is_missing() {
    let mut m = agent(&plugins().learned, &learned_config(&NET));
    let only_trend = vec![prediction("trend", [0.1, 0.1, 0.8], 0.9)];
    let out = m.combine(&only_trend, &sample_context());
    assert_eq!(out.fault, None);
    assert_eq!(out.probabilities, [0.0, 1.0, 0.0]);
    assert!(!out.should_trade);
    assert!(out.notes.iter().any(|n| n.key == "abstain"), "{:?}", out.notes);
}

#[test]
fn learned_combiner_refuses_weights_of_the_wrong_shape_naming_w1() {
    // Rows of 5 inputs for two agents (3 × 2 = 6 needed).
    let bad = r#"{"agents": ["trend", "pattern"], "w1": [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], "b1": [0, 0],
                  "w2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0, 0]}"#;
    let err = WasmMetaAgent::new(&plugins().host, &plugins().learned, bad).unwrap_err();
    let PluginError::Init { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, &bundled_plugin("meta-learned"));
    assert!(message.contains("w1"), "{message}");
    assert!(err.is_bad_input());
    // Three hidden rows but two hidden biases: also a w1 shape error.
    let bad = r#"{"agents": ["trend", "pattern"], "w1": [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]],
                  "b1": [0, 0], "w2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0, 0]}"#;
    let err = WasmMetaAgent::new(&plugins().host, &plugins().learned, bad).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("w1"), "{message}");
}

#[test]
fn learned_combiner_needs_its_weights() {
    let err = WasmMetaAgent::new(&plugins().host, &plugins().learned, "").unwrap_err();
    assert!(matches!(err, PluginError::Init { .. }), "{err:?}");
}

/// `learned_config` with a second network from `second_from` on.
fn learned_schedule(first_from: i64, second: &Net, second_from: i64) -> String {
    let one = |net: &Net, from: i64| {
        let c = learned_config(net);
        let weights = &c[c.find("\"w1\"").unwrap()..c.len() - 1];
        format!("{{\"from_ns\": {from}, {weights}}}")
    };
    format!(
        r#"{{"agents": ["trend", "pattern"], "schedule": [{}, {}]}}"#,
        one(&NET, first_from),
        one(second, second_from)
    )
}

const NET2: Net = Net {
    w1: [[-1.0, 0.5, 0.0, 0.3, -0.5, 1.0], [0.3, -0.8, 0.2, -0.6, 0.2, 0.1]],
    b1: [0.2, 0.5],
    w2: [[-0.5, 1.0], [0.1, -0.3], [0.7, -1.2]],
    b2: [0.1, 0.0, -0.2],
};

#[test]
fn learned_combiner_uses_the_latest_weight_set_fitted_before_the_bar_and_abstains_before_the_first() {
    let mut m = agent(&plugins().learned, &learned_schedule(1_000, &NET2, 2_000));
    let predictions = sample_predictions();
    let at = |t: i64| {
        let mut c = sample_context();
        c.time_ns = t;
        c
    };
    let before = m.combine(&predictions, &at(999));
    assert_eq!(before.fault, None);
    assert!(!before.should_trade);
    assert!(before.notes.iter().any(|n| n.key == "abstain"), "{:?}", before.notes);
    for (t, net) in [(1_000, &NET), (1_999, &NET), (2_000, &NET2), (9_999, &NET2)] {
        let got = m.combine(&predictions, &at(t));
        let want = forward(net, &predictions);
        for (g, w) in got.probabilities.iter().zip(want) {
            assert!((g - w).abs() <= 1e-12, "t = {t}: {:?} vs {want:?}", got.probabilities);
        }
    }
}

#[test]
fn learned_combiner_refuses_a_schedule_out_of_order_or_mixed_with_single_weights() {
    let unordered = learned_schedule(2_000, &NET2, 1_000);
    let err = WasmMetaAgent::new(&plugins().host, &plugins().learned, &unordered).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("from_ns must increase"), "{message}");
    let both = learned_schedule(1_000, &NET2, 2_000).replacen("\"schedule\"", "\"b2\": [0, 0, 0], \"schedule\"", 1);
    let err = WasmMetaAgent::new(&plugins().host, &plugins().learned, &both).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("either `schedule` or one set"), "{message}");
}

#[test]
fn the_shipped_weight_schedule_loads_and_serves_only_after_its_first_set() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../models/meta-learned/weights.json");
    let config = std::fs::read_to_string(path).unwrap();
    let weights: serde_json::Value = serde_json::from_str(&config).unwrap();
    let first = weights["schedule"][0]["from_ns"].as_i64().unwrap();
    let mut m = agent(&plugins().learned, &config);
    let agents: Vec<AgentPrediction> =
        ["trend-lstm", "trend-mlp"].iter().map(|name| prediction(name, [0.2, 0.3, 0.5], 0.5)).collect();
    let mut context = sample_context();
    context.time_ns = first - 1;
    assert!(m.combine(&agents, &context).notes.iter().any(|n| n.key == "abstain"));
    context.time_ns = first;
    let out = m.combine(&agents, &context);
    assert_eq!(out.fault, None);
    assert!(out.notes.iter().any(|n| n.value == "learned"), "{:?}", out.notes);
    assert!((out.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}
