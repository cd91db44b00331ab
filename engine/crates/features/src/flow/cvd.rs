//! Tick-rule trade classification and the cumulative volume delta (CVD)
//! estimated from candles.
//!
//! The tick rule signs a price by its change from the previous price: up is
//! `+1` (buyer-initiated), down is `-1` (seller-initiated), and an unchanged
//! price keeps the previous sign (the "zero-tick" continuation of Lee and
//! Ready); before the first change the sign is `0` (unclassified).
//!
//! Candle CVD, used when no trades are available: `cvd_t = Σ_{s ≤ t}
//! sign_s · volume_s` where `sign_s` is the tick rule applied to closes, so
//! the whole bar's volume is attributed to one side. It is NaN on the first
//! bar (no previous close) and `0` on the second bar if its close is
//! unchanged. With trades, [`crate::TradeBars`] gives the CVD from the
//! exchange's taker side instead.

use tradebot_core::Candle;

/// Tick-rule classifier over a stream of prices.
#[derive(Clone, Debug)]
pub struct TickRule {
    prev: f64,
    sign: f64,
}

impl TickRule {
    pub fn new() -> Self {
        TickRule { prev: f64::NAN, sign: 0.0 }
    }

    /// The sign of `price`: `+1`, `-1`, or `0` while no change has been seen.
    #[inline]
    pub fn classify(&mut self, price: f64) -> f64 {
        if price > self.prev {
            self.sign = 1.0;
        } else if price < self.prev {
            self.sign = -1.0;
        }
        // NaN `prev` (first price) compares false both ways: sign stays 0.
        self.prev = price;
        self.sign
    }
}

impl Default for TickRule {
    fn default() -> Self {
        Self::new()
    }
}

/// Cumulative volume delta of candles by the tick rule on closes.
#[derive(Clone, Debug)]
pub struct TickCvd {
    rule: TickRule,
    started: bool,
    cvd: f64,
}

impl TickCvd {
    pub fn new() -> Self {
        TickCvd { rule: TickRule::new(), started: false, cvd: 0.0 }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let sign = self.rule.classify(bar.close);
        if !self.started {
            self.started = true;
            return f64::NAN;
        }
        self.cvd += sign * bar.volume;
        self.cvd
    }
}

impl Default for TickCvd {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;
    use tradebot_core::Timestamp;

    #[test]
    fn zero_ticks_keep_the_previous_sign() {
        let mut r = TickRule::new();
        let signs: Vec<f64> = [10.0, 10.0, 11.0, 11.0, 9.0, 9.0, 9.5].iter().map(|&p| r.classify(p)).collect();
        assert_eq!(signs, [0.0, 0.0, 1.0, 1.0, -1.0, -1.0, 1.0]);
    }

    #[test]
    fn candle_cvd_signs_each_bar_by_its_close() {
        let bar = |close: f64, volume: f64| Candle {
            open_time: Timestamp::from_secs(0).unwrap_or_default(),
            open: close,
            high: close,
            low: close,
            close,
            volume,
        };
        let mut c = TickCvd::new();
        assert!(c.update(&bar(10.0, 5.0)).is_nan());
        assert_eq!(c.update(&bar(10.0, 7.0)), 0.0);
        assert_eq!(c.update(&bar(11.0, 3.0)), 3.0);
        assert_eq!(c.update(&bar(11.0, 2.0)), 5.0);
        assert_eq!(c.update(&bar(10.5, 4.0)), 1.0);
    }
}
