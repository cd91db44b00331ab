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
