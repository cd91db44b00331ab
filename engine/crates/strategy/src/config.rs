//! `[strategy]` in the run config: which strategy fills the slot.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use tradebot_core::PluginRef;
use tradebot_features::FeatureSpec;

use crate::{BuyAndHold, Signal, SmaCross, Strategy, StrategyContext};

/// The strategy of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StrategyConfig {
    BuyAndHold,
    SmaCross {
        #[serde(default = "default_fast")]
        fast: usize,
        #[serde(default = "default_slow")]
        slow: usize,
        /// Reverse into a short on a cross down instead of going flat.
        #[serde(default)]
        long_short: bool,
    },
    /// A WASM component targeting the `strategy` world (`wit/tradebot.wit`).
    Plugin(PluginRef),
    /// The agent ensemble: the run's agents (`[agents]`) predict, the
    /// meta-agent plugin combines their predictions, and its decision is
    /// the signal.
    Ensemble(EnsembleConfig),
}

/// `[strategy] kind = "ensemble"`: how the meta-agent's combined view
/// becomes a target position.
///
/// When the meta-agent says trade, the most probable class decides: up →
/// long, down → short (or flat when long-only), neutral → flat. When it
/// says do not trade, the position is closed (`exit_when_unsure`, the
/// default: the agents forecast one candle ahead, so an old entry has no
/// forecast behind it any more) or kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleConfig {
    /// A component of the `meta-agent` world.
    pub meta: PluginRef,
    #[serde(default)]
    pub long_short: bool,
    #[serde(default = "default_true")]
    pub exit_when_unsure: bool,
}

const fn default_true() -> bool {
    true
}

const fn default_fast() -> usize {
    10
}
const fn default_slow() -> usize {
    20
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig::SmaCross { fast: default_fast(), slow: default_slow(), long_short: false }
    }
}

#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum StrategyConfigError {
    #[error("strategy.{field}: {value} {problem}")]
    Invalid { field: &'static str, value: String, problem: &'static str },
}

impl StrategyConfig {
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        if let StrategyConfig::SmaCross { fast, slow, .. } = *self {
            if fast == 0 {
                return Err(StrategyConfigError::Invalid { field: "fast", value: "0".into(), problem: "must be >= 1" });
            }
            if slow <= fast {
                return Err(StrategyConfigError::Invalid {
                    field: "slow",
                    value: slow.to_string(),
                    problem: "must be greater than strategy.fast",
                });
            }
        }
        Ok(())
    }

    /// One fresh instance of a native strategy (strategies keep
    /// per-instrument state); `None` for a plugin or the ensemble, which only
    /// the plugin host can instantiate.
    pub fn build(&self) -> Option<Box<dyn Strategy>> {
        self.build_native().map(|s| Box::new(s) as Box<dyn Strategy>)
    }

    /// [`build`](Self::build) as a [`NativeStrategy`], which a pipeline
    /// calls without dynamic dispatch.
    pub fn build_native(&self) -> Option<NativeStrategy> {
        match *self {
            StrategyConfig::BuyAndHold => Some(NativeStrategy::BuyAndHold(BuyAndHold::new())),
            StrategyConfig::SmaCross { fast, slow, long_short } => {
                Some(NativeStrategy::SmaCross(SmaCross::new(fast, slow, long_short)))
            }
            StrategyConfig::Plugin(_) | StrategyConfig::Ensemble(_) => None,
        }
    }
}

/// One of the native strategies, as a value: the signal stage calls it
/// with a `match` its `on_bar` inlines into, not through a trait object
/// (the call, the context built in memory and the signal returned through
/// it cost a fused replay ~25 instructions a bar).
#[derive(Debug)]
pub enum NativeStrategy {
    BuyAndHold(BuyAndHold),
    SmaCross(SmaCross),
}

impl Strategy for NativeStrategy {
    fn name(&self) -> &str {
        match self {
            NativeStrategy::BuyAndHold(s) => s.name(),
            NativeStrategy::SmaCross(s) => s.name(),
        }
    }

    fn features(&self) -> &[FeatureSpec] {
        match self {
            NativeStrategy::BuyAndHold(s) => s.features(),
            NativeStrategy::SmaCross(s) => s.features(),
        }
    }

    #[inline]
    fn on_bar(&mut self, ctx: &StrategyContext<'_>) -> Signal {
        match self {
            NativeStrategy::BuyAndHold(s) => s.on_bar(ctx),
            NativeStrategy::SmaCross(s) => s.on_bar(ctx),
        }
    }
}
