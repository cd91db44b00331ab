//! [`ReturnWindows`]: rolling, time-aligned per-step returns of every
//! instrument, for the correlated-exposure limit.
//!
//! Correlation only means something between returns over the same steps, so
//! all instruments are sampled together once per time step from their last
//! close (forward-filled when an instrument had no bar that step, which makes
//! its return 0). One flat, preallocated ring holds every window; computing a
//! correlation is a pass over two slices, with no allocation.

use tradebot_core::{finite, positive_finite};

/// Rolling windows of aligned simple returns, one per instrument.
#[derive(Debug, Clone)]
pub(crate) struct ReturnWindows {
    window: usize,
    /// Symbol-major: the window of symbol `s` is `returns[s * window..][..window]`.
    /// NaN marks a step where the symbol had no return yet (no earlier close).
    returns: Vec<f64>,
    /// Next slot to write, shared by all symbols (the steps are aligned).
    next: usize,
    /// Slots written so far, up to `window`.
    filled: usize,
    /// Latest close per symbol (NaN before its first bar).
    last_close: Vec<f64>,
    /// Close per symbol at the previous sample.
    sampled_close: Vec<f64>,
    /// Whether any bar arrived since the last sample.
    fresh: bool,
}

impl ReturnWindows {
    pub(crate) fn new(symbols: usize, window: usize) -> Self {
        ReturnWindows {
            window,
            returns: vec![f64::NAN; symbols * window],
            next: 0,
            filled: 0,
            last_close: vec![f64::NAN; symbols],
            sampled_close: vec![f64::NAN; symbols],
            fresh: false,
        }
    }

    /// Records a bar's close; unusable closes are ignored (the last good
    /// one is forward-filled instead).
    #[inline]
    pub(crate) fn record(&mut self, symbol: usize, close: f64) {
        if positive_finite(close)
            && let Some(slot) = self.last_close.get_mut(symbol)
        {
            *slot = close;
            self.fresh = true;
        }
    }

    /// The latest close of `symbol`, if it had a bar.
    #[inline]
    pub(crate) fn last_close(&self, symbol: usize) -> Option<f64> {
        self.last_close.get(symbol).copied().filter(|&c| finite(c))
    }

    /// Closes one time step: appends every symbol's return since the last
    /// sample. A step without any bar appends nothing.
    pub(crate) fn sample(&mut self) {
        if !self.fresh || self.window == 0 {
            return;
        }
        self.fresh = false;
        let (window, next) = (self.window, self.next);
        for (s, (last, prev)) in self.last_close.iter().zip(self.sampled_close.iter_mut()).enumerate() {
            // NaN when either close is missing: that step is skipped pairwise.
            self.returns[s * window + next] = *last / *prev - 1.0;
            if finite(*last) {
                *prev = *last;
            }
        }
        self.next = if next + 1 == window { 0 } else { next + 1 };
        self.filled = (self.filled + 1).min(window);
    }

    /// Pearson correlation of the returns of `a` and `b` over the steps where
    /// both have one; `None` with fewer than `min_samples` such steps or when
    /// either series is constant (correlation undefined).
    pub(crate) fn correlation(&self, a: usize, b: usize, min_samples: usize) -> Option<f64> {
        let (xs, ys) = (self.series(a)?, self.series(b)?);
        let pairs = || xs.iter().zip(ys).filter(|(x, y)| x.is_finite() && y.is_finite());
        let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
        for (x, y) in pairs() {
            n += 1;
            sx += x;
            sy += y;
        }
        if n < min_samples.max(2) {
            return None;
        }
        let (mx, my) = (sx / n as f64, sy / n as f64);
        let (mut cxy, mut cxx, mut cyy) = (0.0, 0.0, 0.0);
        for (x, y) in pairs() {
            let (dx, dy) = (x - mx, y - my);
            cxy += dx * dy;
            cxx += dx * dx;
            cyy += dy * dy;
        }
        let denominator = (cxx * cyy).sqrt();
        (denominator > 0.0).then(|| (cxy / denominator).clamp(-1.0, 1.0))
    }

    /// The written part of a symbol's window (slot order does not matter for
    /// correlation, only that both series use the same slots).
    fn series(&self, symbol: usize) -> Option<&[f64]> {
        let start = symbol.checked_mul(self.window)?;
        self.returns.get(start..start + self.filled)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    fn feed(w: &mut ReturnWindows, closes: &[[f64; 2]]) {
        for step in closes {
            for (s, c) in step.iter().enumerate() {
                w.record(s, *c);
            }
            w.sample();
        }
    }

    #[test]
    fn proportional_moves_are_perfectly_correlated_and_opposite_ones_anti_correlated() {
        let mut w = ReturnWindows::new(2, 10);
        feed(&mut w, &[[100.0, 50.0], [101.0, 49.5], [99.0, 50.5], [102.0, 49.0], [100.0, 50.0]]);
        let c = w.correlation(0, 1, 2).unwrap();
        assert!(c < -0.99, "{c}");
        assert_eq!(w.correlation(0, 0, 2), Some(1.0));
    }

    #[test]
    fn too_few_joint_samples_mean_no_correlation() {
        let mut w = ReturnWindows::new(2, 10);
        feed(&mut w, &[[100.0, 50.0], [101.0, 51.0], [102.0, 52.5]]);
        // Three closes give two returns.
        assert!(w.correlation(0, 1, 2).is_some());
        assert_eq!(w.correlation(0, 1, 3), None);
    }

    #[test]
    fn a_symbol_without_bars_yet_contributes_no_samples() {
        let mut w = ReturnWindows::new(2, 10);
        feed(&mut w, &[[100.0, f64::NAN], [101.0, f64::NAN], [102.0, 10.0], [101.0, 11.0], [103.0, 12.0]]);
        // Only the last two steps have a return for both.
        assert!(w.correlation(0, 1, 2).is_some());
        assert_eq!(w.correlation(0, 1, 3), None);
    }

    #[test]
    fn the_window_keeps_only_the_latest_steps() {
        let mut w = ReturnWindows::new(2, 3);
        // Early anti-correlated moves roll out of the 3-step window.
        feed(&mut w, &[[100.0, 100.0], [110.0, 90.0], [100.0, 100.0], [110.0, 90.0]]);
        feed(&mut w, &[[121.0, 99.0], [133.1, 108.9], [121.0, 99.0]]);
        assert!(w.correlation(0, 1, 3).unwrap() > 0.999);
    }

    #[test]
    fn a_constant_series_has_no_correlation() {
        let mut w = ReturnWindows::new(2, 10);
        feed(&mut w, &[[100.0, 5.0], [101.0, 5.0], [99.0, 5.0], [98.0, 5.0]]);
        assert_eq!(w.correlation(0, 1, 2), None);
    }
}
