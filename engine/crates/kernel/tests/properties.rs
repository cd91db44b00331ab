//! Risk properties of the whole pipeline, over random price paths and
//! random configs (the risk crate proves them rule by rule; these prove the
//! kernel wires the rules in and never goes around them):
//!
//! - no approved entry exceeds `max_position` or `max_total_exposure`;
//! - a trailing stop never loosens;
//! - after the max-drawdown halt no new position opens;
//! - the kill switch flattens every position and nothing opens after it;
//! - fused and pipelined runs write byte-identical outputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use serde_json::Value;
use tradebot_core::Timestamp;
use tradebot_kernel::{KernelConfig, PipelineConfig, PipelineMode, RecorderOutputs, run};
use tradebot_risk::{AtrStop, FixedStop, RiskConfig, StopLossConfig};
use tradebot_strategy::StrategyConfig;

/// An in-memory output the test can read after the run.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct Captured {
    orders: String,
    trades: String,
    equity: String,
    decisions: Vec<Value>,
    decisions_text: String,
    final_positions: usize,
}

fn capture(markets: &[Vec<tradebot_core::RawCandle>], config: KernelConfig) -> Captured {
    let (o, t, e, d) = (Shared::default(), Shared::default(), Shared::default(), Shared::default());
    let outputs = RecorderOutputs {
        orders: Some(Box::new(o.clone())),
        trades: Some(Box::new(t.clone())),
        equity: Some(Box::new(e.clone())),
        decisions: Some(Box::new(d.clone())),
        keep_equity_curve: true,
    };
    let out = run(common::input(markets, config), outputs).unwrap();
    let decisions_text = d.text();
    Captured {
        orders: o.text(),
        trades: t.text(),
        equity: e.text(),
        decisions: decisions_text.lines().map(|l| serde_json::from_str(l).unwrap()).collect(),
        decisions_text,
        final_positions: out.recorded.equity.last().map_or(0, |s| usize::from(s.open_positions)),
    }
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

fn time(v: &Value) -> Timestamp {
    Timestamp::parse(v["time"].as_str().unwrap()).unwrap()
}

prop_compose! {
    fn markets()(seed in 0u64..1_000_000, n in 1usize..=3, vol in 0.001f64..0.01, drift in -0.0004f64..0.0004)
        -> Vec<Vec<tradebot_core::RawCandle>> {
        (0..n as u64).map(|i| common::walk(seed * 7 + i, 3_000, 50.0 + 30.0 * i as f64, vol, drift)).collect()
    }
}

prop_compose! {
    fn config()(
        max_position in 0.02f64..0.4,
        max_total in 0.05f64..0.9,
        stop in 0usize..4,
        trail in prop::option::of(0.002f64..0.05),
        long_short in any::<bool>(),
        fast in 3usize..8,
        extra in 2usize..15,
    ) -> KernelConfig {
        let stop_loss = match stop {
            0 => StopLossConfig::None,
            1 => StopLossConfig::Fixed(FixedStop { fraction: 0.01, trailing: trail }),
            2 => StopLossConfig::Atr(AtrStop { multiplier: 2.0, trailing: trail }),
            _ => StopLossConfig::Fixed(FixedStop { fraction: 0.03, trailing: trail.or(Some(0.01)) }),
        };
        KernelConfig {
            strategy: StrategyConfig::SmaCross { fast, slow: fast + extra, long_short },
            risk: RiskConfig {
                max_position,
                max_total_exposure: max_total,
                max_daily_trades: 10_000,
                stop_loss,
                ..RiskConfig::default()
            },
            ..KernelConfig::default()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn approved_entries_respect_the_position_and_exposure_limits_and_stops_only_tighten(
        markets in markets(), config in config()
    ) {
        let (max_position, max_total) = (config.risk.max_position, config.risk.max_total_exposure);
        let c = capture(&markets, config);
        let mut entries = 0;
        for d in &c.decisions {
            match d["type"].as_str().unwrap() {
                "decision" if f(d, "approved_quantity") > 0.0 => {
                    entries += 1;
                    let (equity, close) = (f(d, "equity"), f(d, "close"));
                    let notional = f(d, "approved_quantity") * close;
                    // A reversal exits the whole position first: its own exposure no longer counts.
                    let own = f(d, "position").abs() * close;
                    let tol = 1e-9 * equity;
                    prop_assert!(notional <= max_position * equity + tol, "max_position: {d}");
                    prop_assert!(f(d, "exposure") - own + notional <= max_total * equity + tol * 10.0 + 1e-6 * own,
                        "max_total_exposure: {d}");
                }
                "stop_moved" => {
                    let (from, to) = (f(d, "from"), f(d, "to"));
                    if d["side"] == "long" {
                        prop_assert!(to >= from, "a long stop loosened: {d}");
                    } else {
                        prop_assert!(to <= from, "a short stop loosened: {d}");
                    }
                }
                _ => {}
            }
        }
        prop_assume!(entries > 0);
    }

    #[test]
    fn after_the_max_drawdown_halt_no_position_opens(markets in markets(), max_dd in 0.01f64..0.05) {
        let config = KernelConfig {
            strategy: StrategyConfig::SmaCross { fast: 3, slow: 7, long_short: true },
            risk: RiskConfig {
                max_drawdown: max_dd,
                drawdown_reduction_threshold: max_dd / 2.0,
                max_position: 0.5,
                max_risk_per_trade: 0.5,
                max_daily_trades: 10_000,
                ..RiskConfig::default()
            },
            ..KernelConfig::default()
        };
        let c = capture(&markets, config);
        let at = c.decisions.iter().position(|d| d["type"] == "alert" && d["alert"] == "halted");
        prop_assume!(at.is_some());
        let at = at.unwrap();
        let halt = time(&c.decisions[at]);
        for d in c.decisions[at..].iter().filter(|d| d["type"] == "decision") {
            prop_assert_eq!(f(d, "approved_quantity"), 0.0, "entry approved after the halt: {}", d);
        }
        // No entry fills after the halt (the halt is at a bar's close, so a
        // fill at the next bar's open carries the same instant).
        for line in c.orders.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols[5] == "entry" && cols[10].contains("filled") {
                prop_assert!(Timestamp::parse(cols[0]).unwrap() < halt, "entry filled after the halt: {line}");
            }
        }
    }

    #[test]
    fn the_kill_switch_flattens_everything_and_nothing_opens_after(markets in markets(), at in 500usize..2_500) {
        let kill = Timestamp::from_nanos(Timestamp::parse("2020-01-01T00:00:00Z").unwrap().as_nanos() + at as i64 * 60_000_000_000);
        let config = KernelConfig {
            strategy: StrategyConfig::BuyAndHold,
            risk: RiskConfig { stop_loss: StopLossConfig::None, ..RiskConfig::default() },
            kill_switch_at: Some(kill),
            ..KernelConfig::default()
        };
        let c = capture(&markets, config);
        prop_assert!(c.decisions.iter().any(|d| d["type"] == "alert" && d["alert"] == "kill_switch"));
        prop_assert_eq!(c.final_positions, 0, "positions left after the kill switch");
        for d in c.decisions.iter().filter(|d| d["type"] == "decision" && time(d) >= kill) {
            prop_assert_eq!(f(d, "approved_quantity"), 0.0);
        }
        // Every trade open at the kill ends by the flatten order.
        for line in c.trades.lines().skip(1) {
            prop_assert!(line.ends_with(",flatten"), "{line}");
        }
    }

    #[test]
    fn pipelined_runs_write_exactly_what_fused_runs_write(markets in markets(), config in config(), threads in 2usize..=5) {
        let fused = capture(&markets, config.clone());
        let pipelined = capture(&markets, KernelConfig {
            pipeline: PipelineConfig { mode: PipelineMode::Pipelined, threads, ring_capacity: 64, ..config.pipeline },
            ..config
        });
        prop_assert!(fused.orders == pipelined.orders, "orders differ");
        prop_assert!(fused.trades == pipelined.trades, "trades differ");
        prop_assert!(fused.equity == pipelined.equity, "equity differs");
        prop_assert!(fused.decisions_text == pipelined.decisions_text, "decisions differ");
    }
}

#[test]
fn fewer_cores_fuse_neighbouring_stages_down_to_one_lane() {
    use tradebot_kernel::plan_lanes;
    for threads in 0..8 {
        let plan = plan_lanes(threads);
        assert_eq!(plan.lanes.iter().sum::<usize>(), 6, "every stage group runs somewhere");
        assert!(plan.lanes.len() <= threads.max(1), "{threads} threads: {plan:?}");
        let described = plan.describe();
        let account_lane = described.iter().find(|l| l.iter().any(|s| s.contains("risk"))).unwrap();
        assert!(account_lane.iter().any(|s| s.contains("execution")), "sizing, risk and execution share a lane");
    }
}

/// Regression: protective levels used the ATR of the fill bar's close, which
/// is not known at that bar's open when the entry fills (look-ahead). The
/// stop must come from the ATR of the decision bar.
#[test]
fn an_atr_stop_uses_the_atr_known_when_the_entry_fills() {
    let markets = vec![common::walk(42, 3_000, 100.0, 0.004, 0.0)];
    let config = KernelConfig {
        strategy: StrategyConfig::SmaCross { fast: 5, slow: 15, long_short: false },
        risk: RiskConfig {
            stop_loss: StopLossConfig::Atr(AtrStop { multiplier: 2.0, trailing: None }),
            ..RiskConfig::default()
        },
        ..KernelConfig::default()
    };
    let c = capture(&markets, config);
    // Decisions by time, and orders in log order.
    let atr_at: std::collections::BTreeMap<String, f64> = c
        .decisions
        .iter()
        .filter(|d| d["type"] == "decision" && f(d, "approved_quantity") > 0.0)
        .map(|d| (d["time"].as_str().unwrap().to_owned(), f(d, "atr")))
        .collect();
    let rows: Vec<Vec<String>> = c.orders.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect();
    let mut checked = 0;
    for (k, r) in rows.iter().enumerate() {
        // An entry's fill (at the next bar's open, stamped with that open =
        // the decision bar's close) followed by the stop order it gets.
        if r[5] == "entry" && r[10] == "filled" {
            let atr = atr_at[&r[0]];
            let fill: f64 = r[14].parse().unwrap();
            let stop = rows[k + 1..].iter().find(|s| s[5] == "stop_loss" && s[10] == "submitted").unwrap();
            let level: f64 = stop[8].parse().unwrap();
            assert!((level - (fill - 2.0 * atr)).abs() <= 1e-9 * fill, "stop {level} vs fill {fill} - 2 x ATR {atr}");
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} entries checked");
}
