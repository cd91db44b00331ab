//! Properties of the risk engine over random price paths, configurations and
//! proposals: the limits hold after every approved entry, trailing stops
//! never loosen, and nothing enters after a drawdown halt or the kill switch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use tradebot_core::{Candle, ClientOrderId, Fill, OrderPurpose, Side, Symbol, SymbolId, Timestamp};
use tradebot_portfolio::Ledger;
use tradebot_risk::{
    AtrStop, DrawdownAction, FixedStop, HaltReason, Proposal, RiskConfig, RiskEngine, RiskEvent, RiskNote, RiskRule,
    StopInputs, StopLossConfig,
};

const MINUTE: i64 = 60 * 1_000_000_000;
/// Relative slack for float rounding (and the lot grid's 1e-9 snap).
const TOL: f64 = 1e-8;

fn lifted() -> RiskConfig {
    RiskConfig::lifted()
}

fn symbols(n: usize) -> Vec<Symbol> {
    (0..n).map(|i| Symbol::new(&format!("S{i}")).unwrap()).collect()
}

/// A run: ledger, risk engine and the latest closes.
struct Run {
    risk: RiskEngine,
    ledger: Ledger,
    prices: Vec<f64>,
    time: i64,
    events: Vec<RiskEvent>,
}

impl Run {
    fn new(config: RiskConfig, n: usize, cash: f64) -> Run {
        Run {
            risk: RiskEngine::new(config, &symbols(n), cash).unwrap(),
            ledger: Ledger::new(cash, n),
            prices: vec![100.0; n],
            time: 0,
            events: Vec::new(),
        }
    }

    /// One step: every price moves by `exp(log_moves[i])`.
    fn step(&mut self, log_moves: &[f64]) {
        self.time += MINUTE;
        for (i, m) in log_moves.iter().enumerate() {
            self.prices[i] *= m.exp();
            let id = SymbolId(i as u16);
            self.ledger.mark(id, self.prices[i]);
            self.risk.on_bar(id, &Candle { close: self.prices[i], ..Candle::default() });
        }
        let events = &mut self.events;
        self.risk.end_of_step(Timestamp::from_nanos(self.time), self.ledger.equity(), &mut |e| events.push(e));
    }

    fn fill(&mut self, symbol: usize, side: Side, quantity: f64) {
        let fill = Fill {
            order: ClientOrderId(1),
            symbol: SymbolId(symbol as u16),
            side,
            quantity,
            price: self.prices[symbol],
            fee: 0.0,
            time: Timestamp::from_nanos(self.time),
            purpose: OrderPurpose::Entry,
        };
        let effect = self.ledger.apply(&fill);
        self.risk.on_fill(&fill, &effect, &StopInputs::default());
    }

    fn proposal(&self, symbol: usize, side: Side, quantity: f64) -> Proposal {
        Proposal {
            symbol: SymbolId(symbol as u16),
            side,
            quantity,
            price: self.prices[symbol],
            stop: None,
            lot_size: 0.0,
            flat_first: false,
        }
    }

    fn check(&mut self, p: &Proposal) -> (f64, Vec<RiskNote>) {
        let mut notes = Vec::new();
        let q = self.risk.check(p, &self.ledger, &mut |n| notes.push(n));
        (q, notes)
    }

    /// Whether `side` would increase `|position|` in `symbol`.
    fn is_entry(&self, symbol: usize, side: Side) -> bool {
        let q = self.ledger.position(SymbolId(symbol as u16)).quantity;
        q == 0.0 || q.signum() == side.sign()
    }
}

fn side(buy: bool) -> Side {
    if buy { Side::Buy } else { Side::Sell }
}

/// One step of a random scenario: a common and three own log moves, then a
/// proposal (symbol, side, quantity, stop distance, lot size).
type Step = (f64, Vec<f64>, usize, bool, f64, Option<f64>, f64);

fn steps(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Step>> {
    vec(
        (
            -0.04f64..0.04,
            vec(-0.03f64..0.03, 3),
            0usize..3,
            any::<bool>(),
            0.0f64..80.0,
            option::of(0.002f64..0.2),
            prop_oneof![Just(0.0), Just(1.0), Just(0.1), Just(0.001)],
        ),
        len,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn approved_entries_never_break_the_position_exposure_or_risk_limits(
        (max_position, total, correlated, sector, max_risk) in
            (0.01f64..=1.0, 0.05f64..=3.0, 0.05f64..=3.0, 0.05f64..=3.0, 0.002f64..=1.0),
        sectors in vec(0u8..3, 3),
        betas in vec(-1.0f64..=1.0, 3),
        steps in steps(25..90),
    ) {
        let mut config = RiskConfig {
            max_position,
            max_total_exposure: total,
            max_correlated_exposure: correlated,
            max_sector_exposure: sector,
            max_risk_per_trade: max_risk,
            correlation_window: 20,
            correlation_min_samples: 5,
            ..lifted()
        };
        for (i, s) in sectors.iter().enumerate() {
            if *s > 0 {
                config.sectors.insert(format!("S{i}"), format!("sector{s}"));
            }
        }
        // The test's own reading of the sector rule: no sector = a sector of one.
        let same_sector = |a: usize, b: usize| a == b || (sectors[a] > 0 && sectors[a] == sectors[b]);
        let mut run = Run::new(config, 3, 10_000.0);
        let mut approved = 0;
        for (common, own, symbol, buy, quantity, stop, lot) in steps {
            let moves: Vec<f64> = (0..3).map(|i| betas[i] * common + own[i]).collect();
            run.step(&moves);
            let side = side(buy);
            let price = run.prices[symbol];
            let stop = stop.map(|d| price * (1.0 - side.sign() * d));
            let p = Proposal { stop, lot_size: lot, ..run.proposal(symbol, side, quantity) };
            let entry = run.is_entry(symbol, side);
            let equity = run.ledger.equity();
            let (q, notes) = run.check(&p);
            prop_assert!(q >= 0.0 && q <= quantity * (1.0 + TOL), "{q} of {quantity}");
            prop_assert!(notes.iter().all(|n| n.allowed <= n.requested));
            if q == 0.0 {
                continue;
            }
            run.fill(symbol, side, q);
            if !entry {
                continue;
            }
            approved += 1;
            let budget = |limit: f64| limit * equity * (1.0 + TOL) + 1e-9;
            let values: Vec<f64> = run.ledger.positions().iter().map(|p| p.value().abs()).collect();
            let sum = |member: &dyn Fn(usize) -> bool| (0..3).filter(|&j| member(j)).map(|j| values[j]).sum::<f64>();
            prop_assert!(values[symbol] <= budget(max_position), "position {} > {max_position}", values[symbol] / equity);
            prop_assert!(sum(&|_| true) <= budget(total), "gross {} > {total}", sum(&|_| true) / equity);
            let corr = sum(&|j| run.risk.correlated(SymbolId(symbol as u16), SymbolId(j as u16)));
            prop_assert!(corr <= budget(correlated), "correlated {} > {correlated}", corr / equity);
            let sect = sum(&|j| same_sector(symbol, j));
            prop_assert!(sect <= budget(sector), "sector {} > {sector}", sect / equity);
            let distance = stop.map_or(price, |s| (price - s).abs());
            prop_assert!(q * distance <= budget(max_risk), "risk {} > {max_risk}", q * distance / equity);
        }
        // The scenario must exercise approvals, not only refusals.
        prop_assume!(approved > 0);
    }

    #[test]
    fn the_engines_correlation_is_pearsons_over_the_aligned_window(
        window in 3usize..30,
        min_samples in 2usize..30,
        path in vec((-0.05f64..0.05, option::of(-0.05f64..0.05)), 2..80),
    ) {
        prop_assume!(min_samples <= window);
        let config = RiskConfig { correlation_window: window, correlation_min_samples: min_samples, ..lifted() };
        let mut risk = RiskEngine::new(config, &symbols(2), 1000.0).unwrap();
        let ledger = Ledger::new(1000.0, 2);
        let (mut a, mut b) = (100.0f64, f64::NAN);
        let mut returns: Vec<(f64, f64)> = Vec::new();
        for (t, (ma, mb)) in path.iter().enumerate() {
            let (pa, pb) = (a, b);
            a *= ma.exp();
            risk.on_bar(SymbolId(0), &Candle { close: a, ..Candle::default() });
            // Symbol 1 starts late and misses bars: its close is carried forward.
            if let Some(mb) = mb {
                b = if b.is_nan() { 50.0 } else { b * mb.exp() };
                risk.on_bar(SymbolId(1), &Candle { close: b, ..Candle::default() });
            }
            risk.end_of_step(Timestamp::from_nanos(t as i64), ledger.equity(), &mut |_| {});
            returns.push((if t == 0 { f64::NAN } else { a / pa - 1.0 }, b / pb - 1.0));
        }
        let recent = &returns[returns.len().saturating_sub(window)..];
        let joint: Vec<(f64, f64)> = recent.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
        let n = joint.len() as f64;
        let (mx, my) = (joint.iter().map(|p| p.0).sum::<f64>() / n, joint.iter().map(|p| p.1).sum::<f64>() / n);
        let cov: f64 = joint.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let (vx, vy): (f64, f64) =
            (joint.iter().map(|(x, _)| (x - mx).powi(2)).sum(), joint.iter().map(|(_, y)| (y - my).powi(2)).sum());
        let engine = risk.correlation(SymbolId(0), SymbolId(1));
        if joint.len() < min_samples || vx * vy == 0.0 {
            prop_assert_eq!(engine, None);
        } else {
            let expected = cov / (vx * vy).sqrt();
            prop_assert!(engine.is_some_and(|c| (c - expected).abs() < 1e-9), "{engine:?} vs {expected}");
        }
    }

    #[test]
    fn a_trailing_stop_never_loosens_and_follows_the_best_close(
        buy in any::<bool>(),
        atr_kind in any::<bool>(),
        fraction in 0.005f64..0.2,
        trail in 0.001f64..0.2,
        moves in vec(-0.1f64..0.1, 1..120),
    ) {
        let stop_loss = if atr_kind {
            StopLossConfig::Atr(AtrStop { multiplier: fraction * 100.0, trailing: Some(trail) })
        } else {
            StopLossConfig::Fixed(FixedStop { fraction, trailing: Some(trail) })
        };
        let mut run = Run::new(RiskConfig { stop_loss, ..lifted() }, 1, 10_000.0);
        run.step(&[0.0]);
        let side = side(buy);
        let fill = Fill {
            order: ClientOrderId(1),
            symbol: SymbolId(0),
            side,
            quantity: 10.0,
            price: 100.0,
            fee: 0.0,
            time: Timestamp::from_nanos(0),
            purpose: OrderPurpose::Entry,
        };
        let effect = run.ledger.apply(&fill);
        let protection = run.risk.on_fill(&fill, &effect, &StopInputs { atr: 1.0, ..StopInputs::default() }).unwrap();
        let mut stop = run.risk.stop(SymbolId(0)).unwrap();
        prop_assert_eq!(protection.stop, Some(stop));
        let mut best = 100.0f64;
        for m in moves {
            run.events.clear();
            run.step(&[m]);
            let price = run.prices[0];
            best = if buy { best.max(price) } else { best.min(price) };
            let now = run.risk.stop(SymbolId(0)).unwrap();
            if buy {
                prop_assert!(now >= stop, "long stop fell from {stop} to {now}");
                prop_assert!(now >= best * (1.0 - trail) * (1.0 - 1e-12));
            } else {
                prop_assert!(now <= stop, "short stop rose from {stop} to {now}");
                prop_assert!(now <= best * (1.0 + trail) * (1.0 + 1e-12));
            }
            for e in &run.events {
                if let RiskEvent::StopMoved { from, to, .. } = *e {
                    let tighter = if buy { to > from } else { to < from };
                    prop_assert!(tighter, "{from} -> {to}");
                    prop_assert_eq!((from, to), (stop, now));
                }
            }
            stop = now;
        }
    }

    #[test]
    fn no_entry_is_approved_after_the_max_drawdown_halt(
        max_drawdown in 0.02f64..0.5,
        start in 0.1f64..=1.0,
        flatten in any::<bool>(),
        path in vec((-0.08f64..0.06, any::<bool>(), 0.1f64..50.0), 5..120),
    ) {
        let config = RiskConfig {
            max_drawdown,
            drawdown_reduction_threshold: max_drawdown * start,
            max_drawdown_action: if flatten { DrawdownAction::Flatten } else { DrawdownAction::Halt },
            ..lifted()
        };
        let mut run = Run::new(config, 1, 10_000.0);
        run.step(&[0.0]);
        run.fill(0, Side::Buy, 90.0);
        let mut high = run.ledger.equity();
        for (m, buy, quantity) in path {
            run.step(&[m]);
            let equity = run.ledger.equity();
            high = high.max(equity);
            if (high - equity) / high >= max_drawdown {
                prop_assert!(run.risk.halted().is_some(), "not halted at drawdown {}", (high - equity) / high);
            }
            let side = side(buy);
            let entry = run.is_entry(0, side);
            let halted = run.risk.halted();
            let (q, notes) = run.check(&run.proposal(0, side, quantity));
            if entry && halted.is_some() {
                prop_assert_eq!(q, 0.0);
                prop_assert_eq!(notes.len(), 1);
                prop_assert_eq!(notes[0].rule, RiskRule::MaxDrawdown);
            }
            if entry && q > 0.0 {
                prop_assert!((high - equity) / high < max_drawdown);
            }
            if q > 0.0 {
                run.fill(0, side, q);
            }
        }
        let halts = run.events.iter().filter(|e| matches!(e, RiskEvent::Halted(HaltReason::MaxDrawdown { .. }))).count();
        let flattens = run.events.iter().filter(|e| matches!(e, RiskEvent::FlattenRequested)).count();
        prop_assert!(halts <= 1);
        prop_assert_eq!(flattens, if flatten { halts } else { 0 });
    }

    #[test]
    fn no_entry_is_approved_after_the_kill_switch_and_a_flatten_is_requested(
        kill_at in 0usize..60,
        path in vec((-0.03f64..0.03, any::<bool>(), 0.1f64..20.0), 1..60),
    ) {
        let mut run = Run::new(lifted(), 1, 10_000.0);
        for (k, (m, buy, quantity)) in path.into_iter().enumerate() {
            run.step(&[m]);
            if k == kill_at {
                let mut events = Vec::new();
                run.risk.kill(Timestamp::from_nanos(run.time), &mut |e| events.push(e));
                prop_assert!(events.contains(&RiskEvent::FlattenRequested));
                let killed = matches!(run.risk.halted(), Some(HaltReason::KillSwitch { .. }));
                prop_assert!(killed);
            }
            let side = side(buy);
            let entry = run.is_entry(0, side);
            let held = run.ledger.position(SymbolId(0)).quantity.abs();
            let (q, notes) = run.check(&run.proposal(0, side, quantity));
            if k >= kill_at {
                if entry {
                    prop_assert_eq!(q, 0.0);
                    prop_assert_eq!(notes[0].rule, RiskRule::KillSwitch);
                } else {
                    // Exits still reduce risk after the kill.
                    prop_assert_eq!(q, quantity.min(held));
                }
            }
            if q > 0.0 {
                run.fill(0, side, q);
            }
        }
    }
}
