//! [`WorkingOrder`]: an accepted order as the broker holds it, with what has
//! filled so far and whether its stop has triggered.

use tradebot_core::{ClientOrderId, OrderKind, OrderRequest, Side, SymbolId};

/// An order that was accepted and is not yet terminal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkingOrder {
    /// The order as held: quantity rounded to the lot, stop as last amended.
    pub(crate) request: OrderRequest,
    pub(crate) filled: f64,
    /// Submission sequence number, the tie-breaker for equal fill times.
    pub(crate) seq: u64,
    /// A stop that traded through its trigger now acts as a market order; a
    /// stop-limit, as a limit order.
    pub(crate) triggered: bool,
    /// Terminal during the bar being matched; removed when the bar ends.
    pub(crate) done: bool,
}

impl WorkingOrder {
    /// The order as the broker holds it: quantity after lot rounding, stop
    /// after amendments.
    #[inline]
    pub fn request(&self) -> &OrderRequest {
        &self.request
    }

    #[inline]
    pub fn id(&self) -> ClientOrderId {
        self.request.id
    }

    #[inline]
    pub fn symbol(&self) -> SymbolId {
        self.request.symbol
    }

    #[inline]
    pub fn side(&self) -> Side {
        self.request.side
    }

    #[inline]
    pub fn kind(&self) -> OrderKind {
        self.request.kind
    }

    /// Accepted quantity (after lot rounding).
    #[inline]
    pub fn quantity(&self) -> f64 {
        self.request.quantity
    }

    /// Quantity filled so far.
    #[inline]
    pub fn filled(&self) -> f64 {
        self.filled
    }

    /// Quantity still to fill.
    #[inline]
    pub fn remaining(&self) -> f64 {
        (self.request.quantity - self.filled).max(0.0)
    }

    /// Whether a stop or stop-limit has traded through its stop price.
    #[inline]
    pub fn is_triggered(&self) -> bool {
        self.triggered
    }

    /// Stop and stop-limit orders: the protective leg of a bracket.
    #[inline]
    pub(crate) fn is_stop_kind(&self) -> bool {
        matches!(self.request.kind, OrderKind::Stop { .. } | OrderKind::StopLimit { .. })
    }
}
