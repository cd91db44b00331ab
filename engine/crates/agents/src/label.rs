//! What the direction agents are asked to predict, defined once.
//!
//! The label of bar `t` is the class of the log return from `t`'s close to
//! `t + horizon`'s close. A move smaller than `neutral_fraction` of the
//! recent volatility (scaled to the horizon) is *neutral*: the seed asks for
//! three classes, and a fixed-size band would be meaningless across quiet and
//! wild markets. The volatility is the sample standard deviation of the last
//! `vol_window` one-bar log returns ending at `t`, so the threshold itself
//! uses nothing after `t`.

use serde::{Deserialize, Serialize};

use crate::AgentError;

/// Class indices of a direction forecast, in the order of the probabilities.
pub const DOWN: u8 = 0;
pub const NEUTRAL: u8 = 1;
pub const UP: u8 = 2;
/// Class names in index order (the model card's `output.classes`).
pub const CLASS_NAMES: [&str; 3] = ["down", "neutral", "up"];

/// How labels are made; it travels in every model card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSpec {
    /// Bars ahead the label looks (1 = the next candle).
    #[serde(default = "default_horizon")]
    pub horizon: usize,
    /// A move with `|r| < neutral_fraction * sigma * sqrt(horizon)` is neutral.
    #[serde(default = "default_neutral_fraction")]
    pub neutral_fraction: f64,
    /// Bars of one-bar log returns in `sigma`.
    #[serde(default = "default_vol_window")]
    pub vol_window: usize,
}

fn default_horizon() -> usize {
    1
}
fn default_neutral_fraction() -> f64 {
    0.25
}
fn default_vol_window() -> usize {
    20
}

impl Default for LabelSpec {
    fn default() -> Self {
        LabelSpec {
            horizon: default_horizon(),
            neutral_fraction: default_neutral_fraction(),
            vol_window: default_vol_window(),
        }
    }
}

impl LabelSpec {
    pub fn validate(&self) -> Result<(), AgentError> {
        if self.horizon == 0 {
            return Err(AgentError::config("label.horizon", 0, "must be at least 1"));
        }
        if !(self.neutral_fraction.is_finite() && self.neutral_fraction >= 0.0) {
            return Err(AgentError::config("label.neutral_fraction", self.neutral_fraction, "must be finite and >= 0"));
        }
        if self.vol_window < 2 {
            return Err(AgentError::config("label.vol_window", self.vol_window, "must be at least 2"));
        }
        Ok(())
    }

    /// Labels for every bar of one series of closes: `None` where the label
    /// is undefined (the last `horizon` bars, the first `vol_window` bars,
    /// or a non-positive / non-finite price in the span).
    pub fn direction_labels(&self, closes: &[f64]) -> Vec<Option<u8>> {
        let n = closes.len();
        let log_ret = |i: usize| -> Option<f64> {
            let (a, b) = (closes[i - 1], closes[i]);
            (a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()).then(|| (b / a).ln())
        };
        let scale = (self.horizon as f64).sqrt();
        let mut out = vec![None; n];
        for (t, slot) in out.iter_mut().enumerate() {
            if t < self.vol_window || t + self.horizon >= n {
                continue;
            }
            let Some(sigma) = sample_std((t + 1 - self.vol_window..=t).map(log_ret)) else {
                continue;
            };
            let (now, later) = (closes[t], closes[t + self.horizon]);
            if !(now > 0.0 && later > 0.0 && now.is_finite() && later.is_finite()) {
                continue;
            }
            let r = (later / now).ln();
            let band = self.neutral_fraction * sigma * scale;
            *slot = Some(if r.abs() < band {
                NEUTRAL
            } else if r > 0.0 {
                UP
            } else {
                DOWN
            });
        }
        out
    }
}

/// Sample standard deviation of values that must all be present.
fn sample_std(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut n = 0usize;
    let mut sum = 0.0;
    let mut sq = 0.0;
    for v in values {
        let v = v?;
        n += 1;
        sum += v;
        sq += v * v;
    }
    if n < 2 {
        return None;
    }
    let mean = sum / n as f64;
    Some(((sq - n as f64 * mean * mean) / (n as f64 - 1.0)).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_inside_the_volatility_band_are_neutral() {
        // Alternating ±1 % moves give sigma ≈ 1 %; then a 0.1 % move is
        // neutral at fraction 0.25, a 2 % move is up, a -2 % move is down.
        let mut closes = vec![100.0];
        for i in 0..30 {
            let last = closes[closes.len() - 1];
            closes.push(if i % 2 == 0 { last * 1.01 } else { last / 1.01 });
        }
        let base = closes[closes.len() - 1];
        closes.extend([base * 1.001, base * 1.001 * 1.02, base * 1.001 * 1.02 * 0.98]);
        let spec = LabelSpec { horizon: 1, neutral_fraction: 0.25, vol_window: 20 };
        let labels = spec.direction_labels(&closes);
        let n = closes.len();
        assert_eq!(labels[n - 4], Some(NEUTRAL));
        assert_eq!(labels[n - 3], Some(UP));
        assert_eq!(labels[n - 2], Some(DOWN));
        assert_eq!(labels[n - 1], None, "the last bar has no future");
        assert!(labels[..20].iter().all(Option::is_none), "no volatility estimate yet");
    }

    #[test]
    fn a_label_depends_only_on_prices_up_to_its_horizon() {
        let closes: Vec<f64> = (0..200).map(|i| 100.0 + (i as f64 * 0.7).sin() * 3.0 + i as f64 * 0.01).collect();
        let spec = LabelSpec { horizon: 3, ..LabelSpec::default() };
        let full = spec.direction_labels(&closes);
        for cut in [50, 120, 199] {
            let part = spec.direction_labels(&closes[..cut]);
            for t in 0..cut.saturating_sub(3) {
                assert_eq!(part[t], full[t], "label {t} changed when bars from {cut} on were removed");
            }
        }
    }
}
