//! `tradebot replay`, end to end through the real binary: outputs, the
//! backtesting.py cross-check, determinism across runs and pipeline modes,
//! and the errors a user sees for bad configs and data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{data_dir, p, status, stderr, tradebot};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn config(name: &str) -> PathBuf {
    repo().join("tests/configs").join(name)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

fn json(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&read(dir, name)).unwrap()
}

/// CSV as a list of header → value maps.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records().map(|rec| headers.iter().cloned().zip(rec.unwrap().iter().map(str::to_owned)).collect()).collect()
}

fn replay(args: &[&str]) -> std::process::Output {
    let mut all = vec!["replay", "--quiet"];
    all.extend_from_slice(args);
    tradebot(&all)
}

const DETERMINISTIC_OUTPUTS: [&str; 5] = ["metrics.json", "trades.csv", "orders.csv", "equity.csv", "decisions.jsonl"];

#[test]
fn the_default_replay_runs_the_bundled_btc_markets_and_writes_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = replay(&["--output", p(&out)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    for f in DETERMINISTIC_OUTPUTS.iter().chain(&["latency.json", "report.html", "config.toml"]) {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let m = json(&out, "metrics.json");
    for key in [
        "initial_equity",
        "final_equity",
        "total_return",
        "annual_return",
        "annual_volatility",
        "sharpe_ratio",
        "sortino_ratio",
        "max_drawdown",
        "calmar_ratio",
        "win_rate",
        "profit_factor",
        "total_trades",
        "exposure_time",
        "fees_paid",
        "probabilistic_sharpe_ratio",
    ] {
        assert!(m.get(key).is_some(), "metrics.json lacks {key}");
    }
    assert_eq!(m["symbols"].as_array().unwrap().len(), 10, "the ten *_BTC-5m markets share one clock");
    assert!(m["baselines"]["buy_and_hold"]["final_equity"].is_number());
    // Fractions, not percent: a -100%..+∞ return and a drawdown in [0, 1].
    let dd = m["max_drawdown"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&dd), "{dd}");

    let trades = read(&out, "trades.csv");
    assert!(trades.starts_with("symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,pnl,fees"));
    let rows = csv_rows(&trades);
    assert_eq!(rows.len() as u64, m["total_trades"].as_u64().unwrap());
    for r in &rows {
        assert!(r["entry_time"].ends_with('Z') && r["entry_time"] <= r["exit_time"], "{r:?}");
    }
    // The default risk limits hold on every entry: no position above 10 % of equity.
    for line in read(&out, "decisions.jsonl").lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        if d["type"] == "decision" && d["approved_quantity"].as_f64().unwrap_or(0.0) > 0.0 {
            let notional = d["approved_quantity"].as_f64().unwrap() * d["close"].as_f64().unwrap();
            assert!(notional <= 0.10 * d["equity"].as_f64().unwrap() * (1.0 + 1e-9), "{line}");
        }
    }
    let html = read(&out, "report.html");
    assert!(html.contains("<svg") && !html.contains("<script src"), "report must be self-contained");
    let latency = json(&out, "latency.json");
    let stages: Vec<&str> =
        latency["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    for s in ["source", "features", "signal", "execution", "portfolio"] {
        assert!(stages.contains(&s), "latency.json lacks {s}: {stages:?}");
    }
}

/// The golden runs in `tests/golden/backtesting_py` were produced by
/// backtesting.py 0.6.6 (`tests/reference/backtesting_py/sma_cross.py`).
fn cross_check(stem: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let csv = data_dir().join(format!("{stem}.csv"));
    let o = replay(&["--config", p(&config("sma_cross_backtesting_py.toml")), "--data", p(&csv), "--output", p(&out)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let golden = repo().join("tests/golden/backtesting_py").join(stem);
    let theirs = csv_rows(&read(&golden, "trades.csv"));
    let ours = csv_rows(&read(&out, "trades.csv"));
    assert_eq!(ours.len(), theirs.len(), "{stem}: number of closed trades");
    for (k, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        for col in ["side", "entry_time", "exit_time"] {
            assert_eq!(a[col], b[col], "{stem} trade {k}: {col}");
        }
        for col in ["entry_price", "exit_price"] {
            let (x, y): (f64, f64) = (a[col].parse().unwrap(), b[col].parse().unwrap());
            assert!((x - y).abs() <= 1e-12 * y.abs(), "{stem} trade {k}: {col} {x} vs {y}");
        }
    }
    let stats = json(&golden, "stats.json");
    let theirs_final = stats["equity_final"].as_f64().unwrap();
    let ours_final = json(&out, "metrics.json")["final_equity"].as_f64().unwrap();
    let rel = (ours_final - theirs_final).abs() / theirs_final;
    assert!(rel <= 0.005, "{stem}: final equity {ours_final} vs backtesting.py {theirs_final} ({rel:.5})");
}

#[test]
fn sma_cross_matches_backtesting_py_on_eth_btc() {
    cross_check("ETH_BTC-5m");
}

#[test]
fn sma_cross_matches_backtesting_py_on_xrp_eth() {
    cross_check("XRP_ETH-5m");
}

#[test]
fn sma_cross_matches_backtesting_py_on_ltc_btc() {
    cross_check("LTC_BTC-5m");
}

#[test]
fn replays_are_byte_identical_across_runs_and_pipeline_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = [("fused-a", "fused"), ("fused-b", "fused"), ("pipelined", "pipelined")];
    for (dir, mode) in runs {
        let o = replay(&["--output", p(&tmp.path().join(dir)), "--mode", mode]);
        assert_eq!(status(&o), 0, "{}", stderr(&o));
    }
    for f in DETERMINISTIC_OUTPUTS {
        let a = std::fs::read(tmp.path().join("fused-a").join(f)).unwrap();
        for (dir, _) in &runs[1..] {
            let b = std::fs::read(tmp.path().join(dir).join(f)).unwrap();
            assert!(a == b, "{f} differs between fused-a and {dir}");
        }
    }
}

#[test]
fn the_written_config_reproduces_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
    let cfg = config("sma_cross_backtesting_py.toml");
    let o = replay(&["--config", p(&cfg), "--output", p(&first)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let o = replay(&["--config", p(&first.join("config.toml")), "--output", p(&second)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    for f in DETERMINISTIC_OUTPUTS {
        assert!(read(&first, f) == read(&second, f), "{f} differs when replayed from the written config.toml");
    }
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("run.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_unknown_config_key_is_rejected_with_its_location_and_name() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "initial_equity = 5000.0\n\n[risk]\nmax_positon = 0.2\n");
    let out = tmp.path().join("run");
    let o = replay(&["--config", p(&cfg), "--output", p(&out)]);
    assert_eq!(status(&o), 2);
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:4:1", cfg.display())), "{err}");
    assert!(err.contains("max_positon"), "{err}");
    assert!(!out.exists(), "a rejected run writes nothing");
}

#[test]
fn a_value_of_the_wrong_type_is_rejected_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "[broker]\nhalf_spread_bps = \"wide\"\n");
    let o = replay(&["--config", p(&cfg), "--output", p(&tmp.path().join("run"))]);
    assert_eq!(status(&o), 2);
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:2:", cfg.display())) && err.contains("half_spread_bps"), "{err}");
}

#[test]
fn an_out_of_range_limit_names_the_key_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "[risk]\nmax_position = 1.5\n");
    let o = replay(&["--config", p(&cfg), "--output", p(&tmp.path().join("run"))]);
    assert_eq!(status(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("risk.max_position") && err.contains("1.5"), "{err}");
}

#[test]
fn a_bad_csv_given_with_data_fails_with_its_line_and_keeps_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("marker"), "previous run").unwrap();
    let csv = tmp.path().join("bad.csv");
    std::fs::write(
        &csv,
        "date,open,high,low,close,volume\n2020-01-01T00:00:00Z,1,2,0.5,1.5,10\n2020-01-01T00:05:00Z,1,0.4,0.5,1.5,10\n",
    )
    .unwrap();
    let o = replay(&["--data", p(&csv), "--symbol", "AAA_BBB", "--interval", "5m", "--output", p(&out)]);
    assert_eq!(status(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("bad.csv:3"), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("marker")).unwrap(), "previous run");
}

#[test]
fn the_kill_switch_flattens_every_position_and_no_entry_follows() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        &format!(
            "kill_switch_at = \"2018-01-20T00:00:00Z\"\n[data]\nfeeds = [{{ csv = \"{}\" }}]\n[strategy]\nkind = \"buy_and_hold\"\n[risk]\nstop_loss = {{ kind = \"none\" }}\n",
            data_dir().join("ETH_BTC-5m.csv").display()
        ),
    );
    let out = tmp.path().join("run");
    let o = replay(&["--config", p(&cfg), "--output", p(&out)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let trades = csv_rows(&read(&out, "trades.csv"));
    assert_eq!(trades.len(), 1, "{trades:?}");
    assert_eq!(trades[0]["exit_reason"], "flatten");
    assert!(trades[0]["exit_time"].as_str() >= "2018-01-20T00:00:00Z");
    let m = json(&out, "metrics.json");
    assert_eq!(m["halted"], "kill_switch");
    assert!(m["open_trades"].as_array().unwrap().is_empty());
    let last = csv_rows(&read(&out, "equity.csv")).pop().unwrap();
    assert_eq!(last["open_positions"], "0");
}
