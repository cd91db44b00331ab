//! A strategy component in the engine's strategy slot.

use tradebot_core::{PluginFault, PluginStamp};
use tradebot_features::{FeatureSpec, resolve_column};
use tradebot_strategy::{Direction, Signal, Strategy, StrategyContext};

use crate::bindings::{self, Candle, strategy};
use crate::error::PluginError;
use crate::host::{LoadedComponent, LogLine, PluginHost, World};
use crate::instance::{InitArgs, Instance};

/// Most feature columns a strategy plugin may ask for.
pub const MAX_STRATEGY_FEATURES: usize = 12;

/// One instance of a strategy component, serving one instrument.
pub struct WasmStrategy {
    inst: Instance<strategy::Strategy>,
    name: String,
    /// The requested columns, as the distinct features computing them.
    specs: Vec<FeatureSpec>,
    /// For each requested column, its offset in the strategy's feature values.
    picks: Vec<usize>,
    /// Scratch for the values passed to the guest (no allocation per bar).
    values: Vec<f64>,
    columns: Vec<String>,
}

impl std::fmt::Debug for WasmStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmStrategy").field("name", &self.name).field("columns", &self.columns).finish()
    }
}

impl WasmStrategy {
    /// Instantiates `loaded`, calls `init(config)` and resolves the features
    /// it asks for.
    pub fn new(host: &PluginHost, loaded: &LoadedComponent, config: &str) -> Result<Self, PluginError> {
        loaded.expect_world(World::Strategy)?;
        let mut inst = Instance::<strategy::Strategy>::new(host, loaded, InitArgs::config(config))?;
        let bad = |message: String| PluginError::SelfTest { path: loaded.path.clone(), message };
        let columns = inst.call(|b, s| b.call_features(s)).map_err(|f| bad(format!("features: {f}")))?;
        if columns.len() > MAX_STRATEGY_FEATURES {
            return Err(bad(format!("features: asks for {} columns; at most {MAX_STRATEGY_FEATURES}", columns.len())));
        }
        let mut specs: Vec<FeatureSpec> = Vec::new();
        let mut picks = Vec::with_capacity(columns.len());
        for column in &columns {
            let (spec, output) = resolve_column(column).map_err(|e| bad(format!("features: {e}")))?;
            let k = specs.iter().position(|s| *s == spec).unwrap_or_else(|| {
                specs.push(spec);
                specs.len() - 1
            });
            let offset: usize = specs[..k].iter().map(FeatureSpec::outputs).sum();
            picks.push(offset + output);
        }
        let name = inst.stamp.to_string();
        Ok(WasmStrategy { values: vec![f64::NAN; picks.len()], inst, name, specs, picks, columns })
    }

    pub fn stamp(&self) -> PluginStamp {
        self.inst.stamp
    }

    /// The column names the plugin asked for.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn faults(&self) -> [u64; PluginFault::ALL.len()] {
        self.inst.faults
    }

    pub fn drain_logs(&mut self) -> Vec<LogLine> {
        self.inst.drain_logs()
    }

    /// One call with a candle and the values of [`columns`](Self::columns).
    pub fn call(&mut self, candle: Candle, values: &[f64]) -> Signal {
        Self::signal(&mut self.inst, candle, values)
    }

    fn signal(inst: &mut Instance<strategy::Strategy>, candle: Candle, values: &[f64]) -> Signal {
        let fallback = |fault| Signal { target: None, confidence: 0.0, fault: Some(fault) };
        match inst.call(|b, s| b.call_on_bar(s, candle, values)) {
            Ok(out) if out.confidence.is_finite() && (0.0..=1.0).contains(&out.confidence) => Signal {
                target: out.target.map(|d| match d {
                    bindings::Direction::Long => Direction::Long,
                    bindings::Direction::Short => Direction::Short,
                    bindings::Direction::Flat => Direction::Flat,
                }),
                confidence: out.confidence,
                fault: None,
            },
            Ok(_) => fallback(inst.invalid_output()),
            Err(fault) => fallback(fault),
        }
    }
}

impl Strategy for WasmStrategy {
    fn name(&self) -> &str {
        &self.name
    }

    fn features(&self) -> &[FeatureSpec] {
        &self.specs
    }

    fn on_bar(&mut self, ctx: &StrategyContext<'_>) -> Signal {
        for (v, &k) in self.values.iter_mut().zip(&self.picks) {
            *v = ctx.features.get(k).copied().unwrap_or(f64::NAN);
        }
        let candle = Candle {
            open_time_ns: ctx.bar.open_time.as_nanos(),
            close_time_ns: ctx.time.as_nanos(),
            open: ctx.bar.open,
            high: ctx.bar.high,
            low: ctx.bar.low,
            close: ctx.bar.close,
            volume: ctx.bar.volume,
        };
        Self::signal(&mut self.inst, candle, &self.values)
    }

    fn plugin(&self) -> Option<PluginStamp> {
        Some(self.inst.stamp)
    }
}

/// Runs a fresh instance over 200 synthetic bars (warm-up NaNs, then a sine
/// wave) and fails on any fault or invalid answer. The instance is thrown
/// away, so the self-test leaves no state in the instances that trade.
pub fn self_test_strategy(host: &PluginHost, loaded: &LoadedComponent, config: &str) -> Result<usize, PluginError> {
    let mut s = WasmStrategy::new(host, loaded, config)?;
    let n = s.picks.len();
    let mut values = vec![f64::NAN; n];
    for i in 0..200i64 {
        let price = 100.0 + 10.0 * (i as f64 / 9.0).sin();
        if i >= 30 {
            for (k, v) in values.iter_mut().enumerate() {
                *v = price + k as f64 * (i as f64 / 13.0).cos();
            }
        }
        let t = i * 60_000_000_000;
        let candle = Candle {
            open_time_ns: t,
            close_time_ns: t + 60_000_000_000,
            open: price,
            high: price + 1.0,
            low: price - 1.0,
            close: price + 0.5,
            volume: 1000.0,
        };
        if let Some(fault) = s.call(candle, &values).fault {
            return Err(PluginError::SelfTest { path: loaded.path.clone(), message: format!("on-bar #{i}: {fault}") });
        }
    }
    Ok(200)
}
