//! Order-book features on a snapshot of the best `N` levels per side (there
//! is no live book feed yet; these are tested on hand-built books). Levels are
//! fixed-size arrays, best first; a level with amount `<= 0` or a non-finite
//! price or amount is empty and ends that side (deeper levels are ignored).
//!
//! * spread = best ask − best bid; mid = (best ask + best bid) / 2;
//!   relative spread = spread / mid;
//! * top-of-book imbalance = `(b₁ − a₁) / (b₁ + a₁)` with `b₁`, `a₁` the
//!   amounts at the best bid and ask, in [−1, 1];
//! * depth within `n` levels: `Σ_{k ≤ n}` amount per side;
//! * book pressure over `n` levels: the depth-weighted imbalance
//!   `Σ w_k (b_k − a_k) / Σ w_k (b_k + a_k)` with `w_k = 1 / k`, so the levels
//!   nearest the touch count most; in [−1, 1].
//!
//! Every feature is NaN when a side it needs is empty.

/// One price level.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BookLevel {
    pub price: f64,
    pub amount: f64,
}

impl BookLevel {
    pub const EMPTY: BookLevel = BookLevel { price: f64::NAN, amount: 0.0 };

    #[inline]
    fn is_empty(&self) -> bool {
        !(self.price.is_finite() && self.amount.is_finite() && self.amount > 0.0)
    }
}

/// The best `N` bid and ask levels, best first.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BookSnapshot<const N: usize> {
    pub bids: [BookLevel; N],
    pub asks: [BookLevel; N],
}

impl<const N: usize> Default for BookSnapshot<N> {
    fn default() -> Self {
        BookSnapshot { bids: [BookLevel::EMPTY; N], asks: [BookLevel::EMPTY; N] }
    }
}

/// The non-empty prefix of one side.
#[inline]
fn levels<const N: usize>(side: &[BookLevel; N]) -> impl Iterator<Item = &BookLevel> {
    side.iter().take_while(|l| !l.is_empty())
}

impl<const N: usize> BookSnapshot<N> {
    pub fn new(bids: [BookLevel; N], asks: [BookLevel; N]) -> Self {
        BookSnapshot { bids, asks }
    }

    #[inline]
    fn best(side: &[BookLevel; N]) -> Option<BookLevel> {
        levels(side).next().copied()
    }

    /// Best ask − best bid (negative for a crossed book).
    pub fn spread(&self) -> f64 {
        match (Self::best(&self.bids), Self::best(&self.asks)) {
            (Some(b), Some(a)) => a.price - b.price,
            _ => f64::NAN,
        }
    }

    pub fn mid(&self) -> f64 {
        match (Self::best(&self.bids), Self::best(&self.asks)) {
            (Some(b), Some(a)) => (a.price + b.price) / 2.0,
            _ => f64::NAN,
        }
    }

    /// Spread / mid.
    pub fn relative_spread(&self) -> f64 {
        self.spread() / self.mid()
    }

    /// `(b₁ − a₁) / (b₁ + a₁)` of the amounts at the touch.
    pub fn top_imbalance(&self) -> f64 {
        match (Self::best(&self.bids), Self::best(&self.asks)) {
            (Some(b), Some(a)) => (b.amount - a.amount) / (b.amount + a.amount),
            _ => f64::NAN,
        }
    }

    /// `(bid depth, ask depth)`: the summed amounts of the best `n` levels
    /// (fewer if a side has fewer).
    pub fn depth(&self, n: usize) -> (f64, f64) {
        let sum = |side: &[BookLevel; N]| levels(side).take(n).map(|l| l.amount).sum::<f64>();
        (sum(&self.bids), sum(&self.asks))
    }

    /// Depth-weighted imbalance over the best `n` levels, weights `1 / k`.
    pub fn pressure(&self, n: usize) -> f64 {
        let weighted = |side: &[BookLevel; N]| {
            levels(side).take(n).enumerate().map(|(k, l)| l.amount / (k + 1) as f64).sum::<f64>()
        };
        let (b, a) = (weighted(&self.bids), weighted(&self.asks));
        if b > 0.0 && a > 0.0 { (b - a) / (b + a) } else { f64::NAN }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;

    fn lv(price: f64, amount: f64) -> BookLevel {
        BookLevel { price, amount }
    }

    fn book() -> BookSnapshot<3> {
        BookSnapshot::new(
            [lv(99.0, 3.0), lv(98.0, 2.0), lv(97.0, 6.0)],
            [lv(101.0, 1.0), lv(102.0, 4.0), lv(103.0, 3.0)],
        )
    }

    #[test]
    fn spread_mid_and_relative_spread() {
        let b = book();
        assert_eq!(b.spread(), 2.0);
        assert_eq!(b.mid(), 100.0);
        assert_eq!(b.relative_spread(), 0.02);
    }

    #[test]
    fn top_imbalance_uses_the_touch_only() {
        assert_eq!(book().top_imbalance(), (3.0 - 1.0) / 4.0);
    }

    #[test]
    fn depth_counts_the_best_n_levels() {
        let b = book();
        assert_eq!(b.depth(1), (3.0, 1.0));
        assert_eq!(b.depth(2), (5.0, 5.0));
        assert_eq!(b.depth(3), (11.0, 8.0));
        assert_eq!(b.depth(10), (11.0, 8.0));
    }

    #[test]
    fn pressure_weights_levels_by_one_over_k() {
        let b = book();
        let bid = 3.0 + 2.0 / 2.0 + 6.0 / 3.0;
        let ask = 1.0 + 4.0 / 2.0 + 3.0 / 3.0;
        assert_eq!(b.pressure(3), (bid - ask) / (bid + ask));
        assert_eq!(b.pressure(1), b.top_imbalance());
        // Equal depth in two levels but more at the touch on the bid side.
        assert!(b.pressure(2) > 0.0);
        assert!((-1.0..=1.0).contains(&b.pressure(3)));
    }

    #[test]
    fn an_empty_level_ends_the_side_and_empty_sides_give_nan() {
        let mut b = book();
        b.asks[1] = BookLevel::EMPTY;
        assert_eq!(b.depth(3), (11.0, 1.0));
        let empty = BookSnapshot::<3>::default();
        assert!(empty.spread().is_nan() && empty.mid().is_nan() && empty.top_imbalance().is_nan());
        assert!(empty.pressure(3).is_nan());
        assert_eq!(empty.depth(3), (0.0, 0.0));
        let mut one_sided = book();
        one_sided.asks = [BookLevel::EMPTY; 3];
        assert!(one_sided.spread().is_nan() && one_sided.relative_spread().is_nan());
        assert!(one_sided.pressure(2).is_nan());
    }

    #[test]
    fn a_crossed_book_has_a_negative_spread() {
        let b = BookSnapshot::new([lv(101.0, 1.0)], [lv(100.0, 1.0)]);
        assert_eq!(b.spread(), -1.0);
    }
}
