//! Feature computation benchmarks (issue 4's targets).
//!
//! * `features/talib_suite_1m_bars`: the TA-Lib-equivalent suite (SMA
//!   10/20/50/200, EMA 12/26, MACD, ADX, RSI, stochastic, ROC, Williams %R,
//!   Bollinger, ATR, OBV and 20-bar rolling return std/skew/kurt) computed
//!   incrementally over 1,000,000 bars, one `FeatureMatrix::update` per bar.
//!   Throughput is bars/s.
//! * `features/default_v1_update`: one bar through the whole default set
//!   (76 columns). Before criterion runs it, 1,000,000 updates are timed one
//!   by one into an HDR histogram and p50/p90/p99/p99.9/max are printed.
//!
//! `cargo bench -p tradebot-bench --bench features`; with
//! `FEATURE_BENCH_BREAKDOWN=1` it first prints the mean cost per bar of each
//! feature of the suite and of the default set, measured alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use hdrhistogram::Histogram;
use tradebot_core::{Candle, Timestamp};
use tradebot_features::{FeatureColumns, FeatureMatrix, FeatureSetDef, FeatureSpec};

const BARS: usize = 1_000_000;

/// A seeded random walk with valid OHLCV bars (splitmix64 noise).
fn bars(n: usize) -> Vec<Candle> {
    let mut state = 0x5EED_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut close = 100.0;
    (0..n)
        .map(|i| {
            let open = close;
            close = open * (1.0 + 0.004 * (next() - 0.5));
            Candle {
                open_time: Timestamp::from_nanos(i as i64 * 60_000_000_000),
                open,
                high: open.max(close) * (1.0 + 0.001 * next()),
                low: open.min(close) * (1.0 - 0.001 * next()),
                close,
                volume: 1.0 + 1000.0 * next(),
            }
        })
        .collect()
}

/// The suite issue 4 measures against TA-Lib (~8.5 M bars/s on this machine).
fn talib_suite() -> FeatureSetDef {
    use FeatureSpec as F;
    FeatureSetDef {
        name: "talib_suite".into(),
        version: 1,
        features: vec![
            F::Sma { period: 10 },
            F::Sma { period: 20 },
            F::Sma { period: 50 },
            F::Sma { period: 200 },
            F::Ema { period: 12 },
            F::Ema { period: 26 },
            F::Macd { fast: 12, slow: 26, signal: 9 },
            F::Adx { period: 14 },
            F::Rsi { period: 14 },
            F::Stoch { fast_k: 14, slow_k: 3, slow_d: 3 },
            F::Roc { period: 10 },
            F::WillR { period: 14 },
            F::Bollinger { period: 20, k: 2.0 },
            F::Atr { period: 14 },
            F::Obv,
            F::ReturnStd { window: 20 },
            F::ReturnSkew { window: 20 },
            F::ReturnKurt { window: 20 },
        ],
    }
}

fn print_update_percentiles(data: &[Candle]) {
    let mut m = FeatureMatrix::new(FeatureSetDef::default_v1()).unwrap();
    let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
    // The TSC through `quanta` (13 - 20 ns a read here; `std::time::Instant`
    // 47 - 62 ns, and part of every sample). The first read calibrates.
    black_box(quanta::Instant::now());
    for bar in data {
        let t = quanta::Instant::now();
        black_box(m.update(black_box(bar)));
        h.saturating_record(quanta::Instant::now().saturating_duration_since(t).as_nanos() as u64);
    }
    println!(
        "features/default_v1_update: {} updates of {} columns, two TSC reads each: p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        h.len(),
        m.columns().len(),
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.9),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max()
    );
}

/// Mean cost of each feature of `set` alone (a one-thread batch pass over
/// 1,000,000 bars each): where a per-bar budget goes. Printed, not asserted.
fn print_per_feature_cost(set: &FeatureSetDef, data: &[Candle]) {
    let mut rows: Vec<(f64, String)> = set
        .features
        .iter()
        .map(|f| {
            let def = FeatureSetDef { name: "one".into(), version: 1, features: vec![*f] };
            // The batch pass: the feature's own loop over every bar, into a
            // column whose pages are already touched.
            let mut out = FeatureColumns::default();
            FeatureMatrix::compute_columns_into(&def, data, 1, &mut out).unwrap();
            let t = Instant::now();
            FeatureMatrix::compute_columns_into(&def, data, 1, &mut out).unwrap();
            black_box(out.column(0)[0]);
            (t.elapsed().as_nanos() as f64 / data.len() as f64, f.columns()[0].clone())
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total: f64 = rows.iter().map(|r| r.0).sum();
    println!("features/{} per feature (mean ns per bar, alone; sum {total:.0} ns):", set.name);
    for (ns, name) in rows {
        println!("  {name:<24} {ns:>8.1}");
    }
}

/// The batch pass must give the streaming values bit for bit, on one thread
/// and on two, or the batch figures would time something else.
fn check_batch_matches_streaming(set: &FeatureSetDef, data: &[Candle]) {
    let mut m = FeatureMatrix::new(set.clone()).unwrap();
    let streamed: Vec<Vec<f64>> = data.iter().map(|bar| m.update(bar).to_vec()).collect();
    for threads in [1, 2] {
        let cols = FeatureMatrix::compute_columns(set, data, threads).unwrap();
        for (c, name) in cols.names().iter().enumerate() {
            for (i, (got, row)) in cols.column(c).iter().zip(&streamed).enumerate() {
                assert_eq!(got.to_bits(), row[c].to_bits(), "{name} at bar {i}, {threads} threads");
            }
        }
    }
}

fn main() {
    let data = bars(BARS);
    if std::env::var_os("FEATURE_BENCH_BREAKDOWN").is_some() {
        print_per_feature_cost(&talib_suite(), &data);
        print_per_feature_cost(&FeatureSetDef::default_v1(), &data);
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("features");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(BARS as u64));
    let suite = talib_suite();
    check_batch_matches_streaming(&suite, &data);
    g.bench_function("talib_suite_streaming_1m_bars", |b| {
        b.iter(|| {
            let mut m = FeatureMatrix::new(suite.clone()).unwrap();
            let mut acc = 0.0;
            for bar in &data {
                acc += m.update(bar)[0];
            }
            black_box(acc)
        })
    });
    for threads in [1, 2] {
        // The output's memory is reused from run to run, as a batch job over
        // many series would; the first run pays its page faults.
        let mut out = FeatureColumns::default();
        g.bench_function(format!("talib_suite_batch_{threads}t_1m_bars"), |b| {
            b.iter(|| {
                FeatureMatrix::compute_columns_into(&suite, &data, threads, &mut out).unwrap();
                black_box(out.column(0)[BARS - 1])
            })
        });
    }
    g.finish();

    print_update_percentiles(&data);
    let mut g = c.benchmark_group("features");
    g.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    let mut m = FeatureMatrix::new(FeatureSetDef::default_v1()).unwrap();
    let mut i = 0;
    g.bench_function("default_v1_update", |b| {
        b.iter(|| {
            i = if i + 1 == data.len() { 0 } else { i + 1 };
            black_box(m.update(&data[i])[0])
        })
    });
    g.finish();
    c.final_summary();
}
