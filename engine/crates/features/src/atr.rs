//! Average true range, Wilder-smoothed and seeded as TA-Lib seeds it.

use tradebot_core::Candle;

/// Wilder's ATR: the first value is the mean of the first `period` true
/// ranges (true range needs a previous close, so it starts at the second
/// bar), then `atr = (atr * (period - 1) + tr) / period`.
#[derive(Clone, Debug)]
pub struct Atr {
    period: usize,
    prev_close: f64,
    count: usize,
    sum: f64,
    value: f64,
    inv_period: f64,
}

impl Atr {
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Atr { period, prev_close: f64::NAN, count: 0, sum: 0.0, value: f64::NAN, inv_period: 1.0 / period as f64 }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        if self.prev_close.is_nan() {
            self.prev_close = bar.close;
            return self.value;
        }
        let tr = (bar.high - bar.low).max((bar.high - self.prev_close).abs()).max((bar.low - self.prev_close).abs());
        self.prev_close = bar.close;
        self.count += 1;
        let n = self.period as f64;
        if self.count < self.period {
            self.sum += tr;
        } else if self.count == self.period {
            self.value = (self.sum + tr) / n;
        } else {
            // `(atr * (n - 1) + tr) / n`, rearranged so the bar-to-bar
            // dependency chain is a multiply by a constant, not a division
            // (the result differs from TA-Lib's only in the last bits).
            self.value += (tr - self.value) * self.inv_period;
        }
        self.value
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }
}
