//! Plugin-backed slots: how a run gets strategies and a sizing policy that
//! the kernel cannot build itself (WASM components), and how a new version of
//! a strategy is swapped in while the run goes on.
//!
//! The kernel only knows these traits; `tradebot-plugin` implements them with
//! wasmtime. That keeps the kernel free of the WASM runtime, and lets a test
//! or another host plug in anything that obeys the same contract.

use std::fmt::Debug;

use tradebot_core::{PluginRef, Symbol};
use tradebot_risk::SizingPolicy;
use tradebot_strategy::{EnsembleConfig, Strategy};

/// One strategy instance per symbol, and the reload channel if the plugin is
/// watched for new versions.
#[derive(Debug)]
pub struct StrategyBundle {
    pub strategies: Vec<Box<dyn Strategy>>,
    pub reload: Option<Box<dyn StrategyReload>>,
}

/// Hands new strategy versions to the signal stage.
///
/// The signal stage polls at the first event of every time step, so a swap
/// happens between two candles and every symbol switches at the same
/// instant. Both calls must be cheap and must not block or allocate: the
/// candidate was compiled, instantiated and self-tested on another thread.
pub trait StrategyReload: Send + Debug {
    /// A complete replacement (one instance per symbol), if one is ready.
    fn poll(&mut self) -> Option<Vec<Box<dyn Strategy>>>;
    /// Takes back the instances a swap replaced, to drop them off the hot
    /// thread.
    fn retire(&mut self, old: Vec<Box<dyn Strategy>>);
}

/// Builds plugin-backed slots for a run.
pub trait SlotProvider: Send + Sync + Debug {
    /// Strategy instances for `symbols` (`SymbolId(i)` is `symbols[i]`).
    fn strategies(&self, plugin: &PluginRef, symbols: &[Symbol]) -> Result<StrategyBundle, String>;
    /// The ensemble strategy for `symbols`: one meta-agent instance per
    /// symbol, combining the readings of the agents named `agents` (the
    /// order of [`tradebot_strategy::AgentOutputs`]).
    fn ensemble(
        &self,
        config: &EnsembleConfig,
        symbols: &[Symbol],
        agents: &[String],
    ) -> Result<StrategyBundle, String>;
    /// One sizing policy for the whole account.
    fn sizing(&self, plugin: &PluginRef, symbols: &[Symbol]) -> Result<Box<dyn SizingPolicy>, String>;
}
