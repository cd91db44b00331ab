//! The hot path allocates nothing: after `SimBroker::new`, submitting,
//! matching, amending and cancelling run on the preallocated storage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{bar, order, t};
use tradebot_core::{ClientOrderId, OcoGroup, OrderKind, OrderReason, OrderRequest, Side};
use tradebot_exec::{SimBroker, SimBrokerConfig};

#[test]
fn submit_on_bar_amend_and_cancel_do_not_allocate() {
    let config = SimBrokerConfig { max_volume_participation: Some(0.5), ..SimBrokerConfig::default() };
    let mut broker = SimBroker::new(config, 2, 1e9).unwrap();
    let mut events = 0usize;
    let info = allocation_counter::measure(|| {
        let mut out = |_: &tradebot_core::OrderEvent| events += 1;
        let mut id = 0;
        for k in 0..200i64 {
            let p = 100.0 + (k % 7) as f64;
            // A full book's worth of resting orders, plus market and bracket traffic.
            for j in 0..5 {
                id += 1;
                let kind = match j {
                    0 => OrderKind::Market,
                    1 => OrderKind::Limit { limit: p - 2.0 },
                    2 => OrderKind::Stop { stop: p + 2.0 },
                    3 => OrderKind::StopLimit { stop: p - 1.0, limit: p - 3.0 },
                    _ => OrderKind::Limit { limit: p + 3.0 },
                };
                let side = if (k + j) % 2 == 0 { Side::Buy } else { Side::Sell };
                let reduce_only = j == 4;
                let request =
                    OrderRequest { reduce_only, oco: OcoGroup((k % 3) as u64), ..order(id, side, 3.0, kind, k) };
                broker.submit(request, &mut out);
            }
            let _ = broker.amend_stop(ClientOrderId(id - 2), p + 1.5);
            broker.cancel(ClientOrderId(id - 1), t(k), &mut out);
            broker.on_bar(common::S0, &bar(k, p, p + 4.0, p - 4.0, p + 1.0, 50.0), 1.0, &mut out).unwrap();
            if k % 50 == 49 {
                broker.cancel_all(None, t(k), OrderReason::Requested, &mut out);
            }
        }
    });
    assert!(events > 1000, "the workload should be busy, saw {events} events");
    assert_eq!(info.count_total, 0, "hot path allocated: {info:?}");
}
