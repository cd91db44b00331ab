//! The stages before the account: features and signal.
//!
//! Both keep per-instrument state in plain vectors indexed by `SymbolId` and
//! transform a [`BarEvent`] in place.

use tradebot_features::{FeatureSet, FeatureSpec, MAX_FEATURES};
use tradebot_strategy::{Strategy, StrategyConfig, StrategyContext};

use crate::KernelError;
use crate::event::{BarEvent, EventKind};

/// Where the risk engine's inputs sit in an event's feature vector (after the
/// strategy's own features).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FeatureLayout {
    /// The strategy's features occupy `0..strategy`.
    pub strategy: usize,
    pub atr: usize,
    pub swing_low: usize,
    pub swing_high: usize,
    pub volatility: usize,
}

/// Parameters of the features the account stage needs for stops and sizing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RiskFeatureParams {
    pub atr_period: usize,
    pub swing_lookback: usize,
    pub volatility_window: usize,
}

impl FeatureLayout {
    /// The full list of features for a strategy's request plus the risk
    /// engine's inputs, and where each lands.
    pub fn build(strategy: &[FeatureSpec], risk: RiskFeatureParams) -> Result<(Vec<FeatureSpec>, Self), KernelError> {
        let mut specs = strategy.to_vec();
        let k = specs.len();
        specs.extend([
            FeatureSpec::Atr { period: risk.atr_period },
            FeatureSpec::SwingLow { lookback: risk.swing_lookback },
            FeatureSpec::SwingHigh { lookback: risk.swing_lookback },
            FeatureSpec::ReturnStd { window: risk.volatility_window },
        ]);
        if specs.len() > MAX_FEATURES {
            return Err(KernelError::TooManyFeatures { requested: specs.len(), max: MAX_FEATURES });
        }
        Ok((specs, FeatureLayout { strategy: k, atr: k, swing_low: k + 1, swing_high: k + 2, volatility: k + 3 }))
    }
}

/// Computes every instrument's features at each of its bars.
#[derive(Debug)]
pub struct FeatureStage {
    sets: Vec<FeatureSet>,
}

impl FeatureStage {
    pub fn new(symbols: usize, specs: &[FeatureSpec]) -> Result<Self, KernelError> {
        let set =
            FeatureSet::new(specs).ok_or(KernelError::TooManyFeatures { requested: specs.len(), max: MAX_FEATURES })?;
        Ok(FeatureStage { sets: vec![set; symbols] })
    }

    #[inline]
    pub fn process(&mut self, ev: &mut BarEvent) {
        if ev.kind != EventKind::Bar {
            return;
        }
        self.sets[ev.symbol.index()].update_into(&ev.bar, &mut ev.features);
    }
}

/// Runs one strategy instance per instrument.
#[derive(Debug)]
pub struct SignalStage {
    strategies: Vec<Box<dyn Strategy>>,
    inputs: usize,
}

impl SignalStage {
    pub fn new(symbols: usize, config: &StrategyConfig, layout: FeatureLayout) -> Self {
        SignalStage { strategies: (0..symbols).map(|_| config.build()).collect(), inputs: layout.strategy }
    }

    /// The features the configured strategy reads.
    pub fn requested_features(config: &StrategyConfig) -> Vec<FeatureSpec> {
        config.build().features().to_vec()
    }

    pub fn strategy_name(&self) -> &str {
        self.strategies.first().map_or("none", |s| s.name())
    }

    #[inline]
    pub fn process(&mut self, ev: &mut BarEvent) {
        if ev.kind != EventKind::Bar {
            return;
        }
        let ctx =
            StrategyContext { symbol: ev.symbol, time: ev.time, bar: &ev.bar, features: &ev.features[..self.inputs] };
        ev.signal = self.strategies[ev.symbol.index()].on_bar(&ctx);
    }
}
