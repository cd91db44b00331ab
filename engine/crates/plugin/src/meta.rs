//! A meta-agent component: combines the agents' predictions.
//!
//! The agent ensemble (the "agents" work) calls it on the signal stage; this
//! module is the checked, bounded call it uses.

use tradebot_core::{PluginFault, PluginStamp};

use crate::bindings::{MarketContext, MetaDecision, Note, Regime, meta};
use crate::error::PluginError;
use crate::host::{LoadedComponent, LogLine, PluginHost, World};
use crate::instance::{InitArgs, Instance};

/// Numbers per agent in `combine`'s packed `list<f64>`: down, neutral, up,
/// confidence, latency in µs.
pub const PREDICTION_FIELDS: usize = 5;

/// One agent's prediction as the host hands it over.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Down, neutral, up.
    pub probabilities: [f64; 3],
    pub confidence: f64,
    pub latency_us: f64,
}

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

/// One instance of a meta-agent component, combining the agents named at
/// construction for the instruments named there.
pub struct WasmMetaAgent {
    inst: Instance<meta::MetaAgent>,
    symbols: usize,
    /// The `list<f64>` of the next call, `PREDICTION_FIELDS` per agent,
    /// made once: packing a call never allocates.
    packed: Vec<f64>,
}

impl std::fmt::Debug for WasmMetaAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmMetaAgent").field("stamp", &self.inst.stamp).finish_non_exhaustive()
    }
}

impl WasmMetaAgent {
    /// Instantiates the component and calls its `init` with `config`, the
    /// agents whose predictions [`combine`](Self::combine) will pass (in that
    /// order) and the run's instruments (`MarketContext::symbol` indexes them).
    pub fn new(
        host: &PluginHost,
        loaded: &LoadedComponent,
        config: &str,
        agents: &[String],
        symbols: &[String],
    ) -> Result<Self, PluginError> {
        loaded.expect_world(World::MetaAgent)?;
        let init = InitArgs { config: config.to_owned(), agents: agents.to_vec(), symbols: symbols.to_vec() };
        Ok(WasmMetaAgent {
            inst: Instance::new(host, loaded, init)?,
            symbols: symbols.len(),
            packed: vec![f64::NAN; PREDICTION_FIELDS * agents.len()],
        })
    }

    pub fn stamp(&self) -> PluginStamp {
        self.inst.stamp
    }

    /// How many agents each call carries.
    pub fn agents(&self) -> usize {
        self.packed.len() / PREDICTION_FIELDS
    }

    pub fn faults(&self) -> [u64; PluginFault::ALL.len()] {
        self.inst.faults
    }

    pub fn drain_logs(&mut self) -> Vec<LogLine> {
        self.inst.drain_logs()
    }

    /// Combines one prediction per agent of construction, in that order
    /// (`None`: the agent has nothing to say this bar). A fault, an invalid
    /// answer, or a request that does not fit the instance (another number
    /// of agents, a symbol index outside the list: `BadRequest`) gives "do
    /// not trade" (neutral, confidence 0) with the fault.
    pub fn combine(
        &mut self,
        predictions: impl IntoIterator<Item = Option<Prediction>>,
        context: &MarketContext,
    ) -> MetaOutcome {
        let mut n = 0;
        for p in predictions {
            if let Some(slot) = self.packed.get_mut(PREDICTION_FIELDS * n..PREDICTION_FIELDS * (n + 1)) {
                slot.copy_from_slice(&match p {
                    Some(p) => [p.probabilities[0], p.probabilities[1], p.probabilities[2], p.confidence, p.latency_us],
                    None => [f64::NAN; PREDICTION_FIELDS],
                });
            }
            n += 1;
        }
        if n != self.agents() || context.symbol as usize >= self.symbols {
            let fault = self.inst.count(PluginFault::BadRequest);
            return self.refuse(fault);
        }
        let packed = &self.packed;
        match self.inst.call(|b, s| b.call_combine(s, packed, *context)) {
            Ok(d) => match check_meta(&d) {
                Ok(()) => MetaOutcome {
                    probabilities: [d.probabilities.down, d.probabilities.neutral, d.probabilities.up],
                    confidence: d.confidence,
                    disagreement: d.disagreement,
                    should_trade: d.should_trade,
                    notes: d.notes,
                    fault: None,
                    plugin: self.inst.stamp,
                },
                Err(_) => {
                    let fault = self.inst.invalid_output();
                    self.refuse(fault)
                }
            },
            Err(fault) => self.refuse(fault),
        }
    }

    fn refuse(&self, fault: PluginFault) -> MetaOutcome {
        MetaOutcome {
            probabilities: [0.0, 1.0, 0.0],
            confidence: 0.0,
            disagreement: 0.0,
            should_trade: false,
            notes: Vec::new(),
            fault: Some(fault),
            plugin: self.inst.stamp,
        }
    }
}

/// The six synthetic agents the self-test and the benchmarks use.
pub fn sample_agents() -> Vec<String> {
    ["trend", "volatility", "pattern", "regime", "sentiment", "trend-transformer"].map(String::from).to_vec()
}

/// The instrument of [`sample_context`].
pub fn sample_symbols() -> Vec<String> {
    vec!["BTCUSDT".to_owned()]
}

/// Synthetic predictions for `n` agents, all of them speaking.
pub fn sample_predictions_for(n: usize) -> Vec<Option<Prediction>> {
    (0..n)
        .map(|i| {
            let i = (i % 6) as f64;
            let up = 0.2 + 0.1 * i;
            let down = 0.6 - 0.08 * i;
            Some(Prediction {
                probabilities: [down, 1.0 - up - down, up],
                confidence: 0.5 + 0.05 * i,
                latency_us: 100.0,
            })
        })
        .collect()
}

/// One prediction per agent of [`sample_agents`].
pub fn sample_predictions() -> Vec<Option<Prediction>> {
    sample_predictions_for(6)
}

pub fn sample_context() -> MarketContext {
    MarketContext {
        symbol: 0,
        time_ns: 1_700_000_000_000_000_000,
        price: 37_000.0,
        volatility_forecast: 0.004,
        regime: Regime { state: 1, states: 3, probability: 0.8 },
    }
}

/// Combines synthetic predictions for `agents` (every agent speaking, every
/// other one, only the first, none) for each of `symbols` on a fresh
/// instance; any fault or invalid answer fails the test. Empty `agents` or
/// `symbols` stand for the samples.
pub fn self_test_meta(
    host: &PluginHost,
    loaded: &LoadedComponent,
    config: &str,
    agents: &[String],
    symbols: &[String],
) -> Result<usize, PluginError> {
    let agents = if agents.is_empty() { sample_agents() } else { agents.to_vec() };
    let symbols = if symbols.is_empty() { sample_symbols() } else { symbols.to_vec() };
    let mut m = WasmMetaAgent::new(host, loaded, config, &agents, &symbols)?;
    let all = sample_predictions_for(agents.len());
    let mut context = sample_context();
    let mut calls = 0;
    for symbol in 0..symbols.len().min(4) {
        context.symbol = symbol as u32;
        let subsets: [(&str, &dyn Fn(usize) -> bool); 4] = [
            ("all", &|_| true),
            ("every other", &|k| k % 2 == 0),
            ("only the first", &|k| k == 0),
            ("none", &|_| false),
        ];
        for (what, speaks) in subsets {
            let predictions = all.iter().enumerate().map(|(k, p)| if speaks(k) { *p } else { None });
            let out = m.combine(predictions, &context);
            if let Some(fault) = out.fault {
                return Err(PluginError::SelfTest {
                    path: loaded.path.clone(),
                    message: format!(
                        "combine with {what} of {} agents speaking, symbol {symbol}: {fault}",
                        agents.len()
                    ),
                });
            }
            calls += 1;
        }
    }
    Ok(calls)
}
