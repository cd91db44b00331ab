//! Drawdown from the running peak of the close: how far the price is below
//! the highest close seen so far, the loss a holder since the peak would
//! carry (a risk and regime feature).
//!
//! Definition: `c_t / max_{s <= t} c_s - 1`, in `(-1, 0]` for positive
//! prices, 0 at a new high (pandas `close / close.cummax() - 1`, the same
//! operations, so bit-identical). The peak is over the whole stream since
//! the first bar. O(1), one float of state.

/// Drawdown of the close from its running peak; defined from the first bar.
#[derive(Clone, Debug)]
pub struct Drawdown {
    peak: f64,
}

impl Default for Drawdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Drawdown {
    pub fn new() -> Self {
        Drawdown { peak: f64::NAN }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        // `f64::max` ignores the NaN of the empty state.
        self.peak = self.peak.max(close);
        close / self.peak - 1.0
    }

    /// The running peak (NaN before the first bar).
    pub fn peak(&self) -> f64 {
        self.peak
    }
}
