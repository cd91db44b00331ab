//! WASM plugins in the pipeline, end to end: the strategy and sizing
//! plugins reproduce the native ones byte for byte, hostile plugins cannot
//! stop a replay or get past the risk limits, and a strategy is hot-swapped
//! between two candles without skipping or repeating one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{p, status, stderr, stdout, tradebot};
use tradebot::kernel::{FusedPipeline, RecorderOutputs, RunInput};
use tradebot::plugin::{PluginHost, PluginLimits, ReloadEvent, WasmSlots, bundled_plugin};
use tradebot::replay::{DataConfig, load};

fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A run over two markets, so the tests stay quick in debug builds.
const DATA: &str = "[data]\nsymbols = [\"ETH_BTC\", \"LTC_BTC\"]\n[output]\nreport = false\nbaselines = false\n";

fn run(dir: &Path, name: &str, body: &str) -> (PathBuf, std::process::Output) {
    let config = write_config(dir, &format!("{name}.toml"), &format!("{DATA}{body}"));
    let out = dir.join(name);
    let o = tradebot(&["replay", "--quiet", "--config", p(&config), "--output", p(&out)]);
    (out, o)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// `metrics.json` without the strategy's name (a plugin's name differs).
fn metrics(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_str(&read(dir, "metrics.json")).unwrap();
    m.as_object_mut().unwrap().remove("strategy");
    m
}

fn plugin(name: &str) -> String {
    bundled_plugin(name).display().to_string()
}

fn assert_same_run(a: &Path, b: &Path) {
    for f in ["trades.csv", "orders.csv", "equity.csv"] {
        assert!(read(a, f) == read(b, f), "{f} differs between {} and {}", a.display(), b.display());
    }
    assert_eq!(metrics(a), metrics(b));
}

#[test]
fn the_sma_cross_plugin_trades_exactly_like_the_native_sma_cross() {
    let dir = tempfile::tempdir().unwrap();
    for long_short in [false, true] {
        let native = format!("[strategy]\nkind = \"sma_cross\"\nfast = 10\nslow = 20\nlong_short = {long_short}\n");
        let wasm = format!(
            "[strategy]\nkind = \"plugin\"\npath = '{}'\nconfig = '{{\"fast\": 10, \"slow\": 20, \"long_short\": {long_short}}}'\n",
            plugin("sma-cross")
        );
        let (a, oa) = run(dir.path(), &format!("native-{long_short}"), &native);
        let (b, ob) = run(dir.path(), &format!("wasm-{long_short}"), &wasm);
        assert_eq!((status(&oa), status(&ob)), (0, 0), "{}{}", stderr(&oa), stderr(&ob));
        assert_same_run(&a, &b);
        assert!(read(&a, "trades.csv").lines().count() > 10, "the run must trade to prove anything");
        // Every decision names the plugin, its version and its hash.
        let decisions = read(&b, "decisions.jsonl");
        let stamped = decisions
            .lines()
            .filter(|l| l.contains("\"type\":\"decision\""))
            .all(|l| l.contains("\"strategy_plugin\":\"sma-cross@0.1.0#") && !l.contains("\"alert\":\"plugin\""));
        assert!(stamped, "a decision without the plugin's stamp");
        assert!(!read(&a, "decisions.jsonl").contains("strategy_plugin"));
    }
}

#[test]
fn plugin_runs_are_byte_identical_fused_pipelined_and_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "[strategy]\nkind = \"plugin\"\npath = '{}'\nconfig = '{{\"long_short\": true}}'\n\
         [sizing]\nkind = \"plugin\"\npath = '{}'\n",
        plugin("sma-cross"),
        plugin("sizing-kelly")
    );
    let config = write_config(dir.path(), "run.toml", &format!("{DATA}{body}"));
    let mut outputs = Vec::new();
    for (k, mode) in ["fused", "pipelined", "fused"].iter().enumerate() {
        let out = dir.path().join(format!("out-{k}"));
        let o = tradebot(&["replay", "--quiet", "--config", p(&config), "--output", p(&out), "--mode", mode]);
        assert_eq!(status(&o), 0, "{}", stderr(&o));
        outputs.push(out);
    }
    for f in ["metrics.json", "trades.csv", "orders.csv", "equity.csv", "decisions.jsonl"] {
        assert!(read(&outputs[0], f) == read(&outputs[1], f), "{f}: fused and pipelined differ");
        assert!(read(&outputs[0], f) == read(&outputs[2], f), "{f}: two fused runs differ");
    }
}

#[test]
fn the_sizing_plugins_size_exactly_like_the_native_sizing() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = "[strategy]\nkind = \"sma_cross\"\nlong_short = true\n";
    for (native, wasm) in [
        (
            "kind = \"fixed_fractional\"\nrisk_fraction = 0.01",
            "sizing-fixed-fractional', config = '{\"risk_fraction\": 0.01}",
        ),
        ("kind = \"kelly\"", "sizing-kelly"),
        ("kind = \"volatility_adjusted\"", "sizing-volatility"),
    ] {
        let tag = wasm.split('\'').next().unwrap().to_owned();
        let (a, oa) = run(dir.path(), &format!("native-{tag}"), &format!("{strategy}[sizing]\n{native}\n"));
        let plugin_path = plugin(&tag);
        let rest = wasm.strip_prefix(tag.as_str()).unwrap();
        let body = format!("{strategy}[sizing]\nkind = \"plugin\"\npath = '{plugin_path}{rest}'\n");
        let body = body.replace("', config", "'\nconfig");
        let (b, ob) = run(dir.path(), &format!("wasm-{tag}"), &body);
        assert_eq!((status(&oa), status(&ob)), (0, 0), "{}{}", stderr(&oa), stderr(&ob));
        assert_same_run(&a, &b);
        let decisions = read(&b, "decisions.jsonl");
        assert!(decisions.contains(&format!("\"sizing_plugin\":\"{tag}@0.1.0#")), "{tag}: no stamp");
    }
}

/// Gross entry notional approved for any decision, over the equity then.
fn max_entry_fraction(decisions: &str) -> f64 {
    decisions
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|d| d["type"] == "decision")
        .map(|d| {
            let q = d["approved_quantity"].as_f64().unwrap_or(0.0);
            q * d["close"].as_f64().unwrap() / d["equity"].as_f64().unwrap()
        })
        .fold(0.0, f64::max)
}

#[test]
fn hostile_strategies_cannot_stop_a_replay_and_every_fault_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, fault) in
        [("loop", "out_of_fuel"), ("trap", "trap"), ("oom", "out_of_memory"), ("nan", "invalid_output")]
    {
        let body = format!(
            "[strategy]\nkind = \"plugin\"\npath = '{}'\nconfig = '{{\"mode\": \"{mode}\", \"after\": 300}}'\n\
             [plugins]\nbudget = {{ kind = \"fuel\", per_call = 20000000, init = 100000000 }}\nmemory_bytes = 4194304\n",
            plugin("hostile-strategy")
        );
        let (out, o) = run(dir.path(), mode, &body);
        assert_eq!(status(&o), 0, "{mode}: {}", stderr(&o));
        let decisions = read(&out, "decisions.jsonl");
        let alerts =
            decisions.matches(&format!("\"alert\":\"plugin\",\"slot\":\"strategy\",\"fault\":\"{fault}\"")).count();
        // Each instance misbehaves after 300 of its calls, recovers with a
        // fresh instance (whose count restarts) and misbehaves again.
        assert!(alerts >= 2, "{mode}: expected repeated {fault} alerts, found {alerts}");
        let summary = format!("plugin faults (safe default used): strategy [{fault} {alerts}]");
        assert!(stdout(&o).contains(&summary), "{mode}: the summary does not say `{summary}`:\n{}", stdout(&o));
        assert!(max_entry_fraction(&decisions) <= 0.1 + 1e-9, "{mode}: an entry above max_position");
        // The run still produced every output.
        assert!(read(&out, "equity.csv").lines().count() > 1000);
    }
}

#[test]
fn a_sizing_plugin_asking_for_a_thousand_times_equity_is_cut_to_the_risk_limits() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "[strategy]\nkind = \"sma_cross\"\n[sizing]\nkind = \"plugin\"\npath = '{}'\nconfig = '{{\"mode\": \"absurd\"}}'\n",
        plugin("hostile-sizing")
    );
    let (out, o) = run(dir.path(), "absurd", &body);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let decisions = read(&out, "decisions.jsonl");
    assert!(decisions.contains("\"rule\":\"max_position\""), "the risk engine never had to cut");
    let worst = max_entry_fraction(&decisions);
    assert!(worst > 0.09 && worst <= 0.1 + 1e-9, "largest approved entry {worst} of equity");
}

#[test]
fn invalid_sizing_answers_enter_nothing_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["nan", "wrong-sign", "bad-stop", "bad-reason", "trap"] {
        // Behaves for the self-test's 8 calls (on its own instance), then not.
        let body = format!(
            "[strategy]\nkind = \"sma_cross\"\n[sizing]\nkind = \"plugin\"\npath = '{}'\nconfig = '{{\"mode\": \"{mode}\", \"after\": 8}}'\n",
            plugin("hostile-sizing")
        );
        let (out, o) = run(dir.path(), mode, &body);
        assert_eq!(status(&o), 0, "{mode}: {}", stderr(&o));
        let decisions = read(&out, "decisions.jsonl");
        assert!(decisions.contains("\"slot\":\"sizing\""), "{mode}: no sizing alert");
        let faulted: Vec<serde_json::Value> = decisions
            .lines()
            .filter(|l| l.contains("\"sizing_fault\""))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(faulted.len() >= 5, "{mode}: only {} faulted sizing calls", faulted.len());
        for d in &faulted {
            assert_eq!(d["approved_quantity"], 0.0, "{mode}: a faulted sizing call entered: {d}");
            assert_eq!(d["sized_quantity"], 0.0, "{mode}: {d}");
        }
    }
}

#[test]
fn a_plugin_that_is_not_there_or_not_a_component_is_a_clear_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"not wasm").unwrap();
    let (_, o) = run(dir.path(), "junk", &format!("[strategy]\nkind = \"plugin\"\npath = '{}'\n", junk.display()));
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("junk.wasm") && stderr(&o).contains("not a WebAssembly component"), "{}", stderr(&o));
    // A sizing component in the strategy slot.
    let (_, o) =
        run(dir.path(), "wrong", &format!("[strategy]\nkind = \"plugin\"\npath = '{}'\n", plugin("sizing-kelly")));
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("targets the sizing-policy world; this slot needs strategy"), "{}", stderr(&o));
    let (_, o) = run(
        dir.path(),
        "init",
        &format!("[strategy]\nkind = \"plugin\"\npath = '{}'\nconfig = '{{\"fast\": 30}}'\n", plugin("sma-cross")),
    );
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("init refused the config: need 0 < fast < slow"), "{}", stderr(&o));
}

#[test]
fn plugin_check_names_the_world_and_self_tests() {
    let o = tradebot(&["plugin", "check", &plugin("sma-cross")]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("world      strategy (tradebot:plugin@0.2.0)"), "{text}");
    assert!(text.contains("features   sma_10, sma_20"), "{text}");
    assert!(text.contains("self-test  passed"), "{text}");
    let o = tradebot(&["plugin", "check", &plugin("hostile-meta"), "--config", "{\"mode\": \"sum\"}"]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("self-test failed: combine with all of 6 agents speaking, symbol 0: invalid_output"),
        "{}",
        stderr(&o)
    );
    // A sizing policy lists its reasons; one that lists too many is refused at load.
    let o = tradebot(&["plugin", "check", &plugin("sizing-kelly"), "--symbols", "BTCUSDT,ETHUSDT"]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("reasons    no equity or no price | kelly: fallback before min_trades | kelly"));
    let o = tradebot(&["plugin", "check", &plugin("hostile-sizing"), "--config", "{\"mode\": \"huge\"}"]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("reasons(): 100000 reasons; need 1 to 64"), "{}", stderr(&o));
    // A learned combiner is checked with the agents it was trained on.
    let weights = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/meta-learned/weights.json");
    let config = std::fs::read_to_string(weights).unwrap();
    let o = tradebot(&["plugin", "check", &plugin("meta-learned"), "--config", &config]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("the run has no such agent"), "{}", stderr(&o));
    let agents = "trend-lstm,trend-mlp,pattern-cnn";
    let o = tradebot(&["plugin", "check", &plugin("meta-learned"), "--config", &config, "--agents", agents]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
}

/// Collects what the recorder writes, for assertions.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `bytes` with a custom section appended: the same component, another
/// SHA-256 (a rebuilt version of a plugin, as far as the engine can tell).
fn rebuilt(bytes: &[u8], tag: &str) -> Vec<u8> {
    let name = format!("tradebot-test-{tag}");
    let mut payload = vec![name.len() as u8];
    payload.extend_from_slice(name.as_bytes());
    let mut out = bytes.to_vec();
    out.push(0); // custom section id
    out.push(payload.len() as u8); // LEB128, < 128
    out.extend_from_slice(&payload);
    out
}

#[test]
fn a_strategy_is_hot_swapped_between_two_candles_and_a_broken_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("strategy.wasm");
    // A strategy that wants to be long on every bar, so every bar of every
    // symbol leaves exactly one line in the decision log.
    let original = std::fs::read(bundled_plugin("hostile-strategy")).unwrap();
    std::fs::write(&live, &original).unwrap();
    let data =
        load(&DataConfig { symbols: vec!["ETH_BTC".into(), "LTC_BTC".into()], ..DataConfig::default() }, None).unwrap();
    let slots = Arc::new(WasmSlots::new(PluginHost::new(PluginLimits::default()).unwrap(), true));
    let mut config = tradebot::kernel::KernelConfig::default();
    config.strategy = tradebot::strategy::StrategyConfig::Plugin(tradebot::core::PluginRef {
        path: live.clone(),
        config: "{\"mode\": \"ok\"}".into(),
        config_file: None,
    });
    let mut input = RunInput {
        feeds: data.feeds(),
        symbols: data.symbols.clone(),
        config,
        periods_per_year: 105_120.0,
        progress: None,
        slots: Some(slots.clone()),
        agents: None,
    };
    let decisions = Shared::default();
    let outputs = RecorderOutputs { decisions: Some(Box::new(decisions.clone())), ..RecorderOutputs::discard() };
    let mut pipeline = FusedPipeline::new(&mut input, outputs).unwrap();
    let handle = slots.reload_handles().pop().expect("the strategy is watched");
    let total: usize = (0..data.symbols.len()).map(|i| data.candles(i).len()).sum();
    let step_until = |pipeline: &mut FusedPipeline<'_>, n: usize, events: &mut usize| {
        while *events < n && pipeline.step() {
            *events += 1;
        }
    };
    // Deployments replace the file atomically (write, then rename).
    let replace = |bytes: &[u8]| {
        let tmp = dir.path().join("incoming.wasm");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &live).unwrap();
    };

    let mut events = 0;
    step_until(&mut pipeline, total / 4, &mut events);
    // A broken replacement, seen by the file watch: refused, the running
    // version keeps trading.
    replace(b"\0asm broken");
    assert!(handle.wait_for_attempts(1, Duration::from_secs(30)));
    step_until(&mut pipeline, total / 2, &mut events);
    // A component that refuses the run's plugin config: refused at init.
    replace(&std::fs::read(bundled_plugin("sma-cross")).unwrap());
    assert!(handle.wait_for_attempts(2, Duration::from_secs(30)));
    step_until(&mut pipeline, 3 * total / 4, &mut events);
    // A new build: staged, and swapped in at the next time step.
    replace(&rebuilt(&original, "v2"));
    assert!(handle.wait_for_attempts(3, Duration::from_secs(30)));
    let seen = handle.events();
    assert!(matches!(&seen[0], ReloadEvent::Rejected { reason } if reason.contains("strategy.wasm")), "{seen:?}");
    assert!(
        matches!(&seen[1], ReloadEvent::Rejected { reason } if reason.contains("init refused the config")),
        "{seen:?}"
    );
    let ReloadEvent::Staged(new) = seen[2] else { panic!("{seen:?}") };
    while pipeline.step() {
        events += 1;
    }
    drop(pipeline);

    // Every bar of every symbol was decided exactly once, in time order,
    // and every decision names the version that made it: the old one up to
    // one instant, the new one from there on, for every symbol alike.
    let text = String::from_utf8(decisions.0.lock().unwrap().clone()).unwrap();
    let mut per_symbol: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["type"] == "decision" {
            per_symbol
                .entry(v["symbol"].as_str().unwrap().to_owned())
                .or_default()
                .push((v["time"].as_str().unwrap().to_owned(), v["strategy_plugin"].as_str().unwrap().to_owned()));
        }
    }
    let mut switch_times = Vec::new();
    for (i, symbol) in data.symbols.iter().enumerate() {
        let rows = &per_symbol[symbol.as_str()];
        assert_eq!(rows.len(), data.candles(i).len(), "{symbol}: a bar skipped or decided twice");
        assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "{symbol}: decisions out of order");
        let old = &rows[0].1;
        let first_new = rows.iter().position(|(_, stamp)| *stamp == new.to_string()).expect("the new version traded");
        assert!(
            rows[..first_new].iter().all(|(_, s)| s == old)
                && rows[first_new..].iter().all(|(_, s)| *s == new.to_string())
        );
        assert_ne!(*old, new.to_string());
        switch_times.push(rows[first_new].0.clone());
    }
    assert!(switch_times.windows(2).all(|w| w[0] == w[1]), "symbols switched at different steps: {switch_times:?}");
    assert!(events >= total);
}
