//! A meta-agent component: combines the agents' predictions.
//!
//! The agent ensemble (the "agents" work) calls it on the signal stage; this
//! module is the checked, bounded call it uses.

use tradebot_core::{PluginFault, PluginStamp};

use crate::bindings::{AgentPrediction, MarketContext, MetaDecision, Note, meta};
use crate::error::PluginError;
use crate::host::{LoadedComponent, LogLine, PluginHost, World};
use crate::instance::Instance;

/// Most notes per answer, and their longest key and value in bytes.
pub const MAX_NOTES: usize = 16;
pub const MAX_NOTE_KEY: usize = 64;
pub const MAX_NOTE_VALUE: usize = 256;

/// A checked answer of the meta-agent, or the safe default after a fault.
#[derive(Clone, Debug)]
pub struct MetaOutcome {
    /// Down, neutral, up.
    pub probabilities: [f64; 3],
    pub confidence: f64,
    pub disagreement: f64,
    pub should_trade: bool,
    pub notes: Vec<Note>,
    pub fault: Option<PluginFault>,
    pub plugin: PluginStamp,
}

/// Checks an answer against the contract.
pub fn check_meta(d: &MetaDecision) -> Result<(), &'static str> {
    let p = [d.probabilities.down, d.probabilities.neutral, d.probabilities.up];
    if p.iter().any(|v| !(v.is_finite() && (0.0..=1.0).contains(v))) {
        return Err("a probability is not in [0, 1]");
    }
    if ((p[0] + p[1] + p[2]) - 1.0).abs() > 1e-6 {
        return Err("probabilities do not sum to 1");
    }
    for v in [d.confidence, d.disagreement] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err("confidence or disagreement is not in [0, 1]");
        }
    }
    if d.notes.len() > MAX_NOTES {
        return Err("more than 16 notes");
    }
    if d.notes.iter().any(|n| n.key.len() > MAX_NOTE_KEY || n.value.len() > MAX_NOTE_VALUE) {
        return Err("a note is too long");
    }
    Ok(())
}

/// One instance of a meta-agent component.
pub struct WasmMetaAgent {
    inst: Instance<meta::MetaAgent>,
}

impl std::fmt::Debug for WasmMetaAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmMetaAgent").field("stamp", &self.inst.stamp).finish_non_exhaustive()
    }
}

impl WasmMetaAgent {
    pub fn new(host: &PluginHost, loaded: &LoadedComponent, config: &str) -> Result<Self, PluginError> {
        loaded.expect_world(World::MetaAgent)?;
        Ok(WasmMetaAgent { inst: Instance::new(host, loaded, config)? })
    }

    pub fn stamp(&self) -> PluginStamp {
        self.inst.stamp
    }

    pub fn faults(&self) -> [u64; PluginFault::ALL.len()] {
        self.inst.faults
    }

    pub fn drain_logs(&mut self) -> Vec<LogLine> {
        self.inst.drain_logs()
    }

    /// Combines `predictions`; a fault or an invalid answer gives "do not
    /// trade" (neutral, confidence 0) with the fault.
    pub fn combine(&mut self, predictions: &[AgentPrediction], context: &MarketContext) -> MetaOutcome {
        let plugin = self.inst.stamp;
        let refuse = |fault| MetaOutcome {
            probabilities: [0.0, 1.0, 0.0],
            confidence: 0.0,
            disagreement: 0.0,
            should_trade: false,
            notes: Vec::new(),
            fault: Some(fault),
            plugin,
        };
        match self.inst.call(|b, s| b.call_combine(s, predictions, context)) {
            Ok(d) => match check_meta(&d) {
                Ok(()) => MetaOutcome {
                    probabilities: [d.probabilities.down, d.probabilities.neutral, d.probabilities.up],
                    confidence: d.confidence,
                    disagreement: d.disagreement,
                    should_trade: d.should_trade,
                    notes: d.notes,
                    fault: None,
                    plugin,
                },
                Err(_) => refuse(self.inst.invalid_output()),
            },
            Err(fault) => refuse(fault),
        }
    }
}

/// Six synthetic agents, as the self-test and the benchmarks use them.
pub fn sample_predictions() -> Vec<AgentPrediction> {
    let names = ["trend", "volatility", "pattern", "regime", "sentiment", "trend-transformer"];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let up = 0.2 + 0.1 * i as f64;
            let down = 0.6 - 0.08 * i as f64;
            AgentPrediction {
                agent: (*name).to_owned(),
                probabilities: crate::bindings::Probabilities { down, neutral: 1.0 - up - down, up },
                confidence: 0.5 + 0.05 * i as f64,
                latency_us: 100.0,
            }
        })
        .collect()
}

pub fn sample_context() -> MarketContext {
    MarketContext {
        symbol: "BTCUSDT".into(),
        time_ns: 1_700_000_000_000_000_000,
        price: 37_000.0,
        volatility_forecast: 0.004,
        regime: crate::bindings::Regime { state: 1, states: 3, probability: 0.8 },
    }
}

/// Combines the sample predictions, all of them and subsets, on a fresh
/// instance; any fault or invalid answer fails the test.
pub fn self_test_meta(host: &PluginHost, loaded: &LoadedComponent, config: &str) -> Result<usize, PluginError> {
    let mut m = WasmMetaAgent::new(host, loaded, config)?;
    let all = sample_predictions();
    let context = sample_context();
    for k in [6usize, 3, 1, 0] {
        let out = m.combine(&all[..k], &context);
        if let Some(fault) = out.fault {
            return Err(PluginError::SelfTest {
                path: loaded.path.clone(),
                message: format!("combine with {k} predictions: {fault}"),
            });
        }
    }
    Ok(4)
}
