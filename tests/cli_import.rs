//! `tradebot import / export / inspect / reconcile`, run as a user would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;

use crate::common::*;
use proptest::prelude::*;

const HEADER: &str = "timestamp,open,high,low,close,volume\n";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// (what is wrong, the CSV body after the header, the expected error).
const BAD_INPUTS: &[(&str, &str, &str)] = &[
    (
        "high below low",
        "2018-01-10T04:55:00Z,1.0714,1.0712,1.0716,1.0714,5",
        "in.csv:2: column 'high': high 1.0712 < low 1.0716",
    ),
    ("open above high", "2018-01-10T04:55:00Z,2,1.5,1,1,1", "in.csv:2: column 'open': open 2 > high 1.5"),
    ("close below low", "2018-01-10T04:55:00Z,1,2,1,0.5,1", "in.csv:2: column 'close': close 0.5 < low 1"),
    ("zero price", "2018-01-10T04:55:00Z,0,1,1,1,1", "in.csv:2: column 'open': open 0 must be > 0"),
    ("negative price", "2018-01-10T04:55:00Z,1,1,-1,1,1", "in.csv:2: column 'low': low -1 must be > 0"),
    ("negative volume", "2018-01-10T04:55:00Z,1,1,1,1,-3", "in.csv:2: column 'volume': volume -3 must be >= 0"),
    ("NaN", "2018-01-10T04:55:00Z,1,NaN,1,1,1", "in.csv:2: column 'high': 'NaN' is not a finite number"),
    ("infinity", "2018-01-10T04:55:00Z,1,1,1,inf,1", "in.csv:2: column 'close': 'inf' is not a finite number"),
    ("not a number", "2018-01-10T04:55:00Z,1,1,1,1,lots", "in.csv:2: column 'volume': 'lots' is not a number"),
    ("empty field", "2018-01-10T04:55:00Z,,1,1,1,1", "in.csv:2: column 'open': empty value"),
    ("missing field", "2018-01-10T04:55:00Z,1,1,1,1", "in.csv:2: expected 6 fields, found 5"),
    (
        "bad time",
        "2018-02-30T00:00:00Z,1,1,1,1,1",
        "in.csv:2: column 'timestamp': '2018-02-30T00:00:00Z' is not a valid timestamp",
    ),
    (
        "off grid",
        "2018-01-10T04:57:00Z,1,1,1,1,1",
        "in.csv:2: column 'timestamp': 2018-01-10T04:57:00Z is not on the 5m grid",
    ),
    (
        "duplicate",
        "2018-01-10T04:55:00Z,1,1,1,1,1\n2018-01-10T04:55:00Z,1,1,1,1,1",
        "in.csv:3: column 'timestamp': duplicate timestamp 2018-01-10T04:55:00Z (also on line 2)",
    ),
    (
        "out of order",
        "2018-01-10T05:00:00Z,1,1,1,1,1\n2018-01-10T04:55:00Z,1,1,1,1,1",
        "in.csv:3: column 'timestamp': 2018-01-10T04:55:00Z is before 2018-01-10T05:00:00Z on line 2",
    ),
    (
        "too precise",
        "2018-01-10T04:55:00Z,1e-19,1,1,1,1",
        "in.csv:2: column 'open': '1e-19' has more than 18 decimal places",
    ),
    (
        "too big",
        "2018-01-10T04:55:00Z,1,99999999999999999999,1,1,1",
        "in.csv:2: column 'high': '99999999999999999999' has more significant digits",
    ),
];

#[test]
fn every_kind_of_bad_input_is_refused_with_line_and_column_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    for (what, body, want) in BAD_INPUTS {
        let input = write(dir.path(), "in.csv", &format!("{HEADER}{body}\n"));
        let store = dir.path().join(format!("store-{}", what.replace(' ', "-")));
        let out = import(&input, &store, "ETH_BTC", "5m", &[]);
        assert_eq!(status(&out), 2, "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(want), "{what}: expected {want:?} in {err:?}");
        assert!(!store.join("ETH_BTC-5m.tbc").exists(), "{what}: a rejected import must not create a store");
    }
}

#[test]
fn header_and_argument_problems_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    for (text, want) in [
        ("", "in.csv:1: empty file"),
        ("bar,open,high,low,close,volume\n", "in.csv:1: unexpected column 'bar'"),
        ("timestamp,open,high,low,close\n", "in.csv:1: the header lacks column 'volume'"),
        ("timestamp,open,open,low,close,volume\n", "in.csv:1: column 'open' appears twice"),
        (HEADER, "in.csv:1: no candle rows after the header"),
    ] {
        let input = write(dir.path(), "in.csv", text);
        let out = import(&input, &store, "ETH_BTC", "5m", &[]);
        assert_eq!(status(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(want), "expected {want:?} in {:?}", stderr(&out));
    }
    let input = write(dir.path(), "in.csv", &format!("{HEADER}2018-01-10T04:55:00Z,1,1,1,1,1\n"));
    let out = import(&input, &store, "ETH_BTC", "2m", &[]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("unknown interval '2m'"), "{}", stderr(&out));
    let out = import(&input, &store, "ETH BTC", "5m", &[]);
    assert_eq!(status(&out), 2);
    let out = import(&dir.path().join("missing.csv"), &store, "ETH_BTC", "5m", &[]);
    assert_eq!(status(&out), 1, "a missing file is an environment error: {}", stderr(&out));
    assert!(stderr(&out).contains("missing.csv"));
}

#[test]
fn tolerated_formats_all_import_to_the_same_candles() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = "2018-01-10T04:55:00Z,0.0000533,0.000054,0.000053,0.0000535,1234.5\n2018-01-10T05:00:00Z,0.0000535,0.0000541,0.0000531,0.0000536,99\n";
    let variants = [
        ("plain", format!("{HEADER}{canonical}")),
        ("bom-crlf-case-space", "\u{feff}Timestamp , OPEN,High,low ,Close,VOLUME\r\n 2018-01-10T04:55:00Z , 0.0000533 ,5.40e-5,0.0000530,0.0000535,1234.50\r\n2018-01-10T05:00:00Z,0.0000535,0.0000541,0.0000531,0.0000536,99.0\r\n".to_owned()),
        ("offsets", format!("{HEADER}2018-01-10T05:55:00+01:00,0.0000533,0.0000540,0.0000530,0.0000535,1234.5\n2018-01-10T00:00:00-05:00,0.0000535,0.0000541,0.0000531,0.0000536,99\n")),
        ("naive", format!("{HEADER}2018-01-10 04:55:00,0.0000533,0.0000540,0.0000530,0.0000535,1234.5\n2018-01-10T05:00:00,0.0000535,0.0000541,0.0000531,0.0000536,99\n")),
        ("epoch-s", format!("{HEADER}1515560100,0.0000533,0.0000540,0.0000530,0.0000535,1234.5\n1515560400,0.0000535,0.0000541,0.0000531,0.0000536,99\n")),
        ("epoch-ms", format!("{HEADER}1515560100000,0.0000533,0.0000540,0.0000530,0.0000535,1234.5\n1515560400000,0.0000535,0.0000541,0.0000531,0.0000536,99\n")),
        ("reordered-columns", "volume,close,low,high,open,timestamp\n1234.5,0.0000535,0.0000530,0.0000540,0.0000533,2018-01-10T04:55:00Z\n99,0.0000536,0.0000531,0.0000541,0.0000535,2018-01-10T05:00:00Z\n".to_owned()),
    ];
    for (name, text) in &variants {
        let input = write(dir.path(), &format!("{name}.csv"), text);
        let store = dir.path().join(format!("s-{name}"));
        let out = import(&input, &store, "ADA_BTC", "5m", &[]);
        assert_eq!(status(&out), 0, "{name}: {}", stderr(&out));
        let exported = dir.path().join(format!("{name}.out.csv"));
        let out = tradebot(&[
            "export",
            "--store",
            p(&store),
            "--symbol",
            "ADA_BTC",
            "--interval",
            "5m",
            "--output",
            p(&exported),
        ]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&exported).unwrap(), format!("{HEADER}{canonical}"), "{name}");
    }
    // gzip, detected from the bytes
    let gz = dir.path().join("in.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(format!("{HEADER}{canonical}").as_bytes()).unwrap();
    enc.finish().unwrap();
    let out = import(&gz, &dir.path().join("s-gz"), "ADA_BTC", "5m", &[]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
}

#[test]
fn repair_lists_every_change_and_refuses_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let body = "2018-01-10T05:00:00Z,1,2,1,1,1\n2018-01-10T04:55:00Z,1,2,1,1,1\n2018-01-10T05:00:00Z,1,2,1,1,1\n2018-01-10T05:10:00Z,1,2,1,1,1\n";
    let input = write(dir.path(), "in.csv", &format!("{HEADER}{body}"));
    let store = dir.path().join("s");
    assert_eq!(status(&import(&input, &store, "X", "5m", &[])), 2, "without --repair the file is refused");
    let out = import(&input, &store, "X", "5m", &["--repair"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("repairs (2):"), "{text}");
    assert!(text.contains("line 3: moved into time order"), "{text}");
    assert!(text.contains("line 4: dropped exact duplicate of line 2"), "{text}");
    assert!(text.contains("1 gaps, 1 missing bars"), "gaps are reported, not filled: {text}");

    let input = write(
        dir.path(),
        "c.csv",
        &format!("{HEADER}2018-01-10T05:00:00Z,1,2,1,1,1\n2018-01-10T05:00:00Z,1,2,1,1,7\n"),
    );
    let out = import(&input, &dir.path().join("s2"), "X", "5m", &["--repair"]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("c.csv:3: column 'volume': conflicting duplicate of line 2"), "{}", stderr(&out));
}

#[test]
fn appending_adds_only_newer_candles_and_refuses_disagreeing_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(data_dir().join("ETH_BTC-5m.csv")).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let first_half = write(dir.path(), "a.csv", &(lines[..3000].join("\n") + "\n"));
    let store = dir.path().join("s");
    assert_eq!(status(&import(&first_half, &store, "ETH_BTC", "5m", &[])), 0);

    // A bad file (disagreeing overlap) leaves the store byte-for-byte as it was.
    let before = snapshot(&store);
    let mut tampered: Vec<String> = lines.iter().map(|s| (*s).to_owned()).collect();
    let mut f: Vec<String> = tampered[1500].split(',').map(str::to_owned).collect();
    f[1] = f[4].clone(); // open := close, a disagreeing but still valid bar
    assert_ne!(f[1], tampered[1500].split(',').nth(1).unwrap(), "pick a bar whose open differs from its close");
    tampered[1500] = f.join(",");
    let bad = write(dir.path(), "bad.csv", &(tampered.join("\n") + "\n"));
    let out = import(&bad, &store, "ETH_BTC", "5m", &[]);
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.csv:1501: column 'open':"), "{}", stderr(&out));
    assert!(stderr(&out).contains("is already in the store with open"), "{}", stderr(&out));
    assert_eq!(snapshot(&store), before, "a rejected import leaves the store exactly as it was");

    // A bad row far past the overlap is also caught before anything is written.
    let mut late_bad = lines.clone();
    let broken = late_bad[5000].replacen(",", ",-", 1);
    late_bad[5000] = &broken;
    let late = write(dir.path(), "late.csv", &(late_bad.join("\n") + "\n"));
    assert_eq!(status(&import(&late, &store, "ETH_BTC", "5m", &[])), 2);
    assert_eq!(snapshot(&store), before);

    // The full file appends exactly the second half.
    let whole = data_dir().join("ETH_BTC-5m.csv");
    let out = import(&whole, &store, "ETH_BTC", "5m", &["--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report[0]["appended"], 5760 - 2999);
    assert_eq!(report[0]["already_present"], 2999);
    let exported = dir.path().join("out.csv");
    assert_eq!(
        status(&tradebot(&[
            "export",
            "--store",
            p(&store),
            "--symbol",
            "ETH_BTC",
            "--interval",
            "5m",
            "--output",
            p(&exported)
        ])),
        0
    );
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), full);

    // Rows before the first stored bar cannot be added to an append-only store.
    let early = write(dir.path(), "early.csv", &format!("{HEADER}2018-01-01T00:00:00Z,1,1,1,1,1\n"));
    let out = import(&early, &store, "ETH_BTC", "5m", &[]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("before the store's first bar"), "{}", stderr(&out));
}

#[test]
fn a_finer_price_scale_rewrites_the_store_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let a = write(dir.path(), "a.csv", &format!("{HEADER}2018-01-10T04:55:00Z,1.5,2.25,1,2,10\n"));
    let b = write(
        dir.path(),
        "b.csv",
        &format!("{HEADER}2018-01-10T04:55:00Z,1.5,2.25,1,2,10\n2018-01-10T05:00:00Z,1.123456,2,1,1.5,0.001\n"),
    );
    assert_eq!(status(&import(&a, &store, "X", "5m", &[])), 0);
    let out = import(&b, &store, "X", "5m", &[]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("store rewritten from 2/0 to 6/3 decimals"), "{}", stdout(&out));
    let exported = dir.path().join("out.csv");
    assert_eq!(
        status(&tradebot(&[
            "export",
            "--store",
            p(&store),
            "--symbol",
            "X",
            "--interval",
            "5m",
            "--output",
            p(&exported)
        ])),
        0
    );
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), std::fs::read_to_string(&b).unwrap());
}

#[test]
fn inspect_reports_and_refuses_a_damaged_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    assert_eq!(status(&import(&data_dir().join("TRX_BTC-5m.csv"), &store, "TRX_BTC", "5m", &[])), 0);
    let out = tradebot(&["inspect", "--store", p(&store), "--symbol", "TRX_BTC", "--interval", "5m", "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["checksums"], "ok");
    assert_eq!(r["quality"]["gaps"]["count"], 6);

    let file = store.join("TRX_BTC-5m.tbc");
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let out = tradebot(&["inspect", "--store", p(&store), "--symbol", "TRX_BTC", "--interval", "5m"]);
    assert_eq!(status(&out), 2);
    assert!(stdout(&out).contains("checksum mismatch"), "{}", stdout(&out));
    let out = tradebot(&[
        "export",
        "--store",
        p(&store),
        "--symbol",
        "TRX_BTC",
        "--interval",
        "5m",
        "--output",
        p(&dir.path().join("x.csv")),
    ]);
    assert_eq!(status(&out), 2, "export refuses a damaged store");
    assert!(!dir.path().join("x.csv").exists(), "and writes nothing");

    let out = tradebot(&["inspect", "--store", p(&store), "--symbol", "TRX_BTC", "--interval", "1h"]);
    assert_eq!(status(&out), 1, "a missing store is reported: {}", stderr(&out));
    std::fs::write(store.join("ETH_BTC-5m.tbc"), b"hello").unwrap();
    let out = tradebot(&["inspect", "--store", p(&store), "--symbol", "ETH_BTC", "--interval", "5m"]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("not a tradebot candle file"), "{}", stderr(&out));
}

#[test]
fn reconcile_finds_deviations_and_missing_bars() {
    let dir = tempfile::tempdir().unwrap();
    let (left, right) = (dir.path().join("l"), dir.path().join("r"));
    let full = std::fs::read_to_string(data_dir().join("ETH_BTC-5m.csv")).unwrap();
    let mut lines: Vec<String> = full.lines().map(str::to_owned).collect();
    // Right source: bar 100's close differs by +0.00000001, bars 200-202 missing.
    let fields: Vec<&str> = lines[101].split(',').collect();
    let (t, o, h, l, c, v) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
    let c2: f64 = c.parse::<f64>().unwrap() + 0.00000001;
    let h2 = h.parse::<f64>().unwrap().max(c2);
    lines[101] = format!("{t},{o},{h2:.8},{l},{c2:.8},{v}");
    lines.drain(201..204);
    let r = write(dir.path(), "r.csv", &(lines.join("\n") + "\n"));
    assert_eq!(status(&import(&data_dir().join("ETH_BTC-5m.csv"), &left, "ETH_BTC", "5m", &[])), 0);
    assert_eq!(status(&import(&r, &right, "ETH_BTC", "5m", &[])), 0);
    let out = tradebot(&[
        "reconcile",
        "--left",
        p(&left),
        "--right",
        p(&right),
        "--symbol",
        "ETH_BTC",
        "--interval",
        "5m",
        "--json",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let rec: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rec["overlapping"], 5757);
    assert_eq!(rec["only_left"], 3);
    assert_eq!(rec["only_right"], 0);
    assert_eq!(rec["only_left_ranges"][0]["bars"], 3);
    let close = &rec["columns"][3];
    assert_eq!(close["column"], "close");
    assert_eq!(close["differing_bars"], 1);
    assert!((close["max_abs"].as_f64().unwrap() - 1e-8).abs() < 1e-12, "{close}");
    assert_eq!(rec["columns"][0]["differing_bars"], 0);

    // The same data under two names (UNITTEST_BTC-5m is ETH_BTC-5m) agrees.
    assert_eq!(status(&import(&data_dir().join("UNITTEST_BTC-5m.csv"), &right, "UNITTEST_BTC", "5m", &[])), 0);
    let out = tradebot(&[
        "reconcile",
        "--left",
        p(&left),
        "--right",
        p(&right),
        "--symbol",
        "ETH_BTC",
        "--right-symbol",
        "UNITTEST_BTC",
        "--interval",
        "5m",
        "--json",
    ]);
    let rec: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (rec["overlapping"].as_u64(), rec["only_left"].as_u64(), rec["only_right"].as_u64()),
        (Some(5760), Some(0), Some(0))
    );
    assert!(rec["columns"].as_array().unwrap().iter().all(|c| c["differing_bars"] == 0));
}

/// Random valid candles rendered as CSV in random tolerated styles.
fn csv_strategy() -> impl Strategy<Value = (String, String)> {
    let row = (1u32..4, 1u64..10_000_000, 0u64..1000, 0u64..1000, 0u64..1000, 0u64..100_000_000, 0u32..9, 0u32..9);
    (prop::collection::vec(row, 1..200), any::<bool>(), any::<bool>(), 0u8..3).prop_map(
        |(rows, crlf, spaces, time_style)| {
            let nl = if crlf { "\r\n" } else { "\n" };
            let sp = if spaces { " " } else { "" };
            let mut t = 1_515_560_100i64; // 2018-01-10T04:55:00Z
            let mut text = format!("timestamp,open,high,low,close,volume{nl}");
            let mut canonical = String::from(HEADER);
            for (step, low, a, b, span, vol, pd, vd) in rows {
                t += i64::from(step) * 300;
                let high = low + span.max(a).max(b);
                let (open, close) = (low + a.min(span), low + b.min(span));
                let num = |m: u64, d: u32| {
                    let s = 10u64.pow(d);
                    let mut out = format!("{}", m / s);
                    let frac = m % s;
                    if frac != 0 {
                        let mut f = format!("{frac:0width$}", width = d as usize);
                        while f.ends_with('0') {
                            f.pop();
                        }
                        out = format!("{out}.{f}");
                    }
                    out
                };
                let ts = tradebot::Timestamp::from_secs(t).unwrap();
                let when = match time_style {
                    0 => ts.to_string(),
                    1 => t.to_string(),
                    _ => format!("{}", t * 1000),
                };
                let vals = [num(open, pd), num(high, pd), num(low, pd), num(close, pd), num(vol, vd)];
                text.push_str(&format!("{sp}{when}{sp},{}{nl}", vals.join(&format!("{sp},{sp}"))));
                canonical.push_str(&format!("{ts},{}\n", vals.join(",")));
            }
            (text, canonical)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// import → export gives the canonical text; importing that gives the
    /// same store again.
    #[test]
    fn import_export_import_is_identity((text, canonical) in csv_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), "in.csv", &text);
        let (s1, s2) = (dir.path().join("s1"), dir.path().join("s2"));
        let out = import(&input, &s1, "X", "5m", &[]);
        prop_assert_eq!(status(&out), 0, "{}", stderr(&out));
        let exported = dir.path().join("out.csv");
        prop_assert_eq!(status(&tradebot(&["export", "--store", p(&s1), "--symbol", "X", "--interval", "5m", "--output", p(&exported)])), 0);
        let text_out = std::fs::read_to_string(&exported).unwrap();
        prop_assert_eq!(&text_out, &canonical);
        prop_assert_eq!(status(&import(&exported, &s2, "X", "5m", &[])), 0);
        prop_assert_eq!(std::fs::read(s1.join("X-5m.tbc")).unwrap(), std::fs::read(s2.join("X-5m.tbc")).unwrap());
    }

    /// Whatever bytes arrive, the binary answers with 0 or 2, never a panic.
    #[test]
    fn no_input_makes_the_binary_panic(
        (text, _) in csv_strategy(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        repair in any::<bool>(),
    ) {
        let mut bytes = text.into_bytes();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(&input, &bytes).unwrap();
        let extra: &[&str] = if repair { &["--repair"] } else { &[] };
        let out = import(&input, &dir.path().join("s"), "X", "5m", extra);
        let code = status(&out);
        prop_assert!(code == 0 || code == 2, "status {} for {:?}: {}", code, String::from_utf8_lossy(&bytes), stderr(&out));
    }
}
