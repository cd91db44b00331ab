//! The agent ensemble in replay: the shipped walk-forward models on the
//! agents stage, the meta-agent plugin on the signal stage, sizing and risk
//! after it; each bar decided only by models trained before it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use tradebot::agents::{CardExpectation, ModelCard, OnnxDirectionAgent, OnnxVolatilityAgent};
use tradebot::core::{Candle, Interval, Symbol, SymbolId, Timestamp};
use tradebot::features::{FeatureMatrix, FeatureSetDef};
use tradebot::replay::{AgentsConfig, build_agents};
use tradebot::strategy::{AgentContext, AgentReading};

use crate::common::{data_dir, p, status, stderr, tradebot};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn models(name: &str) -> PathBuf {
    repo().join("models").join(name)
}

/// An ensemble run over two markets from shortly before the first model
/// exists to a day after the second one does.
fn ensemble_toml(out: &Path, mode: &str, agents: &str) -> String {
    format!(
        r#"
[data]
symbols = ["ETH_BTC", "LTC_BTC"]
start = "2018-01-20T00:00:00Z"
end = "2018-01-24T00:00:00Z"

[strategy]
kind = "ensemble"
meta = {{ path = "bundled:meta-confidence-weighted", config = '{{"min_confidence": 0.3, "max_disagreement": 0.5}}' }}

[agents]
{agents}

[pipeline]
mode = "{mode}"

[output]
dir = "{}"
baselines = false
progress = false
"#,
        out.display()
    )
}

fn default_agents() -> String {
    format!(
        "models = [\"{}\", \"{}\"]\nregime = {{ states = 2, fit_window = 400, refit_every = 288, starts = 2 }}\nvolatility = {{ fit_window = 500, refit_every = 288, min_returns = 300 }}",
        models("trend-mlp").display(),
        models("trend-lstm").display()
    )
}

fn run(dir: &Path, name: &str, mode: &str, agents: &str) -> (PathBuf, std::process::Output) {
    let out = dir.join(name);
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, ensemble_toml(&out, mode, agents)).unwrap();
    let o = tradebot(&["replay", "--quiet", "--config", p(&cfg)]);
    (out, o)
}

/// Headlines about the test window (synthetic: no real news feed is bundled).
const HEADLINES: &str = r#"{"time": "2018-01-20T06:00:00Z", "headline": "Ethereum upgrade praised as a great success", "symbols": ["ETH_BTC"]}
{"time": "2018-01-21T09:30:00Z", "headline": "Exchange hack fears hit Litecoin traders hard", "symbols": ["LTC_BTC"]}
{"time": "2018-01-22T12:00:00Z", "headline": "Crypto markets calm ahead of regulatory hearing"}
"#;

#[test]
fn an_ensemble_replay_trades_through_the_meta_agent_and_times_every_agent() {
    let tmp = tempfile::tempdir().unwrap();
    let news = tmp.path().join("news.jsonl");
    std::fs::write(&news, HEADLINES).unwrap();
    let agents = format!("{}\nsentiment = {{ headlines = \"{}\" }}", default_agents(), news.display());
    let (out, o) = run(tmp.path(), "fused", "fused", &agents);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let latency: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latency.json")).unwrap()).unwrap();
    let agents: Vec<&str> =
        latency["agents"].as_array().unwrap().iter().map(|a| a["stage"].as_str().unwrap()).collect();
    assert_eq!(
        agents,
        ["agent:trend-mlp", "agent:trend-lstm", "agent:regime-hmm", "agent:volatility-garch", "agent:sentiment"]
    );
    for a in latency["agents"].as_array().unwrap() {
        assert!(a["count"].as_u64().unwrap() > 2_000, "every bar of both markets: {a}");
        assert!(a["p50_ns"].as_u64().unwrap() > 0);
    }
    assert!(latency["stages"].as_array().unwrap().iter().any(|s| s["stage"] == "agents"));
    let decisions = std::fs::read_to_string(out.join("decisions.jsonl")).unwrap();
    assert!(!decisions.is_empty(), "the ensemble made decisions");
    assert!(decisions.contains("meta-confidence-weighted"), "each decision names the meta-agent plugin");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("walk-forward evaluation"), "the report carries each agent's out-of-sample verdict");
}

#[test]
fn the_learned_meta_agent_reads_its_weight_schedule_from_a_file_and_trades_only_after_its_first_set() {
    let tmp = tempfile::tempdir().unwrap();
    let weights = models("meta-learned").join("weights.json");
    let schedule: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&weights).unwrap()).unwrap();
    let first = tradebot::core::Timestamp::from_nanos(schedule["schedule"][0]["from_ns"].as_i64().unwrap());
    let agents = format!("models = [\"{}\", \"{}\"]", models("trend-lstm").display(), models("trend-mlp").display());
    let out = tmp.path().join("learned");
    let meta = format!("meta = {{ path = \"bundled:meta-learned\", config_file = \"{}\" }}", weights.display());
    let toml = ensemble_toml(&out, "fused", &agents)
        .lines()
        .map(|l| if l.starts_with("meta = ") { meta.as_str() } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let cfg = tmp.path().join("learned.toml");
    std::fs::write(&cfg, &toml).unwrap();
    let o = tradebot(&["replay", "--quiet", "--config", p(&cfg)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let trades = std::fs::read_to_string(out.join("trades.csv")).unwrap();
    let entries: Vec<&str> = trades.lines().skip(1).map(|l| l.split(',').nth(2).unwrap()).collect();
    assert!(!entries.is_empty(), "the learned combiner traded once its weights existed");
    let first = first.to_string();
    assert!(
        entries.iter().all(|e| *e >= first.as_str()),
        "an entry before the first weight set ({first}): {entries:?}"
    );
    // The run's written config carries the weights themselves, not the file name.
    let written = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(written.contains("from_ns") && !written.contains("config_file"), "{written}");

    // `config` and `config_file` together, or a missing file, are refused by key.
    let both = toml.replace("config_file =", "config = \"{}\", config_file =");
    std::fs::write(&cfg, both).unwrap();
    let o = tradebot(&["replay", "--quiet", "--config", p(&cfg)]);
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("strategy.meta: give `config` or `config_file`, not both"), "{}", stderr(&o));
    std::fs::write(&cfg, toml.replace("weights.json", "nope.json")).unwrap();
    let o = tradebot(&["replay", "--quiet", "--config", p(&cfg)]);
    assert_ne!(status(&o), 0);
    assert!(stderr(&o).contains("strategy.meta.config_file") && stderr(&o).contains("nope.json"), "{}", stderr(&o));
}

#[test]
fn ensemble_replays_are_byte_identical_across_runs_and_pipeline_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let agents = format!("models = [\"{}\"]", models("trend-mlp").display());
    let (a, o) = run(tmp.path(), "a", "fused", &agents);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let (b, o) = run(tmp.path(), "b", "fused", &agents);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let (c, o) = run(tmp.path(), "c", "pipelined", &agents);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    for f in ["trades.csv", "orders.csv", "equity.csv", "decisions.jsonl", "metrics.json"] {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap();
        assert_eq!(read(&a), read(&b), "{f} differs between two fused runs");
        assert_eq!(read(&a), read(&c), "{f} differs between fused and pipelined");
    }
}

/// The features of a bundled market, bar by bar, with close times.
fn market(symbol: &str) -> (Vec<Candle>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(data_dir().join(format!("{symbol}-5m.csv"))).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let candles: Vec<Candle> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |i: usize| rec[i].parse::<f64>().unwrap();
            Candle {
                open_time: Timestamp::parse(&rec[0]).unwrap(),
                open: f(1),
                high: f(2),
                low: f(3),
                close: f(4),
                volume: f(5),
            }
        })
        .collect();
    let rows = FeatureMatrix::compute(&FeatureSetDef::agents_v1(), &candles).unwrap();
    (candles, rows)
}

#[test]
fn each_bar_is_decided_only_by_the_latest_model_trained_before_it() {
    decided_by_the_latest_fold("trend-mlp", tradebot::agents::AgentRole::Trend);
}

#[test]
fn each_chart_image_is_read_only_by_the_latest_pattern_model_trained_before_it() {
    decided_by_the_latest_fold("pattern-cnn", tradebot::agents::AgentRole::Pattern);
}

fn decided_by_the_latest_fold(name: &str, role: tradebot::agents::AgentRole) {
    let symbol = Symbol::new("ETH_BTC").unwrap();
    let config = AgentsConfig { models: vec![models(name)], ..AgentsConfig::default() };
    let mut bundle = build_agents(&config, &[symbol], &[Interval::M5], Path::new("test.toml")).unwrap();
    let agent = &mut bundle.per_symbol[0][0];

    // The same cards loaded directly: the reference for each fold.
    let set = FeatureSetDef::agents_v1();
    let expect = CardExpectation { role, feature_set: &set, interval: Some("5m") };
    let mut folds: Vec<OnnxDirectionAgent> = (0..4)
        .map(|k| OnnxDirectionAgent::load(&models(name).join(format!("fold-{k}.json")), &expect).unwrap())
        .collect();
    let available: Vec<Timestamp> = folds.iter().map(|f| f.trained_through()).collect();
    assert!(available.windows(2).all(|w| w[0] < w[1]));

    let (candles, rows) = market("ETH_BTC");
    let step = Interval::M5.fixed_nanos().unwrap();
    let (mut abstained, mut decided) = (0, [0usize; 4]);
    for (bar, row) in candles.iter().zip(&rows) {
        let close = Timestamp::from_nanos(bar.open_time.as_nanos() + step);
        let ctx = AgentContext { symbol: SymbolId(0), time: close, bar, features: row };
        let reading = agent.on_bar(&ctx);
        for f in &mut folds {
            f.push(bar, row);
        }
        let active = available.iter().rposition(|t| *t <= close);
        match (active, reading) {
            (None, AgentReading::Abstain) => abstained += 1,
            (None, r) => panic!("{close}: no model was trained before this bar, yet the agent said {r:?}"),
            (Some(k), AgentReading::Direction { probs, .. }) => {
                let want = folds[k].forecast().unwrap().unwrap().probs.map(f64::from);
                assert_eq!(probs, want, "{close}: the reading is fold {k}'s forecast");
                // A later fold, had it been used, would have said something else.
                if let Some(later) = folds.get_mut(k + 1) {
                    assert_ne!(later.forecast().unwrap().unwrap().probs.map(f64::from), want, "{close}");
                }
                decided[k] += 1;
            }
            (Some(k), r) => panic!("{close}: fold {k} is warm, yet the agent said {r:?}"),
        }
    }
    assert!(abstained > 2_000, "the month starts before any model exists: {abstained}");
    assert!(decided.iter().all(|&n| n > 100), "every fold decides its own stretch: {decided:?}");
}

#[test]
fn each_volatility_forecast_is_the_latest_folds_correction_of_the_markets_garch() {
    let symbol = Symbol::new("LTC_BTC").unwrap();
    let config = AgentsConfig { models: vec![models("vol-mlp")], ..AgentsConfig::default() };
    let mut bundle = build_agents(&config, &[symbol], &[Interval::M5], Path::new("test.toml")).unwrap();
    assert_eq!(bundle.names, ["vol-mlp"]);
    let agent = &mut bundle.per_symbol[0][0];

    // The reference: the cards loaded directly, fed by one GARCH of the market.
    let set = FeatureSetDef::agents_v1();
    let expect =
        CardExpectation { role: tradebot::agents::AgentRole::Volatility, feature_set: &set, interval: Some("5m") };
    let mut folds: Vec<OnnxVolatilityAgent> = (0..4)
        .map(|k| OnnxVolatilityAgent::load(&models("vol-mlp").join(format!("fold-{k}.json")), &expect).unwrap())
        .collect();
    let mut garch = folds[0].new_garch().unwrap();
    let available: Vec<Timestamp> = folds.iter().map(|f| f.trained_through()).collect();

    let (candles, rows) = market("LTC_BTC");
    let step = Interval::M5.fixed_nanos().unwrap();
    let (mut abstained, mut decided) = (0, [0usize; 4]);
    for (bar, row) in candles.iter().zip(&rows) {
        let close = Timestamp::from_nanos(bar.open_time.as_nanos() + step);
        let ctx = AgentContext { symbol: SymbolId(0), time: close, bar, features: row };
        let reading = agent.on_bar(&ctx);
        garch.push_close(bar.close);
        for f in &mut folds {
            f.push(row, garch.forecast_variance());
        }
        let active = available.iter().rposition(|t| *t <= close);
        match (active, reading) {
            (None, AgentReading::Abstain) => abstained += 1,
            (None, r) => panic!("{close}: no model was trained before this bar, yet the agent said {r:?}"),
            (Some(k), AgentReading::Volatility { sigma, range }) => {
                let want = folds[k].forecast().unwrap().unwrap();
                assert_eq!((sigma, range), (want.sigma, want.expected_log_range), "{close}: fold {k}'s forecast");
                assert_ne!(want.sigma, want.garch_sigma, "{close}: the network corrects the GARCH");
                decided[k] += 1;
            }
            (Some(k), r) => panic!("{close}: fold {k} is warm, yet the agent said {r:?}"),
        }
    }
    assert!(abstained > 2_000, "the month starts before any model exists: {abstained}");
    assert!(decided.iter().all(|&n| n > 100), "every fold forecasts its own stretch: {decided:?}");
}

#[test]
fn a_model_trained_on_another_feature_set_or_an_ensemble_without_agents_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let agents = format!("feature_set = \"default_v1\"\nmodels = [\"{}\"]", models("trend-mlp").display());
    let (out, o) = run(tmp.path(), "wrong-set", "fused", &agents);
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("fold-0.json") && err.contains("feature_set"), "{err}");
    assert!(!out.exists(), "nothing is written for a refused run");

    let news = tmp.path().join("news.jsonl");
    std::fs::write(&news, "{\"time\": \"2018-01-21T00:00:00Z\", \"headline\": \"b\"}\n{\"time\": \"2018-01-20T00:00:00Z\", \"headline\": \"a\"}\n").unwrap();
    let agents = format!(
        "models = [\"{}\"]\nsentiment = {{ headlines = \"{}\" }}",
        models("trend-mlp").display(),
        news.display()
    );
    let (_, o) = run(tmp.path(), "bad-news", "fused", &agents);
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("news.jsonl:2"),
        "a headline out of time order is named by file and line: {}",
        stderr(&o)
    );

    let (_, o) = run(tmp.path(), "no-agents", "fused", "models = []");
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("[agents] lists no models"), "{}", stderr(&o));

    let card = ModelCard::load(&models("trend-mlp").join("fold-0.json")).unwrap();
    assert_eq!(card.name, "trend-mlp");
}

#[test]
fn a_hostile_meta_agent_cannot_stop_an_ensemble_replay_or_get_past_the_risk_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = tradebot::plugin::bundled_plugin("hostile-meta");
    let agents = format!("models = [\"{}\"]", models("trend-mlp").display());
    for (mode, fault) in [("loop", "out_of_fuel"), ("trap", "trap"), ("nan", "invalid_output")] {
        let out = tmp.path().join(mode);
        let toml = ensemble_toml(&out, "fused", &agents)
            .replace(
                "meta = { path = \"bundled:meta-confidence-weighted\", config = '{\"min_confidence\": 0.3, \"max_disagreement\": 0.5}' }",
                &format!("meta = {{ path = '{}', config = '{{\"mode\": \"{mode}\", \"after\": 50}}' }}", hostile.display()),
            )
            .replace("[pipeline]", "[plugins]\nbudget = { kind = \"fuel\", per_call = 20000000, init = 100000000 }\n\n[pipeline]");
        assert!(toml.contains("hostile"), "the config names the hostile plugin");
        let cfg = tmp.path().join(format!("{mode}.toml"));
        std::fs::write(&cfg, toml).unwrap();
        let o = tradebot(&["replay", "--quiet", "--config", p(&cfg)]);
        assert_eq!(status(&o), 0, "{mode}: {}", stderr(&o));
        let decisions = std::fs::read_to_string(out.join("decisions.jsonl")).unwrap();
        let alerts = decisions.matches(&format!("\"fault\":\"{fault}\"")).count();
        assert!(alerts >= 2, "{mode}: expected repeated {fault} alerts, found {alerts}");
        let worst = decisions
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|d| d["type"] == "decision")
            .map(|d| {
                d["approved_quantity"].as_f64().unwrap_or(0.0) * d["close"].as_f64().unwrap()
                    / d["equity"].as_f64().unwrap()
            })
            .fold(0.0, f64::max);
        assert!(worst <= 0.1 + 1e-9, "{mode}: an entry of {worst} of equity, above max_position");
    }
}
