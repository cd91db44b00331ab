//! Rolling sample standard deviation of one-bar simple returns: the
//! volatility input of volatility-adjusted sizing.

/// Sample standard deviation (ddof = 1) of the last `window` returns
/// `close_t / close_{t-1} - 1`.
///
/// Running sums drift over millions of bars, so the sums are recomputed from
/// the window every time it wraps: amortised O(1), exact to rounding.
#[derive(Clone, Debug)]
pub struct ReturnStd {
    window: Box<[f64]>,
    next: usize,
    seen: usize,
    sum: f64,
    sum_sq: f64,
    prev_close: f64,
}

impl ReturnStd {
    /// `window` is clamped to at least 2.
    pub fn new(window: usize) -> Self {
        ReturnStd {
            window: vec![0.0; window.max(2)].into_boxed_slice(),
            next: 0,
            seen: 0,
            sum: 0.0,
            sum_sq: 0.0,
            prev_close: f64::NAN,
        }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let prev = self.prev_close;
        self.prev_close = close;
        if prev.is_nan() {
            return f64::NAN;
        }
        let r = close / prev - 1.0;
        let n = self.window.len();
        if self.seen >= n {
            let old = self.window[self.next];
            self.sum -= old;
            self.sum_sq -= old * old;
        }
        self.sum += r;
        self.sum_sq += r * r;
        self.window[self.next] = r;
        self.next += 1;
        if self.next == n {
            self.next = 0;
            self.sum = self.window.iter().sum();
            self.sum_sq = self.window.iter().map(|x| x * x).sum();
        }
        self.seen += 1;
        self.value()
    }

    #[inline]
    pub fn value(&self) -> f64 {
        let n = self.window.len();
        if self.seen < n {
            return f64::NAN;
        }
        let nf = n as f64;
        let var = (self.sum_sq - self.sum * self.sum / nf) / (nf - 1.0);
        var.max(0.0).sqrt()
    }
}
