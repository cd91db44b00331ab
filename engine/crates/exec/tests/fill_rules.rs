//! The crate docs' "Fill rules", one rule per test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

mod common;

use common::*;
use tradebot_core::{
    ClientOrderId, OcoGroup, OrderKind, OrderPurpose, OrderReason, OrderStatus, Side, SymbolId, Timestamp,
};
use tradebot_exec::{
    AmendError, BOOK_FULL_REASON, BarError, CommissionConfig, MarketFill, SimBroker, SimBrokerConfig, Slippage,
};

use OrderStatus::{Accepted, Cancelled, Filled, PartiallyFilled, Rejected, Submitted};

// ---- no look-ahead -------------------------------------------------------

#[test]
fn an_order_never_fills_on_a_bar_that_opened_before_it_was_created() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 5));
    submit(&mut b, &mut ev, order(2, Side::Buy, 1.0, OrderKind::Limit { limit: 200.0 }, 5));
    run_bar(&mut b, &mut ev, &bar(4, 100.0, 101.0, 99.0, 100.0, 10.0));
    assert_eq!(ev.filled(1) + ev.filled(2), 0.0);
    assert_eq!(b.working_orders().count(), 2);
    run_bar(&mut b, &mut ev, &bar(5, 102.0, 103.0, 101.0, 102.0, 10.0));
    assert_eq!(ev.fills(1), vec![(1.0, 102.0, 0.0)]);
    assert_eq!(ev.fills(2), vec![(1.0, 102.0, 0.0)]);
}

#[test]
fn fills_are_stamped_with_the_bar_open_time_and_carry_the_order_purpose() {
    let mut b = broker(SimBrokerConfig { market_fill: MarketFill::NextClose, ..free() }, 10_000.0);
    let mut ev = Events::default();
    submit(
        &mut b,
        &mut ev,
        tradebot_core::OrderRequest {
            purpose: OrderPurpose::Flatten,
            ..order(1, Side::Buy, 1.0, OrderKind::Market, 3)
        },
    );
    run_bar(&mut b, &mut ev, &bar(3, 100.0, 101.0, 99.0, 100.5, 10.0));
    let f = ev.last(1).fill.unwrap();
    assert_eq!((f.time, f.purpose, f.order, f.symbol), (t(3), OrderPurpose::Flatten, ClientOrderId(1), S0));
}

// ---- market orders and costs ---------------------------------------------

#[test]
fn a_market_buy_pays_the_open_plus_half_spread_plus_bps_slippage_and_the_commission_on_that_price() {
    // Defaults: commission 0.1 %, half-spread 2.5 bps, slippage 5 bps.
    let mut b = broker(SimBrokerConfig::default(), 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 10.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 1e6));
    let (q, price, fee) = ev.fills(1)[0];
    assert_eq!(q, 10.0);
    assert!(close_to(price, 100.0 * (1.0 + 2.5e-4) + 100.0 * 5e-4));
    assert!(close_to(fee, 0.001 * 10.0 * price));
    assert!(close_to(b.ledger().cash(), 100_000.0 - 10.0 * price - fee));
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted, Filled]);
}

#[test]
fn a_market_sell_receives_the_open_less_half_spread_less_atr_slippage_with_a_minimum_fee() {
    let config = SimBrokerConfig {
        commission: CommissionConfig { fraction: 0.001, per_unit: 0.01, minimum: 1.0 },
        slippage: Slippage::AtrFraction { fraction: 0.1 },
        ..SimBrokerConfig::default()
    };
    let mut b = broker(config, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Sell, 5.0, OrderKind::Market, 0));
    b.on_bar(S0, &bar(0, 50.0, 51.0, 49.0, 50.0, 1e6), 2.0, &mut ev.sink()).unwrap();
    let (_, price, fee) = ev.fills(1)[0];
    assert!(close_to(price, 50.0 * (1.0 - 2.5e-4) - 0.1 * 2.0));
    // 0.001 * 5 * 49.79 + 0.01 * 5 = 0.30 < 1: the minimum applies.
    assert_eq!(fee, 1.0);
    assert_eq!(b.ledger().position(S0).quantity, -5.0);
}

#[test]
fn a_missing_atr_prices_atr_slippage_with_the_bars_range() {
    let config = SimBrokerConfig { slippage: Slippage::AtrFraction { fraction: 0.5 }, ..free() };
    let mut b = broker(config, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 0));
    b.on_bar(S0, &bar(0, 100.0, 104.0, 98.0, 101.0, 10.0), f64::NAN, &mut ev.sink()).unwrap();
    assert_eq!(ev.fills(1)[0].1, 100.0 + 0.5 * 6.0);
}

#[test]
fn next_close_market_orders_fill_at_the_close_after_the_bars_resting_orders() {
    let mut b =
        broker(SimBrokerConfig { market_fill: MarketFill::NextClose, half_spread_bps: 10.0, ..free() }, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 0));
    submit(&mut b, &mut ev, order(2, Side::Buy, 1.0, OrderKind::Limit { limit: 99.5 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 102.0, 99.0, 101.0, 10.0));
    assert!(close_to(ev.fills(1)[0].1, 101.0 * 1.001));
    let order_of_fills: Vec<_> = ev.0.iter().filter(|e| e.fill.is_some()).map(|e| e.order.0).collect();
    assert_eq!(order_of_fills, vec![2, 1]);
}

// ---- limits and stops ----------------------------------------------------

#[test]
fn a_limit_reached_inside_the_bar_fills_at_the_limit_without_spread_or_slippage() {
    let mut b = broker(SimBrokerConfig { half_spread_bps: 50.0, ..SimBrokerConfig::default() }, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 2.0, OrderKind::Limit { limit: 98.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 97.0, 100.0, 10.0));
    let (q, price, fee) = ev.fills(1)[0];
    assert_eq!((q, price), (2.0, 98.0));
    assert!(close_to(fee, 0.001 * 2.0 * 98.0));
}

#[test]
fn a_limit_the_open_gaps_through_fills_at_the_better_open() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Limit { limit: 98.0 }, 0));
    submit(&mut b, &mut ev, order(2, Side::Sell, 1.0, OrderKind::Limit { limit: 90.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 95.0, 96.0, 94.0, 95.0, 10.0));
    assert_eq!(ev.fills(1)[0].1, 95.0);
    assert_eq!(ev.fills(2)[0].1, 95.0);
}

#[test]
fn a_limit_the_bar_does_not_reach_keeps_working() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Limit { limit: 98.9 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 10.0));
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted]);
    assert_eq!(b.working_order(ClientOrderId(1)).unwrap().remaining(), 1.0);
}

#[test]
fn a_stop_reached_inside_the_bar_fills_at_the_stop_plus_costs() {
    let mut b = broker(SimBrokerConfig { half_spread_bps: 10.0, ..free() }, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Stop { stop: 102.0 }, 0));
    submit(&mut b, &mut ev, order(2, Side::Sell, 1.0, OrderKind::Stop { stop: 98.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 103.0, 97.0, 101.0, 10.0));
    assert!(close_to(ev.fills(1)[0].1, 102.0 * 1.001));
    assert!(close_to(ev.fills(2)[0].1, 98.0 * 0.999));
}

#[test]
fn a_stop_the_open_gaps_through_fills_at_the_worse_open_plus_costs() {
    let mut b = broker(SimBrokerConfig { half_spread_bps: 10.0, ..free() }, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Sell, 1.0, OrderKind::Stop { stop: 98.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 95.0, 99.0, 94.0, 96.0, 10.0));
    assert!(close_to(ev.fills(1)[0].1, 95.0 * 0.999));
}

#[test]
fn within_a_bar_market_orders_fill_first_then_gaps_then_intrabar_orders_in_path_order() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    // Down bar 100 → 106 → 94 → 97: 105 (sell limit) is reached before 95 (buy limit).
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Limit { limit: 95.0 }, 0));
    submit(&mut b, &mut ev, order(2, Side::Sell, 1.0, OrderKind::Limit { limit: 105.0 }, 0));
    submit(&mut b, &mut ev, order(3, Side::Sell, 1.0, OrderKind::Stop { stop: 101.0 }, 0));
    submit(&mut b, &mut ev, order(4, Side::Buy, 1.0, OrderKind::Limit { limit: 100.5 }, 0));
    submit(&mut b, &mut ev, order(5, Side::Buy, 1.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 106.0, 94.0, 97.0, 100.0));
    let fills: Vec<_> = ev.0.iter().filter_map(|e| e.fill).map(|f| (f.order.0, f.price)).collect();
    assert_eq!(fills, vec![(5, 100.0), (3, 100.0), (4, 100.0), (2, 105.0), (1, 95.0)]);
}

#[test]
fn an_up_bar_is_assumed_to_visit_its_low_before_its_high() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Sell, 1.0, OrderKind::Limit { limit: 105.0 }, 0));
    submit(&mut b, &mut ev, order(2, Side::Buy, 1.0, OrderKind::Limit { limit: 95.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 106.0, 94.0, 103.0, 100.0));
    let fills: Vec<_> = ev.0.iter().filter_map(|e| e.fill).map(|f| f.order.0).collect();
    assert_eq!(fills, vec![2, 1]);
}

// ---- stop-limit ----------------------------------------------------------

#[test]
fn a_stop_limit_gapped_through_within_its_limit_fills_at_the_open() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::StopLimit { stop: 100.0, limit: 101.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.5, 103.0, 100.2, 102.0, 10.0));
    assert_eq!(ev.fills(1), vec![(1.0, 100.5, 0.0)]);
}

#[test]
fn a_marketable_stop_limit_pays_taker_costs_but_never_more_than_its_limit() {
    let mut b = broker(SimBrokerConfig { half_spread_bps: 100.0, ..free() }, 10_000.0);
    let mut ev = Events::default();
    // Open 100.5 + 1 % = 101.505, capped at the limit 101.
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::StopLimit { stop: 100.0, limit: 101.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.5, 103.0, 100.2, 102.0, 10.0));
    assert_eq!(ev.fills(1)[0].1, 101.0);
}

#[test]
fn a_stop_limit_gapped_beyond_its_limit_fills_at_the_limit_if_the_bar_comes_back_to_it() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::StopLimit { stop: 100.0, limit: 101.0 }, 0));
    submit(&mut b, &mut ev, order(2, Side::Buy, 1.0, OrderKind::StopLimit { stop: 100.0, limit: 100.1 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 103.0, 104.0, 100.5, 102.0, 10.0));
    assert_eq!(ev.fills(1), vec![(1.0, 101.0, 0.0)]);
    // Order 2 triggered but its limit was never reached: it now rests as a limit.
    assert!(ev.fills(2).is_empty());
    assert!(b.working_order(ClientOrderId(2)).unwrap().is_triggered());
    run_bar(&mut b, &mut ev, &bar(1, 100.0, 100.5, 99.0, 100.0, 10.0));
    assert_eq!(ev.fills(2), vec![(1.0, 100.0, 0.0)]);
}

#[test]
fn a_stop_limit_triggered_intrabar_fills_at_the_stop_when_marketable_else_at_its_limit_when_reached() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    // Sell stop 95 / limit 94.5: marketable at the trigger.
    submit(&mut b, &mut ev, order(1, Side::Sell, 1.0, OrderKind::StopLimit { stop: 95.0, limit: 94.5 }, 0));
    // Sell stop 95 / limit 96: after the trigger, waits for a rebound to 96.
    submit(&mut b, &mut ev, order(2, Side::Sell, 1.0, OrderKind::StopLimit { stop: 95.0, limit: 96.0 }, 0));
    // Sell stop 95 / limit 98: the rebound to the close at 97 never gets there.
    submit(&mut b, &mut ev, order(3, Side::Sell, 1.0, OrderKind::StopLimit { stop: 95.0, limit: 98.0 }, 0));
    // Down bar 100 → 101 → 94 → 97.
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 94.0, 97.0, 10.0));
    assert_eq!(ev.fills(1), vec![(1.0, 95.0, 0.0)]);
    assert_eq!(ev.fills(2), vec![(1.0, 96.0, 0.0)]);
    assert!(ev.fills(3).is_empty());
    let rest = b.working_order(ClientOrderId(3)).unwrap();
    assert!(rest.is_triggered());
    // Next bar gaps up through 98: the resting limit fills at the better open.
    run_bar(&mut b, &mut ev, &bar(1, 99.0, 99.5, 98.5, 99.0, 10.0));
    assert_eq!(ev.fills(3), vec![(1.0, 99.0, 0.0)]);
}

// ---- OCO and adverse first -----------------------------------------------

fn bracket(b: &mut SimBroker, ev: &mut Events, stop: f64, target: f64) {
    submit(b, ev, order(1, Side::Buy, 10.0, OrderKind::Market, 0));
    let leg = |id, kind, purpose| tradebot_core::OrderRequest {
        reduce_only: true,
        oco: OcoGroup(7),
        purpose,
        ..order(id, Side::Sell, 10.0, kind, 0)
    };
    submit(b, ev, leg(2, OrderKind::Stop { stop }, OrderPurpose::StopLoss));
    submit(b, ev, leg(3, OrderKind::Limit { limit: target }, OrderPurpose::TakeProfit));
}

#[test]
fn when_a_bar_reaches_both_stop_and_target_the_stop_fills_and_the_target_is_cancelled() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    bracket(&mut b, &mut ev, 95.0, 105.0);
    // Down bar 100 → 106 → 94 → 96: the path reaches the target first, yet the stop wins.
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 106.0, 94.0, 96.0, 1000.0));
    assert_eq!(ev.fills(2), vec![(10.0, 95.0, 0.0)]);
    assert!(ev.fills(3).is_empty());
    assert_eq!(ev.last(3).status, Cancelled);
    assert_eq!(ev.reason(3), OrderReason::OcoSibling);
    assert!(b.ledger().position(S0).is_flat());
    assert_eq!(b.working_orders().count(), 0);
}

#[test]
fn adverse_first_applies_even_when_the_open_gaps_through_the_target() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    bracket(&mut b, &mut ev, 95.0, 105.0);
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 100.0, 100.0, 100.0, 1000.0));
    run_bar(&mut b, &mut ev, &bar(1, 106.0, 106.0, 94.0, 95.0, 1000.0));
    assert_eq!(ev.fills(2), vec![(10.0, 95.0, 0.0)]);
    assert_eq!(ev.reason(3), OrderReason::OcoSibling);
}

#[test]
fn when_one_oco_leg_fills_its_siblings_are_cancelled() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    bracket(&mut b, &mut ev, 95.0, 105.0);
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 106.0, 99.0, 105.5, 1000.0));
    assert_eq!(ev.fills(3), vec![(10.0, 105.0, 0.0)]);
    assert_eq!(ev.statuses(2), vec![Submitted, Accepted, Cancelled]);
    assert_eq!(ev.reason(2), OrderReason::OcoSibling);
}

// ---- volume participation ------------------------------------------------

#[test]
fn a_volume_cap_spreads_a_market_order_over_later_opens() {
    let mut b = broker(SimBrokerConfig { max_volume_participation: Some(0.1), ..free() }, 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 25.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    run_bar(&mut b, &mut ev, &bar(1, 102.0, 103.0, 101.0, 102.0, 100.0));
    run_bar(&mut b, &mut ev, &bar(2, 104.0, 105.0, 103.0, 104.0, 100.0));
    assert_eq!(ev.fills(1), vec![(10.0, 100.0, 0.0), (10.0, 102.0, 0.0), (5.0, 104.0, 0.0)]);
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted, PartiallyFilled, PartiallyFilled, Filled]);
    let e = ev.of(1)[2];
    assert_eq!((e.filled_quantity, e.remaining_quantity), (10.0, 15.0));
}

#[test]
fn the_volume_cap_is_shared_by_all_orders_of_the_symbol_in_fill_order() {
    let mut b = broker(SimBrokerConfig { max_volume_participation: Some(0.1), ..free() }, 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 8.0, OrderKind::Market, 0));
    submit(&mut b, &mut ev, order(2, Side::Buy, 8.0, OrderKind::Limit { limit: 99.5 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.filled(1), 8.0);
    assert_eq!(ev.filled(2), 2.0);
    run_bar(&mut b, &mut ev, &bar(1, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.fills(2), vec![(2.0, 99.5, 0.0), (6.0, 99.5, 0.0)]);
}

#[test]
fn a_zero_volume_bar_fills_nothing_under_a_volume_cap() {
    let mut b = broker(SimBrokerConfig { max_volume_participation: Some(1.0), ..free() }, 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 0));
    submit(&mut b, &mut ev, order(2, Side::Sell, 1.0, OrderKind::Stop { stop: 100.0 }, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 100.0, 100.0, 100.0, 0.0));
    assert_eq!(ev.filled(1) + ev.filled(2), 0.0);
    // The stop's price traded, so it triggered and now waits as a market order.
    assert!(b.working_order(ClientOrderId(2)).unwrap().is_triggered());
    run_bar(&mut b, &mut ev, &bar(1, 101.0, 102.0, 100.5, 101.0, 10.0));
    assert_eq!(ev.fills(1), vec![(1.0, 101.0, 0.0)]);
    assert_eq!(ev.fills(2), vec![(1.0, 101.0, 0.0)]);
}

#[test]
fn volume_caps_round_down_to_whole_lots() {
    let mut b = broker(SimBrokerConfig { max_volume_participation: Some(0.1), lot_size: 1.0, ..free() }, 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 5.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 37.0));
    assert_eq!(ev.filled(1), 3.0);
}

// ---- reduce-only ----------------------------------------------------------

#[test]
fn a_reduce_only_order_fills_at_most_the_position_and_the_rest_is_cancelled() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 4.0, OrderKind::Market, 0));
    submit(
        &mut b,
        &mut ev,
        tradebot_core::OrderRequest { reduce_only: true, ..order(2, Side::Sell, 10.0, OrderKind::Market, 0) },
    );
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.fills(2), vec![(4.0, 100.0, 0.0)]);
    assert_eq!(ev.statuses(2), vec![Submitted, Accepted, PartiallyFilled, Cancelled]);
    assert_eq!(ev.reason(2), OrderReason::ReduceOnlyNoPosition);
    assert!(b.ledger().position(S0).is_flat());
}

#[test]
fn a_reduce_only_order_with_nothing_to_reduce_is_cancelled_when_it_would_fill() {
    let mut b = broker(free(), 100_000.0);
    let mut ev = Events::default();
    // A short position: a reduce-only sell would add to it, not reduce it.
    submit(&mut b, &mut ev, order(1, Side::Sell, 2.0, OrderKind::Market, 0));
    let ro = tradebot_core::OrderRequest {
        reduce_only: true,
        ..order(2, Side::Sell, 1.0, OrderKind::Stop { stop: 95.0 }, 0)
    };
    submit(&mut b, &mut ev, ro);
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    // Not reached yet: still working.
    assert_eq!(ev.statuses(2), vec![Submitted, Accepted]);
    run_bar(&mut b, &mut ev, &bar(1, 100.0, 101.0, 94.0, 100.0, 100.0));
    assert_eq!(ev.statuses(2), vec![Submitted, Accepted, Cancelled]);
    assert_eq!(ev.reason(2), OrderReason::ReduceOnlyNoPosition);
    assert_eq!(b.ledger().position(S0).quantity, -2.0);
}

// ---- funds ---------------------------------------------------------------

#[test]
fn an_unaffordable_buy_fills_what_the_cash_pays_for_and_cancels_the_rest() {
    let config = SimBrokerConfig {
        commission: CommissionConfig { fraction: 0.01, per_unit: 0.0, minimum: 0.0 },
        lot_size: 1.0,
        ..free()
    };
    let mut b = broker(config, 1000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 20.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    // 9 * 100 * 1.01 = 909 <= 1000 < 10 * 101.
    assert_eq!(ev.fills(1), vec![(9.0, 100.0, 9.0)]);
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted, PartiallyFilled, Cancelled]);
    assert_eq!(ev.reason(1), OrderReason::InsufficientFunds);
    assert!(b.ledger().buying_power() >= 0.0);
}

#[test]
fn an_order_of_which_nothing_is_affordable_is_rejected() {
    let mut b = broker(SimBrokerConfig { lot_size: 1.0, ..free() }, 50.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted, Rejected]);
    assert_eq!(ev.reason(1), OrderReason::InsufficientFunds);
    assert_eq!(b.ledger().cash(), 50.0);
}

#[test]
fn shorts_are_collateralised_one_to_one() {
    let mut b = broker(free(), 1000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Sell, 15.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.filled(1), 10.0);
    assert_eq!(ev.reason(1), OrderReason::InsufficientFunds);
}

#[test]
fn closing_a_position_is_always_affordable_even_underwater() {
    let mut b = broker(
        SimBrokerConfig { commission: CommissionConfig { fraction: 0.01, ..Default::default() }, ..free() },
        1000.0,
    );
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Sell, 9.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 100.0, 100.0, 100.0, 100.0));
    // The short goes badly wrong: equity 1891 - 9 * 200 = 91 < gross exposure 1800.
    run_bar(&mut b, &mut ev, &bar(1, 200.0, 200.0, 200.0, 200.0, 100.0));
    assert_eq!(b.ledger().buying_power(), 0.0);
    submit(&mut b, &mut ev, order(2, Side::Buy, 9.0, OrderKind::Market, 2));
    run_bar(&mut b, &mut ev, &bar(2, 200.0, 200.0, 200.0, 200.0, 100.0));
    assert_eq!(ev.statuses(2), vec![Submitted, Accepted, Filled]);
    assert!(b.ledger().position(S0).is_flat());
}

#[test]
fn a_flip_closes_freely_and_opens_only_what_the_freed_funds_allow() {
    let mut b = broker(free(), 1000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 10.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 100.0, 100.0, 100.0, 100.0));
    submit(&mut b, &mut ev, order(2, Side::Sell, 30.0, OrderKind::Market, 1));
    run_bar(&mut b, &mut ev, &bar(1, 100.0, 100.0, 100.0, 100.0, 100.0));
    assert_eq!(ev.filled(2), 20.0);
    assert_eq!(b.ledger().position(S0).quantity, -10.0);
}

// ---- intake: lots and rejections -------------------------------------------

#[test]
fn quantities_are_rounded_down_to_the_lot_and_zero_lots_is_rejected() {
    let mut b = broker(SimBrokerConfig { lot_size: 0.5, ..free() }, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 2.57, OrderKind::Market, 0));
    submit(&mut b, &mut ev, order(2, Side::Buy, 0.3, OrderKind::Market, 0));
    let accepted = ev.last(1);
    assert_eq!((accepted.status, accepted.remaining_quantity), (Accepted, 2.5));
    assert_eq!(ev.statuses(2), vec![Submitted, Rejected]);
    assert_eq!(ev.reason(2), OrderReason::InvalidQuantity);
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.filled(1), 2.5);
}

#[test]
fn malformed_orders_are_rejected_with_the_reason() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(
        &mut b,
        &mut ev,
        tradebot_core::OrderRequest { symbol: SymbolId(9), ..order(1, Side::Buy, 1.0, OrderKind::Market, 0) },
    );
    submit(&mut b, &mut ev, order(2, Side::Buy, f64::NAN, OrderKind::Market, 0));
    submit(&mut b, &mut ev, order(3, Side::Buy, -1.0, OrderKind::Market, 0));
    submit(&mut b, &mut ev, order(4, Side::Buy, 1.0, OrderKind::Limit { limit: -5.0 }, 0));
    submit(&mut b, &mut ev, order(5, Side::Buy, 1.0, OrderKind::StopLimit { stop: 1.0, limit: f64::INFINITY }, 0));
    let reasons: Vec<_> = (1..=5).map(|id| ev.reason(id)).collect();
    use OrderReason::*;
    assert_eq!(reasons, vec![UnknownSymbol, InvalidQuantity, InvalidQuantity, InvalidPrice, InvalidPrice]);
    for id in 1..=5 {
        assert_eq!(ev.statuses(id), vec![Submitted, Rejected]);
    }
    assert_eq!(b.working_orders().count(), 0);
}

#[test]
fn a_full_book_rejects_further_orders() {
    let mut b = broker(SimBrokerConfig { max_working_orders: 2, ..free() }, 10_000.0);
    let mut ev = Events::default();
    for id in 1..=3 {
        submit(&mut b, &mut ev, order(id, Side::Buy, 1.0, OrderKind::Limit { limit: 1.0 }, 0));
    }
    assert_eq!(ev.statuses(3), vec![Submitted, Rejected]);
    assert_eq!(ev.reason(3), BOOK_FULL_REASON);
    assert_eq!(BOOK_FULL_REASON, tradebot_core::OrderReason::TooManyOrders);
    assert!(b.cancel(ClientOrderId(1), t(0), &mut ev.sink()));
    submit(&mut b, &mut ev, order(4, Side::Buy, 1.0, OrderKind::Limit { limit: 1.0 }, 0));
    assert_eq!(ev.last(4).status, Accepted);
}

#[test]
fn submit_events_carry_the_decision_time() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 7));
    assert!(ev.of(1).iter().all(|e| e.time == t(7)));
}

// ---- cancel and amend ----------------------------------------------------

#[test]
fn a_cancelled_order_reports_cancelled_at_now_and_never_fills() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Limit { limit: 99.0 }, 0));
    let now = Timestamp::from_nanos(123);
    assert!(b.cancel(ClientOrderId(1), now, &mut ev.sink()));
    let e = ev.last(1);
    assert_eq!((e.status, e.reason, e.time, e.remaining_quantity), (Cancelled, OrderReason::Requested, now, 0.0));
    assert!(!b.cancel(ClientOrderId(1), now, &mut ev.sink()));
    assert!(!b.cancel(ClientOrderId(42), now, &mut ev.sink()));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 90.0, 100.0, 100.0));
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted, Cancelled]);
}

#[test]
fn cancel_all_cancels_one_symbols_orders_or_all_with_the_given_reason() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Limit { limit: 1.0 }, 0));
    submit(
        &mut b,
        &mut ev,
        tradebot_core::OrderRequest {
            symbol: SymbolId(1),
            ..order(2, Side::Buy, 1.0, OrderKind::Limit { limit: 1.0 }, 0)
        },
    );
    b.cancel_all(Some(SymbolId(1)), t(1), OrderReason::Requested, &mut ev.sink());
    assert_eq!(ev.statuses(2), vec![Submitted, Accepted, Cancelled]);
    assert_eq!(ev.statuses(1), vec![Submitted, Accepted]);
    b.cancel_all(None, t(2), OrderReason::EndOfData, &mut ev.sink());
    assert_eq!(ev.reason(1), OrderReason::EndOfData);
    assert_eq!(b.working_orders().count(), 0);
}

#[test]
fn an_amended_stop_triggers_at_its_new_price() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Sell, 1.0, OrderKind::Stop { stop: 90.0 }, 0));
    b.amend_stop(ClientOrderId(1), 98.0).unwrap();
    assert_eq!(b.working_order(ClientOrderId(1)).unwrap().kind(), OrderKind::Stop { stop: 98.0 });
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 97.0, 100.0, 100.0));
    assert_eq!(ev.fills(1), vec![(1.0, 98.0, 0.0)]);
}

#[test]
fn amending_is_refused_for_unknown_terminal_non_stop_triggered_orders_and_bad_prices() {
    let mut b = broker(SimBrokerConfig { max_volume_participation: Some(0.1), ..free() }, 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Limit { limit: 99.0 }, 0));
    submit(&mut b, &mut ev, order(2, Side::Sell, 1.0, OrderKind::StopLimit { stop: 90.0, limit: 96.0 }, 0));
    submit(&mut b, &mut ev, order(3, Side::Buy, 1.0, OrderKind::Market, 0));
    assert_eq!(b.amend_stop(ClientOrderId(9), 1.0), Err(AmendError::NotWorking(ClientOrderId(9))));
    assert_eq!(b.amend_stop(ClientOrderId(1), 1.0), Err(AmendError::NotAStop(ClientOrderId(1))));
    assert!(matches!(b.amend_stop(ClientOrderId(2), f64::NAN), Err(AmendError::InvalidPrice { .. })));
    b.amend_stop(ClientOrderId(2), 95.0).unwrap();
    assert_eq!(b.working_order(ClientOrderId(2)).unwrap().kind(), OrderKind::StopLimit { stop: 95.0, limit: 96.0 });
    b.cancel(ClientOrderId(3), t(0), &mut ev.sink());
    assert_eq!(b.amend_stop(ClientOrderId(3), 1.0), Err(AmendError::NotWorking(ClientOrderId(3))));
    // Down bar 100 → 100.5 → 94 → 95.5: triggered at 95, never back up to 96, so it rests as a limit.
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 100.5, 94.0, 95.5, 100.0));
    assert!(b.working_order(ClientOrderId(2)).unwrap().is_triggered());
    assert_eq!(b.amend_stop(ClientOrderId(2), 90.0), Err(AmendError::AlreadyTriggered(ClientOrderId(2))));
}

// ---- bars ----------------------------------------------------------------

#[test]
fn after_a_bar_the_ledger_is_marked_at_its_close() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 10.0, OrderKind::Market, 0));
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 110.0, 99.0, 108.0, 100.0));
    assert_eq!(b.ledger().position(S0).mark, 108.0);
    assert_eq!(b.ledger().equity(), 10_000.0 + 10.0 * 8.0);
}

#[test]
fn a_malformed_bar_or_unknown_symbol_is_an_error_and_changes_nothing() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(&mut b, &mut ev, order(1, Side::Buy, 1.0, OrderKind::Market, 0));
    ev.clear();
    let bad = [
        bar(0, 100.0, 99.0, 98.0, 100.0, 1.0),
        bar(0, f64::NAN, 101.0, 99.0, 100.0, 1.0),
        bar(0, 100.0, 101.0, 99.0, 100.0, -1.0),
        bar(0, 100.0, 101.0, 0.0, 100.0, 1.0),
    ];
    for c in &bad {
        assert_eq!(b.on_bar(S0, c, 1.0, &mut ev.sink()), Err(BarError::InvalidBar { symbol: S0, open_time: t(0) }));
    }
    let ok = bar(0, 100.0, 101.0, 99.0, 100.0, 1.0);
    assert_eq!(b.on_bar(SymbolId(2), &ok, 1.0, &mut ev.sink()), Err(BarError::UnknownSymbol(SymbolId(2))));
    assert!(ev.0.is_empty());
    assert_eq!(b.working_orders().count(), 1);
    assert_eq!(b.ledger().cash(), 10_000.0);
}

#[test]
fn a_bar_only_matches_its_own_symbols_orders() {
    let mut b = broker(free(), 10_000.0);
    let mut ev = Events::default();
    submit(
        &mut b,
        &mut ev,
        tradebot_core::OrderRequest { symbol: SymbolId(1), ..order(1, Side::Buy, 1.0, OrderKind::Market, 0) },
    );
    run_bar(&mut b, &mut ev, &bar(0, 100.0, 101.0, 99.0, 100.0, 100.0));
    assert_eq!(ev.filled(1), 0.0);
    b.on_bar(SymbolId(1), &bar(0, 50.0, 51.0, 49.0, 50.0, 100.0), 1.0, &mut ev.sink()).unwrap();
    assert_eq!(ev.fills(1), vec![(1.0, 50.0, 0.0)]);
}

#[test]
fn a_broker_refuses_an_invalid_config_or_initial_cash() {
    assert!(SimBroker::new(SimBrokerConfig { half_spread_bps: -1.0, ..free() }, 1, 1.0).is_err());
    assert!(SimBroker::new(free(), 1, f64::NAN).is_err());
}
