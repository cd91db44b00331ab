//! Exponential moving average seeded as TA-Lib seeds it: the first value is
//! the simple mean of the first `period` inputs (not the first input), so
//! the EMA agrees with TA-Lib from its first bar instead of converging to it.

/// EMA with `k = 2 / (period + 1)`; NaN for the first `period - 1` inputs.
#[derive(Clone, Debug)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    sum: f64,
    value: f64,
}

impl Ema {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Ema { period, k: 2.0 / (period as f64 + 1.0), seen: 0, sum: 0.0, value: f64::NAN }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        if self.seen < self.period {
            self.seen += 1;
            self.sum += x;
            if self.seen == self.period {
                self.value = self.sum / self.period as f64;
            }
        } else {
            // TA-Lib's form `(x - ema) * k + ema`, kept for agreement in the
            // last bits.
            self.value += (x - self.value) * self.k;
        }
        self.value
    }

    /// The current value (NaN during warm-up).
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }
}
