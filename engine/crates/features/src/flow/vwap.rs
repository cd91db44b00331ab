//! Volume-weighted average price of the typical price `(high + low + close) / 3`:
//!
//! * [`RollingVwap`]: `Σ tp·v / Σ v` over the last `n` bars (NaN for the first
//!   `n - 1` bars and when the window traded nothing);
//! * [`SessionVwap`]: the same sums anchored at the start of each session, a
//!   session being one UTC calendar day of the bar's open time (crypto trades
//!   around the clock, so the UTC day is the convention exchanges and charting
//!   tools use); NaN while the session has traded no volume yet.
//!
//! Candles carry no trade prices, so the typical price stands in for the
//! prices traded within the bar.

use tradebot_core::Candle;

use super::RollingSum;

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

#[inline]
fn typical(bar: &Candle) -> f64 {
    (bar.high + bar.low + bar.close) / 3.0
}

/// VWAP over the last `n` bars.
#[derive(Clone, Debug)]
pub struct RollingVwap {
    pv: RollingSum,
    v: RollingSum,
}

impl RollingVwap {
    /// `n` is clamped to at least 1.
    pub fn new(n: usize) -> Self {
        RollingVwap { pv: RollingSum::new(n), v: RollingSum::new(n) }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        self.pv.push(typical(bar) * bar.volume);
        self.v.push(bar.volume);
        if !self.v.full() || self.v.all_zero() {
            return f64::NAN;
        }
        self.pv.sum() / self.v.sum()
    }
}

/// VWAP since the start of the bar's UTC day.
#[derive(Clone, Debug)]
pub struct SessionVwap {
    day: i64,
    pv: f64,
    v: f64,
}

impl SessionVwap {
    pub fn new() -> Self {
        SessionVwap { day: i64::MIN, pv: 0.0, v: 0.0 }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let day = bar.open_time.as_nanos().div_euclid(NANOS_PER_DAY);
        if day != self.day {
            self.day = day;
            self.pv = 0.0;
            self.v = 0.0;
        }
        self.pv += typical(bar) * bar.volume;
        self.v += bar.volume;
        if self.v > 0.0 { self.pv / self.v } else { f64::NAN }
    }
}

impl Default for SessionVwap {
    fn default() -> Self {
        Self::new()
    }
}
