//! The stages before the account: features and signal.
//!
//! Both keep per-instrument state in plain vectors indexed by `SymbolId` and
//! transform a [`BarEvent`] in place.

use tradebot_core::{Symbol, Timestamp};
use tradebot_features::{FeatureSet, FeatureSpec, MAX_FEATURES};
use tradebot_strategy::{NativeStrategy, Strategy, StrategyConfig, StrategyContext};

use tradebot_exec::Slippage;
use tradebot_risk::{SizingConfig, StopLossConfig};

use crate::event::{BarEvent, EventKind};
use crate::slots::{SlotProvider, StrategyBundle, StrategyReload};
use crate::{KernelConfig, KernelError};

/// Where the risk engine's inputs sit in an event's feature vector (after the
/// strategy's own features). An input the run does not need points at a slot
/// no feature writes, which stays NaN ("not known").
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FeatureLayout {
    /// The strategy's features occupy `0..strategy`.
    pub strategy: usize,
    /// The agents' feature set occupies `strategy..agents_end`.
    pub agents_end: usize,
    pub atr: usize,
    pub swing_low: usize,
    pub swing_high: usize,
    pub volatility: usize,
}

/// The features the account stage needs for stops, slippage and sizing;
/// `None` for those this run's config never reads (they are not computed).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RiskFeatureParams {
    /// ATR period: ATR stops, ATR slippage.
    pub atr_period: Option<usize>,
    /// Swing low/high lookback: swing stops.
    pub swing_lookback: Option<usize>,
    /// Return-volatility window: volatility-adjusted sizing.
    pub volatility_window: Option<usize>,
}

impl RiskFeatureParams {
    /// Every input, for tools that want them all.
    pub const ALL: RiskFeatureParams =
        RiskFeatureParams { atr_period: Some(14), swing_lookback: Some(20), volatility_window: Some(20) };

    /// What `config` reads: ATR(14) for ATR stops, ATR slippage or a sizing
    /// plugin, the swing stop's lookback, return volatility over 20 bars for
    /// volatility-adjusted sizing or a sizing plugin.
    pub fn for_config(config: &KernelConfig) -> Self {
        RiskFeatureParams {
            // A sizing plugin may read ATR and volatility: it gets both.
            atr_period: (matches!(config.risk.stop_loss, StopLossConfig::Atr(_))
                || matches!(config.broker.slippage, Slippage::AtrFraction { .. })
                || matches!(config.sizing, SizingConfig::Plugin(_)))
            .then_some(14),
            swing_lookback: config.risk.stop_loss.swing_lookback(),
            volatility_window: matches!(config.sizing, SizingConfig::VolatilityAdjusted(_) | SizingConfig::Plugin(_))
                .then_some(20),
        }
    }
}

impl FeatureLayout {
    /// The full list of features for a strategy's request, the agents'
    /// feature set and the risk engine's inputs, and where each lands.
    pub fn build(
        strategy: &[FeatureSpec],
        agents: &[FeatureSpec],
        risk: RiskFeatureParams,
    ) -> Result<(Vec<FeatureSpec>, Self), KernelError> {
        let mut specs = strategy.to_vec();
        let k: usize = specs.iter().map(FeatureSpec::outputs).sum();
        specs.extend_from_slice(agents);
        let agents_end = k + agents.iter().map(FeatureSpec::outputs).sum::<usize>();
        let mut next = agents_end;
        // Each risk input is a one-value feature: its slot is the next value.
        let mut slot = |spec: Option<FeatureSpec>| {
            spec.map(|s| {
                specs.push(s);
                next += 1;
                next - 1
            })
        };
        let atr = slot(risk.atr_period.map(|period| FeatureSpec::Atr { period }));
        let swing_low = slot(risk.swing_lookback.map(|lookback| FeatureSpec::SwingLow { lookback }));
        let swing_high = slot(risk.swing_lookback.map(|lookback| FeatureSpec::SwingHigh { lookback }));
        let volatility = slot(risk.volatility_window.map(|window| FeatureSpec::ReturnStd { window }));
        // One slot past the computed features must stay free: it is the NaN
        // the inputs nobody computes point at.
        let unused = next;
        if unused >= MAX_FEATURES {
            return Err(KernelError::TooManyFeatures { requested: unused + 1, max: MAX_FEATURES });
        }
        let layout = FeatureLayout {
            strategy: k,
            agents_end,
            atr: atr.unwrap_or(unused),
            swing_low: swing_low.unwrap_or(unused),
            swing_high: swing_high.unwrap_or(unused),
            volatility: volatility.unwrap_or(unused),
        };
        Ok((specs, layout))
    }
}

/// Computes every instrument's features at each of its bars.
#[derive(Debug)]
pub struct FeatureStage {
    sets: Vec<FeatureSet>,
}

impl FeatureStage {
    pub fn new(symbols: usize, specs: &[FeatureSpec]) -> Result<Self, KernelError> {
        // The pipeline has no trade feed yet: a trade-flow feature would be
        // NaN on every bar, so it is refused rather than silently empty.
        if let Some(f) = specs.iter().find(|f| f.needs_trades()) {
            return Err(KernelError::Invalid(format!(
                "feature `{}` is computed from trades, which the pipeline does not receive yet",
                f.columns().first().map_or("trade_flow", String::as_str)
            )));
        }
        let set = FeatureSet::new(specs).ok_or(KernelError::TooManyFeatures {
            requested: specs.iter().map(FeatureSpec::outputs).sum(),
            max: MAX_FEATURES,
        })?;
        Ok(FeatureStage { sets: vec![set; symbols] })
    }

    #[inline(always)]
    pub fn process(&mut self, ev: &mut BarEvent) {
        if ev.kind != EventKind::Bar {
            return;
        }
        self.sets[ev.symbol.index()].update_into(&ev.bar, &mut ev.features);
    }
}

/// The strategies of a run, before the signal stage takes them: native
/// baselines built by the kernel, or what the plugin host built.
#[derive(Debug)]
pub enum StrategySource {
    Native(Vec<NativeStrategy>),
    Slots(StrategyBundle),
}

impl StrategySource {
    fn first(&self) -> Option<&dyn Strategy> {
        match self {
            StrategySource::Native(n) => n.first().map(|s| s as &dyn Strategy),
            StrategySource::Slots(b) => b.strategies.first().map(|s| s.as_ref()),
        }
    }
}

/// Runs one strategy instance per instrument.
#[derive(Debug)]
pub struct SignalStage {
    /// Native baselines, called without dynamic dispatch; empty when the
    /// run's strategy is a plugin (then `strategies` holds them).
    native: Vec<NativeStrategy>,
    strategies: Vec<Box<dyn Strategy>>,
    reload: Option<Box<dyn StrategyReload>>,
    inputs: usize,
    /// Close time of the last event seen: a later one starts a new step,
    /// the only moment a reload may swap the strategies.
    step_time: Timestamp,
    swaps: u64,
}

impl SignalStage {
    /// The configured strategy for `symbols`: a native one built here, a
    /// plugin through `slots`.
    pub fn bundle(
        config: &StrategyConfig,
        symbols: &[Symbol],
        agents: &[String],
        slots: Option<&dyn SlotProvider>,
    ) -> Result<StrategySource, KernelError> {
        match config {
            StrategyConfig::Ensemble(ensemble) => {
                let slots = slots.ok_or_else(|| {
                    KernelError::Plugin(format!(
                        "strategy ensemble: the meta-agent {} needs a plugin host",
                        ensemble.meta.path.display()
                    ))
                })?;
                if agents.is_empty() {
                    return Err(KernelError::Invalid(
                        "strategy ensemble: the run has no agents; configure them in [agents]".into(),
                    ));
                }
                let bundle = slots.ensemble(ensemble, symbols, agents).map_err(KernelError::Plugin)?;
                if bundle.strategies.len() != symbols.len() {
                    return Err(KernelError::Plugin(format!(
                        "the plugin host built {} ensembles for {} symbols",
                        bundle.strategies.len(),
                        symbols.len()
                    )));
                }
                Ok(StrategySource::Slots(bundle))
            }
            StrategyConfig::Plugin(plugin) => {
                let slots = slots.ok_or_else(|| {
                    KernelError::Plugin(format!("strategy {}: plugins need a plugin host", plugin.path.display()))
                })?;
                let bundle = slots.strategies(plugin, symbols).map_err(KernelError::Plugin)?;
                if bundle.strategies.len() != symbols.len() {
                    return Err(KernelError::Plugin(format!(
                        "the plugin host built {} strategies for {} symbols",
                        bundle.strategies.len(),
                        symbols.len()
                    )));
                }
                Ok(StrategySource::Slots(bundle))
            }
            native => {
                let strategies = symbols
                    .iter()
                    .map(|_| native.build_native().ok_or_else(|| KernelError::Plugin("no native strategy".into())))
                    .collect::<Result<_, _>>()?;
                Ok(StrategySource::Native(strategies))
            }
        }
    }

    pub fn new(source: StrategySource, layout: FeatureLayout) -> Self {
        let (native, strategies, reload) = match source {
            StrategySource::Native(native) => (native, Vec::new(), None),
            StrategySource::Slots(bundle) => (Vec::new(), bundle.strategies, bundle.reload),
        };
        SignalStage { native, strategies, reload, inputs: layout.strategy, step_time: Timestamp::MIN, swaps: 0 }
    }

    /// The features a run's strategies read (they all read the same).
    pub fn requested_features(source: &StrategySource) -> Vec<FeatureSpec> {
        source.first().map(|s| s.features().to_vec()).unwrap_or_default()
    }

    pub fn strategy_name(&self) -> &str {
        match self.native.first() {
            Some(s) => s.name(),
            None => self.strategies.first().map_or("none", |s| s.name()),
        }
    }

    /// How many times a reload replaced the strategies.
    pub fn swaps(&self) -> u64 {
        self.swaps
    }

    #[inline(always)]
    pub fn process(&mut self, ev: &mut BarEvent) {
        if ev.kind != EventKind::Bar {
            return;
        }
        // Without a reload source (native strategies) there is nothing to poll.
        if let Some(reload) = self.reload.as_mut()
            && ev.time > self.step_time
        {
            self.step_time = ev.time;
            let fresh = reload.poll();
            if fresh.is_some() {
                self.swap(fresh);
            }
        }
        let ctx = StrategyContext {
            symbol: ev.symbol,
            time: ev.time,
            bar: &ev.bar,
            features: &ev.features[..self.inputs],
            agents: &ev.agents,
        };
        let i = ev.symbol.index();
        if let Some(native) = self.native.get_mut(i) {
            // `ev.plugin` stays `None`, as every event starts.
            ev.signal = native.on_bar(&ctx);
            return;
        }
        let strategy = &mut self.strategies[i];
        ev.signal = strategy.on_bar(&ctx);
        // Only a decision records its plugin: nothing is written for a hold
        // (not even `None`: LLVM copies the whole stamp for that).
        if ev.signal.target.is_some() {
            ev.plugin = strategy.plugin();
        }
    }

    #[cold]
    fn swap(&mut self, fresh: Option<Vec<Box<dyn Strategy>>>) {
        let Some(fresh) = fresh else { return };
        if fresh.len() != self.strategies.len() {
            // The reload source promised one instance per symbol; a bundle
            // of another size is dropped rather than trusted.
            if let Some(r) = self.reload.as_mut() {
                r.retire(fresh);
            }
            return;
        }
        let old = std::mem::replace(&mut self.strategies, fresh);
        self.swaps += 1;
        if let Some(r) = self.reload.as_mut() {
            r.retire(old);
        }
    }
}
