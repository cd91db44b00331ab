//! Rolling volume profile over the last `window` bars: where in price the
//! volume traded, its point of control (POC) and value area.
//!
//! Binning: the window's range `[lo, hi]` (lowest low, highest high of the
//! window) is cut into `bins` equal bins of width `w = (hi - lo) / bins`.
//! Candles do not say where inside the bar the volume traded, so each bar's
//! whole volume goes to the bin holding its typical price
//! `tp = (high + low + close) / 3`: bin `min(floor((tp - lo) / (hi - lo) * bins), bins - 1)`.
//!
//! * POC: the centre `lo + (i + 0.5) w` of the bin with the most volume (the
//!   lowest such bin on a tie).
//! * Value area (70 % by default): start from the POC bin and repeatedly add
//!   the neighbouring bin (one above or one below the area so far) with more
//!   volume — the one above on a tie, or whichever exists at an edge — until
//!   the area holds at least `value_area × total` volume. VAL is the lower
//!   edge `lo + i_low w` of its lowest bin, VAH the upper edge
//!   `lo + (i_high + 1) w` of its highest bin.
//! * A flat window (`hi == lo`) puts everything in one bin: POC = VAH = VAL =
//!   the price. A window that traded nothing has no profile: NaN.
//!
//! The bins move with the window's range, so every update rebins the window:
//! a bounded O(window + bins) scan over memory allocated in `new`, not O(1).

use tradebot_core::Candle;

/// One bar's profile summary.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct VolumeProfileValue {
    pub poc: f64,
    pub vah: f64,
    pub val: f64,
}

const UNDEFINED: VolumeProfileValue = VolumeProfileValue { poc: f64::NAN, vah: f64::NAN, val: f64::NAN };

/// Rolling volume profile; NaN for the first `window - 1` bars.
#[derive(Clone, Debug)]
pub struct VolumeProfile {
    /// `(typical price, volume, high, low)` of the last `window` bars.
    ring: Box<[(f64, f64, f64, f64)]>,
    next: usize,
    seen: usize,
    volume: Box<[f64]>,
    value_area: f64,
}

impl VolumeProfile {
    /// `window` and `bins` are clamped to at least 1; `value_area` is the
    /// fraction of volume in the value area (0.7 is the usual setting).
    pub fn new(window: usize, bins: usize, value_area: f64) -> Self {
        VolumeProfile {
            ring: vec![(0.0, 0.0, 0.0, 0.0); window.max(1)].into_boxed_slice(),
            next: 0,
            seen: 0,
            volume: vec![0.0; bins.max(1)].into_boxed_slice(),
            value_area,
        }
    }

    pub fn update(&mut self, bar: &Candle) -> VolumeProfileValue {
        let n = self.ring.len();
        self.ring[self.next] = ((bar.high + bar.low + bar.close) / 3.0, bar.volume, bar.high, bar.low);
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen = self.seen.saturating_add(1);
        if self.seen < n {
            return UNDEFINED;
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(_, _, h, l) in self.ring.iter() {
            lo = lo.min(l);
            hi = hi.max(h);
        }
        let bins = self.volume.len();
        self.volume.fill(0.0);
        let mut total = 0.0;
        // Oldest bar first, so the sums are formed in a fixed, documented
        // order (the reference script adds in the same order).
        for k in 0..n {
            let (tp, v, _, _) = self.ring[(self.next + k) % n];
            let i = if hi > lo { (((tp - lo) / (hi - lo) * bins as f64).floor() as usize).min(bins - 1) } else { 0 };
            self.volume[i] += v;
            total += v;
        }
        if total.is_nan() || total <= 0.0 {
            return UNDEFINED;
        }
        if hi <= lo {
            return VolumeProfileValue { poc: lo, vah: lo, val: lo };
        }
        let mut poc = 0;
        for (i, &v) in self.volume.iter().enumerate() {
            if v > self.volume[poc] {
                poc = i;
            }
        }
        let target = self.value_area * total;
        let (mut low, mut high, mut acc) = (poc, poc, self.volume[poc]);
        while acc < target {
            let up = if high + 1 < bins { Some(self.volume[high + 1]) } else { None };
            let down = if low > 0 { Some(self.volume[low - 1]) } else { None };
            match (up, down) {
                (Some(u), Some(d)) if u >= d => {
                    high += 1;
                    acc += u;
                }
                (Some(u), None) => {
                    high += 1;
                    acc += u;
                }
                (_, Some(d)) => {
                    low -= 1;
                    acc += d;
                }
                (None, None) => break,
            }
        }
        let w = (hi - lo) / bins as f64;
        VolumeProfileValue {
            poc: lo + (poc as f64 + 0.5) * w,
            vah: lo + (high + 1) as f64 * w,
            val: lo + low as f64 * w,
        }
    }
}
