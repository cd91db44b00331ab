//! The hot path allocates nothing after warm-up: once the stages are built
//! and have seen their first bars, moving an event through source, features,
//! signal, sizing, risk, execution, portfolio and the recorder (formatting
//! every output line) performs no heap allocation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{self, Write};

use tradebot_exec::SimBrokerConfig;
use tradebot_kernel::{FusedPipeline, KernelConfig, RecorderOutputs};
use tradebot_risk::{FixedStop, RiskConfig, RiskMultipleTarget, StopLossConfig, TakeProfitConfig};
use tradebot_strategy::StrategyConfig;

/// Formats are written and counted, then dropped: the recorder does all its
/// work, but the test keeps no buffer that could grow.
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn outputs() -> RecorderOutputs {
    RecorderOutputs {
        orders: Some(Box::new(Counting(0))),
        trades: Some(Box::new(Counting(0))),
        equity: Some(Box::new(Counting(0))),
        decisions: Some(Box::new(Counting(0))),
        keep_equity_curve: true,
    }
}

#[test]
fn a_busy_replay_allocates_nothing_after_warm_up() {
    // Three markets, a fast crossover that trades often, trailing stops
    // (amended every step), take-profit brackets (OCO), a volume cap
    // (partial fills) and every risk rule active.
    let markets: Vec<_> = (0..3).map(|i| common::walk(i + 1, 30_000, 100.0, 0.002, 0.0)).collect();
    let config = KernelConfig {
        strategy: StrategyConfig::SmaCross { fast: 5, slow: 12, long_short: true },
        risk: RiskConfig {
            stop_loss: StopLossConfig::Fixed(FixedStop { fraction: 0.01, trailing: Some(0.01) }),
            take_profit: TakeProfitConfig::RiskMultiple(RiskMultipleTarget { multiple: 2.0 }),
            max_daily_trades: 1_000,
            max_drawdown: 0.9,
            ..RiskConfig::default()
        },
        broker: SimBrokerConfig { max_volume_participation: Some(0.05), ..SimBrokerConfig::default() },
        ..KernelConfig::default()
    };
    let mut input = common::input(&markets, config);
    let mut p = FusedPipeline::new(&mut input, outputs()).unwrap();
    for _ in 0..3_000 {
        assert!(p.step());
    }
    let before = p.account().ledger().turnover();
    let info = allocation_counter::measure(|| {
        for _ in 0..60_000 {
            p.step();
        }
    });
    let traded = p.account().ledger().turnover() - before;
    assert!(traded > 0.0, "the measured window must trade");
    assert_eq!(info.count_total, 0, "the hot path allocated: {info:?}");
}

#[test]
fn the_counter_sees_an_allocation() {
    let info = allocation_counter::measure(|| {
        let v: Vec<u64> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(info.count_total, 1, "the allocation counter must be live for the test above to mean anything");
}
