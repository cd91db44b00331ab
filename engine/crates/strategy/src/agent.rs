//! The agent slot: what a prediction agent is to the pipeline.
//!
//! Agents run on the pipeline's agents stage, between features and signal.
//! Each reads the closed bar and the agents' feature columns and says what it
//! expects of the next candle; the stage writes every agent's reading into
//! the event ([`AgentOutputs`], fixed size, so a ring slot still holds the
//! whole event), and the strategy slot — the meta-agent for the ensemble —
//! reads them there. The kernel knows only this trait: ONNX models, GARCH
//! and HMM filters and the sentiment scorer implement it elsewhere, which
//! keeps tract and friends out of the kernel.

use tradebot_core::{Candle, SymbolId, Timestamp};

/// Most agents a run may configure (the seed's ensemble has six).
pub const MAX_AGENTS: usize = 8;

/// What one agent said at one bar.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum AgentReading {
    /// No opinion: warming up, or no model trained before this bar exists.
    Abstain,
    /// The agent failed on this bar (the agents stage counts it); treated
    /// like an abstention downstream.
    Failed,
    /// Next-candle direction: probabilities of down, neutral, up (summing
    /// to 1) and the agent's own confidence in `[0, 1]`.
    Direction { probs: [f64; 3], confidence: f64 },
    /// Next-candle volatility: σ of the log return and the expected
    /// high–low range as a fraction of the close.
    Volatility { sigma: f64, range: f64 },
    /// The market regime: most probable state and its filtered probability.
    Regime { state: u32, states: u32, probability: f64 },
}

/// One agent's reading and how long it took (telemetry only: it differs from
/// run to run, so nothing that must replay identically may depend on it).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct AgentOutput {
    pub reading: AgentReading,
    pub latency_ns: u64,
}

/// Every agent's output at one bar, in the run's agent order.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct AgentOutputs {
    outputs: [AgentOutput; MAX_AGENTS],
    len: u8,
}

impl AgentOutputs {
    pub const EMPTY: AgentOutputs =
        AgentOutputs { outputs: [AgentOutput { reading: AgentReading::Abstain, latency_ns: 0 }; MAX_AGENTS], len: 0 };

    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends an output; ignored past [`MAX_AGENTS`] (the stage refuses
    /// more agents than that when it is built).
    #[inline]
    pub fn push(&mut self, output: AgentOutput) {
        if let Some(slot) = self.outputs.get_mut(usize::from(self.len)) {
            *slot = output;
            self.len += 1;
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[AgentOutput] {
        &self.outputs[..usize::from(self.len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first volatility reading: (σ, range).
    pub fn volatility(&self) -> Option<(f64, f64)> {
        self.as_slice().iter().find_map(|o| match o.reading {
            AgentReading::Volatility { sigma, range } => Some((sigma, range)),
            _ => None,
        })
    }

    /// The first regime reading: (state, states, probability).
    pub fn regime(&self) -> Option<(u32, u32, f64)> {
        self.as_slice().iter().find_map(|o| match o.reading {
            AgentReading::Regime { state, states, probability } => Some((state, states, probability)),
            _ => None,
        })
    }
}

impl Default for AgentOutputs {
    fn default() -> Self {
        AgentOutputs::EMPTY
    }
}

/// What an agent sees at a bar's close.
#[derive(Copy, Clone, Debug)]
pub struct AgentContext<'a> {
    pub symbol: SymbolId,
    /// The bar's close time: the decision instant. Learned agents use it to
    /// pick a model trained before it.
    pub time: Timestamp,
    pub bar: &'a Candle,
    /// The agents' feature columns as of this close, in the order of the
    /// run's agent feature set (NaN while warming up).
    pub features: &'a [f64],
}

/// The agent slot. One instance serves one instrument, and is called at
/// every one of its bars, in order.
pub trait Agent: Send + std::fmt::Debug {
    /// The agent's name, the same for every instrument (`trend-lstm`).
    fn name(&self) -> &str;
    /// Folds in the bar and says what the agent expects of the next one.
    /// Must not block; should not allocate after warm-up.
    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_keep_order_and_stop_at_capacity() {
        let mut o = AgentOutputs::EMPTY;
        for i in 0..(MAX_AGENTS + 3) {
            o.push(AgentOutput { reading: AgentReading::Abstain, latency_ns: i as u64 });
        }
        assert_eq!(o.len(), MAX_AGENTS);
        assert_eq!(o.as_slice()[3].latency_ns, 3);
        o.clear();
        assert!(o.is_empty());
    }

    #[test]
    fn volatility_and_regime_are_found_among_direction_readings() {
        let mut o = AgentOutputs::EMPTY;
        let d = AgentReading::Direction { probs: [0.2, 0.3, 0.5], confidence: 0.5 };
        o.push(AgentOutput { reading: d, latency_ns: 1 });
        assert_eq!(o.volatility(), None);
        o.push(AgentOutput { reading: AgentReading::Regime { state: 1, states: 2, probability: 0.9 }, latency_ns: 1 });
        o.push(AgentOutput { reading: AgentReading::Volatility { sigma: 0.01, range: 0.02 }, latency_ns: 1 });
        assert_eq!(o.volatility(), Some((0.01, 0.02)));
        assert_eq!(o.regime(), Some((1, 2, 0.9)));
    }
}
