//! The volatility and statistics indicators against the reference values on
//! real data (`tests/golden/talib`, see the README in `../shared/golden`):
//! every row from 300 on within `1e-6 * max(1, |ref|)`, and defined exactly
//! where the reference is (NaN where its cell is empty). Then invariants and
//! no-look-ahead properties over random valid OHLCV series, and a long-stream
//! drift check of the rolling moments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use proptest::prelude::*;
use tradebot_core::{Candle, Timestamp};
use tradebot_features::{Bollinger, Natr, Parkinson, ReturnKurt, ReturnSkew, SimpleReturn, TrueRange, ZScore};

const FILES: [&str; 3] = ["ETH_BTC-5m.talib.csv", "UNITTEST_BTC-30m.talib.csv", "ORDERFLOW_BTC_USDT-5m.talib.csv"];

struct Rows {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn load(name: &str) -> Rows {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/golden/talib").join(name);
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect();
    Rows { headers, rows }
}

impl Rows {
    fn col(&self, name: &str) -> Vec<Option<f64>> {
        let i = self.headers.iter().position(|h| h == name).unwrap();
        self.rows.iter().map(|r| if r[i].is_empty() { None } else { Some(r[i].parse().unwrap()) }).collect()
    }

    fn candles(&self) -> Vec<Candle> {
        let c = |n| self.col(n).into_iter().map(Option::unwrap).collect::<Vec<_>>();
        let (o, h, l, cl, v) = (c("open"), c("high"), c("low"), c("close"), c("volume"));
        (0..self.rows.len())
            .map(|i| Candle {
                open_time: Timestamp::parse(&self.rows[i][0]).unwrap(),
                open: o[i],
                high: h[i],
                low: l[i],
                close: cl[i],
                volume: v[i],
            })
            .collect()
    }
}

/// Defined exactly where the reference is, and within tolerance from row 300.
fn compare(name: &str, column: &str, ours: &[f64], reference: &[Option<f64>]) {
    assert_eq!(ours.len(), reference.len());
    for (i, (&o, r)) in ours.iter().zip(reference).enumerate() {
        match r {
            None => assert!(o.is_nan(), "{name} {column} row {i}: {o} where the reference is undefined"),
            Some(r) if i >= 300 => {
                assert!((o - r).abs() <= 1e-6 * r.abs().max(1.0), "{name} {column} row {i}: ours {o} vs reference {r}")
            }
            Some(_) => assert!(o.is_finite(), "{name} {column} row {i}: {o} where the reference has a value"),
        }
    }
}

fn series<T>(candles: &[Candle], mut f: impl FnMut(&Candle) -> T) -> Vec<T> {
    candles.iter().map(&mut f).collect()
}

#[test]
fn bollinger_bands_match_the_reference() {
    for name in FILES {
        let rows = load(name);
        let candles = rows.candles();
        let mut bb = Bollinger::new(20, 2.0);
        let out = series(&candles, |c| bb.update(c.close));
        compare(name, "bb_upper_20_2", &out.iter().map(|b| b.upper).collect::<Vec<_>>(), &rows.col("bb_upper_20_2"));
        compare(name, "bb_middle_20_2", &out.iter().map(|b| b.middle).collect::<Vec<_>>(), &rows.col("bb_middle_20_2"));
        compare(name, "bb_lower_20_2", &out.iter().map(|b| b.lower).collect::<Vec<_>>(), &rows.col("bb_lower_20_2"));
    }
}

#[test]
fn natr_and_true_range_match_the_reference() {
    for name in FILES {
        let rows = load(name);
        let candles = rows.candles();
        let mut natr = Natr::new(14);
        compare(name, "natr_14", &series(&candles, |c| natr.update(c)), &rows.col("natr_14"));
        let mut tr = TrueRange::new();
        compare(name, "trange", &series(&candles, |c| tr.update(c)), &rows.col("trange"));
    }
}

#[test]
fn returns_skew_and_kurtosis_match_the_reference() {
    for name in FILES {
        let rows = load(name);
        let candles = rows.candles();
        let mut ret = SimpleReturn::new();
        compare(name, "ret_1", &series(&candles, |c| ret.update(c.close)), &rows.col("ret_1"));
        let mut skew = ReturnSkew::new(20);
        compare(name, "ret_skew_20", &series(&candles, |c| skew.update(c.close)), &rows.col("ret_skew_20"));
        let mut kurt = ReturnKurt::new(20);
        compare(name, "ret_kurt_20", &series(&candles, |c| kurt.update(c.close)), &rows.col("ret_kurt_20"));
    }
}

#[test]
fn zscore_and_parkinson_volatility_match_the_reference() {
    for name in FILES {
        let rows = load(name);
        let candles = rows.candles();
        let mut z = ZScore::new(20);
        compare(name, "zscore_close_20", &series(&candles, |c| z.update(c.close)), &rows.col("zscore_close_20"));
        let mut pk = Parkinson::new(20);
        compare(name, "parkinson_vol_20", &series(&candles, |c| pk.update(c)), &rows.col("parkinson_vol_20"));
    }
}

/// Exact two-pass population moments (mean, m2, m3, m4) of `w`.
fn two_pass(w: &[f64]) -> (f64, f64, f64, f64) {
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    let m = |k: i32| w.iter().map(|x| (x - mean).powi(k)).sum::<f64>() / n;
    (mean, m(2), m(3), m(4))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// A deterministic random walk of closes around `level`, rounded to a tick
/// like real prices (xorshift, so the test needs no seed handling).
fn walk(steps: usize, level: f64, tick: f64) -> Vec<f64> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut p = level;
    (0..steps)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            p *= 1.0 + (u - 0.5) * 0.004;
            ((p / tick).round() * tick).max(tick)
        })
        .collect()
}

#[test]
fn rolling_moments_do_not_drift_over_a_million_bars() {
    // 1,000,011 closes: the last update is mid-way between two exact
    // recomputations (every 20 pushes), so the running sums are what is
    // tested.
    let closes = walk(1_000_011, 16_000.0, 0.01);
    let (n, nf) = (20, 20.0_f64);
    let (mut skew, mut kurt, mut z, mut bb) =
        (ReturnSkew::new(n), ReturnKurt::new(n), ZScore::new(n), Bollinger::new(n, 2.0));
    let (mut s, mut k, mut zz, mut b) = (f64::NAN, f64::NAN, f64::NAN, None);
    for &c in &closes {
        s = skew.update(c);
        k = kurt.update(c);
        zz = z.update(c);
        b = Some(bb.update(c));
    }
    let b = b.unwrap();
    let rets: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let (_, m2, m3, m4) = two_pass(&rets[rets.len() - n..]);
    let want_skew = (nf * (nf - 1.0)).sqrt() / (nf - 2.0) * m3 / m2.powf(1.5);
    let want_kurt = ((nf * nf - 1.0) * m4 / (m2 * m2) - 3.0 * (nf - 1.0) * (nf - 1.0)) / ((nf - 2.0) * (nf - 3.0));
    assert!(rel(s, want_skew) <= 1e-9, "skew {s} vs exact {want_skew}");
    assert!(rel(k, want_kurt) <= 1e-9, "kurt {k} vs exact {want_kurt}");
    let w = &closes[closes.len() - n..];
    let (mean, var, _, _) = two_pass(w);
    let last = closes[closes.len() - 1];
    let want_z = (last - mean) / (var * nf / (nf - 1.0)).sqrt();
    assert!(rel(zz, want_z) <= 1e-9, "zscore {zz} vs exact {want_z}");
    assert!(
        rel(b.middle, mean) <= 1e-9 && rel(b.upper, mean + 2.0 * var.sqrt()) <= 1e-9,
        "{b:?} vs mean {mean} var {var}"
    );
    assert!(
        rel(b.upper - b.middle, 2.0 * var.sqrt()) <= 1e-9,
        "band width {} vs {}",
        b.upper - b.middle,
        2.0 * var.sqrt()
    );
}

/// Random valid OHLCV bars: positive prices, low <= open, close <= high,
/// volume >= 0; sometimes the close repeats (flat stretches).
fn bars() -> impl Strategy<Value = Vec<Candle>> {
    prop::collection::vec((-0.03f64..0.03, 0.0f64..0.02, 0.0f64..0.02, 0.0f64..1e6, prop::bool::weighted(0.1)), 1..300)
        .prop_map(|steps| {
            let mut close = 100.0;
            steps
                .into_iter()
                .enumerate()
                .map(|(i, (r, up, down, volume, flat))| {
                    let open = close;
                    if !flat {
                        close *= 1.0 + r;
                    }
                    Candle {
                        open_time: Timestamp::from_secs(i as i64 * 300).unwrap(),
                        open,
                        high: open.max(close) * (1.0 + up),
                        low: open.min(close) * (1.0 - down),
                        close,
                        volume,
                    }
                })
                .collect()
        })
}

/// Every indicator's outputs for each bar, flattened to one vector per bar.
fn all_outputs(candles: &[Candle]) -> Vec<[f64; 10]> {
    let mut bb = Bollinger::new(20, 2.0);
    let mut natr = Natr::new(14);
    let mut tr = TrueRange::new();
    let mut ret = SimpleReturn::new();
    let mut skew = ReturnSkew::new(20);
    let mut kurt = ReturnKurt::new(20);
    let mut z = ZScore::new(20);
    let mut pk = Parkinson::new(20);
    series(candles, |c| {
        let b = bb.update(c.close);
        [
            b.upper,
            b.middle,
            b.lower,
            natr.update(c),
            tr.update(c),
            ret.update(c.close),
            skew.update(c.close),
            kurt.update(c.close),
            z.update(c.close),
            pk.update(c),
        ]
    })
}

proptest! {
    #[test]
    fn invariants_hold_on_random_bars(candles in bars()) {
        let out = all_outputs(&candles);
        for (i, v) in out.iter().enumerate() {
            let [upper, middle, lower, natr, tr, ret, skew, kurt, z, pk] = *v;
            // Warm-up: exactly where the reference columns start.
            prop_assert_eq!(upper.is_nan(), i < 19);
            prop_assert_eq!(middle.is_nan(), i < 19);
            prop_assert_eq!(lower.is_nan(), i < 19);
            prop_assert_eq!(natr.is_nan(), i < 14);
            prop_assert_eq!(tr.is_nan(), i < 1);
            prop_assert_eq!(ret.is_nan(), i < 1);
            prop_assert_eq!(pk.is_nan(), i < 19);
            if i >= 19 {
                prop_assert!(upper.is_finite() && lower.is_finite());
                prop_assert!(upper >= middle && middle >= lower, "row {}: {} {} {}", i, upper, middle, lower);
                prop_assert!(pk.is_finite() && pk >= 0.0);
                // Undefined only for a flat window (0 / 0, as pandas).
                let w = &candles[i + 1 - 20..=i];
                let flat = w.iter().all(|c| c.close == w[0].close);
                prop_assert_eq!(z.is_nan(), flat, "row {}: zscore {}", i, z);
                // |z| of one of n values is at most (n - 1) / sqrt(n).
                prop_assert!(z.is_nan() || z.abs() <= 19.0 / 20f64.sqrt() + 1e-9);
            } else {
                prop_assert!(z.is_nan());
            }
            if i >= 14 {
                prop_assert!(natr.is_finite() && natr >= 0.0);
            }
            if i >= 1 {
                prop_assert!(tr.is_finite() && tr >= 0.0 && ret.is_finite());
            }
            if i >= 20 {
                let rets: Vec<f64> = candles[i - 20..=i].windows(2).map(|w| w[1].close / w[0].close - 1.0).collect();
                let constant = rets.iter().all(|&r| r == rets[0]);
                let (_, m2, _, _) = two_pass(&rets);
                if constant {
                    prop_assert_eq!(skew, 0.0);
                    prop_assert_eq!(kurt, -3.0);
                } else if m2 > 1e-12 {
                    // Clear of pandas' 1e-14 degenerate-variance cut-off.
                    prop_assert!(skew.is_finite() && kurt.is_finite(), "row {}: {} {}", i, skew, kurt);
                    // Sample skewness and excess kurtosis are bounded for n = 20.
                    prop_assert!(skew.abs() <= 20.0 && (-3.0..=30.0).contains(&kurt), "row {}: {} {}", i, skew, kurt);
                }
            } else {
                prop_assert!(skew.is_nan() && kurt.is_nan());
            }
        }
    }

    #[test]
    fn no_value_depends_on_a_later_bar(candles in bars(), cut in 0.0f64..1.0) {
        let full = all_outputs(&candles);
        let k = ((candles.len() as f64 * cut) as usize).max(1);
        let prefix = all_outputs(&candles[..k]);
        for (i, (a, b)) in prefix.iter().zip(&full).enumerate() {
            for j in 0..a.len() {
                prop_assert_eq!(a[j].to_bits(), b[j].to_bits(), "row {} output {}", i, j);
            }
        }
    }
}
