//! [`SentimentConfig`] (`[sentiment]`): how fast news goes stale and how much
//! news it takes to be confident, with validation.

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// The sentiment agent's settings (`[sentiment]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentimentConfig {
    /// Age at which a headline's weight has halved, in hours. Default 6:
    /// crypto news is mostly priced within hours, and a day-old headline
    /// keeps 1/16 of its weight.
    pub half_life_hours: f64,
    /// Decayed number of headlines at which the confidence reaches 0.5
    /// (`confidence = evidence / (evidence + half_confidence_headlines)`).
    /// Default 3: one headline alone is weak evidence, a cluster is not.
    pub half_confidence_headlines: f64,
}

impl Default for SentimentConfig {
    fn default() -> Self {
        SentimentConfig { half_life_hours: 6.0, half_confidence_headlines: 3.0 }
    }
}

/// One year: past that a "decay" no longer forgets anything within a backtest.
const MAX_HALF_LIFE_HOURS: f64 = 24.0 * 366.0;
const MAX_HALF_CONFIDENCE: f64 = 1e6;

impl SentimentConfig {
    /// Checks every value; the error names the TOML key and the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // The minimum keeps the half-life at least one nanosecond after
        // conversion, so the decay rate is finite.
        if !(self.half_life_hours >= 1e-9 && self.half_life_hours <= MAX_HALF_LIFE_HOURS) {
            return Err(ConfigError::OutOfRange {
                field: "sentiment.half_life_hours",
                value: self.half_life_hours,
                allowed: "[1e-9, 8784] (hours, up to one year)",
            });
        }
        if !(self.half_confidence_headlines > 0.0 && self.half_confidence_headlines <= MAX_HALF_CONFIDENCE) {
            return Err(ConfigError::OutOfRange {
                field: "sentiment.half_confidence_headlines",
                value: self.half_confidence_headlines,
                allowed: "(0, 1000000]",
            });
        }
        Ok(())
    }

    /// The half-life in nanoseconds.
    pub fn half_life_nanos(&self) -> f64 {
        self.half_life_hours * 3600.0 * 1e9
    }
}
