//! The bundled meta-agents compute the seed's formulas: each is checked
//! against a plain Rust rewrite of its formula on the sample predictions and
//! on hand-made ones (agreeing, split, one dissenter), to 1e-12.
//!
//! Every instance is told the six sample agents at `init` (contract 0.2.0);
//! a prediction set names some of them, and the others are absent (NaN).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::sync::OnceLock;

use tradebot_core::PluginFault;
use tradebot_plugin::wit::MarketContext;
use tradebot_plugin::{
    LoadedComponent, MetaOutcome, PluginError, PluginHost, PluginLimits, Prediction, WasmMetaAgent, bundled_plugin,
    sample_agents, sample_context, sample_predictions, sample_symbols,
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

/// An instance told the six sample agents and the sample symbol.
fn agent(loaded: &LoadedComponent, config: &str) -> WasmMetaAgent {
    new_agent(loaded, config, &sample_agents()).unwrap()
}

fn new_agent(loaded: &LoadedComponent, config: &str, agents: &[String]) -> Result<WasmMetaAgent, PluginError> {
    WasmMetaAgent::new(&plugins().host, loaded, config, agents, &sample_symbols())
}

/// One agent's prediction with its name, as the formulas below read it.
#[derive(Clone, Debug)]
struct Named {
    agent: String,
    prediction: Prediction,
}

fn prediction(agent: &str, probabilities: [f64; 3], confidence: f64) -> Named {
    Named { agent: agent.into(), prediction: Prediction { probabilities, confidence, latency_us: 50.0 } }
}

fn probs(p: &Named) -> [f64; 3] {
    p.prediction.probabilities
}

/// The sample predictions with the sample agents' names.
fn named_sample() -> Vec<Named> {
    sample_agents()
        .into_iter()
        .zip(sample_predictions())
        .map(|(agent, p)| Named { agent, prediction: p.unwrap() })
        .collect()
}

/// `set` laid out in `agents` order, the agents not in it absent.
fn laid_out(set: &[Named], agents: &[String]) -> Vec<Option<Prediction>> {
    agents.iter().map(|a| set.iter().find(|p| &p.agent == a).map(|p| p.prediction)).collect()
}

/// Combines `set` on an instance told the sample agents.
fn combine(m: &mut WasmMetaAgent, set: &[Named], context: &MarketContext) -> MetaOutcome {
    m.combine(laid_out(set, &sample_agents()), context)
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
fn disagreement(predictions: &[Named]) -> f64 {
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
fn finish(probabilities: [f64; 3], predictions: &[Named], thresholds: (f64, f64)) -> Expected {
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
fn confidence_weighted(predictions: &[Named], weight: impl Fn(&str) -> f64) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut total = 0.0;
    for p in predictions {
        let w = p.prediction.confidence * weight(&p.agent);
        for (s, v) in sum.iter_mut().zip(probs(p)) {
            *s += w * v;
        }
        total += w;
    }
    sum.map(|s| s / total)
}

fn simple_average(predictions: &[Named]) -> [f64; 3] {
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
fn prediction_sets() -> Vec<(&'static str, Vec<Named>)> {
    let sample = named_sample();
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
        let got = combine(&mut m, &predictions, &context);
        assert_matches(what, &got, &want);
        traded += usize::from(got.should_trade);
    }
    // Both outcomes of the rule were exercised.
    assert!(traded > 0 && traded < prediction_sets().len(), "{traded} sets traded");
}

#[test]
fn confidence_weighted_on_the_sample_predictions_is_split_and_does_not_trade() {
    let mut m = agent(&plugins().confidence_weighted, "");
    let out = combine(&mut m, &named_sample(), &sample_context());
    assert_eq!(out.fault, None);
    assert!((out.disagreement - 0.5).abs() < 1e-15, "{}", out.disagreement);
    assert!(!out.should_trade);
    // Notes only when there is something to say: each one costs the host an
    // allocation on the hot path.
    assert!(out.notes.is_empty(), "{:?}", out.notes);
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
        assert_matches(what, &combine(&mut m, &predictions, &context), &want);
    }
    // The weights matter: the sample's combined probabilities move.
    let weighted = combine(&mut m, &named_sample(), &context).probabilities;
    let plain = combine(&mut unweighted, &named_sample(), &context).probabilities;
    assert!((weighted[0] - plain[0]).abs() > 1e-3, "{weighted:?} vs {plain:?}");
}

#[test]
fn confidence_weighted_reads_its_thresholds_from_its_config() {
    // The sample is split (disagreement 0.5): the seed's rule does not trade,
    // a rule that tolerates any disagreement and confidence does.
    let mut m = agent(&plugins().confidence_weighted, r#"{"min_confidence": 0.0, "max_disagreement": 1.0}"#);
    let predictions = named_sample();
    let want = finish(confidence_weighted(&predictions, |_| 1.0), &predictions, (0.0, 1.0));
    assert!(want.should_trade);
    assert_matches("permissive thresholds", &combine(&mut m, &predictions, &sample_context()), &want);
}

#[test]
fn every_combiner_abstains_without_predictions() {
    for (name, loaded) in [("confidence-weighted", &plugins().confidence_weighted), ("average", &plugins().average)] {
        let out = combine(&mut agent(loaded, ""), &[], &sample_context());
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
        assert_matches(what, &combine(&mut m, &predictions, &context), &want);
    }
    // The confident dissenter counts once, like the unsure agents: the two
    // combiners disagree on that set.
    let (_, set) = prediction_sets().into_iter().find(|(w, _)| w.starts_with("a confident agent")).unwrap();
    let avg = combine(&mut m, &set, &context).probabilities;
    let cw = combine(&mut agent(&plugins().confidence_weighted, ""), &set, &context).probabilities;
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
fn forward(net: &Net, predictions: &[Named]) -> [f64; 3] {
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
        let got = combine(&mut m, &predictions, &context);
        assert_matches(what, &got, &want);
        assert!(got.notes.is_empty(), "{:?}", got.notes);
    }
}

#[test]
fn learned_combiner_finds_its_agents_by_name_not_position() {
    // The same named predictions, handed over by two runs that list their
    // agents in opposite orders.
    let reversed: Vec<String> = sample_agents().into_iter().rev().collect();
    let mut m = agent(&plugins().learned, &learned_config(&NET));
    let mut r = new_agent(&plugins().learned, &learned_config(&NET), &reversed).unwrap();
    let context = sample_context();
    let predictions = named_sample();
    let a = m.combine(laid_out(&predictions, &sample_agents()), &context);
    let b = r.combine(laid_out(&predictions, &reversed), &context);
    assert_eq!((a.fault, b.fault), (None, None));
    assert_eq!(a.probabilities, b.probabilities);
    let want = forward(&NET, &predictions);
    for (g, w) in b.probabilities.iter().zip(want) {
        assert!((g - w).abs() <= 1e-12);
    }
}

#[test]
fn learned_combiner_abstains_when_an_agent_it_was_trained_on_says_nothing() {
    let mut m = agent(&plugins().learned, &learned_config(&NET));
    let only_trend = vec![prediction("trend", [0.1, 0.1, 0.8], 0.9)];
    let out = combine(&mut m, &only_trend, &sample_context());
    assert_eq!(out.fault, None);
    assert_eq!(out.probabilities, [0.0, 1.0, 0.0]);
    assert!(!out.should_trade);
    assert!(out.notes.iter().any(|n| n.key == "abstain"), "{:?}", out.notes);
}

#[test]
fn learned_combiner_refuses_a_run_without_an_agent_it_was_trained_on() {
    let agents: Vec<String> = ["trend", "volatility"].map(String::from).to_vec();
    let err = new_agent(&plugins().learned, &learned_config(&NET), &agents).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("\"pattern\"") && message.contains("trend, volatility"), "{message}");
}

#[test]
fn learned_combiner_refuses_weights_of_the_wrong_shape_naming_w1() {
    // Rows of 5 inputs for two agents (3 × 2 = 6 needed).
    let bad = r#"{"agents": ["trend", "pattern"], "w1": [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], "b1": [0, 0],
                  "w2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0, 0]}"#;
    let err = new_agent(&plugins().learned, bad, &sample_agents()).unwrap_err();
    let PluginError::Init { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, &bundled_plugin("meta-learned"));
    assert!(message.contains("w1"), "{message}");
    assert!(err.is_bad_input());
    // Three hidden rows but two hidden biases: also a w1 shape error.
    let bad = r#"{"agents": ["trend", "pattern"], "w1": [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]],
                  "b1": [0, 0], "w2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0, 0]}"#;
    let err = new_agent(&plugins().learned, bad, &sample_agents()).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("w1"), "{message}");
}

#[test]
fn learned_combiner_needs_its_weights() {
    let err = new_agent(&plugins().learned, "", &sample_agents()).unwrap_err();
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
    let predictions = named_sample();
    let at = |t: i64| {
        let mut c = sample_context();
        c.time_ns = t;
        c
    };
    let before = combine(&mut m, &predictions, &at(999));
    assert_eq!(before.fault, None);
    assert!(!before.should_trade);
    assert!(before.notes.iter().any(|n| n.key == "abstain"), "{:?}", before.notes);
    for (t, net) in [(1_000, &NET), (1_999, &NET), (2_000, &NET2), (9_999, &NET2)] {
        let got = combine(&mut m, &predictions, &at(t));
        let want = forward(net, &predictions);
        for (g, w) in got.probabilities.iter().zip(want) {
            assert!((g - w).abs() <= 1e-12, "t = {t}: {:?} vs {want:?}", got.probabilities);
        }
    }
}

#[test]
fn learned_combiner_refuses_a_schedule_out_of_order_or_mixed_with_single_weights() {
    let unordered = learned_schedule(2_000, &NET2, 1_000);
    let err = new_agent(&plugins().learned, &unordered, &sample_agents()).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("from_ns must increase"), "{message}");
    let both = learned_schedule(1_000, &NET2, 2_000).replacen("\"schedule\"", "\"b2\": [0, 0, 0], \"schedule\"", 1);
    let err = new_agent(&plugins().learned, &both, &sample_agents()).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("either `schedule` or one set"), "{message}");
}

#[test]
fn the_shipped_weight_schedule_loads_and_serves_only_after_its_first_set() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../models/meta-learned/weights.json");
    let config = std::fs::read_to_string(path).unwrap();
    let weights: serde_json::Value = serde_json::from_str(&config).unwrap();
    let first = weights["schedule"][0]["from_ns"].as_i64().unwrap();
    // The run's agents as models/ensemble.toml lists them, the trained two among them.
    let names: Vec<String> = ["trend-lstm", "trend-mlp", "vol-mlp"].map(String::from).to_vec();
    let mut m = new_agent(&plugins().learned, &config, &names).unwrap();
    let speaking = [0.2, 0.3, 0.5, 0.5, 10.0];
    let agents = || {
        names.iter().map(|n| {
            n.starts_with("trend").then_some(Prediction {
                probabilities: [speaking[0], speaking[1], speaking[2]],
                confidence: speaking[3],
                latency_us: speaking[4],
            })
        })
    };
    let mut context = sample_context();
    context.time_ns = first - 1;
    assert!(m.combine(agents(), &context).notes.iter().any(|n| n.key == "abstain"));
    context.time_ns = first;
    let out = m.combine(agents(), &context);
    assert_eq!(out.fault, None);
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    assert!((out.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn a_request_that_does_not_fit_the_instance_is_refused_without_calling_the_plugin() {
    let mut m = agent(&plugins().average, "");
    let context = sample_context();
    // One agent too few.
    let out = m.combine(sample_predictions().into_iter().skip(1), &context);
    assert_eq!(out.fault, Some(PluginFault::BadRequest));
    // A symbol index outside the list given at init.
    let mut elsewhere = sample_context();
    elsewhere.symbol = 1;
    let out = m.combine(sample_predictions(), &elsewhere);
    assert_eq!((out.fault, out.should_trade), (Some(PluginFault::BadRequest), false));
    // Counted, and the instance still works.
    assert_eq!(m.faults()[PluginFault::BadRequest.index()], 2);
    assert_eq!(m.combine(sample_predictions(), &context).fault, None);
}

// ---- hot reload -------------------------------------------------------------------

#[test]
fn a_meta_agent_is_hot_reloaded_with_the_runs_agents_and_a_broken_replacement_is_refused() {
    use std::time::Duration;
    use tradebot_kernel::StrategyReload;
    use tradebot_plugin::{ReloadEvent, watch_ensemble};

    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("meta.wasm");
    let original = std::fs::read(bundled_plugin("meta-average")).unwrap();
    std::fs::write(&live, &original).unwrap();
    let config = tradebot_strategy::EnsembleConfig {
        meta: tradebot_core::PluginRef { path: live.clone(), config: String::new(), config_file: None },
        long_short: false,
        exit_when_unsure: true,
    };
    let symbols: Vec<tradebot_core::Symbol> =
        ["ETHBTC", "LTCBTC"].iter().map(|s| tradebot_core::Symbol::new(s).unwrap()).collect();
    let agents = vec!["trend-lstm".to_owned(), "trend-mlp".to_owned()];
    let current: [u8; 32] = plugins().average.sha256;
    let (mut reloader, handle) = watch_ensemble(&plugins().host, config, symbols, agents, current);
    let replace = |bytes: &[u8]| {
        let tmp = dir.path().join("incoming.wasm");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &live).unwrap();
    };

    // A new version: one ensemble per symbol, made on the watcher thread.
    replace(&std::fs::read(bundled_plugin("meta-confidence-weighted")).unwrap());
    assert!(handle.wait_for_attempts(1, Duration::from_secs(60)));
    let [ReloadEvent::Staged(stamp)] = handle.events()[..] else { panic!("{:?}", handle.events()) };
    assert_eq!(stamp.name(), "meta-confidence-weighted");
    let bundle = reloader.poll().expect("a staged bundle");
    assert_eq!(bundle.len(), 2);
    assert!(bundle.iter().all(|s| s.name().contains("meta-confidence-weighted@")), "{}", bundle[0].name());
    reloader.retire(bundle);

    // A learned combiner without weights (the run's config is "") fails its
    // init; noise is not a component. Both are refused and nothing is staged.
    replace(&std::fs::read(bundled_plugin("meta-learned")).unwrap());
    assert!(handle.wait_for_attempts(2, Duration::from_secs(60)));
    replace(b"not a component");
    assert!(handle.wait_for_attempts(3, Duration::from_secs(60)));
    let events = handle.events();
    assert!(
        matches!(&events[1], ReloadEvent::Rejected { reason } if reason.contains("init refused the config")),
        "{events:?}"
    );
    assert!(matches!(&events[2], ReloadEvent::Rejected { .. }), "{events:?}");
    assert!(reloader.poll().is_none());
}
