//! [`TradeStats`]: win rate, profit factor and per-trade return statistics
//! of the closed round trips, in O(1) state.

use tradebot_portfolio::TradeRecord;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TradeStats {
    pub(crate) count: u64,
    pub(crate) wins: u64,
    pub(crate) losses: u64,
    /// Sum of the pnl of winning trades (> 0).
    pub(crate) gross_wins: f64,
    /// Sum of the pnl of losing trades (< 0).
    pub(crate) gross_losses: f64,
    pub(crate) sum_pnl: f64,
    pub(crate) sum_return: f64,
    pub(crate) best_return: f64,
    pub(crate) worst_return: f64,
}

impl TradeStats {
    /// Folds in one trade; returns `false` (and changes nothing) when its
    /// pnl or return is not finite, so one bad record cannot turn every
    /// trade statistic into NaN.
    #[inline]
    pub(crate) fn push(&mut self, trade: &TradeRecord) -> bool {
        let pnl = trade.pnl;
        let ret = trade.return_fraction();
        if !pnl.is_finite() || !ret.is_finite() {
            return false;
        }
        if self.count == 0 {
            self.best_return = ret;
            self.worst_return = ret;
        } else {
            self.best_return = self.best_return.max(ret);
            self.worst_return = self.worst_return.min(ret);
        }
        self.count += 1;
        if pnl > 0.0 {
            self.wins += 1;
            self.gross_wins += pnl;
        } else if pnl < 0.0 {
            self.losses += 1;
            self.gross_losses += pnl;
        }
        self.sum_pnl += pnl;
        self.sum_return += ret;
        true
    }
}
