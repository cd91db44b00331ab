//! One-bar simple return, `close_t / close_{t-1} - 1` (golden column
//! `ret_1`): the input of every return statistic, kept in one place so they
//! all agree on its definition.
//!
//! Hand-written: it is one division; `yata`'s `RateOfChange(1)` gives the same
//! numbers but starts at the first bar (with 0) instead of NaN, so a wrapper
//! would be longer than this.

/// `close_t / close_{t-1} - 1`; NaN at the first bar.
#[derive(Clone, Debug)]
pub struct SimpleReturn {
    prev_close: f64,
}

impl Default for SimpleReturn {
    fn default() -> Self {
        Self::new()
    }
}

impl SimpleReturn {
    pub fn new() -> Self {
        SimpleReturn { prev_close: f64::NAN }
    }

    /// Folds in a close and returns the return since the previous one.
    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let prev = self.prev_close;
        self.prev_close = close;
        // NaN propagates by itself at the first bar (`x / NaN - 1` is NaN).
        close / prev - 1.0
    }
}
