//! [`StopBook`]: the protective stop of every open position, trailed as the
//! price moves in the position's favour.
//!
//! The engine's broker holds the actual stop orders; this book is the risk
//! engine's record of where each stop must be, so it can tell the engine when
//! to amend one. A stop only ever tightens: a long's stop rises, a short's
//! falls, whatever the price does.

use tradebot_core::positive_finite;

use crate::stops::{tighter, trail_level};

#[derive(Debug, Clone, Copy, Default)]
struct Tracked {
    open: bool,
    long: bool,
    /// Current stop; `None` when the position has no stop.
    stop: Option<f64>,
    /// Best price since entry: highest close for a long, lowest for a short.
    best: f64,
}

/// Per-instrument stop state, preallocated for every symbol of the run.
#[derive(Debug, Clone)]
pub(crate) struct StopBook {
    slots: Vec<Tracked>,
    trailing: Option<f64>,
}

impl StopBook {
    pub(crate) fn new(symbols: usize, trailing: Option<f64>) -> Self {
        StopBook { slots: vec![Tracked::default(); symbols], trailing }
    }

    /// Whether stops trail at all (otherwise [`on_price`](Self::on_price)
    /// never moves one).
    #[inline]
    pub(crate) fn trails(&self) -> bool {
        self.trailing.is_some()
    }

    /// A position opened at `entry` with initial stop `stop`.
    pub(crate) fn open(&mut self, symbol: usize, long: bool, entry: f64, stop: Option<f64>) {
        if let Some(slot) = self.slots.get_mut(symbol) {
            *slot = Tracked { open: true, long, stop, best: entry };
        }
    }

    /// The position is flat: its stop is gone.
    pub(crate) fn close(&mut self, symbol: usize) {
        if let Some(slot) = self.slots.get_mut(symbol) {
            *slot = Tracked::default();
        }
    }

    pub(crate) fn stop(&self, symbol: usize) -> Option<f64> {
        self.slots.get(symbol).filter(|t| t.open).and_then(|t| t.stop)
    }

    /// Feeds the latest price; returns `(from, to)` when the stop tightened.
    /// `from` is NaN when the position had no stop before.
    pub(crate) fn on_price(&mut self, symbol: usize, price: f64) -> Option<(f64, f64)> {
        let trail = self.trailing?;
        let t = self.slots.get_mut(symbol).filter(|t| t.open)?;
        if !positive_finite(price) {
            return None;
        }
        t.best = if t.long { t.best.max(price) } else { t.best.min(price) };
        let to = tighter(t.long, t.stop, trail_level(t.long, t.best, trail));
        let from = t.stop.unwrap_or(f64::NAN);
        // `tighter` never loosens, so any change is a tightening.
        if t.stop == Some(to) {
            return None;
        }
        t.stop = Some(to);
        Some((from, to))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    #[test]
    fn a_long_stop_follows_new_highs_and_holds_on_pullbacks() {
        let mut b = StopBook::new(1, Some(0.1));
        b.open(0, true, 100.0, Some(90.0));
        assert_eq!(b.on_price(0, 120.0), Some((90.0, 108.0)));
        assert_eq!(b.on_price(0, 110.0), None);
        assert_eq!(b.stop(0), Some(108.0));
    }

    #[test]
    fn a_short_stop_follows_new_lows_and_holds_on_rallies() {
        let mut b = StopBook::new(1, Some(0.1));
        b.open(0, false, 100.0, Some(110.0));
        assert_eq!(b.on_price(0, 80.0), Some((110.0, 88.0)));
        assert_eq!(b.on_price(0, 95.0), None);
        assert_eq!(b.stop(0), Some(88.0));
    }

    #[test]
    fn a_static_stop_never_moves() {
        let mut b = StopBook::new(1, None);
        b.open(0, true, 100.0, Some(98.0));
        assert_eq!(b.on_price(0, 150.0), None);
        assert_eq!(b.stop(0), Some(98.0));
    }

    #[test]
    fn a_closed_position_has_no_stop() {
        let mut b = StopBook::new(1, Some(0.1));
        b.open(0, true, 100.0, Some(90.0));
        b.close(0);
        assert_eq!(b.stop(0), None);
        assert_eq!(b.on_price(0, 200.0), None);
    }
}
