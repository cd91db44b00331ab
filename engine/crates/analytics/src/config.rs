//! [`MetricsConfig`]: the few numbers the metrics depend on that are not in
//! the data — the risk-free rate, the annualisation factor and the Sharpe
//! ratio the probabilistic Sharpe ratio tests against.

use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::error::check_open;

/// Settings of a [`MetricsAccumulator`](crate::MetricsAccumulator).
///
/// A partial table keeps the defaults of the fields it leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Annual risk-free rate as a fraction (`0.04` = 4 %), compounded to a
    /// per-step rate for Sharpe and Sortino. Default 0.
    pub risk_free_rate: f64,
    /// Bars per year, from [`periods_per_year`](crate::periods_per_year).
    /// Default 365 (daily bars on a 24/7 venue).
    pub periods_per_year: f64,
    /// Annualised Sharpe ratio the probabilistic Sharpe ratio measures the
    /// observed one against. Default 0 ("is the true Sharpe positive?").
    pub psr_benchmark_sharpe: f64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { risk_free_rate: 0.0, periods_per_year: 365.0, psr_benchmark_sharpe: 0.0 }
    }
}

impl MetricsConfig {
    /// Checks `risk_free_rate` in (-1, inf), `periods_per_year` in (0, inf)
    /// and `psr_benchmark_sharpe` finite.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_open("metrics.risk_free_rate", self.risk_free_rate, -1.0, f64::INFINITY, "(-1, inf)")?;
        check_open("metrics.periods_per_year", self.periods_per_year, 0.0, f64::INFINITY, "(0, inf)")?;
        check_open(
            "metrics.psr_benchmark_sharpe",
            self.psr_benchmark_sharpe,
            f64::NEG_INFINITY,
            f64::INFINITY,
            "(-inf, inf)",
        )
    }

    /// The risk-free rate per step: `(1 + rf)^(1 / periods_per_year) - 1`,
    /// evaluated as `expm1(ln1p(rf) / ppy)` so a small rate keeps its digits.
    pub fn risk_free_per_step(&self) -> f64 {
        (self.risk_free_rate.ln_1p() / self.periods_per_year).exp_m1()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    #[test]
    fn a_partial_table_keeps_the_other_defaults() {
        let c: MetricsConfig = serde_json::from_str(r#"{"risk_free_rate":0.04}"#).unwrap();
        assert_eq!(c, MetricsConfig { risk_free_rate: 0.04, ..MetricsConfig::default() });
        assert_eq!(MetricsConfig::default().periods_per_year, 365.0);
        assert!(serde_json::from_str::<MetricsConfig>(r#"{"riskfree":0.04}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn validation_names_the_field_and_the_value() {
        assert!(MetricsConfig::default().validate().is_ok());
        let bad = MetricsConfig { periods_per_year: 0.0, ..MetricsConfig::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "metrics.periods_per_year: 0 is not in (0, inf)");
        let bad = MetricsConfig { risk_free_rate: -1.5, ..MetricsConfig::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "metrics.risk_free_rate: -1.5 is not in (-1, inf)");
        let bad = MetricsConfig { psr_benchmark_sharpe: f64::NAN, ..MetricsConfig::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "metrics.psr_benchmark_sharpe: NaN is not in (-inf, inf)");
    }

    #[test]
    fn the_per_step_risk_free_rate_compounds_to_the_annual_rate() {
        let c = MetricsConfig { risk_free_rate: 0.05, periods_per_year: 252.0, ..MetricsConfig::default() };
        let step = c.risk_free_per_step();
        assert!(((1.0 + step).powf(252.0) - 1.05).abs() < 1e-13);
        assert_eq!(MetricsConfig::default().risk_free_per_step(), 0.0);
    }
}
