//! Matching one bar: plan every eligible order, order the fills as the bar
//! would have produced them, then execute them one by one against the
//! volume cap, reduce-only limits and the account's funds.

use tradebot_core::{Candle, Fill, OrderEvent, OrderKind, OrderReason, OrderStatus, Side, SymbolId, Timestamp, finite};

use crate::broker::terminal_event;
use crate::funds::affordable;
use crate::path::Path;
use crate::plan::{Candidate, Pricing, plan};
use crate::{BarError, SimBroker, WorkingOrder};

/// A remainder this small relative to the order (float noise from summing
/// partial fills or from a position booked in pieces) counts as filled.
const DUST: f64 = 1e-9;

impl SimBroker {
    /// Matches `symbol`'s working orders against one bar (see the crate
    /// docs' "Fill rules"), books the fills in the ledger, then marks the
    /// ledger at `bar.close`. `atr` prices `atr_fraction` slippage; when it is
    /// not a finite number >= 0 (indicator warm-up), the bar's high − low is
    /// used instead. A bar that is not valid OHLC, or an unknown symbol, is an
    /// error and changes nothing.
    #[inline(always)]
    pub fn on_bar(
        &mut self,
        symbol: SymbolId,
        bar: &Candle,
        atr: f64,
        out: &mut impl FnMut(&OrderEvent),
    ) -> Result<(), BarError> {
        if symbol.index() >= self.ledger.positions().len() {
            return Err(BarError::UnknownSymbol(symbol));
        }
        if !is_valid(bar) {
            return Err(BarError::InvalidBar { symbol, open_time: bar.open_time });
        }
        self.candidates.clear();
        for (index, order) in self.orders.iter_mut().enumerate() {
            // No look-ahead: an order decided at T only sees bars opening at or after T.
            if order.done
                || order.symbol() != symbol
                || order.request.created > bar.open_time
                || out_of_range(order, bar)
            {
                continue;
            }
            // Built here, not once a bar: most bars plan no order at all.
            let planned = plan(order, index, bar, &Path::new(bar), self.config.market_fill);
            order.triggered |= planned.triggers;
            if let Some(candidate) = planned.fill {
                // At most one candidate per order: never beyond the preallocated capacity.
                self.candidates.push(candidate);
            }
        }
        if self.candidates.is_empty() {
            // Nothing reached this bar (the common case of a resting stop far
            // from the price): no fills, no order finished.
            self.ledger.mark(symbol, bar.close);
            return Ok(());
        }
        self.match_candidates(symbol, bar, atr, out);
        Ok(())
    }

    /// The rare part of [`on_bar`](Self::on_bar): some order reached the
    /// bar. Out of line so the scan above stays small enough to inline
    /// into the engine's per-bar loop.
    #[inline(never)]
    fn match_candidates(&mut self, symbol: SymbolId, bar: &Candle, atr: f64, out: &mut impl FnMut(&OrderEvent)) {
        let atr = if (atr >= 0.0) & finite(atr) { atr } else { bar.high - bar.low };
        self.apply_adverse_first();
        self.candidates
            .sort_unstable_by(|a, b| a.phase.cmp(&b.phase).then(a.at.total_cmp(&b.at)).then(a.seq.cmp(&b.seq)));
        let mut volume_left = self.config.max_volume_participation.map_or(f64::INFINITY, |share| share * bar.volume);
        for i in 0..self.candidates.len() {
            let candidate = self.candidates[i];
            if !candidate.suppressed {
                self.execute(&candidate, bar, atr, &mut volume_left, out);
            }
        }
        self.orders.retain(|o| !o.done);
        self.ledger.mark(symbol, bar.close);
    }

    /// When a stop leg and a limit (target) leg of one OCO group both reach
    /// their price in this bar, the stop wins whatever the path says: the
    /// target is suppressed and cancelled once the stop fills.
    fn apply_adverse_first(&mut self) {
        for t in 0..self.candidates.len() {
            let target = &self.orders[self.candidates[t].index];
            let group = target.request.oco;
            if group.is_none() || !matches!(target.kind(), OrderKind::Limit { .. }) {
                continue;
            }
            for s in 0..self.candidates.len() {
                let stop = &self.orders[self.candidates[s].index];
                if stop.request.oco == group && stop.is_stop_kind() {
                    self.candidates[s].adverse_first = true;
                    self.candidates[t].suppressed = true;
                }
            }
        }
    }

    /// Executes one fill opportunity: as much of the order as the volume cap,
    /// the reduce-only limit and the funds allow, then the order's fate.
    fn execute(
        &mut self,
        c: &Candidate,
        bar: &Candle,
        atr: f64,
        volume_left: &mut f64,
        out: &mut impl FnMut(&OrderEvent),
    ) {
        let order = self.orders[c.index];
        if order.done {
            return;
        }
        let (side, symbol, time) = (order.side(), order.symbol(), bar.open_time);
        let price = match c.pricing {
            Pricing::Maker => c.reference,
            Pricing::Taker => self.config.taker_price(side, c.reference, atr),
            Pricing::TakerCapped { limit } => {
                let p = self.config.taker_price(side, c.reference, atr);
                if side.sign() > 0.0 { p.min(limit) } else { p.max(limit) }
            }
        };

        let mut want = order.remaining();
        let mut reduce_bound = false;
        if order.request.reduce_only {
            let reducible = (-side.sign() * self.ledger.position(symbol).quantity).max(0.0);
            if reducible <= 0.0 {
                self.finish(c.index, OrderStatus::Cancelled, OrderReason::ReduceOnlyNoPosition, time, out);
                return;
            }
            if reducible < want {
                want = reducible;
                reduce_bound = true;
            }
        }
        let mut volume_bound = false;
        if want > *volume_left {
            want = self.config.round_to_lot(*volume_left);
            volume_bound = true;
        }
        if want.is_nan() || want <= 0.0 {
            // This bar's volume is used up; the order keeps working.
            return;
        }
        let quantity = affordable(&self.ledger, &self.config, symbol, side, price, want);
        let funds_bound = quantity < want;

        if quantity > 0.0 {
            let fee = self.config.commission.fee(quantity, price);
            let fill =
                Fill { order: order.id(), symbol, side, quantity, price, fee, time, purpose: order.request.purpose };
            self.ledger.apply(&fill);
            *volume_left -= quantity;
            let o = &mut self.orders[c.index];
            o.filled += quantity;
            if o.request.quantity - o.filled <= DUST * o.request.quantity {
                o.filled = o.request.quantity;
                o.done = true;
            }
            let status = if o.done { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
            out(&OrderEvent {
                order: o.id(),
                symbol,
                status,
                time,
                filled_quantity: o.filled,
                remaining_quantity: o.remaining(),
                fill: Some(fill),
                reason: OrderReason::None,
            });
        }

        if !self.orders[c.index].done {
            if funds_bound {
                // Never filled: the venue refuses it; partly filled: the rest is cancelled.
                let status =
                    if self.orders[c.index].filled > 0.0 { OrderStatus::Cancelled } else { OrderStatus::Rejected };
                self.finish(c.index, status, OrderReason::InsufficientFunds, time, out);
            } else if !volume_bound && reduce_bound {
                self.finish(c.index, OrderStatus::Cancelled, OrderReason::ReduceOnlyNoPosition, time, out);
            }
        }
        if quantity > 0.0 && (self.orders[c.index].done || c.adverse_first) {
            self.cancel_oco_siblings(c.index, time, out);
        }
    }

    /// Ends an order with a `Cancelled` or `Rejected` event.
    fn finish(
        &mut self,
        index: usize,
        status: OrderStatus,
        reason: OrderReason,
        time: Timestamp,
        out: &mut impl FnMut(&OrderEvent),
    ) {
        let order = &mut self.orders[index];
        order.done = true;
        out(&terminal_event(order, status, time, reason));
    }

    /// Cancels the other working legs of the order's OCO group, if it has one.
    fn cancel_oco_siblings(&mut self, index: usize, time: Timestamp, out: &mut impl FnMut(&OrderEvent)) {
        let group = self.orders[index].request.oco;
        if group.is_none() {
            return;
        }
        for j in 0..self.orders.len() {
            let o = &self.orders[j];
            if j != index && !o.done && o.request.oco == group {
                self.finish(j, OrderStatus::Cancelled, OrderReason::OcoSibling, time, out);
            }
        }
    }
}

/// Finite, positive prices with open and close inside [low, high], and a
/// finite, non-negative volume.
///
/// Every bar of a replay goes through this, so it is one branch: eight
/// `lo <= hi` pairs (each false for NaN) folded with `&`, in a shape LLVM
/// turns into four packed compares (measured: ~100 instructions a bar as a
/// chain of `is_finite` tests, 27 as a chain of scalar compares, 14 so).
/// `low > 0` is `low >= ` the smallest positive `f64`.
#[inline(always)]
fn is_valid(bar: &Candle) -> bool {
    let lo = [f64::from_bits(1), bar.low, bar.low, bar.open, bar.close, bar.high, 0.0, bar.volume];
    let hi = [bar.low, bar.open, bar.close, bar.high, bar.high, f64::MAX, bar.volume, f64::MAX];
    lo.iter().zip(&hi).fold(true, |ok, (l, h)| ok & (l <= h))
}

/// A resting order whose trigger or limit price lies outside the bar's range
/// cannot trigger or fill on it: the price path never leaves `[low, high]`.
/// Checked before planning, because most bars reach no resting order.
#[inline]
fn out_of_range(order: &WorkingOrder, bar: &Candle) -> bool {
    let above = |level: f64| bar.high < level;
    let below = |level: f64| bar.low > level;
    match (order.kind(), order.triggered, order.side()) {
        (OrderKind::Stop { stop }, false, Side::Buy) | (OrderKind::StopLimit { stop, .. }, false, Side::Buy) => {
            above(stop)
        }
        (OrderKind::Stop { stop }, false, Side::Sell) | (OrderKind::StopLimit { stop, .. }, false, Side::Sell) => {
            below(stop)
        }
        (OrderKind::Limit { limit }, _, Side::Buy) | (OrderKind::StopLimit { limit, .. }, true, Side::Buy) => {
            below(limit)
        }
        (OrderKind::Limit { limit }, _, Side::Sell) | (OrderKind::StopLimit { limit, .. }, true, Side::Sell) => {
            above(limit)
        }
        _ => false,
    }
}
