//! [`SimBroker`]: order intake, cancellation and stop amendment. Matching
//! against bars lives in `matching`.

use tradebot_core::{
    ClientOrderId, OrderEvent, OrderKind, OrderReason, OrderRequest, OrderStatus, SymbolId, Timestamp,
};
use tradebot_portfolio::Ledger;

use crate::plan::Candidate;
use crate::{AmendError, ConfigError, SimBrokerConfig, WorkingOrder};

/// Reason reported when a submit finds all `max_working_orders` slots taken.
pub const BOOK_FULL_REASON: OrderReason = OrderReason::TooManyOrders;

/// The simulated venue used in replay and paper trading (see the crate docs'
/// "Fill rules").
#[derive(Debug)]
pub struct SimBroker {
    pub(crate) config: SimBrokerConfig,
    pub(crate) ledger: Ledger,
    /// Working orders in submission order; never grows past its initial capacity.
    pub(crate) orders: Vec<WorkingOrder>,
    /// Fill candidates of the bar being matched; same capacity as `orders`.
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) next_seq: u64,
}

impl SimBroker {
    /// A broker for `symbols` instruments (ids `0..symbols`) whose account
    /// starts with `initial_cash`. Validates the config and preallocates
    /// storage for `config.max_working_orders` orders.
    pub fn new(config: SimBrokerConfig, symbols: usize, initial_cash: f64) -> Result<Self, ConfigError> {
        config.validate()?;
        if !(initial_cash.is_finite() && initial_cash >= 0.0) {
            return Err(ConfigError::OutOfRange {
                field: "initial_cash",
                value: initial_cash,
                expected: "finite and >= 0",
            });
        }
        let capacity = config.max_working_orders;
        Ok(SimBroker {
            config,
            ledger: Ledger::new(initial_cash, symbols),
            orders: Vec::with_capacity(capacity),
            candidates: Vec::with_capacity(capacity),
            next_seq: 0,
        })
    }

    #[inline]
    pub fn config(&self) -> &SimBrokerConfig {
        &self.config
    }

    /// The venue's books: every fill is booked here, and each symbol is
    /// marked at the close of its latest bar.
    #[inline]
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Working (accepted, not yet terminal) orders in submission order.
    pub fn working_orders(&self) -> impl Iterator<Item = &WorkingOrder> {
        self.orders.iter().filter(|o| !o.done)
    }

    /// The working order with this id, if any.
    pub fn working_order(&self, id: ClientOrderId) -> Option<&WorkingOrder> {
        self.working_orders().find(|o| o.id() == id)
    }

    /// Validates and queues an order: emits `Submitted`, then `Accepted` or
    /// `Rejected` (`UnknownSymbol`, `InvalidQuantity`, `InvalidPrice`, or
    /// [`BOOK_FULL_REASON`]). Quantities are rounded down to the lot size;
    /// one that rounds to zero is rejected. Events carry `order.created` as
    /// their time. Client order ids must be unique among working orders.
    pub fn submit(&mut self, order: OrderRequest, out: &mut impl FnMut(&OrderEvent)) {
        let asked = if order.quantity.is_finite() && order.quantity > 0.0 { order.quantity } else { 0.0 };
        out(&intake_event(&order, OrderStatus::Submitted, asked, OrderReason::None));
        match self.check(&order) {
            Err(reason) => out(&intake_event(&order, OrderStatus::Rejected, 0.0, reason)),
            Ok(quantity) => {
                let request = OrderRequest { quantity, ..order };
                self.orders.push(WorkingOrder {
                    request,
                    filled: 0.0,
                    seq: self.next_seq,
                    triggered: false,
                    done: false,
                });
                self.next_seq += 1;
                out(&intake_event(&request, OrderStatus::Accepted, quantity, OrderReason::None));
            }
        }
    }

    /// The accepted (lot-rounded) quantity, or why the order is refused.
    fn check(&self, order: &OrderRequest) -> Result<f64, OrderReason> {
        if order.symbol.index() >= self.ledger.positions().len() {
            return Err(OrderReason::UnknownSymbol);
        }
        if !(order.quantity.is_finite() && order.quantity > 0.0) {
            return Err(OrderReason::InvalidQuantity);
        }
        let price_ok = |p: f64| p.is_finite() && p > 0.0;
        let prices_ok = match order.kind {
            OrderKind::Market => true,
            OrderKind::Limit { limit } => price_ok(limit),
            OrderKind::Stop { stop } => price_ok(stop),
            OrderKind::StopLimit { stop, limit } => price_ok(stop) && price_ok(limit),
        };
        if !prices_ok {
            return Err(OrderReason::InvalidPrice);
        }
        let quantity = self.config.round_to_lot(order.quantity);
        if quantity <= 0.0 {
            return Err(OrderReason::InvalidQuantity);
        }
        if self.orders.len() >= self.config.max_working_orders {
            return Err(BOOK_FULL_REASON);
        }
        Ok(quantity)
    }

    /// Cancels one working order (`Cancelled`, reason `Requested`, at `now`).
    /// Returns `false` if no working order has this id. OCO siblings stay.
    pub fn cancel(&mut self, id: ClientOrderId, now: Timestamp, out: &mut impl FnMut(&OrderEvent)) -> bool {
        let Some(i) = self.orders.iter().position(|o| o.id() == id && !o.done) else {
            return false;
        };
        let order = self.orders.remove(i);
        out(&terminal_event(&order, OrderStatus::Cancelled, now, OrderReason::Requested));
        true
    }

    /// Cancels every working order, or those of one symbol, in submission
    /// order, with the given reason (`EndOfData` at the end of a run,
    /// `Requested` for a flatten).
    pub fn cancel_all(
        &mut self,
        symbol: Option<SymbolId>,
        now: Timestamp,
        reason: OrderReason,
        out: &mut impl FnMut(&OrderEvent),
    ) {
        for order in &mut self.orders {
            if !order.done && symbol.is_none_or(|s| s == order.symbol()) {
                order.done = true;
                out(&terminal_event(order, OrderStatus::Cancelled, now, reason));
            }
        }
        self.orders.retain(|o| !o.done);
    }

    /// Moves the trigger of a working, untriggered stop or stop-limit order
    /// (trailing stops). It applies from the next bar matched.
    pub fn amend_stop(&mut self, id: ClientOrderId, stop: f64) -> Result<(), AmendError> {
        let order = self.orders.iter_mut().find(|o| o.id() == id && !o.done).ok_or(AmendError::NotWorking(id))?;
        let (OrderKind::Stop { stop: current } | OrderKind::StopLimit { stop: current, .. }) = &mut order.request.kind
        else {
            return Err(AmendError::NotAStop(id));
        };
        if order.triggered {
            return Err(AmendError::AlreadyTriggered(id));
        }
        if !(stop.is_finite() && stop > 0.0) {
            return Err(AmendError::InvalidPrice { id, stop });
        }
        *current = stop;
        Ok(())
    }
}

fn intake_event(order: &OrderRequest, status: OrderStatus, remaining: f64, reason: OrderReason) -> OrderEvent {
    OrderEvent {
        order: order.id,
        symbol: order.symbol,
        status,
        time: order.created,
        filled_quantity: 0.0,
        remaining_quantity: remaining,
        fill: None,
        reason,
    }
}

/// A `Cancelled` or `Rejected` event: nothing remains working.
pub(crate) fn terminal_event(
    order: &WorkingOrder,
    status: OrderStatus,
    time: Timestamp,
    reason: OrderReason,
) -> OrderEvent {
    OrderEvent {
        order: order.id(),
        symbol: order.symbol(),
        status,
        time,
        filled_quantity: order.filled,
        remaining_quantity: 0.0,
        fill: None,
        reason,
    }
}
