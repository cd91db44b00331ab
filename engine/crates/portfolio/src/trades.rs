//! [`TradeBook`]: fills folded into round-trip trades.
//!
//! A trade is one position episode in one instrument: it starts when a fill
//! takes the position away from flat and ends when a fill brings it back to
//! flat (a fill that flips the position ends one trade and starts the next at
//! the same price). Adds and partial exits stay in the same trade, with
//! volume-weighted entry and exit prices.

use tradebot_core::{Fill, OrderPurpose, Side, SymbolId, Timestamp};

use crate::FillEffect;

/// One finished round trip.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TradeRecord {
    pub symbol: SymbolId,
    /// `Buy` for a long trade, `Sell` for a short one.
    pub side: Side,
    pub entry_time: Timestamp,
    /// Volume-weighted price of all entry fills.
    pub entry_price: f64,
    pub exit_time: Timestamp,
    /// Volume-weighted price of all exit fills.
    pub exit_price: f64,
    /// Units entered over the trade's life.
    pub quantity: f64,
    /// Profit net of the entry and exit fees.
    pub pnl: f64,
    /// Fees of the entry and exit fills attributed to this trade.
    pub fees: f64,
    /// Why the last exit fill happened (signal exit, stop, target, flatten).
    pub exit_purpose: OrderPurpose,
}

impl TradeRecord {
    /// Net return on the entry notional.
    pub fn return_fraction(&self) -> f64 {
        let basis = self.entry_price * self.quantity;
        if basis > 0.0 { self.pnl / basis } else { 0.0 }
    }
}

#[derive(Copy, Clone, Debug, Default)]
struct OpenTrade {
    active: bool,
    long: bool,
    entry_time: Timestamp,
    entered: f64,
    entry_notional: f64,
    exited: f64,
    exit_notional: f64,
    fees: f64,
    gross: f64,
}

/// Per-instrument open trades; emits a [`TradeRecord`] when one closes.
#[derive(Clone, Debug)]
pub struct TradeBook {
    open: Vec<OpenTrade>,
}

impl TradeBook {
    pub fn new(symbols: usize) -> Self {
        TradeBook { open: vec![OpenTrade::default(); symbols] }
    }

    /// Folds one fill (with the effect the ledger reported for it) into the
    /// book. Returns the trade the fill closed, if any.
    pub fn on_fill(&mut self, fill: &Fill, effect: &FillEffect) -> Option<TradeRecord> {
        let t = &mut self.open[fill.symbol.index()];
        let mut closed_trade = None;
        let moved = effect.closed + effect.opened;
        if effect.closed > 0.0 {
            t.exited += effect.closed;
            t.exit_notional += effect.closed * fill.price;
            t.fees += fill.fee * effect.closed / moved;
            t.gross += effect.realized;
            if effect.after == 0.0 || effect.after.signum() != effect.before.signum() {
                closed_trade = Some(TradeRecord {
                    symbol: fill.symbol,
                    side: if t.long { Side::Buy } else { Side::Sell },
                    entry_time: t.entry_time,
                    entry_price: t.entry_notional / t.entered,
                    exit_time: fill.time,
                    exit_price: t.exit_notional / t.exited,
                    quantity: t.entered,
                    pnl: t.gross - t.fees,
                    fees: t.fees,
                    exit_purpose: fill.purpose,
                });
                *t = OpenTrade::default();
            }
        }
        if effect.opened > 0.0 {
            if !t.active {
                *t =
                    OpenTrade { active: true, long: effect.after > 0.0, entry_time: fill.time, ..OpenTrade::default() };
            }
            t.entered += effect.opened;
            t.entry_notional += effect.opened * fill.price;
            t.fees += fill.fee * effect.opened / moved;
        }
        closed_trade
    }

    /// The trade still open in `symbol`, valued as if closed at `price`
    /// without exit fees (for end-of-run reporting).
    pub fn open_trade(&self, symbol: SymbolId, price: f64, now: Timestamp) -> Option<TradeRecord> {
        let t = &self.open[symbol.index()];
        if !t.active {
            return None;
        }
        let held = t.entered - t.exited;
        let entry = t.entry_notional / t.entered;
        let sign = if t.long { 1.0 } else { -1.0 };
        Some(TradeRecord {
            symbol,
            side: if t.long { Side::Buy } else { Side::Sell },
            entry_time: t.entry_time,
            entry_price: entry,
            exit_time: now,
            exit_price: price,
            quantity: t.entered,
            pnl: t.gross + sign * held * (price - entry) - t.fees,
            fees: t.fees,
            exit_purpose: OrderPurpose::Exit,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use crate::Ledger;
    use tradebot_core::ClientOrderId;

    fn fill(side: Side, quantity: f64, price: f64, fee: f64, t: i64) -> Fill {
        Fill {
            order: ClientOrderId(1),
            symbol: SymbolId(0),
            side,
            quantity,
            price,
            fee,
            time: Timestamp::from_nanos(t),
            purpose: OrderPurpose::Exit,
        }
    }

    fn run(fills: &[Fill]) -> Vec<TradeRecord> {
        let mut ledger = Ledger::new(10_000.0, 1);
        let mut book = TradeBook::new(1);
        fills.iter().filter_map(|f| book.on_fill(f, &ledger.apply(f))).collect()
    }

    #[test]
    fn a_flip_closes_one_trade_and_opens_the_next_at_the_same_fill() {
        let trades = run(&[
            fill(Side::Buy, 10.0, 100.0, 2.0, 1),
            fill(Side::Sell, 30.0, 110.0, 6.0, 2),
            fill(Side::Buy, 20.0, 105.0, 4.0, 3),
        ]);
        assert_eq!(trades.len(), 2);
        let long = trades[0];
        assert_eq!((long.side, long.quantity, long.entry_price, long.exit_price), (Side::Buy, 10.0, 100.0, 110.0));
        // Entry fee 2 plus a third of the flip fill's fee (10 of its 30 units).
        assert_eq!(long.fees, 4.0);
        assert_eq!(long.pnl, 100.0 - 4.0);
        let short = trades[1];
        assert_eq!((short.side, short.entry_time, short.quantity), (Side::Sell, Timestamp::from_nanos(2), 20.0));
        assert_eq!(short.pnl, 20.0 * 5.0 - 4.0 - 4.0);
    }

    #[test]
    fn partial_exits_stay_in_one_trade_with_a_weighted_exit_price() {
        let trades = run(&[
            fill(Side::Buy, 4.0, 10.0, 0.0, 1),
            fill(Side::Sell, 1.0, 12.0, 0.0, 2),
            fill(Side::Sell, 3.0, 16.0, 0.0, 3),
        ]);
        assert_eq!(trades.len(), 1);
        assert_eq!(trades[0].exit_price, 15.0);
        assert_eq!(trades[0].pnl, 2.0 + 18.0);
        assert_eq!(trades[0].exit_time, Timestamp::from_nanos(3));
    }

    #[test]
    fn trade_pnls_plus_open_trade_reconcile_with_the_ledger() {
        let fills = [
            fill(Side::Buy, 3.0, 10.0, 0.3, 1),
            fill(Side::Sell, 5.0, 11.0, 0.5, 2),
            fill(Side::Buy, 1.0, 9.0, 0.1, 3),
        ];
        let mut ledger = Ledger::new(1000.0, 1);
        let mut book = TradeBook::new(1);
        let mut closed = 0.0;
        for f in &fills {
            if let Some(t) = book.on_fill(f, &ledger.apply(f)) {
                closed += t.pnl;
            }
        }
        ledger.mark(SymbolId(0), 8.0);
        let open = book.open_trade(SymbolId(0), 8.0, Timestamp::from_nanos(4)).unwrap();
        assert!((ledger.equity() - 1000.0 - closed - open.pnl).abs() < 1e-9);
    }
}
