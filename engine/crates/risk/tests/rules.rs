//! The risk engine's rules, one specification each: which order a rule cuts,
//! to what, and the note it leaves for the decision log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use tradebot_core::{Candle, ClientOrderId, Fill, OrderPurpose, Side, Symbol, SymbolId, Timestamp};
use tradebot_portfolio::Ledger;
use tradebot_risk::{
    DrawdownAction, FixedStop, HaltReason, Proposal, RiskConfig, RiskEngine, RiskEvent, RiskNote, RiskRule, StopInputs,
    StopLossConfig,
};

const DAY: i64 = 86_400 * 1_000_000_000;
const MINUTE: i64 = 60 * 1_000_000_000;

/// Every limit lifted, so a test switches on only the rule it is about.
fn lifted() -> RiskConfig {
    RiskConfig::lifted()
}

#[test]
fn lifted_limits_are_the_widest_each_rule_accepts() {
    let l = RiskConfig::lifted();
    assert!(l.validate().is_ok());
    assert_eq!((l.max_position, l.max_total_exposure, l.max_daily_trades), (1.0, 10.0, u32::MAX));
    assert_eq!(l.stop_loss, RiskConfig::default().stop_loss, "lifting limits keeps the stop rule");
}

#[test]
fn a_reversal_entry_is_checked_as_from_flat_not_as_an_exit() {
    let mut w = World::new(RiskConfig { max_position: 0.5, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 40.0);
    // Without flat_first a sell of 60 against a long of 40 is an exit capped at 40.
    let (q, _) = w.check(w.proposal(0, Side::Sell, 60.0));
    assert_eq!(q, 40.0);
    // After the exit the short of 60 (6 000, 60 % of equity) is an entry capped at 50 %.
    let (q, notes) = w.check(Proposal { flat_first: true, ..w.proposal(0, Side::Sell, 60.0) });
    assert!(near(q, 50.0), "{q}");
    assert_eq!(notes.last().map(|n| n.rule), Some(RiskRule::MaxPosition));
}

/// A run of `n` symbols `S0..`, a ledger with `cash` and its risk engine.
struct World {
    risk: RiskEngine,
    ledger: Ledger,
    prices: Vec<f64>,
    time: i64,
    events: Vec<RiskEvent>,
}

impl World {
    fn new(config: RiskConfig, n: usize, cash: f64) -> World {
        let symbols: Vec<Symbol> = (0..n).map(|i| Symbol::new(&format!("S{i}")).unwrap()).collect();
        World {
            risk: RiskEngine::new(config, &symbols, cash).unwrap(),
            ledger: Ledger::new(cash, n),
            prices: vec![100.0; n],
            time: 0,
            events: Vec::new(),
        }
    }

    /// One time step at the given closes, `minutes` after the previous one.
    fn step(&mut self, closes: &[f64], minutes: i64) {
        self.time += minutes * MINUTE;
        for (i, &close) in closes.iter().enumerate() {
            self.prices[i] = close;
            self.ledger.mark(SymbolId(i as u16), close);
            let bar = Candle { open_time: Timestamp::from_nanos(self.time - MINUTE), close, ..Candle::default() };
            self.risk.on_bar(SymbolId(i as u16), &bar);
        }
        let events = &mut self.events;
        self.risk.end_of_step(Timestamp::from_nanos(self.time), self.ledger.equity(), &mut |e| events.push(e));
    }

    /// Fills an order at the symbol's current price, without fees.
    fn fill(&mut self, symbol: u16, side: Side, quantity: f64) {
        let fill = Fill {
            order: ClientOrderId(1),
            symbol: SymbolId(symbol),
            side,
            quantity,
            price: self.prices[usize::from(symbol)],
            fee: 0.0,
            time: Timestamp::from_nanos(self.time),
            purpose: OrderPurpose::Entry,
        };
        let effect = self.ledger.apply(&fill);
        self.risk.on_fill(&fill, &effect, &StopInputs::default());
    }

    fn proposal(&self, symbol: u16, side: Side, quantity: f64) -> Proposal {
        Proposal {
            symbol: SymbolId(symbol),
            side,
            quantity,
            price: self.prices[usize::from(symbol)],
            stop: None,
            lot_size: 0.0,
            flat_first: false,
        }
    }

    /// Checks a proposal; returns the allowed quantity and the notes.
    fn check(&mut self, p: Proposal) -> (f64, Vec<RiskNote>) {
        let mut notes = Vec::new();
        let q = self.risk.check(&p, &self.ledger, &mut |n| notes.push(n));
        (q, notes)
    }

    fn buy(&mut self, symbol: u16, quantity: f64) -> (f64, Vec<RiskNote>) {
        self.check(self.proposal(symbol, Side::Buy, quantity))
    }
}

fn note(rule: RiskRule, limit: f64, value: f64, requested: f64, allowed: f64) -> RiskNote {
    RiskNote { symbol: SymbolId(0), rule, limit, value, requested, allowed }
}

/// Notes equal up to float rounding in their numbers.
fn assert_notes(actual: &[RiskNote], expected: &[RiskNote]) {
    assert_eq!(actual.len(), expected.len(), "{actual:#?}");
    for (a, e) in actual.iter().zip(expected) {
        assert_eq!((a.symbol, a.rule), (e.symbol, e.rule), "{actual:#?}");
        for (x, y) in [(a.limit, e.limit), (a.value, e.value), (a.requested, e.requested), (a.allowed, e.allowed)] {
            assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0), "{a:?} vs {e:?}");
        }
    }
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn an_entry_within_every_limit_passes_untouched_and_silently() {
    let mut w = World::new(RiskConfig::default(), 1, 10_000.0);
    w.step(&[100.0], 1);
    let (q, notes) = w.check(Proposal { stop: Some(98.0), ..w.proposal(0, Side::Buy, 5.0) });
    assert_eq!(q, 5.0);
    assert!(notes.is_empty());
}

#[test]
fn max_risk_per_trade_caps_the_loss_at_the_stop() {
    let mut w = World::new(RiskConfig { max_risk_per_trade: 0.02, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    // 2 % of 10 000 = 200; 2 per unit to the stop: 100 units.
    let (q, notes) = w.check(Proposal { stop: Some(98.0), ..w.proposal(0, Side::Buy, 150.0) });
    assert!(near(q, 100.0));
    assert_notes(&notes, &[note(RiskRule::MaxRiskPerTrade, 0.02, 0.03, 150.0, 100.0)]);
}

#[test]
fn max_risk_per_trade_counts_the_whole_notional_without_a_stop() {
    let mut w = World::new(RiskConfig { max_risk_per_trade: 0.02, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    let (q, notes) = w.buy(0, 5.0);
    assert!(near(q, 2.0));
    assert_notes(&notes, &[note(RiskRule::MaxRiskPerTrade, 0.02, 0.05, 5.0, 2.0)]);
}

#[test]
fn max_position_caps_the_position_after_the_order() {
    let mut w = World::new(RiskConfig { max_position: 0.10, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 4.0);
    // 10 % of 10 000 at 100 is 10 units; 4 are held.
    let (q, notes) = w.buy(0, 10.0);
    assert!(near(q, 6.0));
    assert_notes(&notes, &[note(RiskRule::MaxPosition, 0.10, 0.14, 10.0, 6.0)]);
}

#[test]
fn max_position_applies_to_shorts_alike() {
    let mut w = World::new(RiskConfig { max_position: 0.10, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Sell, 4.0);
    let (q, notes) = w.check(w.proposal(0, Side::Sell, 10.0));
    assert!(near(q, 6.0));
    assert_notes(&notes, &[note(RiskRule::MaxPosition, 0.10, 0.14, 10.0, 6.0)]);
}

#[test]
fn max_total_exposure_counts_every_other_position() {
    let mut w = World::new(RiskConfig { max_total_exposure: 0.50, ..lifted() }, 2, 10_000.0);
    w.step(&[100.0, 100.0], 1);
    w.fill(1, Side::Sell, 30.0);
    // 5 000 allowed, 3 000 used by the short in S1: 20 units of S0.
    let (q, notes) = w.buy(0, 25.0);
    assert!(near(q, 20.0));
    assert_notes(&notes, &[note(RiskRule::MaxTotalExposure, 0.50, 0.55, 25.0, 20.0)]);
}

/// Closes for `steps` steps: S1 moves with S0, S2 against it, S3 on its own;
/// the last step has every close at 100.
fn correlated_paths(steps: usize) -> Vec<[f64; 4]> {
    let moves = [0.01, -0.02, 0.015, -0.005, 0.02, -0.01, 0.005, -0.015];
    let mut level = 1.0;
    let mut paths: Vec<[f64; 4]> = (0..steps)
        .map(|k| {
            level *= 1.0 + moves[k % moves.len()];
            let own = if k % 3 == 0 { 1.01 } else { 0.995 };
            [100.0 * level, 100.0 * level, 100.0 / level, 100.0 * own]
        })
        .collect();
    if let Some(last) = paths.last_mut() {
        *last = [100.0; 4];
    }
    paths
}

#[test]
fn max_correlated_exposure_counts_the_positions_that_move_with_the_symbol() {
    let mut w = World::new(RiskConfig { max_correlated_exposure: 0.30, ..lifted() }, 4, 10_000.0);
    w.step(&[100.0; 4], 1);
    w.fill(1, Side::Buy, 20.0);
    w.fill(2, Side::Buy, 20.0);
    w.fill(3, Side::Buy, 20.0);
    for closes in correlated_paths(40) {
        w.step(&closes, 1);
    }
    assert!(w.risk.correlated(SymbolId(0), SymbolId(1)));
    assert!(!w.risk.correlated(SymbolId(0), SymbolId(2)));
    assert!(!w.risk.correlated(SymbolId(0), SymbolId(3)));
    // Only S1's 2 000 counts: 3 000 - 2 000 leaves 10 units.
    let (q, notes) = w.buy(0, 15.0);
    assert!(near(q, 10.0));
    assert_notes(&notes, &[note(RiskRule::MaxCorrelatedExposure, 0.30, 0.35, 15.0, 10.0)]);
}

#[test]
fn fewer_than_the_minimum_samples_means_not_correlated() {
    let mut w = World::new(RiskConfig { max_correlated_exposure: 0.30, ..lifted() }, 4, 10_000.0);
    w.step(&[100.0; 4], 1);
    w.fill(1, Side::Buy, 20.0);
    // 10 steps give 10 returns, under the default minimum of 20.
    for closes in correlated_paths(10) {
        w.step(&closes, 1);
    }
    assert_eq!(w.risk.correlation(SymbolId(0), SymbolId(1)), None);
    let (q, notes) = w.buy(0, 15.0);
    assert_eq!(q, 15.0);
    assert!(notes.is_empty());
}

#[test]
fn max_sector_exposure_counts_the_symbols_of_the_same_sector() {
    let mut config = RiskConfig { max_sector_exposure: 0.25, ..lifted() };
    config.sectors.insert("S0".into(), "layer1".into());
    config.sectors.insert("S1".into(), "layer1".into());
    config.sectors.insert("NOT_IN_RUN".into(), "layer1".into());
    let mut w = World::new(config, 3, 10_000.0);
    w.step(&[100.0; 3], 1);
    w.fill(1, Side::Buy, 20.0);
    w.fill(2, Side::Buy, 20.0);
    assert!(w.risk.same_sector(SymbolId(0), SymbolId(1)));
    assert!(!w.risk.same_sector(SymbolId(0), SymbolId(2)));
    // S2 has no sector: it is its own. 2 500 - 2 000 of S1 leaves 5 units.
    let (q, notes) = w.buy(0, 8.0);
    assert!(near(q, 5.0));
    assert_notes(&notes, &[note(RiskRule::MaxSectorExposure, 0.25, 0.28, 8.0, 5.0)]);
}

#[test]
fn a_symbol_without_a_sector_is_a_sector_of_its_own() {
    let mut w = World::new(RiskConfig { max_sector_exposure: 0.25, ..lifted() }, 2, 10_000.0);
    w.step(&[100.0; 2], 1);
    w.fill(1, Side::Buy, 20.0);
    w.fill(0, Side::Buy, 20.0);
    let (q, notes) = w.buy(0, 8.0);
    assert!(near(q, 5.0));
    assert_notes(&notes, &[note(RiskRule::MaxSectorExposure, 0.25, 0.28, 8.0, 5.0)]);
}

#[test]
fn reductions_stack_in_the_documented_order_each_with_its_note() {
    let config = RiskConfig { max_risk_per_trade: 0.02, max_position: 0.10, max_total_exposure: 0.5, ..lifted() };
    let mut w = World::new(config, 2, 10_000.0);
    w.step(&[100.0; 2], 1);
    w.fill(1, Side::Buy, 45.0);
    let (q, notes) = w.check(Proposal { stop: Some(99.0), lot_size: 1.0, ..w.proposal(0, Side::Buy, 300.0) });
    // Risk: 200 / 1 = 200 units; position: 10 units; total: 5 000 - 4 500 = 5 units.
    assert_eq!(q, 5.0);
    assert_notes(
        &notes,
        &[
            note(RiskRule::MaxRiskPerTrade, 0.02, 0.03, 300.0, 200.0),
            note(RiskRule::MaxPosition, 0.10, 2.0, 200.0, 10.0),
            note(RiskRule::MaxTotalExposure, 0.5, 0.55, 10.0, 5.0),
        ],
    );
}

#[test]
fn what_is_left_is_rounded_down_to_the_lot_and_less_than_a_lot_is_refused() {
    let mut w = World::new(RiskConfig { max_position: 0.065, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    let (q, notes) = w.check(Proposal { lot_size: 1.0, ..w.proposal(0, Side::Buy, 10.0) });
    assert_eq!(q, 6.0);
    assert_eq!(notes.last().map(|n| (n.rule, n.limit, n.allowed)), Some((RiskRule::LotSize, 1.0, 6.0)));
    let (q, notes) = w.check(Proposal { lot_size: 10.0, ..w.proposal(0, Side::Buy, 10.0) });
    assert_eq!(q, 0.0);
    assert!(notes.last().unwrap().refused());
    assert_eq!(notes.last().unwrap().rule, RiskRule::LotSize);
}

#[test]
fn max_daily_loss_stops_entries_for_the_rest_of_the_utc_day() {
    let mut w = World::new(RiskConfig { max_daily_loss: 0.05, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 5);
    w.fill(0, Side::Buy, 100.0);
    w.step(&[94.0], 5);
    assert_eq!(w.events, vec![RiskEvent::DailyLossReached { loss: 0.06, limit: 0.05 }]);
    let (q, notes) = w.buy(0, 1.0);
    assert_eq!(q, 0.0);
    assert_notes(&notes, &[note(RiskRule::MaxDailyLoss, 0.05, 0.06, 1.0, 0.0)]);
    // Recovering the same day changes nothing.
    w.step(&[100.0], 5);
    assert_eq!(w.buy(0, 1.0).0, 0.0);
    // Exits still go through.
    assert_eq!(w.check(w.proposal(0, Side::Sell, 10.0)).0, 10.0);
}

#[test]
fn max_daily_trades_counts_approved_entries_per_utc_day() {
    let mut w = World::new(RiskConfig { max_daily_trades: 2, ..lifted() }, 1, 10_000.0);
    w.step(&[100.0], 1);
    assert_eq!(w.buy(0, 1.0).0, 1.0);
    assert_eq!(w.buy(0, 1.0).0, 1.0);
    let (q, notes) = w.buy(0, 1.0);
    assert_eq!(q, 0.0);
    assert_notes(&notes, &[note(RiskRule::MaxDailyTrades, 2.0, 2.0, 1.0, 0.0)]);
    assert_eq!(w.risk.entries_today(), 2);
}

#[test]
fn a_new_utc_day_resets_the_daily_loss_and_the_trade_count() {
    let config = RiskConfig { max_daily_loss: 0.05, max_daily_trades: 1, ..lifted() };
    let mut w = World::new(config, 1, 10_000.0);
    // 23:50 on day 0.
    w.step(&[100.0], DAY / MINUTE - 10);
    w.fill(0, Side::Buy, 50.0);
    assert_eq!(w.buy(0, 1.0).0, 1.0);
    assert_eq!(w.buy(0, 1.0).0, 0.0);
    w.step(&[80.0], 5);
    assert_eq!(w.buy(0, 1.0).0, 0.0);
    // 00:00 of day 1: the day's opening equity is this step's.
    w.step(&[80.0], 5);
    assert_eq!(w.risk.entries_today(), 0);
    assert_eq!(w.risk.daily_loss(w.ledger.equity()), 0.0);
    let (q, notes) = w.buy(0, 1.0);
    assert_eq!(q, 1.0, "{notes:?}");
}

#[test]
fn the_size_multiplier_falls_linearly_between_the_threshold_and_max_drawdown() {
    let mut w = World::new(RiskConfig::default(), 1, 100.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 1.0);
    for (price, multiplier) in [(100.0, 1.0), (91.0, 1.0), (87.5, 0.5), (85.0, 0.0), (80.0, 0.0)] {
        w.ledger.mark(SymbolId(0), price);
        let m = w.risk.size_multiplier(&w.ledger);
        assert!((m - multiplier).abs() < 1e-9, "at {price}: {m}");
    }
}

#[test]
fn entries_in_a_drawdown_are_scaled_by_the_multiplier() {
    let config = RiskConfig { max_drawdown: 0.15, drawdown_reduction_threshold: 0.10, ..lifted() };
    let mut w = World::new(config, 2, 100.0);
    w.step(&[100.0, 100.0], 1);
    w.fill(0, Side::Buy, 1.0);
    w.step(&[87.5, 100.0], 1);
    let (q, notes) = w.check(w.proposal(1, Side::Buy, 0.1));
    assert!(near(q, 0.05));
    let mut expected = note(RiskRule::DrawdownReduction, 0.10, 0.125, 0.1, 0.05);
    expected.symbol = SymbolId(1);
    assert_notes(&notes, &[expected]);
}

#[test]
fn reaching_max_drawdown_halts_entries_for_the_rest_of_the_run() {
    let config = RiskConfig { max_drawdown: 0.15, drawdown_reduction_threshold: 0.10, ..lifted() };
    let mut w = World::new(config, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 100.0);
    w.step(&[110.0], 1);
    // 16 % below the 11 000 high-water mark.
    w.step(&[92.4], 1);
    let Some(HaltReason::MaxDrawdown { drawdown, limit, .. }) = w.risk.halted() else { panic!("{:?}", w.events) };
    assert!(near(drawdown, 0.16) && limit == 0.15);
    assert_eq!(w.events.len(), 1, "a halt alone does not flatten: {:?}", w.events);
    assert!(matches!(w.events[0], RiskEvent::Halted(HaltReason::MaxDrawdown { .. })));
    // A full recovery, even a new high and a new day, does not lift it.
    w.step(&[130.0], 2 * DAY / MINUTE);
    let (q, notes) = w.buy(0, 1.0);
    assert_eq!(q, 0.0);
    assert_notes(&notes, &[note(RiskRule::MaxDrawdown, 0.15, drawdown, 1.0, 0.0)]);
    assert_eq!(w.events.len(), 1);
}

#[test]
fn the_flatten_action_also_asks_to_close_everything() {
    let config = RiskConfig {
        max_drawdown_action: DrawdownAction::Flatten,
        max_drawdown: 0.15,
        drawdown_reduction_threshold: 0.10,
        ..lifted()
    };
    let mut w = World::new(config, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 100.0);
    w.step(&[80.0], 1);
    assert!(matches!(w.events[..], [RiskEvent::Halted(HaltReason::MaxDrawdown { .. }), RiskEvent::FlattenRequested]));
}

#[test]
fn a_check_that_finds_max_drawdown_halts_at_once() {
    let mut w = World::new(RiskConfig::default(), 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 100.0);
    // The ledger moves without a time step (a fill, a mark).
    w.ledger.mark(SymbolId(0), 80.0);
    let (q, notes) = w.buy(0, 1.0);
    assert_eq!(q, 0.0);
    assert_notes(&notes, &[note(RiskRule::MaxDrawdown, 0.15, 0.2, 1.0, 0.0)]);
    assert!(w.risk.halted().is_some());
    // The next step reports it.
    w.step(&[100.0], 1);
    assert!(matches!(w.events[..], [RiskEvent::Halted(HaltReason::MaxDrawdown { .. })]));
}

#[test]
fn the_kill_switch_halts_flattens_and_refuses_entries() {
    let mut w = World::new(RiskConfig::default(), 1, 10_000.0);
    w.step(&[100.0], 1);
    let mut events = Vec::new();
    w.risk.kill(Timestamp::from_nanos(w.time), &mut |e| events.push(e));
    assert_eq!(
        events,
        vec![
            RiskEvent::Halted(HaltReason::KillSwitch { at: Timestamp::from_nanos(w.time) }),
            RiskEvent::FlattenRequested
        ]
    );
    let (q, notes) = w.buy(0, 1.0);
    assert_eq!(q, 0.0);
    assert_notes(&notes, &[note(RiskRule::KillSwitch, 0.0, 0.0, 1.0, 0.0)]);
    w.step(&[100.0], DAY / MINUTE);
    assert_eq!(w.buy(0, 1.0).0, 0.0);
}

#[test]
fn exits_are_allowed_while_halted_up_to_the_position() {
    let mut w = World::new(RiskConfig::default(), 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 5.0);
    w.risk.kill(Timestamp::from_nanos(w.time), &mut |_| {});
    let (q, notes) = w.check(w.proposal(0, Side::Sell, 2.0));
    assert_eq!(q, 2.0);
    assert!(notes.is_empty());
    let (q, notes) = w.check(w.proposal(0, Side::Sell, 8.0));
    assert_eq!(q, 5.0);
    assert_notes(&notes, &[note(RiskRule::ExitBeyondPosition, 5.0, 8.0, 8.0, 5.0)]);
}

#[test]
fn closing_a_whole_position_is_never_rounded_to_the_lot() {
    let mut w = World::new(RiskConfig::default(), 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 2.5);
    let (q, _) = w.check(Proposal { lot_size: 1.0, ..w.proposal(0, Side::Sell, 2.5) });
    assert_eq!(q, 2.5);
    let (q, _) = w.check(Proposal { lot_size: 1.0, ..w.proposal(0, Side::Sell, 1.5) });
    assert_eq!(q, 1.0);
}

#[test]
fn an_unusable_proposal_is_refused_with_a_note() {
    let mut w = World::new(RiskConfig::default(), 1, 10_000.0);
    w.step(&[100.0], 1);
    let good = w.proposal(0, Side::Buy, 1.0);
    for bad in [
        Proposal { price: f64::NAN, ..good },
        Proposal { price: 0.0, ..good },
        Proposal { quantity: -1.0, ..good },
        Proposal { quantity: f64::INFINITY, ..good },
        Proposal { stop: Some(f64::NAN), ..good },
        Proposal { lot_size: -1.0, ..good },
        Proposal { symbol: SymbolId(7), ..good },
    ] {
        let (q, notes) = w.check(bad);
        assert_eq!(q, 0.0);
        assert_eq!(notes.iter().map(|n| n.rule).collect::<Vec<_>>(), [RiskRule::InvalidProposal], "{bad:?}");
    }
}

#[test]
fn no_entry_without_positive_equity() {
    let mut w = World::new(lifted(), 1, 1000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Sell, 10.0);
    w.ledger.mark(SymbolId(0), 250.0);
    let (q, notes) = w.buy(0, 1.0);
    // A buy while short is an exit, and stays allowed.
    assert_eq!(q, 1.0);
    assert!(notes.is_empty());
    let (q, notes) = w.check(w.proposal(0, Side::Sell, 1.0));
    assert_eq!(q, 0.0);
    assert_eq!(notes[0].rule, RiskRule::NoEquity);
    assert_eq!(notes[0].value, -500.0);
}

#[test]
fn a_new_position_gets_its_protection_and_a_flat_one_loses_it() {
    let config = RiskConfig {
        stop_loss: StopLossConfig::Fixed(FixedStop { fraction: 0.05, trailing: None }),
        ..RiskConfig::default()
    };
    let mut w = World::new(config, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 1.0);
    assert!(near(w.risk.stop(SymbolId(0)).unwrap(), 95.0));
    // Adding at a higher price keeps the stop.
    w.step(&[110.0], 1);
    w.fill(0, Side::Buy, 1.0);
    assert!(near(w.risk.stop(SymbolId(0)).unwrap(), 95.0));
    w.fill(0, Side::Sell, 2.0);
    assert_eq!(w.risk.stop(SymbolId(0)), None);
    // A flip opens a short with its own stop.
    w.fill(0, Side::Buy, 1.0);
    w.fill(0, Side::Sell, 3.0);
    assert!(near(w.risk.stop(SymbolId(0)).unwrap(), 115.5));
}

#[test]
fn a_trailing_stop_is_moved_at_the_end_of_a_step_and_reported() {
    let config = RiskConfig {
        stop_loss: StopLossConfig::Fixed(FixedStop { fraction: 0.05, trailing: Some(0.02) }),
        ..RiskConfig::default()
    };
    let mut w = World::new(config, 1, 10_000.0);
    w.step(&[100.0], 1);
    w.fill(0, Side::Buy, 1.0);
    assert!(near(w.risk.stop(SymbolId(0)).unwrap(), 98.0));
    w.step(&[110.0], 1);
    let [RiskEvent::StopMoved { symbol, from, to }] = w.events[..] else { panic!("{:?}", w.events) };
    assert_eq!(symbol, SymbolId(0));
    assert!(near(from, 98.0) && near(to, 107.8));
    w.step(&[105.0], 1);
    assert_eq!(w.events.len(), 1);
    assert!(near(w.risk.stop(SymbolId(0)).unwrap(), 107.8));
}
