//! Wilder's RSI, seeded as TA-Lib seeds it: the first average gain and loss
//! are the plain means of the first `period` close-to-close changes, then
//! `avg = (avg * (period - 1) + x) / period`.

/// RSI of the close in `[0, 100]`; NaN for the first `period` bars (a change
/// needs a previous close).
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    prev: f64,
    changes: usize,
    gain: f64,
    loss: f64,
    value: f64,
}

impl Rsi {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        Rsi { period: period.max(1), prev: f64::NAN, changes: 0, gain: 0.0, loss: 0.0, value: f64::NAN }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let prev = self.prev;
        self.prev = close;
        if prev.is_nan() {
            return self.value;
        }
        let diff = close - prev;
        // Up or down is a coin flip on real prices, so both sums take an add
        // every bar (0 for the side that did not move) instead of a branch
        // that mispredicts half the time; adding 0 leaves a sum unchanged.
        let (up, down) = if diff < 0.0 { (0.0, -diff) } else { (diff, 0.0) };
        let n = self.period as f64;
        if self.changes < self.period {
            self.changes += 1;
            self.gain += up;
            self.loss += down;
            if self.changes < self.period {
                return self.value;
            }
            self.gain /= n;
            self.loss /= n;
        } else {
            // TA-Lib's operation order, for agreement in the last bits.
            self.gain *= n - 1.0;
            self.loss *= n - 1.0;
            self.gain += up;
            self.loss += down;
            self.gain /= n;
            self.loss /= n;
        }
        let total = self.gain + self.loss;
        // TA-Lib reports 0 when nothing moved. It tests `|total| < 1e-8`,
        // which would also zero a moving market quoted in tiny prices
        // (satoshi-priced pairs), so only an exact zero is treated so here.
        self.value = if total == 0.0 { 0.0 } else { 100.0 * (self.gain / total) };
        self.value
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }
}
