//! The agents stage: agents run between features and signal, see only their
//! own instrument and their own feature columns, are timed one by one, and
//! the strategy slot reads what they said — identically fused and pipelined,
//! without allocating.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use tradebot_core::{PluginRef, Symbol, SymbolId};
use tradebot_features::FeatureSpec;
use tradebot_kernel::{
    AgentBundle, FusedPipeline, KernelConfig, PipelineConfig, PipelineMode, RecorderOutputs, SlotProvider,
    StrategyBundle, run,
};
use tradebot_risk::SizingPolicy;
use tradebot_strategy::{
    Agent, AgentContext, AgentReading, Direction, EnsembleConfig, Signal, Strategy, StrategyConfig, StrategyContext,
};

/// Says "up" after a rising bar and "down" after a falling one, from the
/// return feature; checks on every call that it sees only its instrument
/// and exactly the agents' columns.
#[derive(Debug)]
struct Momentum {
    name: &'static str,
    symbol: SymbolId,
    columns: usize,
}

impl Agent for Momentum {
    fn name(&self) -> &str {
        self.name
    }

    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading {
        assert_eq!(ctx.symbol, self.symbol, "an agent only sees its own instrument");
        assert_eq!(ctx.features.len(), self.columns, "an agent sees exactly the agents' columns");
        let r = ctx.features[0];
        if r.is_nan() {
            return AgentReading::Abstain;
        }
        let up = if r > 0.0 { 0.7 } else { 0.1 };
        AgentReading::Direction { probs: [0.8 - up, 0.2, up], confidence: 0.7 }
    }
}

/// Fails on every bar: counted, never fatal.
#[derive(Debug)]
struct Broken;

impl Agent for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn on_bar(&mut self, _: &AgentContext<'_>) -> AgentReading {
        AgentReading::Failed
    }
}

/// A native stand-in for the meta-agent: follows the first agent's call.
#[derive(Debug)]
struct FollowFirst {
    agents: Vec<String>,
}

impl Strategy for FollowFirst {
    fn name(&self) -> &str {
        "follow-first"
    }
    fn features(&self) -> &[FeatureSpec] {
        &[]
    }
    fn on_bar(&mut self, ctx: &StrategyContext<'_>) -> Signal {
        assert_eq!(ctx.agents.len(), self.agents.len(), "every agent's reading reaches the signal stage");
        match ctx.agents.as_slice()[0].reading {
            AgentReading::Direction { probs, .. } if probs[2] > probs[0] => Signal::go(Direction::Long),
            AgentReading::Direction { .. } => Signal::go(Direction::Flat),
            _ => Signal::HOLD,
        }
    }
}

#[derive(Debug)]
struct NativeEnsemble;

impl SlotProvider for NativeEnsemble {
    fn strategies(&self, _: &PluginRef, _: &[Symbol]) -> Result<StrategyBundle, String> {
        Err("no strategy plugins here".into())
    }
    fn ensemble(&self, _: &EnsembleConfig, symbols: &[Symbol], agents: &[String]) -> Result<StrategyBundle, String> {
        let strategies =
            symbols.iter().map(|_| Box::new(FollowFirst { agents: agents.to_vec() }) as Box<dyn Strategy>).collect();
        Ok(StrategyBundle { strategies, reload: None })
    }
    fn sizing(&self, _: &PluginRef, _: &[Symbol]) -> Result<Box<dyn SizingPolicy>, String> {
        Err("no sizing plugins here".into())
    }
}

const AGENT_FEATURES: [FeatureSpec; 2] = [FeatureSpec::Return, FeatureSpec::ReturnStd { window: 20 }];

fn bundle(symbols: usize, broken: bool) -> AgentBundle {
    let mut names = vec!["momentum".to_owned(), "momentum-2".to_owned()];
    if broken {
        names.push("broken".into());
    }
    let per_symbol = (0..symbols)
        .map(|s| {
            let mut v: Vec<Box<dyn Agent>> = vec![
                Box::new(Momentum { name: "momentum", symbol: SymbolId(s as u16), columns: 2 }),
                Box::new(Momentum { name: "momentum-2", symbol: SymbolId(s as u16), columns: 2 }),
            ];
            if broken {
                v.push(Box::new(Broken));
            }
            v
        })
        .collect();
    AgentBundle { names, features: AGENT_FEATURES.to_vec(), per_symbol }
}

fn ensemble_config(mode: PipelineMode, threads: usize) -> KernelConfig {
    KernelConfig {
        strategy: StrategyConfig::Ensemble(EnsembleConfig {
            meta: PluginRef { path: "unused.wasm".into(), config: String::new(), config_file: None },
            long_short: false,
            exit_when_unsure: true,
        }),
        pipeline: PipelineConfig { mode, threads, ring_capacity: 64, latency_sample_every: 1, ..Default::default() },
        ..KernelConfig::default()
    }
}

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

fn run_capture(
    markets: &[Vec<tradebot_core::RawCandle>],
    config: KernelConfig,
    broken: bool,
) -> (String, tradebot_kernel::RunOutput) {
    let (o, d) = (Shared::default(), Shared::default());
    let outputs = RecorderOutputs {
        orders: Some(Box::new(o.clone())),
        decisions: Some(Box::new(d.clone())),
        ..RecorderOutputs::discard()
    };
    let mut input = common::input(markets, config);
    input.slots = Some(Arc::new(NativeEnsemble));
    input.agents = Some(bundle(markets.len(), broken));
    let out = run(input, outputs).unwrap();
    let text = |s: &Shared| String::from_utf8(s.0.lock().unwrap().clone()).unwrap();
    (format!("{}{}", text(&o), text(&d)), out)
}

#[test]
fn the_signal_stage_trades_on_what_the_agents_said() {
    let markets: Vec<_> = (0..2).map(|i| common::walk(i + 7, 2_000, 100.0, 0.003, 0.0)).collect();
    let (written, out) = run_capture(&markets, ensemble_config(PipelineMode::Fused, 1), false);
    assert!(out.metrics.total_trades > 10, "following a momentum agent trades: {}", out.metrics.total_trades);
    assert!(written.contains("\"long\""), "the decision log records the agents' calls");
}

#[test]
fn every_agent_is_timed_and_failures_are_counted_not_fatal() {
    let markets: Vec<_> = (0..3).map(|i| common::walk(i + 1, 1_000, 100.0, 0.003, 0.0)).collect();
    let (_, out) = run_capture(&markets, ensemble_config(PipelineMode::Fused, 1), true);
    let names: Vec<&str> = out.agent_latency.iter().map(|l| l.stage.as_str()).collect();
    assert_eq!(names, ["agent:momentum", "agent:momentum-2", "agent:broken"]);
    for l in &out.agent_latency {
        assert_eq!(l.count, 3_000, "{}: every call of every instrument is timed", l.stage);
    }
    assert!(out.latency.iter().any(|l| l.stage == "agents"), "the stage as a whole is timed too");
    assert_eq!(out.agent_faults, [("momentum".into(), 0), ("momentum-2".into(), 0), ("broken".into(), 3_000)]);
}

#[test]
fn pipelined_agents_write_exactly_what_fused_agents_write() {
    let markets: Vec<_> = (0..3).map(|i| common::walk(i + 11, 3_000, 100.0, 0.003, 0.0)).collect();
    let (fused, _) = run_capture(&markets, ensemble_config(PipelineMode::Fused, 1), false);
    for threads in 2..=6 {
        let (piped, out) = run_capture(&markets, ensemble_config(PipelineMode::Pipelined, threads), false);
        assert_eq!(piped, fused, "{threads} lanes {:?}", out.lanes.describe());
    }
}

#[test]
fn an_ensemble_without_agents_or_with_mismatched_agents_is_refused() {
    let markets = vec![common::walk(3, 500, 100.0, 0.003, 0.0)];
    let mut input = common::input(&markets, ensemble_config(PipelineMode::Fused, 1));
    input.slots = Some(Arc::new(NativeEnsemble));
    let err = run(input, RecorderOutputs::discard()).unwrap_err().to_string();
    assert!(err.contains("no agents"), "{err}");

    let mut input = common::input(&markets, ensemble_config(PipelineMode::Fused, 1));
    input.slots = Some(Arc::new(NativeEnsemble));
    input.agents = Some(bundle(2, false));
    let err = run(input, RecorderOutputs::discard()).unwrap_err().to_string();
    assert!(err.contains("built for 2 instruments, the run has 1"), "{err}");
}

#[test]
fn the_agents_stage_allocates_nothing_after_warm_up() {
    let markets: Vec<_> = (0..2).map(|i| common::walk(i + 5, 20_000, 100.0, 0.003, 0.0)).collect();
    let mut input = common::input(&markets, ensemble_config(PipelineMode::Fused, 1));
    input.slots = Some(Arc::new(NativeEnsemble));
    input.agents = Some(bundle(2, true));
    let mut p = FusedPipeline::new(&mut input, RecorderOutputs::discard()).unwrap();
    for _ in 0..2_000 {
        assert!(p.step());
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..30_000 {
            p.step();
        }
    });
    assert_eq!(info.count_total, 0, "allocations per 30,000 events with agents: {info:?}");
}
