//! Properties of the broker over random bars and random order flow: the
//! lifecycle is well formed, fills respect the bar and the order, and the
//! venue's books stay consistent and funded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

mod common;

use std::collections::HashMap;

use common::t;
use proptest::prelude::*;
use tradebot_core::{
    Candle, ClientOrderId, OcoGroup, OrderEvent, OrderKind, OrderPurpose, OrderReason, OrderRequest, OrderStatus, Side,
    SymbolId,
};
use tradebot_exec::{CommissionConfig, MarketFill, SimBroker, SimBrokerConfig, Slippage};
use tradebot_portfolio::Ledger;

const SYMBOLS: usize = 2;

#[derive(Clone, Debug)]
enum Action {
    Submit { symbol: u16, side: Side, quantity: f64, kind: OrderKind, reduce_only: bool, oco: u64, future: bool },
    Cancel(usize),
    Amend(usize, f64),
}

#[derive(Clone, Debug)]
struct Step {
    actions: Vec<Action>,
    symbol: u16,
    bar: (f64, f64, f64, f64, f64),
    atr: f64,
}

fn price() -> impl Strategy<Value = f64> {
    prop_oneof![20 => 40.0..160.0f64, 1 => Just(-1.0), 1 => Just(f64::NAN)]
}

fn kind() -> impl Strategy<Value = OrderKind> {
    prop_oneof![
        Just(OrderKind::Market),
        price().prop_map(|limit| OrderKind::Limit { limit }),
        price().prop_map(|stop| OrderKind::Stop { stop }),
        (price(), -5.0..5.0f64).prop_map(|(stop, d)| OrderKind::StopLimit { stop, limit: stop + d }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    let quantity = prop_oneof![20 => 0.1..60.0f64, 1 => Just(0.0), 1 => Just(f64::NAN), 1 => Just(-3.0)];
    // Now and then a symbol the broker does not know.
    let symbol = prop_oneof![20 => 0..SYMBOLS as u16, 1 => Just(SYMBOLS as u16)];
    prop_oneof![
        6 => (symbol, any::<bool>(), quantity, kind(), prop::bool::weighted(0.3), 0..4u64, prop::bool::weighted(0.1))
            .prop_map(|(symbol, buy, quantity, kind, reduce_only, oco, future)| Action::Submit {
                symbol,
                side: if buy { Side::Buy } else { Side::Sell },
                quantity,
                kind,
                reduce_only,
                oco,
                future,
            }),
        1 => any::<prop::sample::Index>().prop_map(|i| Action::Cancel(i.index(1 << 20))),
        1 => (any::<prop::sample::Index>(), price()).prop_map(|(i, p)| Action::Amend(i.index(1 << 20), p)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let bar =
        (50.0..150.0f64, 0.0..12.0f64, 0.0..12.0f64, 0.0..=1.0f64, prop_oneof![1 => Just(0.0), 4 => 0.0..400.0f64])
            .prop_map(|(open, up, down, frac, volume)| {
                let (high, low) = (open + up, open - down);
                (open, high, low, low + frac * (high - low), volume)
            });
    let atr = prop_oneof![1 => Just(f64::NAN), 3 => 0.0..5.0f64];
    (prop::collection::vec(action(), 0..5), 0..SYMBOLS as u16, bar, atr).prop_map(|(actions, symbol, bar, atr)| Step {
        actions,
        symbol,
        bar,
        atr,
    })
}

fn config() -> impl Strategy<Value = SimBrokerConfig> {
    let slippage = prop_oneof![
        Just(Slippage::None),
        (0.0..50.0f64).prop_map(|bps| Slippage::Bps { bps }),
        (0.0..0.5f64).prop_map(|fraction| Slippage::AtrFraction { fraction }),
    ];
    (
        0.0..0.01f64,
        prop_oneof![Just(0.0), 0.0..2.0f64],
        prop_oneof![Just(0.0), 0.0..20.0f64],
        slippage,
        prop_oneof![Just(None), (0.01..=1.0f64).prop_map(Some)],
        any::<bool>(),
        prop_oneof![Just(0.0), Just(0.5), Just(1.0)],
    )
        .prop_map(|(fraction, minimum, hs, slippage, cap, close, lot)| SimBrokerConfig {
            commission: CommissionConfig { fraction, per_unit: 0.0, minimum },
            half_spread_bps: hs,
            slippage,
            max_volume_participation: cap,
            market_fill: if close { MarketFill::NextClose } else { MarketFill::NextOpen },
            lot_size: lot,
            max_working_orders: 64,
        })
}

/// What the test knows about one order from the events alone.
#[derive(Debug)]
struct Track {
    request: OrderRequest,
    statuses: Vec<OrderStatus>,
    accepted: f64,
    filled: f64,
    terminal: bool,
}

struct Checker {
    config: SimBrokerConfig,
    shadow: Ledger,
    orders: HashMap<ClientOrderId, Track>,
    bar: Candle,
    atr: f64,
}

fn tol(x: f64) -> f64 {
    1e-9 * x.abs().max(1.0)
}

impl Checker {
    fn on_event(&mut self, e: &OrderEvent) {
        let track = self.orders.get_mut(&e.order).expect("event for an order that was never submitted");
        assert!(!track.terminal, "event after a terminal event: {e:?}");
        let prev = track.statuses.last().copied();
        use OrderStatus::*;
        match (prev, e.status) {
            (None, Submitted) => {}
            (Some(Submitted), Accepted) => track.accepted = e.remaining_quantity,
            (Some(Submitted), Rejected) => track.terminal = true,
            (Some(Accepted | PartiallyFilled), PartiallyFilled | Filled | Cancelled) => {}
            (Some(Accepted), Rejected) => {
                assert_eq!(e.reason, OrderReason::InsufficientFunds, "a post-acceptance reject is about funds");
                assert_eq!(track.filled, 0.0);
            }
            other => panic!("illegal transition {other:?} for {e:?}"),
        }
        track.statuses.push(e.status);
        if e.status.is_terminal() {
            track.terminal = true;
            assert_eq!(e.remaining_quantity, 0.0);
        }
        assert_eq!(e.fill.is_some(), matches!(e.status, PartiallyFilled | Filled), "{e:?}");
        if let Some(f) = e.fill {
            self.on_fill(e, &f);
        }
    }

    fn on_fill(&mut self, e: &OrderEvent, f: &tradebot_core::Fill) {
        let track = self.orders.get_mut(&e.order).unwrap();
        let r = track.request;
        assert_eq!((f.order, f.symbol, f.side, f.purpose), (r.id, r.symbol, r.side, r.purpose));
        // No look-ahead: only bars opening at or after the decision.
        assert!(f.time >= r.created, "filled at {} before created {}", f.time, r.created);
        assert_eq!(f.time, self.bar.open_time);
        assert!(f.quantity > 0.0);
        track.filled += f.quantity;
        assert!((track.filled - e.filled_quantity).abs() <= tol(track.filled));
        assert!(track.filled <= track.accepted + tol(track.accepted), "overfilled {track:?}");
        if e.status == OrderStatus::Filled {
            assert!((track.filled - track.accepted).abs() <= tol(track.accepted));
        } else {
            assert!((e.filled_quantity + e.remaining_quantity - track.accepted).abs() <= tol(track.accepted));
        }
        // Price inside the bar before costs; costs only ever go against the taker.
        let b = self.bar;
        let (hs, slip_max) = self.cost_bounds(b.high);
        match f.side {
            Side::Buy => {
                assert!(f.price >= b.low && f.price <= b.high * (1.0 + hs) + slip_max + tol(b.high), "{f:?} {b:?}")
            }
            Side::Sell => assert!(
                f.price <= b.high && f.price >= (b.low * (1.0 - hs) - slip_max).max(0.0) - tol(b.low),
                "{f:?} {b:?}"
            ),
        }
        if hs == 0.0 && slip_max == 0.0 {
            assert!(f.price >= b.low && f.price <= b.high);
        }
        if let OrderKind::Limit { limit } = r.kind {
            match f.side {
                Side::Buy => assert!(f.price <= limit),
                Side::Sell => assert!(f.price >= limit),
            }
        }
        let fee = self.config.commission.fee(f.quantity, f.price);
        assert!((f.fee - fee).abs() <= tol(fee));

        let effect = self.shadow.apply(f);
        if r.reduce_only {
            assert_eq!(effect.opened, 0.0, "a reduce-only fill opened exposure: {f:?}");
        }
        if effect.opened > 0.0 {
            let headroom = self.shadow.equity() - self.shadow.gross_exposure();
            assert!(headroom >= -1e-7 * self.shadow.equity().abs().max(1.0), "buying power breached: {headroom}");
        }
    }

    fn cost_bounds(&self, reference: f64) -> (f64, f64) {
        let hs = self.config.half_spread_bps / 1e4;
        let range = self.bar.high - self.bar.low;
        let atr = if self.atr.is_finite() && self.atr >= 0.0 { self.atr } else { range };
        let slip = match self.config.slippage {
            Slippage::None => 0.0,
            Slippage::Bps { bps } => reference * bps / 1e4,
            Slippage::AtrFraction { fraction } => fraction * atr,
        };
        (hs, slip)
    }
}

fn run(config: SimBrokerConfig, steps: &[Step]) {
    let mut broker = SimBroker::new(config, SYMBOLS, 10_000.0).unwrap();
    let mut ck = Checker {
        config,
        shadow: Ledger::new(10_000.0, SYMBOLS),
        orders: HashMap::new(),
        bar: Candle::default(),
        atr: 0.0,
    };
    let mut ids: Vec<ClientOrderId> = Vec::new();
    let mut next_id = 1;
    for (k, s) in steps.iter().enumerate() {
        let k = k as i64;
        for a in &s.actions {
            match *a {
                Action::Submit { symbol, side, quantity, kind, reduce_only, oco, future } => {
                    let request = OrderRequest {
                        id: ClientOrderId(next_id),
                        symbol: SymbolId(symbol),
                        side,
                        quantity,
                        kind,
                        reduce_only,
                        oco: OcoGroup(oco),
                        purpose: if reduce_only { OrderPurpose::StopLoss } else { OrderPurpose::Entry },
                        created: t(k + i64::from(future)),
                    };
                    next_id += 1;
                    ids.push(request.id);
                    ck.orders.insert(
                        request.id,
                        Track { request, statuses: Vec::new(), accepted: 0.0, filled: 0.0, terminal: false },
                    );
                    broker.submit(request, &mut |e| ck.on_event(e));
                    let track = &ck.orders[&request.id];
                    assert!(matches!(track.statuses[..], [OrderStatus::Submitted, _]));
                }
                Action::Cancel(i) if !ids.is_empty() => {
                    let id = ids[i % ids.len()];
                    let was_working = broker.working_order(id).is_some();
                    assert_eq!(broker.cancel(id, t(k), &mut |e| ck.on_event(e)), was_working);
                }
                Action::Amend(i, stop) if !ids.is_empty() => {
                    let id = ids[i % ids.len()];
                    if broker.amend_stop(id, stop).is_ok() {
                        let o = broker.working_order(id).unwrap();
                        assert!(!o.is_triggered());
                        assert!(
                            matches!(o.kind(), OrderKind::Stop { stop: s } | OrderKind::StopLimit { stop: s, .. } if s == stop)
                        );
                    }
                }
                Action::Cancel(_) | Action::Amend(..) => {}
            }
        }
        let (open, high, low, close, volume) = s.bar;
        ck.bar = Candle { open_time: t(k), open, high, low, close, volume };
        ck.atr = s.atr;
        let bar = ck.bar;
        broker.on_bar(SymbolId(s.symbol), &bar, s.atr, &mut |e| ck.on_event(e)).unwrap();
        ck.shadow.mark(SymbolId(s.symbol), close);

        // The venue's books are exactly the fills it reported.
        let l = broker.ledger();
        assert_eq!(l.cash(), ck.shadow.cash());
        assert_eq!(l.positions(), ck.shadow.positions());
        let identity = l.cash() + l.positions().iter().map(|p| p.quantity * p.mark).sum::<f64>();
        assert!((l.equity() - identity).abs() <= tol(identity));
        let fees: f64 = l.fees_paid();
        assert!(fees >= 0.0);

        // Working orders are exactly the accepted, non-terminal ones.
        let mut working: Vec<_> = broker.working_orders().map(|o| o.id()).collect();
        let mut expected: Vec<_> = ck.orders.values().filter(|o| !o.terminal).map(|o| o.request.id).collect();
        working.sort();
        expected.sort();
        assert_eq!(working, expected);
        for o in broker.working_orders() {
            let track = &ck.orders[&o.id()];
            assert!((o.filled() - track.filled).abs() <= tol(track.filled));
            assert!(o.filled() < o.quantity());
        }
        assert!(broker.working_orders().count() <= config.max_working_orders);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_order_flow_keeps_lifecycle_fills_and_books_consistent(
        config in config(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        run(config, &steps);
    }
}

#[test]
fn an_order_that_never_fills_stays_working_until_cancelled_at_the_end() {
    let mut broker = SimBroker::new(SimBrokerConfig::default(), 1, 1000.0).unwrap();
    let mut events = Vec::new();
    let request = OrderRequest {
        id: ClientOrderId(1),
        symbol: SymbolId(0),
        side: Side::Buy,
        quantity: 1.0,
        kind: OrderKind::Limit { limit: 1.0 },
        reduce_only: false,
        oco: OcoGroup::NONE,
        purpose: OrderPurpose::Entry,
        created: t(0),
    };
    broker.submit(request, &mut |e| events.push(e.status));
    for k in 0..10 {
        let bar = Candle { open_time: t(k), open: 100.0, high: 101.0, low: 99.0, close: 100.0, volume: 1.0 };
        broker.on_bar(SymbolId(0), &bar, 1.0, &mut |e| events.push(e.status)).unwrap();
    }
    broker.cancel_all(None, t(10), OrderReason::EndOfData, &mut |e| events.push(e.status));
    assert_eq!(events, vec![OrderStatus::Submitted, OrderStatus::Accepted, OrderStatus::Cancelled]);
}
