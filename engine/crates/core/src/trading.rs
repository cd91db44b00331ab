//! The trading vocabulary shared by the strategy, sizing, risk, broker and
//! portfolio crates: sides, order requests, order lifecycle events, fills.
//!
//! Every type here is `Copy` and fixed-size so it can travel through the
//! pipeline's rings without allocating. Instruments are named by a dense
//! [`SymbolId`] (an index into the run's symbol table) rather than by
//! [`Symbol`](crate::Symbol), which keeps events small and lets every stage
//! hold per-instrument state in plain vectors.

use core::fmt;

use crate::Timestamp;

/// Dense index of an instrument in the run's symbol table (0-based).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SymbolId(pub u16);

impl SymbolId {
    /// The index as a `usize`, for indexing per-instrument vectors.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Direction of an order or a fill.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// `+1.0` for a buy, `-1.0` for a sell: multiply a positive quantity by it
    /// to get the signed change of position.
    #[inline]
    pub const fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }

    /// The side that reduces a position opened by `self`.
    #[inline]
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// Lower-case name used in CSV outputs (`buy` / `sell`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Client order id. The engine assigns them from one deterministic counter
/// per run, so a replay produces the same ids every time.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClientOrderId(pub u64);

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "O{:06}", self.0)
    }
}

/// Links the legs of a one-cancels-other bracket (protective stop and
/// take-profit). `OcoGroup(0)` means "no group".
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct OcoGroup(pub u64);

impl OcoGroup {
    pub const NONE: OcoGroup = OcoGroup(0);

    #[inline]
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }
}

/// What the order does when it reaches the market.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum OrderKind {
    /// Fill at the next available price (the next bar's open in replay).
    Market,
    /// Fill at `limit` or better.
    Limit { limit: f64 },
    /// Becomes a market order once the price trades through `stop`.
    Stop { stop: f64 },
    /// Becomes a limit order at `limit` once the price trades through `stop`.
    StopLimit { stop: f64, limit: f64 },
}

impl OrderKind {
    pub const fn as_str(&self) -> &'static str {
        match self {
            OrderKind::Market => "market",
            OrderKind::Limit { .. } => "limit",
            OrderKind::Stop { .. } => "stop",
            OrderKind::StopLimit { .. } => "stop_limit",
        }
    }
}

/// Why the engine sent an order; carried through to `orders.csv` and used by
/// the portfolio to attribute exits.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderPurpose {
    /// Opens or adds to a position because of a signal.
    Entry,
    /// Reduces or closes a position because of a signal.
    Exit,
    /// Protective stop attached by the risk engine.
    StopLoss,
    /// Take-profit attached by the risk engine.
    TakeProfit,
    /// Sent by the kill switch or a halt to flatten the book.
    Flatten,
}

impl OrderPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderPurpose::Entry => "entry",
            OrderPurpose::Exit => "exit",
            OrderPurpose::StopLoss => "stop_loss",
            OrderPurpose::TakeProfit => "take_profit",
            OrderPurpose::Flatten => "flatten",
        }
    }
}

/// An order as the engine submits it to a broker.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct OrderRequest {
    pub id: ClientOrderId,
    pub symbol: SymbolId,
    pub side: Side,
    /// Positive quantity in units of the instrument.
    pub quantity: f64,
    pub kind: OrderKind,
    /// The order may only reduce an existing position, never open or flip one.
    pub reduce_only: bool,
    pub oco: OcoGroup,
    pub purpose: OrderPurpose,
    /// Decision time: the close time of the bar the decision was made on.
    pub created: Timestamp,
}

/// Lifecycle state of an order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Submitted,
    Accepted,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Submitted => "submitted",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Rejected => "rejected",
        }
    }

    /// No further event will follow for this order.
    pub const fn is_terminal(self) -> bool {
        matches!(self, OrderStatus::Filled | OrderStatus::Cancelled | OrderStatus::Rejected)
    }
}

/// Why an order was rejected or cancelled by the broker.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderReason {
    None,
    /// Quantity not finite or not positive, or below the lot size.
    InvalidQuantity,
    /// A limit or stop price that is not finite or not positive, or a
    /// stop-limit whose legs are inconsistent.
    InvalidPrice,
    /// Not enough cash or margin for the order at its fill price.
    InsufficientFunds,
    /// A reduce-only order found no position to reduce.
    ReduceOnlyNoPosition,
    /// The engine or the user asked to cancel it.
    Requested,
    /// The other leg of its one-cancels-other group filled.
    OcoSibling,
    /// The symbol is unknown to the broker.
    UnknownSymbol,
    /// The run ended with the order still open.
    EndOfData,
    /// The venue's book of working orders is full.
    TooManyOrders,
}

impl OrderReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderReason::None => "",
            OrderReason::InvalidQuantity => "invalid_quantity",
            OrderReason::InvalidPrice => "invalid_price",
            OrderReason::InsufficientFunds => "insufficient_funds",
            OrderReason::ReduceOnlyNoPosition => "reduce_only_no_position",
            OrderReason::Requested => "requested",
            OrderReason::OcoSibling => "oco_sibling",
            OrderReason::UnknownSymbol => "unknown_symbol",
            OrderReason::EndOfData => "end_of_data",
            OrderReason::TooManyOrders => "too_many_orders",
        }
    }
}

/// One execution (or part of one) of an order.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Fill {
    pub order: ClientOrderId,
    pub symbol: SymbolId,
    pub side: Side,
    /// Positive quantity executed by this fill.
    pub quantity: f64,
    /// Execution price, including half-spread and slippage.
    pub price: f64,
    /// Commission charged for this fill, in quote currency.
    pub fee: f64,
    pub time: Timestamp,
    pub purpose: OrderPurpose,
}

/// A change in an order's lifecycle, as reported by a broker.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct OrderEvent {
    pub order: ClientOrderId,
    pub symbol: SymbolId,
    pub status: OrderStatus,
    pub time: Timestamp,
    /// Quantity executed so far over the order's life.
    pub filled_quantity: f64,
    /// Quantity still working (zero once terminal).
    pub remaining_quantity: f64,
    /// The fill this event reports, for `PartiallyFilled` and `Filled`.
    pub fill: Option<Fill>,
    pub reason: OrderReason,
}
