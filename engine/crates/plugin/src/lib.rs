//! The WASM plugin host: strategies, position sizing and the meta-agent as
//! WebAssembly components (`wit/tradebot.wit`) run by wasmtime.
//!
//! Why components: a plugin can be written in any language that compiles to
//! one, swapped while the engine runs, and cannot crash the engine, read a
//! file or get past the risk limits. Concretely:
//!
//! - **No capabilities.** The only import a plugin gets is `host.log`. WASI is
//!   linked because Rust's wasip2 standard library imports it, but the
//!   context behind it has no preopened directory, no network, a clock frozen
//!   at the Unix epoch and fixed "random" bytes, so a plugin can neither
//!   reach out nor make a replay depend on the wall clock.
//! - **Bounded calls.** Fuel in replay (deterministic: the same call stops at
//!   the same instruction every run), an epoch deadline live; a memory cap
//!   per instance.
//! - **Faults are contained.** A trap, timeout, out-of-memory or invalid answer
//!   (NaN, infinity, probabilities not summing to 1, a negative size, an
//!   oversized list or string) gives that call the slot's safe default — no
//!   new exposure — and is counted and reported as an alert; the instance is
//!   replaced by a fresh one. The native risk engine applies to whatever a
//!   plugin returns.
//! - **Hot reload** ([`reload`]): compile, check, self-test and instantiate on
//!   a background thread; swap between two candles; keep the old one on any
//!   failure.
//!
//! Plugin calls sit outside the engine's no-allocation guarantee: wasmtime
//! allocates host strings it lifts from the guest (a reason, notes, logs).

mod bindings;
mod ensemble;
mod error;
mod host;
mod instance;
mod limits;
mod meta;
pub mod reload;
mod sizing;
mod slots;
mod strategy;

/// The generated WIT types, for callers that build requests themselves.
pub mod wit {
    pub use crate::bindings::{
        About, Candle, Direction, Level, MarketContext, MetaDecision, Note, Probabilities, Regime, Signal,
        SizingDecision, SizingRequest, TradeStats,
    };
}

pub use ensemble::WasmEnsemble;
pub use error::PluginError;
pub use host::{LoadedComponent, LogLine, PluginHost, WIT_PACKAGE, World};
pub use limits::{Budget, PluginLimits};
pub use meta::{
    MetaOutcome, PREDICTION_FIELDS, Prediction, WasmMetaAgent, check_meta, sample_agents, sample_context,
    sample_predictions, sample_predictions_for, sample_symbols, self_test_meta,
};
pub use reload::{ReloadEvent, ReloadHandle, StrategyReloader, watch_ensemble, watch_strategy};
pub use sizing::{MAX_REASON, MAX_REASONS, WasmSizing, check_reasons, check_sizing, self_test_sizing};
pub use slots::WasmSlots;
pub use strategy::{MAX_STRATEGY_FEATURES, WasmStrategy, self_test_strategy};

/// Where the build put the bundled plugins (`<name>.wasm`, e.g.
/// `sma_cross.wasm`), built from `plugins/` for `wasm32-wasip2`.
pub const BUNDLED_PLUGIN_DIR: &str = env!("TRADEBOT_BUNDLED_PLUGIN_DIR");

/// The path of a bundled plugin by crate name (`"sma-cross"` → `…/sma_cross.wasm`).
pub fn bundled_plugin(name: &str) -> std::path::PathBuf {
    std::path::Path::new(BUNDLED_PLUGIN_DIR).join(format!("{}.wasm", name.replace('-', "_")))
}
