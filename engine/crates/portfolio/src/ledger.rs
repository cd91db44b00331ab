//! [`Ledger`]: cash, signed positions and their marks.

use tradebot_core::{Fill, SymbolId};

/// A signed position in one instrument.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Position {
    /// Units held: positive long, negative short, zero flat.
    pub quantity: f64,
    /// Volume-weighted entry price of the units still held (0 when flat).
    pub avg_price: f64,
    /// Last price the position was marked at.
    pub mark: f64,
}

impl Position {
    #[inline]
    pub fn is_flat(&self) -> bool {
        self.quantity == 0.0
    }

    /// Signed market value at the mark.
    #[inline]
    pub fn value(&self) -> f64 {
        self.quantity * self.mark
    }

    /// Unrealised profit at the mark, before exit costs.
    #[inline]
    pub fn unrealized(&self) -> f64 {
        self.quantity * (self.mark - self.avg_price)
    }
}

/// What one fill did to a position.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct FillEffect {
    /// Units of an existing position the fill closed (>= 0).
    pub closed: f64,
    /// Units of new position the fill opened (>= 0); both are non-zero when a
    /// fill flips the position through zero.
    pub opened: f64,
    /// Gross profit realised on the closed units, before fees.
    pub realized: f64,
    /// Position quantity before the fill.
    pub before: f64,
    /// Position quantity after the fill.
    pub after: f64,
}

/// Cash, positions and fees of one account.
#[derive(Clone, Debug)]
pub struct Ledger {
    initial_cash: f64,
    cash: f64,
    positions: Vec<Position>,
    /// Positions that are not flat, kept as fills change them: read every
    /// step, changed only by fills.
    open: usize,
    fees_paid: f64,
    realized: f64,
    turnover: f64,
}

/// Quantities closer to zero than this (relative to the traded size) are
/// treated as flat, so `0.1 + 0.2 - 0.3` does not leave a dust position.
const DUST: f64 = 1e-9;

impl Ledger {
    pub fn new(initial_cash: f64, symbols: usize) -> Self {
        Ledger {
            initial_cash,
            cash: initial_cash,
            positions: vec![Position::default(); symbols],
            open: 0,
            fees_paid: 0.0,
            realized: 0.0,
            turnover: 0.0,
        }
    }

    #[inline]
    pub fn initial_cash(&self) -> f64 {
        self.initial_cash
    }

    #[inline]
    pub fn cash(&self) -> f64 {
        self.cash
    }

    #[inline]
    pub fn fees_paid(&self) -> f64 {
        self.fees_paid
    }

    /// Gross realised profit, before fees.
    #[inline]
    pub fn realized(&self) -> f64 {
        self.realized
    }

    /// Sum of the notional of every fill.
    #[inline]
    pub fn turnover(&self) -> f64 {
        self.turnover
    }

    #[inline]
    pub fn position(&self, symbol: SymbolId) -> &Position {
        &self.positions[symbol.index()]
    }

    #[inline]
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// Number of positions that are not flat.
    #[inline]
    pub fn open_positions(&self) -> usize {
        self.open
    }

    /// Cash plus the market value of every position at its mark.
    #[inline]
    pub fn equity(&self) -> f64 {
        // Read every step. One instrument skips the sum's loop (its setup
        // for an unrolled loop of one is most of its cost); `-0.0 + v` is
        // `v` bit for bit, so the result is the sum's.
        match self.positions.as_slice() {
            [only] => self.cash + only.value(),
            all => self.cash + all.iter().map(Position::value).sum::<f64>(),
        }
    }

    /// Sum of the absolute market values of all positions.
    pub fn gross_exposure(&self) -> f64 {
        self.positions.iter().map(|p| p.value().abs()).sum()
    }

    /// Sum of the unrealised profit of all positions at their marks.
    pub fn unrealized(&self) -> f64 {
        self.positions.iter().map(Position::unrealized).sum()
    }

    /// What may still be committed to new exposure at leverage 1.
    pub fn buying_power(&self) -> f64 {
        (self.equity() - self.gross_exposure()).max(0.0)
    }

    /// Marks one instrument at `price` (the latest close in replay).
    #[inline]
    pub fn mark(&mut self, symbol: SymbolId, price: f64) {
        self.positions[symbol.index()].mark = price;
    }

    /// Books a fill: moves cash, updates the position and its average price,
    /// realises profit on the closed part and charges the fee.
    pub fn apply(&mut self, fill: &Fill) -> FillEffect {
        let signed = fill.side.sign() * fill.quantity;
        let pos = &mut self.positions[fill.symbol.index()];
        let before = pos.quantity;
        self.cash -= signed * fill.price + fill.fee;
        self.fees_paid += fill.fee;
        self.turnover += fill.quantity * fill.price;
        pos.mark = fill.price;

        let mut effect = FillEffect { before, ..FillEffect::default() };
        if before == 0.0 || before.signum() == signed.signum() {
            // Opening or adding: the average price absorbs the new units.
            let after = before + signed;
            pos.avg_price = (pos.avg_price * before.abs() + fill.price * signed.abs()) / after.abs();
            pos.quantity = after;
            effect.opened = signed.abs();
        } else {
            let closed = signed.abs().min(before.abs());
            let pnl = closed * (fill.price - pos.avg_price) * before.signum();
            self.realized += pnl;
            effect.closed = closed;
            effect.realized = pnl;
            let mut after = before + signed;
            if after.abs() <= DUST * fill.quantity.max(before.abs()) {
                after = 0.0;
            }
            if after == 0.0 {
                pos.avg_price = 0.0;
            } else if after.signum() != before.signum() {
                // Flipped through zero: the remainder is a new position at this price.
                pos.avg_price = fill.price;
                effect.opened = after.abs();
            }
            pos.quantity = after;
        }
        effect.after = pos.quantity;
        match (before == 0.0, pos.quantity == 0.0) {
            (true, false) => self.open += 1,
            (false, true) => self.open -= 1,
            _ => {}
        }
        effect
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use tradebot_core::{ClientOrderId, OrderPurpose, Side, Timestamp};

    fn fill(side: Side, quantity: f64, price: f64, fee: f64) -> Fill {
        Fill {
            order: ClientOrderId(1),
            symbol: SymbolId(0),
            side,
            quantity,
            price,
            fee,
            time: Timestamp::from_nanos(0),
            purpose: OrderPurpose::Entry,
        }
    }

    #[test]
    fn a_round_trip_realises_the_price_difference_and_pays_both_fees() {
        let mut l = Ledger::new(1000.0, 1);
        l.apply(&fill(Side::Buy, 10.0, 50.0, 1.0));
        assert_eq!(l.cash(), 499.0);
        l.mark(SymbolId(0), 55.0);
        assert_eq!(l.equity(), 499.0 + 550.0);
        let e = l.apply(&fill(Side::Sell, 10.0, 60.0, 1.2));
        assert_eq!(e.realized, 100.0);
        assert_eq!(e.closed, 10.0);
        assert!(l.position(SymbolId(0)).is_flat());
        assert_eq!(l.equity(), 1000.0 + 100.0 - 2.2);
        assert_eq!(l.fees_paid(), 2.2);
    }

    #[test]
    fn a_fill_larger_than_the_position_flips_it_at_the_fill_price() {
        let mut l = Ledger::new(1000.0, 1);
        l.apply(&fill(Side::Buy, 4.0, 10.0, 0.0));
        let e = l.apply(&fill(Side::Sell, 10.0, 12.0, 0.0));
        assert_eq!((e.closed, e.opened, e.realized), (4.0, 6.0, 8.0));
        let p = l.position(SymbolId(0));
        assert_eq!((p.quantity, p.avg_price), (-6.0, 12.0));
        // Short 6 at 12 with 1000 + 8 equity: buying power = equity - |value|.
        assert_eq!(l.equity(), 1008.0);
        assert_eq!(l.buying_power(), 1008.0 - 72.0);
    }

    #[test]
    fn adding_to_a_position_averages_the_entry_price() {
        let mut l = Ledger::new(1000.0, 1);
        l.apply(&fill(Side::Sell, 1.0, 10.0, 0.0));
        l.apply(&fill(Side::Sell, 3.0, 14.0, 0.0));
        assert_eq!(l.position(SymbolId(0)).avg_price, 13.0);
    }

    #[test]
    fn closing_fills_that_leave_float_dust_end_flat() {
        let mut l = Ledger::new(1000.0, 1);
        l.apply(&fill(Side::Buy, 0.1, 10.0, 0.0));
        l.apply(&fill(Side::Buy, 0.2, 10.0, 0.0));
        l.apply(&fill(Side::Sell, 0.3, 10.0, 0.0));
        assert!(l.position(SymbolId(0)).is_flat());
    }

    #[test]
    fn the_open_position_count_follows_opens_adds_flips_and_closes() {
        let mut l = Ledger::new(1_000_000.0, 3);
        let count = |l: &Ledger| l.positions().iter().filter(|p| !p.is_flat()).count();
        let on = |symbol: u16, side: Side, quantity: f64| Fill {
            symbol: SymbolId(symbol),
            ..fill(side, quantity, 10.0 + f64::from(symbol), 0.1)
        };
        let steps = [
            (0, Side::Buy, 5.0),
            (1, Side::Sell, 2.0),
            (0, Side::Buy, 1.0),
            (0, Side::Sell, 10.0),
            (1, Side::Buy, 2.0),
            (2, Side::Buy, 3.0),
            (0, Side::Buy, 4.0),
            (2, Side::Sell, 3.0 + 1e-12),
        ];
        for (symbol, side, quantity) in steps {
            l.apply(&on(symbol, side, quantity));
            assert_eq!(l.open_positions(), count(&l), "after {side:?} {quantity} of symbol {symbol}");
        }
        assert_eq!(l.open_positions(), 0);
    }
}
