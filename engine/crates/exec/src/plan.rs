//! Where and when in a bar one working order would fill, before quantities
//! (volume, reduce-only, funds) are considered.
//!
//! Kept apart from execution so each order-type rule of the crate docs' "Fill
//! rules" maps to one arm here, testable without a ledger.

use tradebot_core::{Candle, OrderKind, Side};

use crate::path::{Cursor, Path, Reach};
use crate::{MarketFill, WorkingOrder};

/// When in the bar a fill happens; fills are executed in `(phase, at, seq)` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Market orders at the open, in submission order.
    Open,
    /// Resting orders: gapped through at the open (`at == 0`), then intrabar
    /// in the order the assumed path reaches them.
    Resting,
    /// Market orders at the close (`market_fill = next_close`).
    Close,
}

/// How the fill price follows from the pre-cost reference price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Pricing {
    /// A resting limit: the reference price, no spread or slippage.
    Maker,
    /// Market and stop fills: half-spread and slippage against the taker.
    Taker,
    /// A stop-limit that was marketable when it triggered: taker costs, but
    /// never worse than its limit.
    TakerCapped { limit: f64 },
}

/// One fill opportunity of one order in the current bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Candidate {
    /// Index of the order in the broker's working orders.
    pub(crate) index: usize,
    pub(crate) phase: Phase,
    /// Distance along the assumed path (0 for anything at the open or close).
    pub(crate) at: f64,
    pub(crate) seq: u64,
    /// Pre-cost price, always within the bar's [low, high].
    pub(crate) reference: f64,
    pub(crate) pricing: Pricing,
    /// Set when this stop leg beat its OCO target leg under the adverse-first rule.
    pub(crate) adverse_first: bool,
    /// Set on a target leg that lost to its OCO stop leg: it does not fill this bar.
    pub(crate) suppressed: bool,
}

/// What the bar does to one order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The order's stop traded through in this bar.
    pub(crate) triggers: bool,
    pub(crate) fill: Option<Candidate>,
}

/// Stops trigger when the price moves against the side's intention to wait:
/// a buy stop when it rises to the stop, a sell stop when it falls to it.
fn stop_reach(side: Side) -> Reach {
    match side {
        Side::Buy => Reach::AtOrAbove,
        Side::Sell => Reach::AtOrBelow,
    }
}

/// Limits fill at their price or better.
fn limit_reach(side: Side) -> Reach {
    match side {
        Side::Buy => Reach::AtOrBelow,
        Side::Sell => Reach::AtOrAbove,
    }
}

fn resting(index: usize, seq: u64, at: Cursor, pricing: Pricing) -> Candidate {
    Candidate {
        index,
        phase: Phase::Resting,
        at: at.at,
        seq,
        reference: at.price,
        pricing,
        adverse_first: false,
        suppressed: false,
    }
}

/// Plans `order` (at `index`) against `bar`; the caller has checked that the
/// order existed before the bar opened.
pub(crate) fn plan(order: &WorkingOrder, index: usize, bar: &Candle, path: &Path, market_fill: MarketFill) -> Plan {
    let side = order.side();
    let seq = order.seq;
    let limit_from = |from: Cursor, limit: f64| {
        path.first_reach(from, limit, limit_reach(side)).map(|c| resting(index, seq, c, Pricing::Maker))
    };
    match (order.kind(), order.triggered) {
        (OrderKind::Market, _) | (OrderKind::Stop { .. }, true) => {
            let (phase, reference) = match market_fill {
                MarketFill::NextOpen => (Phase::Open, bar.open),
                MarketFill::NextClose => (Phase::Close, bar.close),
            };
            let fill = Candidate {
                index,
                phase,
                at: 0.0,
                seq,
                reference,
                pricing: Pricing::Taker,
                adverse_first: false,
                suppressed: false,
            };
            Plan { triggers: false, fill: Some(fill) }
        }
        (OrderKind::Limit { limit }, _) | (OrderKind::StopLimit { limit, .. }, true) => {
            Plan { triggers: false, fill: limit_from(path.start(), limit) }
        }
        (OrderKind::Stop { stop }, false) => match path.first_reach(path.start(), stop, stop_reach(side)) {
            // Gapped through: `at` is 0 and the price is the open.
            Some(hit) => Plan { triggers: true, fill: Some(resting(index, seq, hit, Pricing::Taker)) },
            None => Plan { triggers: false, fill: None },
        },
        (OrderKind::StopLimit { stop, limit }, false) => match path.first_reach(path.start(), stop, stop_reach(side)) {
            None => Plan { triggers: false, fill: None },
            Some(hit) => {
                let marketable = match side {
                    Side::Buy => hit.price <= limit,
                    Side::Sell => hit.price >= limit,
                };
                let fill = if marketable {
                    Some(resting(index, seq, hit, Pricing::TakerCapped { limit }))
                } else {
                    // Rests as a limit from the trigger point on.
                    limit_from(hit, limit)
                };
                Plan { triggers: true, fill }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use tradebot_core::{ClientOrderId, OcoGroup, OrderPurpose, OrderRequest, SymbolId, Timestamp};

    fn order(side: Side, kind: OrderKind) -> WorkingOrder {
        let request = OrderRequest {
            id: ClientOrderId(1),
            symbol: SymbolId(0),
            side,
            quantity: 1.0,
            kind,
            reduce_only: false,
            oco: OcoGroup::NONE,
            purpose: OrderPurpose::Entry,
            created: Timestamp::from_nanos(0),
        };
        WorkingOrder { request, filled: 0.0, seq: 0, triggered: false, done: false }
    }

    fn run(o: &WorkingOrder, bar: &Candle) -> Plan {
        plan(o, 0, bar, &Path::new(bar), MarketFill::NextOpen)
    }

    fn bar(open: f64, high: f64, low: f64, close: f64) -> Candle {
        Candle { open, high, low, close, volume: 1.0, ..Candle::default() }
    }

    #[test]
    fn a_buy_stop_limit_gapped_above_its_limit_rests_and_fills_at_the_limit_if_the_bar_comes_back() {
        let o = order(Side::Buy, OrderKind::StopLimit { stop: 100.0, limit: 101.0 });
        let p = run(&o, &bar(103.0, 104.0, 100.5, 102.0));
        assert!(p.triggers);
        let f = p.fill.unwrap();
        assert_eq!((f.reference, f.pricing), (101.0, Pricing::Maker));
        assert!(f.at > 0.0);
        let never = run(&o, &bar(103.0, 104.0, 101.5, 102.0));
        assert!(never.triggers);
        assert_eq!(never.fill, None);
    }

    #[test]
    fn a_sell_stop_limit_triggered_intrabar_below_its_limit_waits_for_the_limit() {
        // Stop 95, limit 96 (sell no lower than 96): down bar 100 → 101 → 94 → 97.
        let o = order(Side::Sell, OrderKind::StopLimit { stop: 95.0, limit: 96.0 });
        let p = run(&o, &bar(100.0, 101.0, 94.0, 97.0));
        let f = p.fill.unwrap();
        assert_eq!((f.reference, f.pricing), (96.0, Pricing::Maker));
        // 100 → 101 (1), 101 → 94 (7), 94 → 96 (2).
        assert_eq!(f.at, 10.0);
    }

    #[test]
    fn a_triggered_stop_is_a_market_order() {
        let mut o = order(Side::Sell, OrderKind::Stop { stop: 1.0 });
        o.triggered = true;
        let f = run(&o, &bar(100.0, 101.0, 99.0, 100.0)).fill.unwrap();
        assert_eq!((f.phase, f.reference, f.pricing), (Phase::Open, 100.0, Pricing::Taker));
    }

    #[test]
    fn market_orders_take_the_close_when_configured() {
        let o = order(Side::Buy, OrderKind::Market);
        let b = bar(100.0, 101.0, 99.0, 100.5);
        let f = plan(&o, 0, &b, &Path::new(&b), MarketFill::NextClose).fill.unwrap();
        assert_eq!((f.phase, f.reference), (Phase::Close, 100.5));
    }
}
