//! The hot path allocates nothing: after `RiskEngine::new`, bars, time steps,
//! checks, fills, sizing and the kill switch never touch the heap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use tradebot_core::{Candle, ClientOrderId, Fill, OrderPurpose, Side, Symbol, SymbolId, Timestamp};
use tradebot_portfolio::Ledger;
use tradebot_risk::{
    FixedStop, Proposal, RiskConfig, RiskEngine, SizingConfig, SizingInput, StopInputs, StopLossConfig, TradeStats,
    size,
};

#[test]
fn a_run_of_steps_checks_and_fills_allocates_nothing_after_construction() {
    let symbols: Vec<Symbol> = (0..4).map(|i| Symbol::new(&format!("S{i}")).unwrap()).collect();
    let mut config = RiskConfig {
        stop_loss: StopLossConfig::Fixed(FixedStop { fraction: 0.03, trailing: Some(0.01) }),
        correlation_window: 30,
        correlation_min_samples: 5,
        ..RiskConfig::default()
    };
    config.sectors.insert("S0".into(), "a".into());
    config.sectors.insert("S1".into(), "a".into());
    let mut risk = RiskEngine::new(config, &symbols, 100_000.0).unwrap();
    let mut ledger = Ledger::new(100_000.0, symbols.len());
    let mut stats = TradeStats::new();
    let sizing = SizingConfig::default();

    let (mut notes, mut events, mut approved) = (0usize, 0usize, 0usize);
    let info = allocation_counter::measure(|| {
        for step in 0..300i64 {
            let now = Timestamp::from_nanos(step * 3_600_000_000_000);
            for s in 0..4u16 {
                let wave = ((step as f64) * 0.3 + f64::from(s)).sin();
                let close = 100.0 * (1.0 + 0.05 * wave) * (1.0 + 0.001 * step as f64);
                ledger.mark(SymbolId(s), close);
                risk.on_bar(SymbolId(s), &Candle { open_time: now, close, ..Candle::default() });
            }
            risk.end_of_step(now, ledger.equity(), &mut |_| events += 1);
            let symbol = SymbolId((step % 4) as u16);
            let side = if step % 7 < 4 { Side::Buy } else { Side::Sell };
            let price = ledger.position(symbol).mark;
            let protection = risk.protective_levels(side, price, &StopInputs::default());
            let input = SizingInput {
                equity: ledger.equity(),
                price,
                stop: protection.stop,
                volatility: 0.01,
                stats: &stats,
                lot_size: 0.001,
                commission_fraction: 0.001,
            };
            let quantity = size(&sizing, &input);
            let proposal =
                Proposal { symbol, side, quantity, price, stop: protection.stop, lot_size: 0.001, flat_first: false };
            let q = risk.check(&proposal, &ledger, &mut |_| notes += 1);
            if q > 0.0 {
                approved += 1;
                let fill = Fill {
                    order: ClientOrderId(step as u64),
                    symbol,
                    side,
                    quantity: q,
                    price,
                    fee: 0.0,
                    time: now,
                    purpose: OrderPurpose::Entry,
                };
                let effect = ledger.apply(&fill);
                if effect.closed > 0.0 {
                    stats.record(effect.realized);
                }
                risk.on_fill(&fill, &effect, &StopInputs::default());
            }
        }
        risk.kill(Timestamp::from_nanos(0), &mut |_| events += 1);
    });
    assert_eq!(info.count_total, 0, "{info:?}");
    // The counter is live in this binary: one Vec is one allocation.
    assert_eq!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total, 1);
    // The loop did real work: approvals, refusals and events.
    assert!(approved > 10 && notes > 0 && events > 0, "{approved} {notes} {events}");
}
