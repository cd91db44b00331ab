//! The bundled real data imports cleanly, `inspect` finds exactly the gaps
//! its README (tests/data/README.md, written by whoever converted the data)
//! lists, and every file round-trips through the store byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Read;

use crate::common::*;

/// file stem, symbol, interval, rows, gaps, missing bars — from the README table.
const TABLE: &[(&str, &str, &str, u64, u64, i64)] = &[
    ("ADA_BTC-5m", "ADA_BTC", "5m", 5720, 5, 40),
    ("DASH_BTC-5m", "DASH_BTC", "5m", 5758, 2, 2),
    ("ETC_BTC-5m", "ETC_BTC", "5m", 5759, 0, 0),
    ("ETH_BTC-5m", "ETH_BTC", "5m", 5760, 0, 0),
    ("LTC_BTC-5m", "LTC_BTC", "5m", 5760, 0, 0),
    ("NXT_BTC-5m", "NXT_BTC", "5m", 5760, 0, 0),
    ("TRX_BTC-5m", "TRX_BTC", "5m", 5754, 6, 6),
    ("XLM_BTC-5m", "XLM_BTC", "5m", 5760, 0, 0),
    ("XMR_BTC-5m", "XMR_BTC", "5m", 5758, 2, 2),
    ("ZEC_BTC-5m", "ZEC_BTC", "5m", 5757, 2, 2),
    ("UNITTEST_BTC-5m", "UNITTEST_BTC", "5m", 5760, 0, 0),
    ("UNITTEST_BTC-1m", "UNITTEST_BTC", "1m", 13681, 538, 717),
    ("UNITTEST_BTC-30m", "UNITTEST_BTC", "30m", 1920, 0, 0),
    ("ETH_BTC-1m", "ETH_BTC", "1m", 14397, 1, 1),
    ("XRP_ETH-1m", "XRP_ETH", "1m", 2469, 676, 1091),
    ("XRP_ETH-5m", "XRP_ETH", "5m", 706, 6, 6),
    ("XRP_USDT_USDT-1h-futures", "XRP_USDT_USDT", "1h", 100, 0, 0),
    ("XRP_USDT_USDT-5m-futures", "XRP_USDT_USDT", "5m", 1999, 0, 0),
    ("ORDERFLOW_BTC_USDT-5m", "ORDERFLOW_BTC_USDT", "5m", 10999, 0, 0),
    ("ORDERFLOW_POPULATE-5m", "ORDERFLOW_POPULATE", "5m", 999, 0, 0),
];

fn inspect(store: &std::path::Path, symbol: &str, interval: &str) -> serde_json::Value {
    let out = tradebot(&["inspect", "--store", p(store), "--symbol", symbol, "--interval", interval, "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn gap_histogram(r: &serde_json::Value) -> BTreeMap<i64, u64> {
    let mut h = BTreeMap::new();
    for g in r["quality"]["gaps"]["list"].as_array().unwrap() {
        *h.entry(g["missing"].as_i64().unwrap()).or_default() += 1;
    }
    h
}

#[test]
fn every_bundled_file_imports_and_inspect_finds_the_readme_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = tradebot(&["import", "--input", p(&data_dir()), "--store", p(&store), "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), TABLE.len(), "one report per candle file");
    for skipped in ["XRP_ETH-trades.csv", "KRAKEN_BCH_EUR-trades.csv", "ORDERFLOW_ETH_USDT-trades.csv", "README.md"] {
        assert!(stderr(&out).contains(&format!("skipped {}", data_dir().join(skipped).display())), "{skipped}");
    }

    for &(stem, symbol, interval, rows, gaps, missing) in TABLE {
        let r = inspect(&store, symbol, interval);
        let q = &r["quality"];
        assert_eq!(r["checksums"], "ok", "{stem}");
        assert_eq!(q["rows"], rows, "{stem} rows");
        assert_eq!(q["gaps"]["count"], gaps, "{stem} gaps");
        assert_eq!(q["gaps"]["missing_bars"], missing, "{stem} missing bars");
        for zero in ["duplicates", "out_of_order", "off_grid"] {
            assert_eq!(q[zero], 0, "{stem} {zero}");
        }
        assert_eq!(q["sanity_violations"].as_array().unwrap().len(), 0, "{stem}");
        assert_eq!(q["zero_volume"]["count"], 0, "{stem}");
    }

    // Where the README lists the gaps one by one.
    let ada = inspect(&store, "ADA_BTC", "5m");
    let listed: Vec<(String, i64)> = ada["quality"]["gaps"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["after"].as_str().unwrap().to_owned(), g["missing"].as_i64().unwrap()))
        .collect();
    let want = [
        ("2018-01-15T10:05:00Z", 1),
        ("2018-01-15T10:25:00Z", 1),
        ("2018-01-15T11:05:00Z", 4),
        ("2018-01-15T11:40:00Z", 1),
        ("2018-01-15T11:55:00Z", 33),
    ];
    assert_eq!(listed, want.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect::<Vec<_>>());
    assert_eq!(ada["quality"]["gaps"]["longest"]["next"], "2018-01-15T14:45:00Z");

    let trx = inspect(&store, "TRX_BTC", "5m");
    let after: Vec<&str> =
        trx["quality"]["gaps"]["list"].as_array().unwrap().iter().map(|g| g["after"].as_str().unwrap()).collect();
    assert_eq!(
        after,
        [
            "2018-01-22T17:15:00Z",
            "2018-01-25T18:30:00Z",
            "2018-01-26T16:40:00Z",
            "2018-01-26T19:15:00Z",
            "2018-01-28T16:35:00Z",
            "2018-01-28T21:40:00Z"
        ]
    );

    let h = gap_histogram(&inspect(&store, "UNITTEST_BTC", "1m"));
    assert_eq!(h, BTreeMap::from([(1, 423), (2, 78), (3, 22), (4, 8), (5, 3), (6, 3), (7, 1)]));
    let h = gap_histogram(&inspect(&store, "XRP_ETH", "1m"));
    assert_eq!(h, BTreeMap::from([(1, 440), (2, 140), (3, 44), (4, 33), (5, 11), (6, 5), (7, 2), (8, 1)]));

    // Importing the same directory again changes nothing.
    let before = snapshot(&store);
    let out = tradebot(&["import", "--input", p(&data_dir()), "--store", p(&store)]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(snapshot(&store), before, "re-import is idempotent");

    // Export gives back every file byte for byte.
    for &(stem, symbol, interval, ..) in TABLE {
        let out_path = dir.path().join(format!("{stem}.csv"));
        let out = tradebot(&[
            "export",
            "--store",
            p(&store),
            "--symbol",
            symbol,
            "--interval",
            interval,
            "--output",
            p(&out_path),
        ]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let plain = data_dir().join(format!("{stem}.csv"));
        let original = if plain.exists() {
            std::fs::read_to_string(&plain).unwrap()
        } else {
            let mut s = String::new();
            let gz = std::fs::File::open(data_dir().join(format!("{stem}.csv.gz"))).unwrap();
            flate2::read::GzDecoder::new(gz).read_to_string(&mut s).unwrap();
            s
        };
        let exported = std::fs::read_to_string(&out_path).unwrap();
        assert_eq!(exported.lines().count(), original.lines().count(), "{stem}");
        for (n, (a, b)) in exported.lines().zip(original.lines()).enumerate() {
            let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
            assert_eq!(a[0], b[0], "{stem}:{}: timestamp", n + 1);
            for k in 1..a.len() {
                // Same decimal value: identical digits once trailing
                // fractional zeros are dropped (the source writes 200.0).
                assert_eq!(canonical(a[k]), canonical(b[k]), "{stem}:{}: column {k}", n + 1);
            }
        }
    }
}

fn canonical(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}
