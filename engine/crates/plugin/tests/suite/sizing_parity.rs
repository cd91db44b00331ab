//! The bundled sizing plugins size exactly like the engine's native sizing:
//! the same bits for the same input, through the `SizingPolicy` trait the
//! engine calls, over a deterministic pseudo-random grid of inputs that
//! includes the awkward ones (no equity, no stop, a stop at the entry, zero
//! and unknown volatility, lots of 1 and 0.001, too few closed trades, no
//! winning trade).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::sync::OnceLock;

use tradebot_core::{Side, Symbol, SymbolId};
use tradebot_plugin::{LoadedComponent, PluginHost, PluginLimits, WasmSizing, bundled_plugin};
use tradebot_risk::{
    FixedFractionalSizing, KellySizing, SizingConfig, SizingContext, SizingInput, SizingPolicy, TradeStats,
    VolatilitySizing, size,
};

// ---- shared host and components -------------------------------------------

struct Plugins {
    host: PluginHost,
    fixed_fractional: LoadedComponent,
    kelly: LoadedComponent,
    volatility: LoadedComponent,
}

fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let host = PluginHost::new(PluginLimits::default()).unwrap();
        let load = |name: &str| host.load(&bundled_plugin(name)).unwrap();
        Plugins {
            fixed_fractional: load("sizing-fixed-fractional"),
            kelly: load("sizing-kelly"),
            volatility: load("sizing-volatility"),
            host,
        }
    })
}

fn sizing(loaded: &LoadedComponent, config: &str) -> WasmSizing {
    let symbols = [Symbol::new("BTCUSDT").unwrap()];
    WasmSizing::new(&plugins().host, loaded, config, &symbols).unwrap()
}

// ---- a deterministic grid of inputs ---------------------------------------

/// SplitMix64: a tiny, well-mixed generator, so the grid is the same every run.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, values: &[T]) -> T {
        values[self.below(values.len())]
    }

    /// Log-uniform in [10^lo, 10^hi).
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        10f64.powf(lo + (hi - lo) * self.unit())
    }
}

/// Trade histories covering every branch of Kelly: none, fewer than the
/// default `min_trades` (20), exactly 20, no winning trade, zero-PnL trades
/// (losses of size 0), a positive edge, a negative edge, and random ones.
fn trade_histories(rng: &mut Rng) -> Vec<TradeStats> {
    let from = |pnls: &[f64]| {
        let mut s = TradeStats::new();
        pnls.iter().for_each(|&p| s.record(p));
        s
    };
    let mut out = vec![
        TradeStats::new(),
        from(&[10.0, -5.0, 3.0]),
        from(&[12.0; 20]),
        from(&[-4.0; 30]),
        from(&[0.0; 25]),
        from(&[[10.0; 18].as_slice(), [-5.0; 12].as_slice()].concat()),
        from(&[[5.0; 9].as_slice(), [-5.0; 21].as_slice()].concat()),
        from(&[[1.0; 19].as_slice(), [-100.0; 1].as_slice()].concat()),
    ];
    for _ in 0..24 {
        let n = rng.below(80);
        let pnls: Vec<f64> = (0..n)
            .map(|_| match rng.below(10) {
                0 => 0.0,
                1..=5 => rng.log_uniform(-2.0, 3.0),
                _ => -rng.log_uniform(-2.0, 3.0),
            })
            .collect();
        out.push(from(&pnls));
    }
    out
}

#[derive(Copy, Clone, Debug)]
struct Case {
    equity: f64,
    price: f64,
    stop: Option<f64>,
    volatility: f64,
    stats: usize,
    lot_size: f64,
    side: Side,
}

fn cases(rng: &mut Rng, n: usize, histories: usize) -> Vec<Case> {
    (0..n)
        .map(|_| {
            let equity = match rng.below(8) {
                0 => rng.pick(&[0.0, -1_000.0, f64::NAN, 1.0, 10_000.0]),
                _ => rng.log_uniform(0.0, 7.0),
            };
            let price = match rng.below(8) {
                0 => rng.pick(&[0.0, -1.0, 1e-4, 0.07, 1.0, 100.0, 37_000.0]),
                _ => rng.log_uniform(-3.0, 5.0),
            };
            let stop = match rng.below(6) {
                0 | 1 => None,
                2 => Some(price * (1.0 - rng.log_uniform(-4.0, -0.5))),
                3 => Some(price * (1.0 + rng.log_uniform(-4.0, -0.5))),
                4 => Some(price),
                _ => Some(rng.pick(&[f64::NAN, 0.0, price * 0.98, price * 1.02])),
            };
            let volatility = match rng.below(5) {
                0 => rng.pick(&[0.0, f64::NAN, f64::INFINITY, -0.01, 1e-6, 0.0001, 0.2, 5.0]),
                _ => rng.log_uniform(-5.0, 0.0),
            };
            Case {
                equity,
                price,
                stop,
                volatility,
                stats: rng.below(histories),
                lot_size: rng.pick(&[0.0, 0.0, 1.0, 0.001]),
                side: rng.pick(&[Side::Buy, Side::Sell]),
            }
        })
        .collect()
}

/// Sizes every case natively and with the plugin; panics on the first
/// quantity whose bits differ. Returns how many quantities were positive.
fn assert_parity(plugin: &mut WasmSizing, native: &SizingConfig, n: usize, seed: u64) -> usize {
    let mut rng = Rng(seed);
    let histories = trade_histories(&mut rng);
    let mut positive = 0;
    for (i, case) in cases(&mut rng, n, histories.len()).into_iter().enumerate() {
        let input = SizingInput {
            equity: case.equity,
            price: case.price,
            stop: case.stop,
            volatility: case.volatility,
            stats: &histories[case.stats],
            lot_size: case.lot_size,
            commission_fraction: 0.001,
        };
        let context = SizingContext {
            symbol: SymbolId(0),
            side: case.side,
            confidence: 0.7,
            atr: f64::NAN,
            position: 0.0,
            exposure: 0.0,
        };
        let expected = size(native, &input);
        let answer = plugin.size(&input, &context);
        assert_eq!(answer.fault, None, "case #{i} {case:?}: the plugin faulted");
        assert_eq!(
            answer.quantity.to_bits(),
            expected.to_bits(),
            "case #{i} {case:?} (stats {:?}): plugin {} native {}",
            histories[case.stats],
            answer.quantity,
            expected
        );
        assert_eq!((answer.stop, answer.take_profit), (None, None), "case #{i}: the engine's stop is kept");
        if expected > 0.0 {
            positive += 1;
        }
    }
    positive
}

const GRID: usize = 4_000;

// ---- default parameters -----------------------------------------------------

#[test]
fn fixed_fractional_plugin_gives_the_native_bits_with_default_params() {
    let mut plugin = sizing(&plugins().fixed_fractional, "");
    let native = SizingConfig::FixedFractional(FixedFractionalSizing::default());
    let positive = assert_parity(&mut plugin, &native, GRID, 1);
    // The grid is not just degenerate inputs sizing to zero.
    assert!(positive > GRID / 2, "only {positive} of {GRID} entries were sized above 0");
}

#[test]
fn kelly_plugin_gives_the_native_bits_with_default_params() {
    let mut plugin = sizing(&plugins().kelly, "");
    let native = SizingConfig::Kelly(KellySizing::default());
    let positive = assert_parity(&mut plugin, &native, GRID, 2);
    assert!(positive > GRID / 4, "only {positive} of {GRID} entries were sized above 0");
}

#[test]
fn volatility_plugin_gives_the_native_bits_with_default_params() {
    let mut plugin = sizing(&plugins().volatility, "");
    let native = SizingConfig::VolatilityAdjusted(VolatilitySizing::default());
    let positive = assert_parity(&mut plugin, &native, GRID, 3);
    assert!(positive > GRID / 2, "only {positive} of {GRID} entries were sized above 0");
}

#[test]
fn an_explicit_default_config_is_the_same_as_an_empty_one() {
    let mut empty = sizing(&plugins().kelly, "");
    let mut explicit =
        sizing(&plugins().kelly, r#"{"fraction": 0.5, "cap": 0.10, "min_trades": 20, "fallback_fraction": 0.01}"#);
    let mut stats = TradeStats::new();
    (0..30).for_each(|i| stats.record(if i % 3 == 0 { -4.0 } else { 7.0 }));
    let input = SizingInput {
        equity: 25_000.0,
        price: 412.5,
        stop: None,
        volatility: 0.01,
        stats: &stats,
        lot_size: 0.0,
        commission_fraction: 0.0,
    };
    let context =
        SizingContext { symbol: SymbolId(0), side: Side::Buy, confidence: 1.0, atr: 2.0, position: 0.0, exposure: 0.0 };
    let a = empty.size(&input, &context);
    let b = explicit.size(&input, &context);
    assert!(a.quantity > 0.0);
    assert_eq!(a.quantity.to_bits(), b.quantity.to_bits());
}

// ---- non-default parameters -------------------------------------------------

/// A config passed to `init` is the native config with the same params: the
/// parity holds for it too, and it really changes the sizes (so the plugin
/// did not ignore it and fall back to its defaults).
fn assert_config_parity(loaded: &LoadedComponent, json: &str, native: SizingConfig, default: SizingConfig) {
    let mut plugin = sizing(loaded, json);
    let positive = assert_parity(&mut plugin, &native, 1_000, 4);
    assert!(positive > 100, "only {positive} entries were sized above 0");
    let mut rng = Rng(4);
    let histories = trade_histories(&mut rng);
    let differing = cases(&mut rng, 1_000, histories.len())
        .iter()
        .filter(|c| {
            let input = SizingInput {
                equity: c.equity,
                price: c.price,
                stop: c.stop,
                volatility: c.volatility,
                stats: &histories[c.stats],
                lot_size: c.lot_size,
                commission_fraction: 0.001,
            };
            size(&native, &input).to_bits() != size(&default, &input).to_bits()
        })
        .count();
    assert!(differing > 100, "the non-default config changed only {differing} sizes");
}

#[test]
fn fixed_fractional_plugin_reads_its_config_like_the_native_config() {
    assert_config_parity(
        &plugins().fixed_fractional,
        r#"{"risk_fraction": 0.005}"#,
        SizingConfig::FixedFractional(FixedFractionalSizing { risk_fraction: 0.005 }),
        SizingConfig::FixedFractional(FixedFractionalSizing::default()),
    );
}

#[test]
fn kelly_plugin_reads_its_config_like_the_native_config() {
    assert_config_parity(
        &plugins().kelly,
        r#"{"fraction": 0.25, "cap": 0.3, "min_trades": 5, "fallback_fraction": 0.02}"#,
        SizingConfig::Kelly(KellySizing { fraction: 0.25, cap: 0.3, min_trades: 5, fallback_fraction: 0.02 }),
        SizingConfig::Kelly(KellySizing::default()),
    );
}

#[test]
fn volatility_plugin_reads_its_config_like_the_native_config() {
    assert_config_parity(
        &plugins().volatility,
        r#"{"target_risk": 0.01, "max_fraction": 0.5, "vol_floor": 0.001}"#,
        SizingConfig::VolatilityAdjusted(VolatilitySizing { target_risk: 0.01, max_fraction: 0.5, vol_floor: 0.001 }),
        SizingConfig::VolatilityAdjusted(VolatilitySizing::default()),
    );
}

#[test]
fn a_config_out_of_range_is_refused_at_init_naming_the_field() {
    for (loaded, json, field) in [
        (&plugins().fixed_fractional, r#"{"risk_fraction": 1.5}"#, "risk_fraction"),
        (&plugins().kelly, r#"{"cap": 0}"#, "cap"),
        (&plugins().volatility, r#"{"vol_floor": -1}"#, "vol_floor"),
    ] {
        let err = WasmSizing::new(&plugins().host, loaded, json, &[]).unwrap_err();
        let tradebot_plugin::PluginError::Init { message, .. } = &err else { panic!("{json}: {err:?}") };
        assert!(message.contains(field), "{json}: {message}");
    }
}
