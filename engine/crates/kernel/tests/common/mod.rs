//! Synthetic markets for the kernel's tests: seeded random walks with valid
//! OHLCV bars, so properties can be checked over many price paths.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_core::{Interval, RawCandle, Scale, Symbol, SymbolId, Timestamp};
use tradebot_kernel::{Feed, KernelConfig, RunInput};

/// splitmix64: tiny, seeded, good enough for test paths.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

pub const PRICE_DECIMALS: u8 = 6;

/// `n` one-minute bars starting at 2020-01-01, a random walk from `start`
/// with per-bar volatility `vol` and a drift, prices at 6 decimals.
pub fn walk(seed: u64, n: usize, start: f64, vol: f64, drift: f64) -> Vec<RawCandle> {
    let mut rng = Rng::new(seed);
    let unit = 10f64.powi(i32::from(PRICE_DECIMALS));
    let t0 = Timestamp::parse("2020-01-01T00:00:00Z").unwrap().as_nanos();
    let step = Interval::M1.fixed_nanos().unwrap();
    let mut close = start;
    (0..n)
        .map(|i| {
            let open = close;
            close = (open * (1.0 + drift + vol * rng.unit())).max(0.01);
            let hi = open.max(close) * (1.0 + vol * 0.5 * (rng.unit() + 1.0));
            let lo = open.min(close) * (1.0 - vol * 0.5 * (rng.unit() + 1.0));
            let m = |p: f64| (p * unit).round() as i64;
            let (o, c) = (m(open), m(close));
            RawCandle {
                open_time: t0 + i as i64 * step,
                open: o,
                high: m(hi).max(o).max(c),
                low: m(lo).min(o).min(c).max(1),
                close: c,
                volume: 1_000 + (rng.next_u64() % 100_000) as i64,
            }
        })
        .collect()
}

pub fn symbols(n: usize) -> Vec<Symbol> {
    (0..n).map(|i| Symbol::new(&format!("S{i}_USD")).unwrap()).collect()
}

pub fn feeds(markets: &[Vec<RawCandle>]) -> Vec<Feed<'_>> {
    markets
        .iter()
        .enumerate()
        .map(|(i, c)| Feed {
            symbol: SymbolId(i as u16),
            interval: Interval::M1,
            candles: c,
            price_scale: Scale::new(PRICE_DECIMALS).unwrap(),
            qty_scale: Scale::new(0).unwrap(),
        })
        .collect()
}

pub fn input<'a>(markets: &'a [Vec<RawCandle>], config: KernelConfig) -> RunInput<'a> {
    RunInput {
        feeds: feeds(markets),
        symbols: symbols(markets.len()),
        config,
        periods_per_year: 525_600.0,
        progress: None,
        slots: None,
        agents: None,
    }
}
