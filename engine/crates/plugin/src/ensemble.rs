//! The ensemble strategy: the meta-agent plugin on the signal stage.
//!
//! The agents stage has already written every agent's reading into the
//! event; this strategy hands the direction agents' predictions and the
//! market context (the volatility agent's σ, the regime agent's state) to a
//! `meta-agent` component and turns its combined view into a target
//! position ([`EnsembleConfig`] says how). Everything after it — sizing,
//! the risk engine, execution — is the same as for any other strategy.
//!
//! The meta-agent gets the agents' names once, at `init`, and each bar's
//! predictions packed as numbers into a buffer made once (contract 0.2.0),
//! so no per-bar allocation happens host-side.

use tradebot_core::{PluginStamp, Symbol};
use tradebot_features::FeatureSpec;
use tradebot_strategy::{AgentReading, Direction, EnsembleConfig, Signal, Strategy, StrategyContext};

use crate::bindings::{MarketContext, Regime};
use crate::error::PluginError;
use crate::host::{LoadedComponent, LogLine, PluginHost};
use crate::meta::{MetaOutcome, Prediction, WasmMetaAgent};

/// One meta-agent instance serving one instrument.
pub struct WasmEnsemble {
    meta: WasmMetaAgent,
    name: String,
    long_short: bool,
    exit_when_unsure: bool,
    context: MarketContext,
}

impl std::fmt::Debug for WasmEnsemble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmEnsemble").field("name", &self.name).finish_non_exhaustive()
    }
}

impl WasmEnsemble {
    /// Instantiates the meta-agent for `symbols[symbol]`, combining the
    /// agents named `agents` (in the order of the event's readings).
    pub fn new(
        host: &PluginHost,
        loaded: &LoadedComponent,
        config: &EnsembleConfig,
        symbols: &[Symbol],
        symbol: usize,
        agents: &[String],
    ) -> Result<Self, PluginError> {
        let names: Vec<String> = symbols.iter().map(|s| s.as_str().to_owned()).collect();
        let meta = WasmMetaAgent::new(host, loaded, &config.meta.config, agents, &names)?;
        let name = format!("ensemble({} agents, meta {})", agents.len(), meta.stamp());
        Ok(WasmEnsemble {
            meta,
            name,
            long_short: config.long_short,
            exit_when_unsure: config.exit_when_unsure,
            context: MarketContext {
                // The index is < symbols.len(), which the run keeps far below u32::MAX.
                symbol: u32::try_from(symbol).unwrap_or(u32::MAX),
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
        let readings = ctx.agents.as_slice();
        let n = self.meta.agents();
        let prediction = |k: usize| match readings.get(k) {
            Some(out) => match out.reading {
                AgentReading::Direction { probs, confidence } => {
                    Some(Prediction { probabilities: probs, confidence, latency_us: out.latency_ns as f64 / 1_000.0 })
                }
                _ => None,
            },
            None => None,
        };
        let spoke = (0..n).any(|k| prediction(k).is_some());
        if !spoke {
            // Nobody has an opinion (warm-up, or no model trained before
            // this bar): the same as an unsure meta-agent.
            let target = self.exit_when_unsure.then_some(Direction::Flat);
            return Signal { target, confidence: 0.0, fault: None };
        }
        let c = &mut self.context;
        c.time_ns = ctx.time.as_nanos();
        c.price = ctx.bar.close;
        c.volatility_forecast = ctx.agents.volatility().map_or(f64::NAN, |(sigma, _)| sigma);
        c.regime = match ctx.agents.regime() {
            Some((state, states, probability)) => Regime { state, states, probability },
            None => Regime { state: 0, states: 0, probability: 0.0 },
        };
        let outcome = self.meta.combine((0..n).map(prediction), &self.context);
        if let Some(fault) = outcome.fault {
            // The safe default: no new exposure, whatever is held stays
            // under the risk engine's stops.
            return Signal { target: None, confidence: 0.0, fault: Some(fault) };
        }
        Signal { target: self.decide(&outcome), confidence: outcome.confidence, fault: None }
    }

    fn plugin(&self) -> Option<PluginStamp> {
        Some(self.meta.stamp())
    }
}
