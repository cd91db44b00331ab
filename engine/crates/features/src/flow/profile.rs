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
//! What keeps it cheap: the range comes from rolling extremes (O(1), see
//! `extrema`); each bar's bin is cached, and while the range is unchanged
//! (three bars in four of a random walk, window 100) only two bins change —
//! the leaving bar's bin is re-summed from the cached indices (vector
//! compares into bit masks, no arithmetic on prices) and the new bar's
//! volume is added to its bin; when the range moves, every bar is re-binned
//! with a multiplication instead of a division, falling back to the exact
//! expression above where the product lands within 1e-9 of a bin edge.
//! Every bin sum is still formed oldest bar first, so the bins equal the
//! reference's full re-binning bit for bit (checked in the tests below).
//! The value area's target is 70 % of the sum of the bins, which is within
//! a few ulps of the reference's total added bar by bar; where any of the
//! value area's `acc < target` decisions comes within 1e-12 of the total,
//! the bar-by-bar total is computed and used instead, so the value area is
//! the reference's too.

use tradebot_core::Candle;
use wide::f64x2;

use crate::lanes::sum4;
use crate::{RollingMax, RollingMin};

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
    /// Typical price, volume and bin of the last `window` bars (a ring,
    /// one array each so that a bin's bars are found with vector compares);
    /// the bins are those of the range in `binned`.
    tps: Box<[f64]>,
    vols: Box<[f64]>,
    bins: Box<[u32]>,
    /// `(hi, lo)` the cached bins were computed for, if they are current.
    binned: Option<(f64, f64)>,
    highs: RollingMax,
    lows: RollingMin,
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
            tps: vec![0.0; window.max(1)].into_boxed_slice(),
            vols: vec![0.0; window.max(1)].into_boxed_slice(),
            bins: vec![0; window.max(1)].into_boxed_slice(),
            binned: None,
            highs: RollingMax::new(window.max(1)),
            lows: RollingMin::new(window.max(1)),
            next: 0,
            seen: 0,
            volume: vec![0.0; bins.max(1)].into_boxed_slice(),
            value_area,
        }
    }

    pub fn update(&mut self, bar: &Candle) -> VolumeProfileValue {
        let n = self.tps.len();
        let (hi, lo) = (self.highs.update(bar.high), self.lows.update(bar.low));
        let tp = (bar.high + bar.low + bar.close) / 3.0;
        let was_full = self.seen >= n;
        let at = self.next;
        let leaving = self.bins[at];
        (self.tps[at], self.vols[at], self.bins[at]) = (tp, bar.volume, 0);
        self.next = if at + 1 == n { 0 } else { at + 1 };
        self.seen = self.seen.saturating_add(1);
        if self.seen < n {
            return UNDEFINED;
        }
        let incremental = was_full && hi > lo && self.binned == Some((hi, lo));
        let total = if incremental {
            let b = self.bin(tp, hi, lo);
            self.bins[at] = b;
            self.resum(leaving);
            if b != leaving {
                self.volume[b as usize] += bar.volume;
            }
            // The sum of the bins is within a few ulps of the reference's
            // total (added bar by bar); it only sets the value area's target,
            // and where a decision comes that close, the exact total is used.
            sum4(&self.volume)
        } else {
            self.rebin(hi, lo)
        };
        let bins = self.volume.len();
        if total.is_nan() || total <= 0.0 {
            return UNDEFINED;
        }
        if hi <= lo {
            return VolumeProfileValue { poc: lo, vah: lo, val: lo };
        }
        // The most volume so far kept in a register, not re-read through
        // the index (a load on every step's dependency chain).
        let (mut poc, mut most) = (0, self.volume[0]);
        for (i, &v) in self.volume.iter().enumerate() {
            if v > most {
                (poc, most) = (i, v);
            }
        }
        let (mut low, mut high, margin) = self.value_area_bins(poc, self.value_area * total);
        if incremental && margin <= 1e-12 * total {
            let (newer, older) = self.vols.split_at(self.next);
            let exact = older.iter().chain(newer).fold(0.0, |t, &v| t + v);
            (low, high, _) = self.value_area_bins(poc, self.value_area * exact);
        }
        let w = (hi - lo) / bins as f64;
        VolumeProfileValue {
            poc: lo + (poc as f64 + 0.5) * w,
            vah: lo + (high + 1) as f64 * w,
            val: lo + low as f64 * w,
        }
    }

    /// Grows the value area from the POC bin until it holds `target`
    /// volume; returns its lowest and highest bins and how close any
    /// `acc < target` decision came to going the other way.
    fn value_area_bins(&self, poc: usize, target: f64) -> (usize, usize, f64) {
        let vol = &self.volume;
        let (mut low, mut high, mut acc) = (poc, poc, vol[poc]);
        let mut margin = (acc - target).abs();
        // Which side grows is as unpredictable as the prices, so it is
        // selected, not branched on (a mispredicted branch a step cost more
        // than the rest of the step). A missing side reads as -inf: the up
        // side wins ties and any comparison with a missing lower side.
        while acc < target {
            let up = vol.get(high + 1).copied().unwrap_or(f64::NEG_INFINITY);
            let down = if low > 0 { vol[low - 1] } else { f64::NEG_INFINITY };
            if high + 1 == vol.len() && low == 0 {
                break;
            }
            let take_up = up >= down || low == 0;
            acc += if take_up { up } else { down };
            high += usize::from(take_up);
            low -= usize::from(!take_up);
            margin = margin.min((acc - target).abs());
        }
        (low, high, margin)
    }

    /// Bin of a typical price for the range `[lo, hi]`, `hi > lo`.
    #[inline]
    fn bin(&self, tp: f64, hi: f64, lo: f64) -> u32 {
        let (range, nbins) = (hi - lo, self.volume.len());
        scalar_bin(tp, lo, range, nbins as f64 / range, nbins)
    }

    /// Bins every bar of the window for the range `[lo, hi]`; returns the
    /// total volume, added in bar order as the reference adds it.
    fn rebin(&mut self, hi: f64, lo: f64) -> f64 {
        // Two passes. The bins first: independent of each other, so they
        // pipeline (and the exact fallback's division stays off the common
        // path). Then the sums, oldest bar first, whose only dependencies
        // are between bars landing in the same bin.
        let nbins = self.volume.len();
        if hi > lo {
            let range = hi - lo;
            let scale = nbins as f64 / range;
            if !bin_pairs(&mut self.bins, &self.tps, lo, scale, nbins) {
                for (b, &tp) in self.bins.iter_mut().zip(self.tps.iter()) {
                    *b = scalar_bin(tp, lo, range, scale, nbins);
                }
            }
        } else {
            self.bins.fill(0);
        }
        self.volume.fill(0.0);
        let mut total = 0.0;
        let next = self.next;
        for (bins, vols) in [(&self.bins[next..], &self.vols[next..]), (&self.bins[..next], &self.vols[..next])] {
            for (&b, &v) in bins.iter().zip(vols) {
                self.volume[b as usize] += v;
                total += v;
            }
        }
        self.binned = (hi > lo).then_some((hi, lo));
        total
    }

    /// Re-sums one bin from the cached indices, oldest bar first.
    ///
    /// A bin holds a few of the window's bars at scattered places, so a
    /// scan that branches on each bar's bin mispredicts at every one of
    /// them. The bins are compared sixteen at a time into a bit mask
    /// (vector compares) and only the set bits are visited, oldest first:
    /// the ring from `next` on, then its start.
    fn resum(&mut self, bin: u32) {
        let n = self.bins.len();
        if n > 64 * MASK_WORDS {
            return self.resum_scan(bin);
        }
        let mut masks = [0u64; MASK_WORDS];
        let mut bin16 = self.bins.chunks_exact(16);
        for (c, b) in (&mut bin16).enumerate() {
            let mut hits = 0u64;
            for (i, &x) in b.iter().enumerate() {
                hits |= u64::from(x == bin) << i;
            }
            masks[c / 4] |= hits << (16 * (c % 4));
        }
        let base = n - bin16.remainder().len();
        for (i, &x) in bin16.remainder().iter().enumerate() {
            masks[(base + i) / 64] |= u64::from(x == bin) << ((base + i) % 64);
        }
        let next = self.next;
        let mut sum = 0.0;
        for (from, to) in [(next, n), (0, next)] {
            let words = masks.iter().enumerate().take(to.div_ceil(64)).skip(from / 64);
            for (w, &mask) in words {
                let mut hits = mask;
                if w == from / 64 {
                    hits &= u64::MAX << (from % 64);
                }
                if w == to / 64 {
                    hits &= (1u64 << (to % 64)) - 1;
                }
                while hits != 0 {
                    sum += self.vols[64 * w + hits.trailing_zeros() as usize];
                    hits &= hits - 1;
                }
            }
        }
        self.volume[bin as usize] = sum;
    }

    /// [`VolumeProfile::resum`] for windows too long for its masks.
    fn resum_scan(&mut self, bin: u32) {
        let next = self.next;
        let mut sum = 0.0;
        for (bins, vols) in [(&self.bins[next..], &self.vols[next..]), (&self.bins[..next], &self.vols[..next])] {
            for (&b, &v) in bins.iter().zip(vols) {
                if b == bin {
                    sum += v;
                }
            }
        }
        self.volume[bin as usize] = sum;
    }
}

/// The bin of a typical price: `scale = bins / range` multiplied, the exact
/// expression of the module doc where the product lands within 1e-9 of a
/// bin edge. `as i64` is `floor` here (values >= 0; NaN and tiny negatives
/// from rounding go to bin 0, as `floor` then a clamp would send them).
#[inline]
fn scalar_bin(tp: f64, lo: f64, range: f64, scale: f64, nbins: usize) -> u32 {
    let fast = (tp - lo) * scale;
    let frac = fast - (fast as i64) as f64;
    let u = if (1e-9..1.0 - 1e-9).contains(&frac) { fast } else { exact_position(tp, lo, range, nbins as f64) };
    (u as i64).clamp(0, nbins as i64 - 1) as u32
}

/// Windows up to 64 × this many bars re-sum a bin through bit masks.
const MASK_WORDS: usize = 4;

/// [`scalar_bin`] of every typical price, two at a time (SSE2 has
/// no conversion of two `f64`s to integers, so `floor` is built from the
/// `2^52` trick: adding it rounds to an integer, and one compare corrects a
/// round up). Returns `false`, with `bins` unspecified, if any typical price
/// needs what the scalar pass does (a product within 1e-9 of a bin edge,
/// outside `[0, 2^51)`, or NaN) or the window is odd. Otherwise each bin is
/// the scalar pass's: for a product `x` in range with its fraction clear of
/// the edges, `floor(x)` is what `x as i64` truncates to.
#[inline]
fn bin_pairs(bins: &mut [u32], tps: &[f64], lo: f64, scale: f64, nbins: usize) -> bool {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if !tps.len().is_multiple_of(2) {
        return false;
    }
    let last = nbins.saturating_sub(1) as f64;
    let (m, vlo, vscale) = (f64x2::splat(TWO_52), f64x2::splat(lo), f64x2::splat(scale));
    let (edge, top) = (f64x2::splat(1e-9), f64x2::splat(1.0 - 1e-9));
    let (mut t2, mut b2) = (tps.chunks_exact(2), bins.chunks_exact_mut(2));
    let mut clear = true;
    for (t, b) in (&mut t2).zip(&mut b2) {
        let x = (f64x2::new([t[0], t[1]]) - vlo) * vscale;
        let r = (x + m) - m;
        let floor = r - (r.simd_gt(x) & f64x2::ONE);
        let frac = x - floor;
        let in_range = x.simd_ge(f64x2::ZERO) & x.simd_lt(f64x2::splat(TWO_52 / 2.0));
        let ok = frac.simd_ge(edge) & frac.simd_lt(top) & in_range;
        clear &= ok.to_bitmask() == 0b11;
        let [f0, f1] = floor.fast_min(f64x2::splat(last)).to_array();
        b[0] = f0 as u32;
        b[1] = f1 as u32;
    }
    clear
}

/// The exact `(tp - lo) / range * bins` for a product that landed near a
/// bin edge; out of line so that the common path does not compute (and wait
/// for) its division.
#[cold]
#[inline(never)]
fn exact_position(tp: f64, lo: f64, range: f64, bins: f64) -> f64 {
    (tp - lo) / range * bins
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;
    use proptest::prelude::*;
    use tradebot_core::Timestamp;

    /// The bins of one window as the module doc defines them: a scan for
    /// the range, the exact formula for every bar, oldest bar first.
    fn literal_bins(window: &[Candle], bins: usize) -> Vec<f64> {
        let lo = window.iter().map(|b| b.low).fold(f64::INFINITY, f64::min);
        let hi = window.iter().map(|b| b.high).fold(f64::NEG_INFINITY, f64::max);
        let mut volume = vec![0.0; bins];
        for b in window {
            let tp = (b.high + b.low + b.close) / 3.0;
            let i = if hi > lo { (((tp - lo) / (hi - lo) * bins as f64).floor() as usize).min(bins - 1) } else { 0 };
            volume[i] += b.volume;
        }
        volume
    }

    /// The whole output of one window as the module doc defines it (the
    /// reference script's steps, total added bar by bar).
    fn literal(window: &[Candle], bins: usize, value_area: f64) -> VolumeProfileValue {
        let lo = window.iter().map(|b| b.low).fold(f64::INFINITY, f64::min);
        let hi = window.iter().map(|b| b.high).fold(f64::NEG_INFINITY, f64::max);
        let volume = literal_bins(window, bins);
        let total = window.iter().fold(0.0, |t, b| t + b.volume);
        if total.is_nan() || total <= 0.0 {
            return UNDEFINED;
        }
        if hi <= lo {
            return VolumeProfileValue { poc: lo, vah: lo, val: lo };
        }
        let poc = (0..bins).fold(0, |p, i| if volume[i] > volume[p] { i } else { p });
        let (mut a, mut b, mut acc) = (poc, poc, volume[poc]);
        while acc < value_area * total {
            let up = (b + 1 < bins).then(|| volume[b + 1]);
            let down = (a > 0).then(|| volume[a - 1]);
            match (up, down) {
                (Some(u), Some(d)) if u >= d => (b, acc) = (b + 1, acc + u),
                (Some(u), None) => (b, acc) = (b + 1, acc + u),
                (_, Some(d)) => (a, acc) = (a - 1, acc + d),
                (None, None) => break,
            }
        }
        let w = (hi - lo) / bins as f64;
        VolumeProfileValue { poc: lo + (poc as f64 + 0.5) * w, vah: lo + (b + 1) as f64 * w, val: lo + a as f64 * w }
    }

    proptest! {
        /// Prices on a coarse grid put many typical prices exactly on bin
        /// edges, where the multiply-by-reciprocal shortcut would misplace
        /// a bar without its exact fallback, and keep the range unchanged
        /// for runs of bars (the incremental path).
        #[test]
        fn bars_land_in_the_bins_of_the_exact_formula(
            ticks in prop::collection::vec((0u32..48, 0u32..48, 0u32..48, 1u32..100), 2..320),
            // Short windows, windows spanning several 64-bar mask words,
            // and windows past the masks (the plain scan).
            window in prop_oneof![1usize..40, 60usize..140, 250usize..270],
            bins in 1usize..30,
        ) {
            let bars: Vec<Candle> = ticks
                .iter()
                .enumerate()
                .map(|(i, &(a, b, c, v))| {
                    let (lo, hi) = (a.min(b).min(c), a.max(b).max(c));
                    Candle {
                        open_time: Timestamp::from_nanos(i as i64),
                        open: 1.0 + f64::from(a) * 0.125,
                        high: 1.0 + f64::from(hi) * 0.125,
                        low: 1.0 + f64::from(lo) * 0.125,
                        close: 1.0 + f64::from(c) * 0.125,
                        // Sevenths: sums that depend on the order of adding.
                        volume: f64::from(v) / 7.0,
                    }
                })
                .collect();
            // Sliding, so both the incremental path (range unchanged) and
            // full re-binning (range moved) are checked bar by bar.
            let mut p = VolumeProfile::new(window, bins, 0.7);
            for (t, b) in bars.iter().enumerate() {
                let got = p.update(b);
                if t + 1 >= window {
                    let w = &bars[t + 1 - window..=t];
                    prop_assert_eq!(&p.volume[..], &literal_bins(w, bins)[..], "bar {}", t);
                    let want = literal(w, bins, 0.7);
                    let bits = |v: VolumeProfileValue| [v.poc.to_bits(), v.vah.to_bits(), v.val.to_bits()];
                    prop_assert_eq!(bits(got), bits(want), "bar {}: {:?} vs {:?}", t, got, want);
                }
            }
        }
    }
}
