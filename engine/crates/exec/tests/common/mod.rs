//! Shared builders for the broker's specification tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_core::{
    Candle, ClientOrderId, OcoGroup, OrderEvent, OrderKind, OrderPurpose, OrderReason, OrderRequest, OrderStatus, Side,
    SymbolId, Timestamp,
};
use tradebot_exec::{CommissionConfig, SimBroker, SimBrokerConfig, Slippage};

pub const MINUTE: i64 = 60_000_000_000;
pub const S0: SymbolId = SymbolId(0);

/// Open time of bar `i` on a one-minute grid.
pub fn t(i: i64) -> Timestamp {
    Timestamp::from_nanos(i * MINUTE)
}

pub fn bar(i: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Candle {
    Candle { open_time: t(i), open, high, low, close, volume }
}

/// No costs at all: fills at the reference price with zero fees.
pub fn free() -> SimBrokerConfig {
    SimBrokerConfig {
        commission: CommissionConfig { fraction: 0.0, per_unit: 0.0, minimum: 0.0 },
        half_spread_bps: 0.0,
        slippage: Slippage::None,
        ..SimBrokerConfig::default()
    }
}

pub fn broker(config: SimBrokerConfig, cash: f64) -> SimBroker {
    SimBroker::new(config, 2, cash).unwrap()
}

pub fn order(id: u64, side: Side, quantity: f64, kind: OrderKind, created: i64) -> OrderRequest {
    OrderRequest {
        id: ClientOrderId(id),
        symbol: S0,
        side,
        quantity,
        kind,
        reduce_only: false,
        oco: OcoGroup::NONE,
        purpose: OrderPurpose::Entry,
        created: t(created),
    }
}

/// Collects every event the broker emits.
#[derive(Debug, Default)]
pub struct Events(pub Vec<OrderEvent>);

impl Events {
    pub fn sink(&mut self) -> impl FnMut(&OrderEvent) + '_ {
        |e| self.0.push(*e)
    }

    pub fn of(&self, id: u64) -> Vec<OrderEvent> {
        self.0.iter().filter(|e| e.order == ClientOrderId(id)).copied().collect()
    }

    pub fn statuses(&self, id: u64) -> Vec<OrderStatus> {
        self.of(id).iter().map(|e| e.status).collect()
    }

    pub fn last(&self, id: u64) -> OrderEvent {
        *self.of(id).last().unwrap()
    }

    /// Fills of order `id` as (quantity, price, fee).
    pub fn fills(&self, id: u64) -> Vec<(f64, f64, f64)> {
        self.of(id).iter().filter_map(|e| e.fill).map(|f| (f.quantity, f.price, f.fee)).collect()
    }

    pub fn filled(&self, id: u64) -> f64 {
        self.fills(id).iter().map(|f| f.0).sum()
    }

    pub fn reason(&self, id: u64) -> OrderReason {
        self.last(id).reason
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

pub fn submit(b: &mut SimBroker, ev: &mut Events, o: OrderRequest) {
    b.submit(o, &mut ev.sink());
}

pub fn run_bar(b: &mut SimBroker, ev: &mut Events, c: &tradebot_core::Candle) {
    b.on_bar(S0, c, f64::NAN, &mut ev.sink()).unwrap();
}

pub fn close_to(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
