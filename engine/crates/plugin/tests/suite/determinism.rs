//! Replays with plugins repeat: a plugin sees no wall clock and no real
//! randomness, and fuel stops a call at the same instruction on every host,
//! so two runs of the same plugin on the same input give the same answers and
//! the same faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use tradebot_core::PluginFault;
use tradebot_plugin::wit::{Candle, Direction as WitDirection, SizingRequest, TradeStats};
use tradebot_plugin::{Budget, PluginHost, PluginLimits, WasmSizing, WasmStrategy, bundled_plugin};
use tradebot_strategy::Direction;

// ---- sma-cross over synthetic bars ----------------------------------------------

const BARS: usize = 400;
const MINUTE_NS: i64 = 60_000_000_000;

/// Closes that wander up and down, crossing their averages many times.
fn closes() -> Vec<f64> {
    (0..BARS).map(|i| 100.0 + 10.0 * (i as f64 / 15.0).sin() + 3.0 * (i as f64 / 4.3).sin()).collect()
}

/// The simple moving average of the last `n` closes (NaN while warming up).
fn sma(closes: &[f64], n: usize) -> Vec<f64> {
    (0..closes.len())
        .map(|i| if i + 1 < n { f64::NAN } else { closes[i + 1 - n..=i].iter().sum::<f64>() / n as f64 })
        .collect()
}

fn candle(i: usize, close: f64) -> Candle {
    let t = i as i64 * MINUTE_NS;
    Candle {
        open_time_ns: t,
        close_time_ns: t + MINUTE_NS,
        open: close,
        high: close + 1.0,
        low: close - 1.0,
        close,
        volume: 10.0,
    }
}

/// What a strategy said on one bar: target, confidence, fault.
type Signal = (Option<Direction>, f64, Option<PluginFault>);

/// One sma-cross run on its own host: every bar's (target, confidence, fault).
fn sma_cross_run() -> Vec<Signal> {
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    let loaded = host.load(&bundled_plugin("sma-cross")).unwrap();
    let mut s = WasmStrategy::new(&host, &loaded, "").unwrap();
    assert_eq!(s.columns(), ["sma_10", "sma_20"]);
    let closes = closes();
    let (fast, slow) = (sma(&closes, 10), sma(&closes, 20));
    (0..BARS)
        .map(|i| {
            let signal = s.call(candle(i, closes[i]), &[fast[i], slow[i]]);
            (signal.target, signal.confidence, signal.fault)
        })
        .collect()
}

/// The first run, shared by the tests that only need one.
fn first_run() -> &'static [Signal] {
    static RUN: std::sync::OnceLock<Vec<Signal>> = std::sync::OnceLock::new();
    RUN.get_or_init(sma_cross_run)
}

#[test]
fn two_sma_cross_runs_on_separate_hosts_give_identical_signals() {
    let a = first_run();
    let b = sma_cross_run();
    assert_eq!(a.len(), BARS);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(x.0 == y.0 && x.1.to_bits() == y.1.to_bits() && x.2 == y.2, "bar {i}: {x:?} vs {y:?}");
    }
}

#[test]
fn sma_cross_goes_long_on_an_upward_cross_and_flat_on_a_downward_one() {
    let closes = closes();
    let (fast, slow) = (sma(&closes, 10), sma(&closes, 20));
    let run = first_run();
    let (mut longs, mut flats) = (0, 0);
    for i in 0..BARS {
        let expected = match i {
            0 => None,
            _ if fast[i - 1] < slow[i - 1] && fast[i] > slow[i] => Some(Direction::Long),
            _ if fast[i - 1] > slow[i - 1] && fast[i] < slow[i] => Some(Direction::Flat),
            _ => None,
        };
        let (target, confidence, fault) = run[i];
        assert_eq!(fault, None, "bar {i}");
        assert_eq!(target, expected, "bar {i}: fast {} slow {}", fast[i], slow[i]);
        assert_eq!(confidence, if expected.is_some() { 1.0 } else { 0.0 }, "bar {i}");
        longs += usize::from(expected == Some(Direction::Long));
        flats += usize::from(expected == Some(Direction::Flat));
    }
    assert!(longs >= 3 && flats >= 3, "{longs} long and {flats} flat crosses: the bars are too tame");
}

// ---- runaway calls stop at the same point every run ----------------------------------

/// What one call gave: the target and the fault.
type Outcome = (Option<Direction>, Option<PluginFault>);

/// One hostile run on its own host: `after = 2`, six calls.
fn hostile_loop_run() -> (Vec<Outcome>, [u64; PluginFault::ALL.len()]) {
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    let loaded = host.load(&bundled_plugin("hostile-strategy")).unwrap();
    let mut s = WasmStrategy::new(&host, &loaded, r#"{"mode": "loop", "after": 2}"#).unwrap();
    let calls = (0..6)
        .map(|i| {
            let signal = s.call(candle(i, 100.0), &[]);
            (signal.target, signal.fault)
        })
        .collect();
    (calls, s.faults())
}

#[test]
fn two_hosts_stop_the_same_runaway_call_the_same_way() {
    let (a, faults_a) = hostile_loop_run();
    let (b, faults_b) = hostile_loop_run();
    let ok = (Some(Direction::Long), None);
    let stopped = (None, Some(PluginFault::OutOfFuel));
    assert_eq!(a, [ok, ok, stopped, ok, ok, stopped]);
    assert_eq!(a, b);
    assert_eq!(faults_a, faults_b);
}

fn request() -> SizingRequest {
    SizingRequest {
        symbol: 0,
        direction: WitDirection::Long,
        confidence: 0.8,
        equity: 10_000.0,
        price: 100.0,
        volatility: 0.01,
        atr: 1.5,
        stop_distance: 2.0,
        position: 0.0,
        exposure: 0.0,
        stats: TradeStats { closed_trades: 0, win_rate: 0.0, avg_win: 0.0, avg_loss: 0.0 },
        lot_size: 0.001,
        commission_fraction: 0.001,
    }
}

/// A fresh host with `fuel` per call, a fresh fixed-fractional sizing and
/// one call: the answer's bits, or where and how it failed.
fn size_with_fuel(fuel: u64) -> Result<u64, String> {
    let limits =
        PluginLimits { budget: Budget::Fuel { per_call: fuel, init: 1_000_000_000 }, ..PluginLimits::default() };
    let host = PluginHost::new(limits).unwrap();
    let loaded = host.load(&bundled_plugin("sizing-fixed-fractional")).unwrap();
    let mut s = WasmSizing::new(&host, &loaded, "", &[]).map_err(|e| format!("new: {e}"))?;
    s.call(&request()).map(|d| d.target_position.to_bits()).map_err(|f| format!("size: {f}"))
}

#[test]
fn the_fuel_a_call_needs_is_the_same_on_every_host() {
    // Find the least fuel that is enough, each attempt on a fresh host ...
    let mut seen = std::collections::HashMap::new();
    let mut attempt = |fuel: u64| seen.entry(fuel).or_insert_with(|| size_with_fuel(fuel)).is_ok();
    let mut hi = 256;
    while !attempt(hi) {
        hi *= 2;
        assert!(hi <= 1 << 24, "a sizing call needs more than 16 M fuel");
    }
    let mut lo = if hi == 256 { 0 } else { hi / 2 };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if attempt(mid) { hi = mid } else { lo = mid }
    }
    let enough = seen[&hi].clone().unwrap();
    assert_eq!(f64::from_bits(enough), 100.0, "2 % of 10 000 over a 2.0 stop distance");
    let short = seen[&(hi - 1)].clone().unwrap_err();
    assert!(short.contains("out_of_fuel"), "{short}");
    // ... then on fresh hosts again: that much is enough, with the same
    // answer, and one less is not, failing at the same point.
    assert_eq!(size_with_fuel(hi), Ok(enough));
    assert_eq!(size_with_fuel(hi - 1), Err(short));
}
