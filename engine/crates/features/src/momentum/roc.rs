//! Rate of change in percent, `100 * (close / close[t - period] - 1)`, the
//! TA-Lib ROC; it needs the close `period` bars back, kept in a fixed ring.

/// ROC of the close; NaN for the first `period` bars.
#[derive(Clone, Debug)]
pub struct Roc {
    ring: Box<[f64]>,
    next: usize,
    seen: usize,
}

impl Roc {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        Roc { ring: vec![0.0; period.max(1)].into_boxed_slice(), next: 0, seen: 0 }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let n = self.ring.len();
        let old = self.ring[self.next];
        let full = self.seen >= n;
        self.ring[self.next] = close;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen = self.seen.saturating_add(1);
        if !full {
            f64::NAN
        } else if old != 0.0 {
            (close / old - 1.0) * 100.0
        } else {
            // TA-Lib's value when the old close is zero (prices are > 0, so
            // this is only reachable with invalid input).
            0.0
        }
    }
}
