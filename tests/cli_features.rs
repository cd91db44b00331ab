//! `tradebot features`: the talib_v1 matrix of a stored market reproduces the
//! TA-Lib golden file column for column; bad sets are refused with their
//! location; the look-ahead check runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use crate::common::{data_dir, import, p, status, stderr, tradebot};

fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

#[test]
fn the_talib_set_matches_the_golden_file_and_passes_the_lookahead_check() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    assert_eq!(status(&import(&data_dir().join("ETH_BTC-5m.csv"), &store, "ETH_BTC", "5m", &[])), 0);
    let out = tmp.path().join("eth.csv");
    let o = tradebot(&[
        "features",
        "--store",
        p(&store),
        "--symbol",
        "ETH_BTC",
        "--interval",
        "5m",
        "--output",
        p(&out),
        "--check-lookahead",
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let ours = rows(&out);
    let golden = rows(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/talib/ETH_BTC-5m.talib.csv"));
    assert_eq!(ours[0][1..], golden[0][6..], "same column names in the same order");
    assert_eq!(ours.len(), golden.len());
    for (i, (a, b)) in ours.iter().zip(&golden).enumerate().skip(1) {
        assert_eq!(a[0], b[0], "row {i}: timestamp");
        for (j, (x, y)) in a[1..].iter().zip(&b[6..]).enumerate() {
            assert_eq!(x.is_empty(), y.is_empty(), "row {i} {}: defined exactly where TA-Lib is", golden[0][6 + j]);
            if i > 300 && !y.is_empty() {
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((x - y).abs() <= 1e-6 * y.abs().max(1.0), "row {i} {}: {x} vs {y}", golden[0][6 + j]);
            }
        }
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{}.meta.json", out.display())).unwrap()).unwrap();
    assert_eq!(meta["set"], "talib_v1");
    assert!(meta["definition_hash"].as_str().unwrap().starts_with("sha256:"));
}

#[test]
fn a_bad_feature_set_is_refused_with_its_location_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    assert_eq!(status(&import(&data_dir().join("ETH_BTC-5m.csv"), &store, "ETH_BTC", "5m", &[])), 0);
    let set = tmp.path().join("set.toml");
    std::fs::write(&set, "name = \"mine\"\nversion = 1\n\n[[features]]\nkind = \"sma\"\nperod = 10\n").unwrap();
    let out = tmp.path().join("out.csv");
    let args = |s: &str| {
        tradebot(&[
            "features",
            "--store",
            p(&store),
            "--symbol",
            "ETH_BTC",
            "--interval",
            "5m",
            "--set",
            s,
            "--output",
            p(&out),
        ])
    };
    let o = args(p(&set));
    assert_eq!(status(&o), 2);
    // Tagged tables are reported at their header line, with the key named.
    assert!(stderr(&o).contains("set.toml:4:1") && stderr(&o).contains("perod"), "{}", stderr(&o));
    let o = args("no_such_set");
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("unknown feature set `no_such_set`"), "{}", stderr(&o));
    std::fs::write(&set, "name = \"mine\"\nversion = 1\n\n[[features]]\nkind = \"rsi\"\nperiod = 0\n").unwrap();
    let o = args(p(&set));
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("features[0]") && stderr(&o).contains("period"), "{}", stderr(&o));
    assert!(!out.exists());
}

/// `tradebot features --trades`: bars built from a recorded trades file and
/// their trade-flow columns reproduce the reference aggregation
/// (`tests/golden/features/XRP_ETH-trades-5m.flow.csv`, made by
/// `tests/reference/features/flow.py` with the same parameters), and no
/// value changes when later trades are cut off.
#[test]
fn trade_flow_features_from_a_trades_file_match_the_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let set = tmp.path().join("flow.toml");
    std::fs::write(
        &set,
        "name = \"flow\"\nversion = 1\n[[features]]\nkind = \"return\"\n[[features]]\nkind = \"trade_flow\"\n\
         size_unit = 1.0\nlarge_window = 100\nlarge_mult = 5.0\nbar_window = 20\nroll_window = 100\n",
    )
    .unwrap();
    let out = tmp.path().join("flow.csv");
    let trades = data_dir().join("XRP_ETH-trades.csv");
    let o = tradebot(&[
        "features",
        "--trades",
        p(&trades),
        "--interval",
        "5m",
        "--set",
        p(&set),
        "--output",
        p(&out),
        "--check-lookahead",
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let ours = rows(&out);
    let golden =
        rows(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/features/XRP_ETH-trades-5m.flow.csv"));
    assert_eq!(ours.len(), golden.len(), "one row per interval with trades");
    let col = |table: &[Vec<String>], name: &str| {
        table[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"))
    };
    let mut pairs: Vec<(String, String, f64)> = vec![
        ("trade_count".into(), "count".into(), 0.0),
        ("trade_mean_size".into(), "mean_size".into(), 0.0),
        ("trade_max_size".into(), "max_size".into(), 0.0),
        ("buy_volume".into(), "buy_volume".into(), 0.0),
        ("sell_volume".into(), "sell_volume".into(), 0.0),
        ("flow_imbalance".into(), "imbalance".into(), 1.0),
        ("large_trades".into(), "large_count".into(), 0.0),
        ("cvd_trades".into(), "cvd".into(), 1e4),
        ("amihud_20".into(), "amihud".into(), 0.0),
        ("kyle_lambda_20".into(), "kyle_lambda".into(), 0.0),
        ("roll_spread_100".into(), "roll_spread".into(), 0.0),
    ];
    pairs.extend((0..8).map(|k| (format!("trade_size_hist_{k}"), format!("size_hist_{k}"), 0.0)));
    for (i, (a, b)) in ours.iter().zip(&golden).enumerate().skip(1) {
        assert_eq!(a[0], b[col(&golden, "open_time")], "row {i}: bar open time");
        for (mine, theirs, floor) in &pairs {
            let (x, y) = (&a[col(&ours, mine)], &b[col(&golden, theirs)]);
            assert_eq!(x.is_empty(), y.is_empty(), "row {i} {mine}: defined exactly where the reference is");
            if !y.is_empty() {
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((x - y).abs() <= 1e-9 * y.abs().max(*floor), "row {i} {mine}: {x} vs {y}");
            }
        }
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{}.meta.json", out.display())).unwrap()).unwrap();
    assert_eq!(meta["lookahead_truncations_checked"], 16);
    assert!(meta["source"]["trades"].as_str().unwrap().ends_with("XRP_ETH-trades.csv"));
}

#[test]
fn the_microstructure_set_needs_trades_and_bad_trades_are_refused_with_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let o = tradebot(&[
        "features",
        "--trades",
        p(&data_dir().join("ORDERFLOW_ETH_USDT-trades.csv")),
        "--interval",
        "1m",
        "--set",
        "microstructure_v1",
        "--output",
        p(&out),
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let m = rows(&out);
    assert_eq!(m[0].len(), 1 + 26, "{:?}", m[0]);
    assert_eq!(m.len(), 1 + 4, "four minutes of trades");

    // A store has candles only: the set is refused, not filled with NaN.
    let store = tmp.path().join("store");
    assert_eq!(status(&import(&data_dir().join("ETH_BTC-5m.csv"), &store, "ETH_BTC", "5m", &[])), 0);
    let refused = tmp.path().join("refused.csv");
    let o = tradebot(&[
        "features",
        "--store",
        p(&store),
        "--symbol",
        "ETH_BTC",
        "--interval",
        "5m",
        "--set",
        "microstructure_v1",
        "--output",
        p(&refused),
    ]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("--trades"), "{}", stderr(&o));
    assert!(!refused.exists());

    let bad = tmp.path().join("bad-trades.csv");
    std::fs::write(&bad, "timestamp,price,amount\n2023-01-01T00:00:00Z,1.5,2\n2023-01-01T00:00:01Z,1.5,-2\n").unwrap();
    let o = tradebot(&["features", "--trades", p(&bad), "--interval", "1m", "--output", p(&refused)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("bad-trades.csv:3: column 'amount'"), "{}", stderr(&o));
    assert!(!refused.exists());
}
