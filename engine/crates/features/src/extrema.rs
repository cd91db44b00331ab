//! Rolling minimum / maximum over the last `n` values in amortised O(1),
//! with a monotonic queue kept in a fixed ring (no allocation per bar).
//! Used for swing support/resistance stops.

#[derive(Clone, Debug)]
struct MonotonicQueue {
    /// (sequence number, value) pairs, monotonic in value.
    ring: Box<[(u64, f64)]>,
    head: usize,
    len: usize,
    seq: u64,
    window: u64,
}

impl MonotonicQueue {
    fn new(window: usize) -> Self {
        let window = window.max(1);
        MonotonicQueue {
            ring: vec![(0, 0.0); window].into_boxed_slice(),
            head: 0,
            len: 0,
            seq: 0,
            window: window as u64,
        }
    }

    /// Ring index of the `i`-th queued element. `head + i < 2 * len`, so a
    /// compare-and-subtract replaces the modulo (an integer division that
    /// cost more than the rest of the update).
    #[inline]
    fn slot(&self, i: usize) -> usize {
        let j = self.head + i;
        if j >= self.ring.len() { j - self.ring.len() } else { j }
    }

    /// `dominates(a, b)`: `a` makes `b` useless (`a <= b` for a minimum).
    #[inline]
    fn push(&mut self, value: f64, dominates: impl Fn(f64, f64) -> bool) -> f64 {
        let seq = self.seq;
        self.seq += 1;
        while self.len > 0 && self.ring[self.slot(0)].0 + self.window <= seq {
            self.head = self.slot(1);
            self.len -= 1;
        }
        while self.len > 0 && dominates(value, self.ring[self.slot(self.len - 1)].1) {
            self.len -= 1;
        }
        let at = self.slot(self.len);
        self.ring[at] = (seq, value);
        self.len += 1;
        self.current()
    }

    #[inline]
    fn current(&self) -> f64 {
        if self.seq < self.window || self.len == 0 { f64::NAN } else { self.ring[self.head].1 }
    }
}

/// Lowest of the last `n` values (NaN until `n` values were seen).
#[derive(Clone, Debug)]
pub struct RollingMin(MonotonicQueue);

impl RollingMin {
    pub fn new(n: usize) -> Self {
        RollingMin(MonotonicQueue::new(n))
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> f64 {
        self.0.push(value, |a, b| a <= b)
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.0.current()
    }
}

/// Highest of the last `n` values (NaN until `n` values were seen).
#[derive(Clone, Debug)]
pub struct RollingMax(MonotonicQueue);

impl RollingMax {
    pub fn new(n: usize) -> Self {
        RollingMax(MonotonicQueue::new(n))
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> f64 {
        self.0.push(value, |a, b| a >= b)
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.0.current()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_a_scan_of_the_window(values in prop::collection::vec(-1e6f64..1e6, 1..300), n in 1usize..25) {
            let (mut lo, mut hi) = (RollingMin::new(n), RollingMax::new(n));
            for (i, &v) in values.iter().enumerate() {
                let (l, h) = (lo.update(v), hi.update(v));
                if i + 1 < n {
                    prop_assert!(l.is_nan() && h.is_nan());
                } else {
                    let w = &values[i + 1 - n..=i];
                    prop_assert_eq!(l, w.iter().copied().fold(f64::INFINITY, f64::min));
                    prop_assert_eq!(h, w.iter().copied().fold(f64::NEG_INFINITY, f64::max));
                }
            }
        }
    }
}
