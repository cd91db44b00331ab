//! The agents stage: every instrument's prediction agents, between features
//! and signal.
//!
//! The stage runs each agent of the event's instrument on the agents'
//! feature columns, writes the readings into the event, and times every
//! agent call on its own histogram (agents cost tens to hundreds of
//! microseconds, so two clock reads per call are noise, and the meta-agent
//! is told each agent's latency). A run without agents has an empty stage
//! that returns at once.

use hdrhistogram::Histogram;
use tradebot_features::FeatureSpec;
use tradebot_strategy::{Agent, AgentContext, AgentOutput, AgentReading, MAX_AGENTS};

use crate::KernelError;
use crate::event::{BarEvent, EventKind};
use crate::telemetry::{Mono, StageLatency, latency_histogram};

/// The agents of a run, built by whoever can (the binary loads ONNX models,
/// fits filters, reads headline files) and handed to the kernel.
#[derive(Debug, Default)]
pub struct AgentBundle {
    /// Agent names in output order, the same for every instrument.
    pub names: Vec<String>,
    /// The one feature set every agent reads, computed by the features
    /// stage; [`tradebot_strategy::AgentContext::features`] holds its values.
    pub features: Vec<FeatureSpec>,
    /// `per_symbol[i]`: the agents of `SymbolId(i)`, in `names` order.
    pub per_symbol: Vec<Vec<Box<dyn Agent>>>,
}

impl AgentBundle {
    /// No agents for `symbols` instruments.
    pub fn none(symbols: usize) -> Self {
        AgentBundle { per_symbol: (0..symbols).map(|_| Vec::new()).collect(), ..AgentBundle::default() }
    }

    /// Checks the bundle's shape against the run's instruments.
    pub fn validate(&self, symbols: usize) -> Result<(), KernelError> {
        if self.names.len() > MAX_AGENTS {
            return Err(KernelError::Invalid(format!(
                "agents: {} configured, at most {MAX_AGENTS} fit in an event",
                self.names.len()
            )));
        }
        if self.per_symbol.len() != symbols {
            return Err(KernelError::Invalid(format!(
                "agents: built for {} instruments, the run has {symbols}",
                self.per_symbol.len()
            )));
        }
        for (i, agents) in self.per_symbol.iter().enumerate() {
            let names: Vec<&str> = agents.iter().map(|a| a.name()).collect();
            if names != self.names.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(KernelError::Invalid(format!(
                    "agents: instrument {i} has agents {names:?}, expected {:?}",
                    self.names
                )));
            }
        }
        Ok(())
    }
}

/// Runs the agents of each event's instrument.
#[derive(Debug)]
pub struct AgentStage {
    agents: Vec<Vec<Box<dyn Agent>>>,
    names: Vec<String>,
    /// The agents' columns in the event's feature vector.
    features: std::ops::Range<usize>,
    latency: Vec<Histogram<u64>>,
    faults: Vec<u64>,
    mono: Mono,
}

impl AgentStage {
    /// `features`: where the features stage writes the agents' columns.
    pub fn new(bundle: AgentBundle, features: std::ops::Range<usize>, mono: Mono) -> Self {
        let n = bundle.names.len();
        AgentStage {
            agents: bundle.per_symbol,
            names: bundle.names,
            features,
            latency: (0..n).map(|_| latency_histogram()).collect(),
            faults: vec![0; n],
            mono,
        }
    }

    /// A stage with no agents (every run that does not configure any).
    pub fn empty(mono: Mono) -> Self {
        AgentStage::new(AgentBundle::default(), 0..0, mono)
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    #[inline]
    pub fn process(&mut self, ev: &mut BarEvent) {
        if ev.kind != EventKind::Bar || self.names.is_empty() {
            return;
        }
        ev.agents.clear();
        let Some(agents) = self.agents.get_mut(ev.symbol.index()) else { return };
        let ctx = AgentContext {
            symbol: ev.symbol,
            time: ev.time,
            bar: &ev.bar,
            features: &ev.features[self.features.clone()],
        };
        for ((agent, hist), faults) in agents.iter_mut().zip(&mut self.latency).zip(&mut self.faults) {
            let start = self.mono.now();
            let reading = agent.on_bar(&ctx);
            let latency_ns = self.mono.now().saturating_sub(start).max(1);
            hist.saturating_record(latency_ns);
            if reading == AgentReading::Failed {
                *faults += 1;
            }
            ev.agents.push(AgentOutput { reading, latency_ns });
        }
    }

    /// Latency percentiles of each agent (`agent:<name>`), over every call.
    pub fn latency(&self) -> Vec<StageLatency> {
        self.names
            .iter()
            .zip(&self.latency)
            .filter(|(_, h)| !h.is_empty())
            .map(|(name, h)| StageLatency::of(format!("agent:{name}"), h))
            .collect()
    }

    /// How many bars each agent failed on, by name.
    pub fn faults(&self) -> Vec<(String, u64)> {
        self.names.iter().cloned().zip(self.faults.iter().copied()).collect()
    }
}
