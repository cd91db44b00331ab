//! [`KernelConfig`]: everything about a run except where its data comes from
//! and where its outputs go (the binary's `[data]` and `[output]` tables).
//!
//! Typed and frozen: every table rejects unknown keys, every field has a
//! default, and [`KernelConfig::validate`] names the offending key and value.

use serde::{Deserialize, Serialize};
use tradebot_analytics::Calendar;
use tradebot_core::Timestamp;
use tradebot_exec::SimBrokerConfig;
use tradebot_risk::{RiskConfig, SizingConfig};
use tradebot_strategy::StrategyConfig;

use crate::KernelError;

/// How the stages are laid out on threads.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineMode {
    /// Every stage on the calling thread, one event at a time: the fastest
    /// way to replay, and the reference the pipelined mode must reproduce.
    #[default]
    Fused,
    /// Stages grouped into lanes on pinned threads joined by rings.
    Pipelined,
}

/// `[pipeline]`.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    pub mode: PipelineMode,
    /// Threads (lanes) in pipelined mode; 0 = as many as there are cores,
    /// at most one per stage group.
    pub threads: usize,
    /// Slots in each ring between lanes.
    pub ring_capacity: usize,
    /// Pin each lane to its own core with `core_affinity`.
    pub pin_threads: bool,
    /// Time one event in this many per stage (0 = no timing).
    pub latency_sample_every: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            mode: PipelineMode::Fused,
            threads: 0,
            ring_capacity: 4096,
            pin_threads: true,
            latency_sample_every: 16,
        }
    }
}

/// `[metrics]`: annualisation and the risk-free rate.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Annual risk-free rate (fraction).
    pub risk_free_rate: f64,
    /// Market calendar for periods per year: `{ kind = "crypto" }` (24/7) or
    /// `{ kind = "equities", trading_days = 252, session_hours = 6.5 }`.
    pub calendar: Calendar,
    /// Override of the periods per year derived from interval and calendar.
    pub periods_per_year: Option<f64>,
    /// Annualised Sharpe ratio the probabilistic Sharpe ratio tests against.
    pub psr_benchmark_sharpe: f64,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            risk_free_rate: 0.0,
            calendar: Calendar::Crypto,
            periods_per_year: None,
            psr_benchmark_sharpe: 0.0,
        }
    }
}

/// Everything that decides what a run does with its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KernelConfig {
    /// Starting cash in quote currency.
    pub initial_equity: f64,
    pub strategy: StrategyConfig,
    pub sizing: SizingConfig,
    pub risk: RiskConfig,
    pub broker: SimBrokerConfig,
    pub metrics: MetricsSettings,
    pub pipeline: PipelineConfig,
    /// Throw the kill switch at this instant (replay drills of the flatten
    /// path; live, the operator throws it).
    pub kill_switch_at: Option<Timestamp>,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            initial_equity: 10_000.0,
            strategy: StrategyConfig::default(),
            sizing: SizingConfig::default(),
            risk: RiskConfig::default(),
            broker: SimBrokerConfig::default(),
            metrics: MetricsSettings::default(),
            pipeline: PipelineConfig::default(),
            kill_switch_at: None,
        }
    }
}

fn invalid(key: &'static str, value: impl ToString, expected: &'static str) -> KernelError {
    KernelError::Config { key, value: value.to_string(), expected }
}

impl KernelConfig {
    pub fn validate(&self) -> Result<(), KernelError> {
        if !(self.initial_equity.is_finite() && self.initial_equity > 0.0) {
            return Err(invalid("initial_equity", self.initial_equity, "a positive number"));
        }
        if self.pipeline.ring_capacity < 2 {
            return Err(invalid("pipeline.ring_capacity", self.pipeline.ring_capacity, "at least 2"));
        }
        if let Some(p) = self.metrics.periods_per_year.filter(|p| !(p.is_finite() && *p > 0.0)) {
            return Err(invalid("metrics.periods_per_year", p, "a positive number"));
        }
        self.strategy.validate().map_err(|e| KernelError::Invalid(e.to_string()))?;
        self.sizing.validate().map_err(|e| KernelError::Invalid(e.to_string()))?;
        self.risk.validate().map_err(|e| KernelError::Invalid(e.to_string()))?;
        self.broker.validate().map_err(|e| KernelError::Invalid(e.to_string()))?;
        self.metrics.calendar.validate().map_err(|e| KernelError::Invalid(e.to_string()))?;
        Ok(())
    }
}
