//! Realised volatility and Garman–Klass volatility over a window: per-bar
//! volatility levels for sizing and regime features, from closes only
//! (realised) and from the whole bar (Garman–Klass, more efficient when
//! the bars' ranges are informative).
//!
//! - Realised volatility over `n` bars: `sqrt(sum_{last n} ln(c_t /
//!   c_{t-1})²)` (not annualised, not divided by `n`: the volatility of
//!   the `n`-bar horizon); several horizons are several instances (the
//!   agents use 10, 30 and 100).
//! - Garman–Klass over `n` bars: `sqrt(mean_{last n} (0.5 ln(H/L)² -
//!   (2 ln 2 - 1) ln(C/O)²))`, per bar. Each term is `>= 0` because
//!   `|ln(C/O)| <= ln(H/L)` for a valid bar.
//!
//! Hand-written (neither `ta` nor `yata` has them). The sums are the crate's
//! Kahan-compensated [`Sma`] (pandas' rolling sum/mean algorithm), which
//! does not drift over long streams: O(1) per bar, no allocation after
//! `new`.

use tradebot_core::Candle;

use crate::Sma;

/// `sqrt` of the sum of the last `window` squared log returns; NaN until
/// `window` returns were seen (the first `window` bars).
#[derive(Clone, Debug)]
pub struct RealizedVol(RealizedVolGroup<1>);

impl RealizedVol {
    /// `window` is clamped to at least 1.
    pub fn new(window: usize) -> Self {
        RealizedVol(RealizedVolGroup::new([window]))
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let [v] = self.0.update(close);
        v
    }
}

/// Up to `L` adjacent [`RealizedVol`]s (any windows) over one stream of
/// log returns: one `ln` and one division a bar instead of one each per
/// window. A feature alone is the group of one, so each window's output is
/// its feature's, bit for bit.
#[derive(Clone, Debug)]
pub(crate) struct RealizedVolGroup<const L: usize> {
    prev_close: f64,
    means: [Sma; L],
}

impl<const L: usize> RealizedVolGroup<L> {
    pub(crate) fn new(windows: [usize; L]) -> Self {
        RealizedVolGroup { prev_close: f64::NAN, means: windows.map(Sma::new) }
    }

    #[inline]
    pub(crate) fn update(&mut self, close: f64) -> [f64; L] {
        let prev = self.prev_close;
        self.prev_close = close;
        if prev.is_nan() {
            return [f64::NAN; L];
        }
        let lr = (close / prev).ln();
        let sq = lr * lr;
        // `Sma` keeps the compensated sum; mean * n gives it back (to one
        // rounding), and a rounding-negative mean is clamped to 0 by `Sma`.
        self.means.each_mut().map(|m| (m.update(sq) * m.period() as f64).sqrt())
    }
}

/// Garman–Klass volatility over the last `window` bars (per bar, not
/// annualised); NaN for the first `window - 1` bars.
#[derive(Clone, Debug)]
pub struct GarmanKlass {
    mean: Sma,
}

impl GarmanKlass {
    /// `window` is clamped to at least 1.
    pub fn new(window: usize) -> Self {
        GarmanKlass { mean: Sma::new(window) }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let hl = (bar.high / bar.low).ln();
        let co = (bar.close / bar.open).ln();
        let term = 0.5 * hl * hl - (2.0 * std::f64::consts::LN_2 - 1.0) * co * co;
        // Non-negative for a valid bar; `max` keeps a rounding-negative
        // term of a zero-range bar from making the mean negative.
        self.mean.update(term.max(0.0)).sqrt()
    }
}
