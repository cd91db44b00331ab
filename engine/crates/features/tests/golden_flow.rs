//! The `flow` features (Keltner, VWAP, volume profile, tick-rule CVD and the
//! trade-bar microstructure features) against reference values computed
//! independently with pandas / numpy / statsmodels
//! (`tests/reference/features/flow.py`, output in `tests/golden/features/`)
//! on the bundled real data: every row, defined exactly where the reference
//! is, within `1e-9` relative (with an absolute floor where a value is a
//! difference of sums that can cancel to ~0, see `tol`). Then invariants and
//! no-look-ahead properties over random series.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use proptest::prelude::*;
use tradebot_core::{Candle, Side, Timestamp};
use tradebot_features::{
    Keltner, RollingVwap, SIZE_BUCKETS, SessionVwap, TickCvd, Trade, TradeBar, TradeBarParams, TradeBars, VolumeProfile,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

struct Rows {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn load(path: PathBuf) -> Rows {
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect();
    Rows { headers, rows }
}

impl Rows {
    fn idx(&self, name: &str) -> usize {
        self.headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
    }

    fn col(&self, name: &str) -> Vec<Option<f64>> {
        let i = self.idx(name);
        self.rows.iter().map(|r| if r[i].is_empty() { None } else { Some(r[i].parse().unwrap()) }).collect()
    }

    fn text(&self, name: &str) -> Vec<String> {
        let i = self.idx(name);
        self.rows.iter().map(|r| r[i].clone()).collect()
    }
}

fn candles(market: &str) -> Vec<Candle> {
    let rows = load(root().join("tests/data").join(format!("{market}-5m.csv")));
    let c = |n| rows.col(n).into_iter().map(Option::unwrap).collect::<Vec<_>>();
    let (o, h, l, cl, v) = (c("open"), c("high"), c("low"), c("close"), c("volume"));
    let t = rows.text("timestamp");
    (0..rows.rows.len())
        .map(|i| Candle {
            open_time: Timestamp::parse(&t[i]).unwrap(),
            open: o[i],
            high: h[i],
            low: l[i],
            close: cl[i],
            volume: v[i],
        })
        .collect()
}

/// The trades CSV reader (`timestamp,price,amount[,side,id]`); the trade
/// importer proper is a later issue.
fn trades(file: &str) -> Vec<Trade> {
    let rows = load(root().join("tests/data").join(file));
    let t = rows.text("timestamp");
    let p = rows.col("price");
    let a = rows.col("amount");
    let side = rows.headers.iter().any(|h| h == "side").then(|| rows.text("side"));
    (0..rows.rows.len())
        .map(|i| Trade {
            time: Timestamp::parse(&t[i]).unwrap(),
            price: p[i].unwrap(),
            amount: a[i].unwrap(),
            side: side.as_ref().map(|s| match s[i].as_str() {
                "buy" => Side::Buy,
                "sell" => Side::Sell,
                other => panic!("side {other}"),
            }),
        })
        .collect()
}

fn golden(name: &str) -> Rows {
    load(root().join("tests/golden/features").join(name))
}

/// `1e-9` relative, with an absolute floor of `1e-9 × floor` for values that
/// are differences of sums (their rounding error scales with the summands,
/// not with the possibly tiny result).
fn tol(r: f64, floor: f64) -> f64 {
    1e-9 * r.abs().max(floor)
}

fn compare(file: &str, column: &str, ours: &[f64], reference: &[Option<f64>], floor: f64) {
    assert_eq!(ours.len(), reference.len(), "{file} {column}: row count");
    let (mut defined, mut worst) = (0, 0.0f64);
    for (i, (&o, r)) in ours.iter().zip(reference).enumerate() {
        match r {
            None => assert!(o.is_nan(), "{file} {column} row {i}: {o} where the reference is undefined"),
            Some(r) => {
                assert!((o - r).abs() <= tol(*r, floor), "{file} {column} row {i}: ours {o} vs reference {r}");
                defined += 1;
                worst = worst.max((o - r).abs() / r.abs().max(floor).max(f64::MIN_POSITIVE));
            }
        }
    }
    // Shown with `--nocapture`: the figures quoted in the issue note.
    eprintln!("{file} {column}: {defined} defined rows, max error {worst:.2e} (relative, floor {floor:.3e})");
}

const KC: (usize, usize, f64) = (20, 10, 2.0);
const VWAP_N: usize = 20;
const VP: (usize, usize, f64) = (48, 24, 0.7);

#[test]
fn candle_flow_features_match_the_reference() {
    for market in ["ETH_BTC", "LTC_BTC"] {
        let file = format!("{market}-5m.flow.csv");
        let g = golden(&file);
        let bars = candles(market);
        assert_eq!(g.text("timestamp").len(), bars.len());
        let mut kc = Keltner::new(KC.0, KC.1, KC.2);
        let mut vw = RollingVwap::new(VWAP_N);
        let mut sv = SessionVwap::new();
        let mut vp = VolumeProfile::new(VP.0, VP.1, VP.2);
        let mut cvd = TickCvd::new();
        let mut cols: [Vec<f64>; 9] = Default::default();
        for b in &bars {
            let k = kc.update(b);
            let p = vp.update(b);
            for (c, v) in cols.iter_mut().zip([
                k.upper,
                k.middle,
                k.lower,
                vw.update(b),
                sv.update(b),
                p.poc,
                p.vah,
                p.val,
                cvd.update(b),
            ]) {
                c.push(v);
            }
        }
        let names =
            ["kc_upper", "kc_middle", "kc_lower", "vwap_20", "vwap_session", "vp_poc", "vp_vah", "vp_val", "cvd_tick"];
        // CVD is a running difference of volumes: the floor is the volume scale.
        let mean_volume = bars.iter().map(|b| b.volume).sum::<f64>() / bars.len() as f64;
        for (name, ours) in names.iter().zip(&cols) {
            let floor = if *name == "cvd_tick" { mean_volume } else { 0.0 };
            compare(&file, name, ours, &g.col(name), floor);
        }
    }
}

struct TradeCase {
    name: &'static str,
    file: &'static str,
    golden: &'static str,
    params: TradeBarParams,
}

const SEC: i64 = 1_000_000_000;

fn trade_cases() -> [TradeCase; 3] {
    let p = |interval_nanos, size_unit, large_window, bar_window, roll_window| TradeBarParams {
        interval_nanos,
        size_unit,
        large_window,
        large_mult: 5.0,
        bar_window,
        roll_window,
    };
    [
        TradeCase {
            name: "XRP_ETH",
            file: "XRP_ETH-trades.csv",
            golden: "XRP_ETH-trades-5m.flow.csv",
            params: p(300 * SEC, 1.0, 100, 20, 100),
        },
        TradeCase {
            name: "ORDERFLOW_ETH_USDT",
            file: "ORDERFLOW_ETH_USDT-trades.csv",
            golden: "ORDERFLOW_ETH_USDT-trades-10s.flow.csv",
            params: p(10 * SEC, 0.001, 50, 5, 50),
        },
        TradeCase {
            name: "KRAKEN_BCH_EUR",
            file: "KRAKEN_BCH_EUR-trades.csv",
            golden: "KRAKEN_BCH_EUR-trades-1h.flow.csv",
            params: p(3600 * SEC, 0.01, 50, 5, 50),
        },
    ]
}

fn run_bars(trades: &[Trade], params: TradeBarParams) -> Vec<TradeBar> {
    let mut agg = TradeBars::new(params);
    let mut out: Vec<TradeBar> = trades.iter().filter_map(|t| agg.update(t)).collect();
    out.extend(agg.finish());
    out
}

#[test]
fn trade_bar_features_match_the_reference() {
    for case in trade_cases() {
        let g = golden(case.golden);
        let trades = trades(case.file);
        let bars = run_bars(&trades, case.params);
        assert_eq!(bars.len(), g.rows.len(), "{}: bar count", case.name);
        let times: Vec<String> = bars.iter().map(|b| b.open_time.to_string()).collect();
        assert_eq!(times, g.text("open_time"), "{}", case.name);
        let volume_scale = trades.iter().map(|t| t.amount).sum::<f64>() / bars.len() as f64;
        let f = |get: fn(&TradeBar) -> f64| bars.iter().map(get).collect::<Vec<_>>();
        let columns: [(&str, Vec<f64>, f64); 20] = [
            ("open", f(|b| b.open), 0.0),
            ("high", f(|b| b.high), 0.0),
            ("low", f(|b| b.low), 0.0),
            ("close", f(|b| b.close), 0.0),
            ("count", f(|b| b.count as f64), 0.0),
            ("volume", f(|b| b.volume), 0.0),
            ("quote_volume", f(|b| b.quote_volume), 0.0),
            ("buy_volume", f(|b| b.buy_volume), 0.0),
            ("sell_volume", f(|b| b.sell_volume), 0.0),
            ("mean_size", f(|b| b.mean_size), 0.0),
            ("max_size", f(|b| b.max_size), 0.0),
            ("large_count", f(|b| b.large_count), 0.0),
            // (buy − sell) / (buy + sell) and the CVD are differences of sums.
            ("imbalance", f(|b| b.imbalance), 1.0),
            ("cvd", f(|b| b.cvd), volume_scale),
            ("tick_compared", f(|b| b.tick_compared as f64), 0.0),
            ("tick_agree", f(|b| b.tick_agree as f64), 0.0),
            ("amihud", f(|b| b.amihud), 0.0),
            ("kyle_lambda", f(|b| b.kyle_lambda), 0.0),
            ("roll_spread", f(|b| b.roll_spread), 0.0),
            ("count", f(|b| b.size_hist.iter().sum::<u64>() as f64), 0.0),
        ];
        for (name, ours, floor) in &columns {
            compare(case.golden, name, ours, &g.col(name), *floor);
        }
        for k in 0..SIZE_BUCKETS {
            let ours: Vec<f64> = bars.iter().map(|b| b.size_hist[k] as f64).collect();
            compare(case.golden, &format!("size_hist_{k}"), &ours, &g.col(&format!("size_hist_{k}")), 0.0);
        }
        // The agreement rate of the tick rule with the exchange's taker side.
        let compared: u64 = bars.iter().map(|b| b.tick_compared).sum();
        let agree: u64 = bars.iter().map(|b| b.tick_agree).sum();
        if compared > 0 {
            eprintln!("{}: tick rule agrees on {agree}/{compared} = {:.4}", case.name, agree as f64 / compared as f64);
        }
    }
}

#[test]
fn the_tick_rule_agreement_rates_are_the_measured_ones() {
    // Measured on the bundled data (also printed by the reference script):
    // the tick rule is right on 83.7 % of XRP/ETH and 97.3 % of the
    // ORDERFLOW ETH/USDT trades that it can classify.
    for (case, want) in trade_cases().into_iter().zip([(10447, 12476), (972, 999), (0, 0)]) {
        let bars = run_bars(&trades(case.file), case.params);
        let got = (bars.iter().map(|b| b.tick_agree).sum::<u64>(), bars.iter().map(|b| b.tick_compared).sum::<u64>());
        assert_eq!(got, want, "{}", case.name);
    }
}

#[test]
fn updates_allocate_nothing_after_new() {
    let bars = candles("ETH_BTC");
    let xrp = trades("XRP_ETH-trades.csv");
    let mut kc = Keltner::new(KC.0, KC.1, KC.2);
    let mut vw = RollingVwap::new(VWAP_N);
    let mut sv = SessionVwap::new();
    let mut vp = VolumeProfile::new(VP.0, VP.1, VP.2);
    let mut cvd = TickCvd::new();
    let mut agg = TradeBars::new(trade_cases()[0].params);
    let mut acc = 0.0;
    let info = allocation_counter::measure(|| {
        for b in &bars {
            let k = kc.update(b);
            let p = vp.update(b);
            for v in [k.upper, vw.update(b), sv.update(b), p.poc, p.vah, cvd.update(b)] {
                if v.is_finite() {
                    acc += v;
                }
            }
        }
        for t in &xrp {
            if let Some(b) = agg.update(t) {
                acc += b.volume;
            }
        }
        if let Some(b) = agg.finish() {
            acc += b.volume;
        }
    });
    assert!(acc.is_finite());
    assert_eq!(info.count_total, 0, "update allocated");
    assert_eq!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total, 1);
}

/// Random valid OHLCV bars, 5 minutes apart, sometimes with zero volume or
/// a repeated close, crossing several UTC days.
fn bars() -> impl Strategy<Value = Vec<Candle>> {
    prop::collection::vec(
        (
            -0.03f64..0.03,
            0.0f64..0.02,
            0.0f64..0.02,
            0.0f64..1e6,
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.05),
        ),
        1..400,
    )
    .prop_map(|steps| {
        let mut close = 100.0;
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (r, up, down, volume, flat, empty))| {
                let open = close;
                if !flat {
                    close *= 1.0 + r;
                }
                Candle {
                    open_time: Timestamp::from_secs(1_600_000_000 + i as i64 * 3_000).unwrap(),
                    open,
                    high: open.max(close) * (1.0 + up),
                    low: open.min(close) * (1.0 - down),
                    close,
                    volume: if empty { 0.0 } else { volume },
                }
            })
            .collect()
    })
}

fn candle_outputs(bars: &[Candle]) -> Vec<[f64; 9]> {
    let mut kc = Keltner::new(KC.0, KC.1, KC.2);
    let mut vw = RollingVwap::new(VWAP_N);
    let mut sv = SessionVwap::new();
    let mut vp = VolumeProfile::new(VP.0, VP.1, VP.2);
    let mut cvd = TickCvd::new();
    bars.iter()
        .map(|b| {
            let k = kc.update(b);
            let p = vp.update(b);
            [k.upper, k.middle, k.lower, vw.update(b), sv.update(b), p.poc, p.vah, p.val, cvd.update(b)]
        })
        .collect()
}

/// Random trades: a price walk on a tick grid (so zero ticks happen), sizes
/// over several decades, sometimes without a side, gaps of up to 20 s.
fn random_trades() -> impl Strategy<Value = Vec<Trade>> {
    prop::collection::vec((-3i32..=3, 0.0f64..6.0, 0u8..3, 0i64..20_000), 1..600).prop_map(|steps| {
        let mut ticks = 10_000i64;
        let mut ms = 1_700_000_000_000i64;
        steps
            .into_iter()
            .map(|(dt, size, side, gap)| {
                ticks = (ticks + i64::from(dt)).max(1);
                ms += gap;
                Trade {
                    time: Timestamp::from_millis(ms).unwrap(),
                    price: ticks as f64 * 0.01,
                    amount: 10f64.powf(size - 2.0),
                    side: match side {
                        0 => Some(Side::Buy),
                        1 => Some(Side::Sell),
                        _ => None,
                    },
                }
            })
            .collect()
    })
}

fn small_params() -> TradeBarParams {
    TradeBarParams {
        interval_nanos: 30 * SEC,
        size_unit: 0.01,
        large_window: 20,
        large_mult: 3.0,
        bar_window: 5,
        roll_window: 20,
    }
}

/// Bars emitted while trades arrive (no `finish`), so a prefix of the
/// trades gives a prefix of the bars.
fn emitted(trades: &[Trade]) -> Vec<TradeBar> {
    let mut agg = TradeBars::new(small_params());
    trades.iter().filter_map(|t| agg.update(t)).collect()
}

fn bits(b: &TradeBar) -> Vec<u64> {
    let mut v: Vec<u64> = [
        b.open,
        b.high,
        b.low,
        b.close,
        b.volume,
        b.quote_volume,
        b.buy_volume,
        b.sell_volume,
        b.mean_size,
        b.max_size,
        b.large_count,
        b.imbalance,
        b.cvd,
        b.amihud,
        b.kyle_lambda,
        b.roll_spread,
    ]
    .iter()
    .map(|x| x.to_bits())
    .collect();
    v.extend(b.size_hist);
    v.extend([b.count, b.tick_compared, b.tick_agree, b.open_time.as_nanos() as u64]);
    v
}

proptest! {
    #[test]
    fn candle_features_never_depend_on_a_later_bar(bars in bars(), cut in 0.0f64..1.0) {
        let full = candle_outputs(&bars);
        let k = ((bars.len() as f64 * cut) as usize).max(1);
        let prefix = candle_outputs(&bars[..k]);
        for (i, (a, b)) in prefix.iter().zip(&full).enumerate() {
            for j in 0..a.len() {
                prop_assert_eq!(a[j].to_bits(), b[j].to_bits(), "row {} output {}", i, j);
            }
        }
    }

    #[test]
    fn candle_feature_invariants(bars in bars()) {
        let out = candle_outputs(&bars);
        for (i, v) in out.iter().enumerate() {
            let [upper, middle, lower, vwap, svwap, poc, vah, val, cvd] = *v;
            prop_assert_eq!(middle.is_nan(), i < 19);
            if i >= 19 {
                prop_assert!(upper.is_finite() && lower.is_finite());
                prop_assert!(upper >= middle && middle >= lower);
            }
            let window_low = |n: usize| bars[i + 1 - n..=i].iter().map(|b| b.low).fold(f64::INFINITY, f64::min);
            let window_high = |n: usize| bars[i + 1 - n..=i].iter().map(|b| b.high).fold(f64::NEG_INFINITY, f64::max);
            if i + 1 >= VWAP_N {
                let traded = bars[i + 1 - VWAP_N..=i].iter().any(|b| b.volume > 0.0);
                prop_assert_eq!(vwap.is_nan(), !traded);
                if traded {
                    // A volume-weighted mean of typical prices lies in the window's range.
                    let (lo, hi) = (window_low(VWAP_N), window_high(VWAP_N));
                    prop_assert!(vwap >= lo * (1.0 - 1e-12) && vwap <= hi * (1.0 + 1e-12), "row {}: {} not in [{}, {}]", i, vwap, lo, hi);
                }
            } else {
                prop_assert!(vwap.is_nan());
            }
            prop_assert!(svwap.is_nan() || svwap > 0.0);
            if i + 1 >= VP.0 {
                let traded = bars[i + 1 - VP.0..=i].iter().any(|b| b.volume > 0.0);
                prop_assert_eq!(poc.is_nan(), !traded);
                if traded {
                    let (lo, hi) = (window_low(VP.0), window_high(VP.0));
                    let eps = 1e-12 * hi;
                    prop_assert!(lo - eps <= val && val <= poc && poc <= vah && vah <= hi + eps,
                        "row {}: {} {} {} {} {}", i, lo, val, poc, vah, hi);
                }
            } else {
                prop_assert!(poc.is_nan() && vah.is_nan() && val.is_nan());
            }
            prop_assert_eq!(cvd.is_nan(), i == 0);
            if i > 0 {
                let total: f64 = bars[1..=i].iter().map(|b| b.volume).sum();
                prop_assert!(cvd.is_finite() && cvd.abs() <= total * (1.0 + 1e-12));
            }
        }
    }

    #[test]
    fn trade_bars_never_depend_on_a_later_trade(trades in random_trades(), cut in 0.0f64..1.0) {
        let full = emitted(&trades);
        let k = ((trades.len() as f64 * cut) as usize).max(1);
        let prefix = emitted(&trades[..k]);
        prop_assert!(prefix.len() <= full.len());
        for (i, (a, b)) in prefix.iter().zip(&full).enumerate() {
            prop_assert_eq!(bits(a), bits(b), "bar {}", i);
        }
    }

    #[test]
    fn trade_bar_invariants(trades in random_trades()) {
        let bars = run_bars(&trades, small_params());
        prop_assert_eq!(bars.iter().map(|b| b.count).sum::<u64>(), trades.len() as u64);
        for (i, b) in bars.iter().enumerate() {
            prop_assert_eq!(b.size_hist.iter().sum::<u64>(), b.count);
            prop_assert!(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high);
            prop_assert!(b.buy_volume + b.sell_volume <= b.volume * (1.0 + 1e-12));
            prop_assert!(b.mean_size > 0.0 && b.mean_size <= b.max_size * (1.0 + 1e-12));
            prop_assert!(b.imbalance.is_nan() || (-1.0..=1.0).contains(&b.imbalance));
            prop_assert!(b.large_count.is_nan() || (b.large_count >= 0.0 && b.large_count <= b.count as f64));
            prop_assert!(b.tick_agree <= b.tick_compared && b.tick_compared <= b.count);
            prop_assert!(b.cvd.is_finite());
            prop_assert!(b.roll_spread.is_nan() || b.roll_spread >= 0.0);
            prop_assert_eq!(b.amihud.is_nan(), i < 5);
            prop_assert!(b.amihud.is_nan() || b.amihud >= 0.0);
            if i >= 5 {
                prop_assert!(!b.kyle_lambda.is_infinite());
            } else {
                prop_assert!(b.kyle_lambda.is_nan());
            }
        }
    }
}
