//! Price/volume and microstructure features (issue 4, items 1 and 3):
//! Keltner channels, rolling and session VWAP, a rolling volume profile and a
//! tick-rule cumulative volume delta from candles; a per-interval trade
//! aggregator with order-flow, liquidity and spread estimators from trades;
//! and order-book features on fixed-depth snapshots.
//!
//! These exist because agents should see who is trading and how liquid the
//! market is, not only where the price went. Like the rest of the crate every
//! struct is updated one bar (or trade) at a time, allocates only in `new`
//! and never looks at a later input.

mod book;
mod cvd;
mod keltner;
mod profile;
mod trades;
mod vwap;

pub use book::{BookLevel, BookSnapshot};
pub use cvd::{TickCvd, TickRule};
pub use keltner::{Keltner, KeltnerBands};
pub use profile::{VolumeProfile, VolumeProfileValue};
pub use trades::{SIZE_BUCKETS, Trade, TradeBar, TradeBarParams, TradeBars};
pub use vwap::{RollingVwap, SessionVwap};

/// Running sum of the last `n` values in a fixed ring, counting how many of
/// them are non-zero. Add/subtract sums drift over millions of updates, so the
/// sum is recomputed from the ring every time the ring wraps (amortised O(1),
/// exact to rounding); the non-zero count lets callers tell an all-zero window
/// (undefined ratio) from a sum that is only rounding residue.
#[derive(Clone, Debug)]
struct RollingSum {
    ring: Box<[f64]>,
    next: usize,
    seen: usize,
    sum: f64,
    nonzero: usize,
}

impl RollingSum {
    fn new(n: usize) -> Self {
        RollingSum { ring: vec![0.0; n.max(1)].into_boxed_slice(), next: 0, seen: 0, sum: 0.0, nonzero: 0 }
    }

    /// Adds `x`, dropping the value pushed `n` pushes ago.
    #[inline]
    fn push(&mut self, x: f64) {
        let n = self.ring.len();
        if self.seen >= n {
            let old = self.ring[self.next];
            self.sum -= old;
            if old != 0.0 {
                self.nonzero -= 1;
            }
        }
        self.sum += x;
        if x != 0.0 {
            self.nonzero += 1;
        }
        self.ring[self.next] = x;
        self.next += 1;
        if self.next == n {
            self.next = 0;
            self.sum = self.ring.iter().sum();
        }
        self.seen = self.seen.saturating_add(1);
    }

    /// True once `n` values are in the window.
    #[inline]
    fn full(&self) -> bool {
        self.seen >= self.ring.len()
    }

    #[inline]
    fn sum(&self) -> f64 {
        if self.nonzero == 0 { 0.0 } else { self.sum }
    }

    #[inline]
    fn all_zero(&self) -> bool {
        self.nonzero == 0
    }
}

/// Rolling least-squares statistics of `(x, y)` pairs over the last `n`
/// pairs: the sums of x, y, x² and xy kept as [`RollingSum`]s (so they are
/// re-summed from the ring on every wrap), giving the sample covariance and
/// the OLS slope in O(1).
#[derive(Clone, Debug)]
struct RollingCov {
    x: RollingSum,
    y: RollingSum,
    xx: RollingSum,
    xy: RollingSum,
    n: usize,
}

impl RollingCov {
    fn new(n: usize) -> Self {
        let n = n.max(2);
        RollingCov { x: RollingSum::new(n), y: RollingSum::new(n), xx: RollingSum::new(n), xy: RollingSum::new(n), n }
    }

    #[inline]
    fn push(&mut self, x: f64, y: f64) {
        self.x.push(x);
        self.y.push(y);
        self.xx.push(x * x);
        self.xy.push(x * y);
    }

    #[inline]
    fn full(&self) -> bool {
        self.x.full()
    }

    /// `Σ(x - x̄)(y - ȳ)` over the window.
    #[inline]
    fn sxy(&self) -> f64 {
        self.xy.sum() - self.x.sum() * self.y.sum() / self.n as f64
    }

    /// `Σ(x - x̄)²` over the window (clamped at 0: negative is rounding).
    #[inline]
    fn sxx(&self) -> f64 {
        (self.xx.sum() - self.x.sum() * self.x.sum() / self.n as f64).max(0.0)
    }

    /// Sample covariance (`n - 1` denominator, as pandas' `rolling().cov()`).
    #[inline]
    fn cov(&self) -> f64 {
        if !self.full() {
            return f64::NAN;
        }
        self.sxy() / (self.n as f64 - 1.0)
    }

    /// OLS slope of y on x with an intercept; NaN while warming up or when x
    /// is constant over the window (the slope is then undefined). "Constant"
    /// is `Σ(x - x̄)² <= 1e-12 Σx²`: below that the centred sum is rounding
    /// residue of the running sums, and dividing by it would return noise.
    #[inline]
    fn slope(&self) -> f64 {
        if !self.full() {
            return f64::NAN;
        }
        let sxx = self.sxx();
        if sxx <= 1e-12 * self.xx.sum() || sxx == 0.0 {
            return f64::NAN;
        }
        self.sxy() / sxx
    }
}
