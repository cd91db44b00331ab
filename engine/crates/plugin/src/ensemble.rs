//! The ensemble strategy: the meta-agent plugin on the signal stage.
//!
//! The agents stage has already written every agent's reading into the
//! event; this strategy hands the direction agents' predictions and the
//! market context (the volatility agent's σ, the regime agent's state) to a
//! `meta-agent` component and turns its combined view into a target
//! position ([`EnsembleConfig`] says how). Everything after it — sizing,
//! the risk engine, execution — is the same as for any other strategy.
//!
//! The request buffers are made once: each agent's prediction record keeps
//! its name string, and abstaining agents are moved behind the ones that
//! spoke by swapping records, so no per-bar allocation happens host-side.

use tradebot_core::{PluginStamp, Symbol};
use tradebot_features::FeatureSpec;
use tradebot_strategy::{AgentReading, Direction, EnsembleConfig, Signal, Strategy, StrategyContext};

use crate::bindings::{AgentPrediction, MarketContext, Probabilities, Regime};
use crate::error::PluginError;
use crate::host::{LoadedComponent, LogLine, PluginHost};
use crate::meta::{MetaOutcome, WasmMetaAgent};

/// One meta-agent instance serving one instrument.
pub struct WasmEnsemble {
    meta: WasmMetaAgent,
    name: String,
    long_short: bool,
    exit_when_unsure: bool,
    /// One record per agent; the first `k` are this bar's speakers.
    predictions: Vec<AgentPrediction>,
    /// `slot_of[agent]`: where that agent's record sits in `predictions`.
    slot_of: Vec<usize>,
    /// `agent_at[slot]`: the inverse of `slot_of`.
    agent_at: Vec<usize>,
    context: MarketContext,
}

impl std::fmt::Debug for WasmEnsemble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmEnsemble").field("name", &self.name).finish_non_exhaustive()
    }
}

impl WasmEnsemble {
    /// Instantiates the meta-agent for `symbol`, combining the agents named
    /// `agents` (in the order of the event's readings).
    pub fn new(
        host: &PluginHost,
        loaded: &LoadedComponent,
        config: &EnsembleConfig,
        symbol: &Symbol,
        agents: &[String],
    ) -> Result<Self, PluginError> {
        let meta = WasmMetaAgent::new(host, loaded, &config.meta.config)?;
        let name = format!("ensemble({} agents, meta {})", agents.len(), meta.stamp());
        let predictions = agents
            .iter()
            .map(|a| AgentPrediction {
                agent: a.clone(),
                probabilities: Probabilities { down: 0.0, neutral: 1.0, up: 0.0 },
                confidence: 0.0,
                latency_us: 0.0,
            })
            .collect();
        Ok(WasmEnsemble {
            meta,
            name,
            long_short: config.long_short,
            exit_when_unsure: config.exit_when_unsure,
            predictions,
            slot_of: (0..agents.len()).collect(),
            agent_at: (0..agents.len()).collect(),
            context: MarketContext {
                symbol: symbol.as_str().to_owned(),
                time_ns: 0,
                price: f64::NAN,
                volatility_forecast: f64::NAN,
                regime: Regime { state: 0, states: 0, probability: 0.0 },
            },
        })
    }

    pub fn stamp(&self) -> PluginStamp {
        self.meta.stamp()
    }

    pub fn drain_logs(&mut self) -> Vec<LogLine> {
        self.meta.drain_logs()
    }

    /// Moves agent `agent`'s record to slot `k`.
    fn bring_to(&mut self, agent: usize, k: usize) {
        let from = self.slot_of[agent];
        if from != k {
            self.predictions.swap(from, k);
            let other = self.agent_at[k];
            self.agent_at.swap(from, k);
            self.slot_of[agent] = k;
            self.slot_of[other] = from;
        }
    }

    /// The target position for a meta-agent's answer.
    pub fn decide(&self, outcome: &MetaOutcome) -> Option<Direction> {
        if !outcome.should_trade {
            return self.exit_when_unsure.then_some(Direction::Flat);
        }
        let [down, neutral, up] = outcome.probabilities;
        // A tie for first place goes flat: a coin flip is not a trade.
        if up > down && up > neutral {
            Some(Direction::Long)
        } else if down > up && down > neutral {
            Some(if self.long_short { Direction::Short } else { Direction::Flat })
        } else {
            Some(Direction::Flat)
        }
    }
}

impl Strategy for WasmEnsemble {
    fn name(&self) -> &str {
        &self.name
    }

    fn features(&self) -> &[FeatureSpec] {
        &[]
    }

    fn on_bar(&mut self, ctx: &StrategyContext<'_>) -> Signal {
        let mut k = 0;
        for (agent, out) in ctx.agents.as_slice().iter().enumerate().take(self.predictions.len()) {
            if let AgentReading::Direction { probs, confidence } = out.reading {
                self.bring_to(agent, k);
                let p = &mut self.predictions[k];
                p.probabilities = Probabilities { down: probs[0], neutral: probs[1], up: probs[2] };
                p.confidence = confidence;
                p.latency_us = out.latency_ns as f64 / 1_000.0;
                k += 1;
            }
        }
        let plugin = Some(self.meta.stamp());
        if k == 0 {
            // Nobody has an opinion (warm-up, or no model trained before
            // this bar): the same as an unsure meta-agent.
            let target = self.exit_when_unsure.then_some(Direction::Flat);
            return Signal { target, confidence: 0.0, plugin, fault: None };
        }
        let c = &mut self.context;
        c.time_ns = ctx.time.as_nanos();
        c.price = ctx.bar.close;
        c.volatility_forecast = ctx.agents.volatility().map_or(f64::NAN, |(sigma, _)| sigma);
        c.regime = match ctx.agents.regime() {
            Some((state, states, probability)) => Regime { state, states, probability },
            None => Regime { state: 0, states: 0, probability: 0.0 },
        };
        let outcome = self.meta.combine(&self.predictions[..k], &self.context);
        if let Some(fault) = outcome.fault {
            // The safe default: no new exposure, whatever is held stays
            // under the risk engine's stops.
            return Signal { target: None, confidence: 0.0, plugin, fault: Some(fault) };
        }
        Signal { target: self.decide(&outcome), confidence: outcome.confidence, plugin, fault: None }
    }
}
