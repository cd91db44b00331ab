//! [`TradeStats`]: streaming win/loss statistics of closed trades, the input
//! of Kelly sizing.
//!
//! Kept as running counts and sums so recording a trade is O(1) and never
//! allocates, however long the run.

/// Wins, losses and their average sizes over the closed trades seen so far.
///
/// A trade with a pnl of exactly 0 counts as a loss of size 0: then every
/// trade is a win or a loss, the win rate `p` and loss rate `1 - p` add up to
/// one, and `p * avg_win - (1 - p) * avg_loss` is exactly the mean pnl.
/// Any consistent unit works (quote currency or return fraction): Kelly uses
/// only ratios of these numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TradeStats {
    wins: u64,
    losses: u64,
    win_sum: f64,
    loss_sum: f64,
}

impl TradeStats {
    pub fn new() -> Self {
        TradeStats::default()
    }

    /// Records one closed trade's pnl; a non-finite pnl is ignored rather
    /// than poisoning every later average.
    pub fn record(&mut self, pnl: f64) {
        if !pnl.is_finite() {
            return;
        }
        if pnl > 0.0 {
            self.wins += 1;
            self.win_sum += pnl;
        } else {
            self.losses += 1;
            self.loss_sum -= pnl;
        }
    }

    /// Closed trades recorded.
    #[inline]
    pub fn closed(&self) -> u64 {
        self.wins + self.losses
    }

    #[inline]
    pub fn wins(&self) -> u64 {
        self.wins
    }

    #[inline]
    pub fn losses(&self) -> u64 {
        self.losses
    }

    /// Fraction of closed trades that won (0 before any trade).
    pub fn win_rate(&self) -> f64 {
        let n = self.closed();
        if n == 0 { 0.0 } else { self.wins as f64 / n as f64 }
    }

    /// Mean pnl of the winning trades (0 before any win).
    pub fn avg_win(&self) -> f64 {
        if self.wins == 0 { 0.0 } else { self.win_sum / self.wins as f64 }
    }

    /// Mean size of the losing trades as a positive number (0 before any loss).
    pub fn avg_loss(&self) -> f64 {
        if self.losses == 0 { 0.0 } else { self.loss_sum / self.losses as f64 }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    #[test]
    fn wins_and_losses_are_counted_and_averaged_separately() {
        let mut s = TradeStats::new();
        for pnl in [10.0, -4.0, 20.0, -2.0, 0.0] {
            s.record(pnl);
        }
        assert_eq!((s.closed(), s.wins(), s.losses()), (5, 2, 3));
        assert_eq!(s.win_rate(), 0.4);
        assert_eq!(s.avg_win(), 15.0);
        assert_eq!(s.avg_loss(), 2.0);
    }

    #[test]
    fn a_non_finite_pnl_is_ignored() {
        let mut s = TradeStats::new();
        s.record(f64::NAN);
        s.record(f64::INFINITY);
        s.record(5.0);
        assert_eq!(s.closed(), 1);
        assert_eq!(s.avg_win(), 5.0);
    }

    #[test]
    fn averages_are_zero_before_any_trade() {
        let s = TradeStats::new();
        assert_eq!((s.win_rate(), s.avg_win(), s.avg_loss()), (0.0, 0.0, 0.0));
    }
}
