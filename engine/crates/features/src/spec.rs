//! [`FeatureSpec`] names a feature; [`FeatureSet`] computes a list of them
//! for one instrument, bar by bar, into a fixed-size array that travels
//! through the pipeline without allocating.

use serde::{Deserialize, Serialize};
use tradebot_core::Candle;

use crate::{Atr, ReturnStd, RollingMax, RollingMin, Sma};

/// The most features one instrument's vector can hold.
pub const MAX_FEATURES: usize = 16;

/// A feature a strategy or the risk engine asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeatureSpec {
    /// The bar's close.
    Close,
    /// Simple moving average of the close.
    Sma { period: usize },
    /// Wilder's average true range.
    Atr { period: usize },
    /// Lowest low of the last `lookback` bars (swing support).
    SwingLow { lookback: usize },
    /// Highest high of the last `lookback` bars (swing resistance).
    SwingHigh { lookback: usize },
    /// Sample standard deviation of one-bar returns over `window` bars.
    ReturnStd { window: usize },
}

#[derive(Clone, Debug)]
enum State {
    Close,
    Sma(Sma),
    Atr(Atr),
    SwingLow(RollingMin),
    SwingHigh(RollingMax),
    ReturnStd(ReturnStd),
}

/// Computes a fixed list of features for one instrument.
#[derive(Clone, Debug)]
pub struct FeatureSet {
    states: Vec<State>,
    values: [f64; MAX_FEATURES],
}

impl FeatureSet {
    /// Builds the computation for `specs`; `None` if there are more than
    /// [`MAX_FEATURES`].
    pub fn new(specs: &[FeatureSpec]) -> Option<Self> {
        if specs.len() > MAX_FEATURES {
            return None;
        }
        let states = specs
            .iter()
            .map(|s| match *s {
                FeatureSpec::Close => State::Close,
                FeatureSpec::Sma { period } => State::Sma(Sma::new(period)),
                FeatureSpec::Atr { period } => State::Atr(Atr::new(period)),
                FeatureSpec::SwingLow { lookback } => State::SwingLow(RollingMin::new(lookback)),
                FeatureSpec::SwingHigh { lookback } => State::SwingHigh(RollingMax::new(lookback)),
                FeatureSpec::ReturnStd { window } => State::ReturnStd(ReturnStd::new(window)),
            })
            .collect();
        Some(FeatureSet { states, values: [f64::NAN; MAX_FEATURES] })
    }

    /// Folds in one bar and returns the features as of its close.
    #[inline]
    pub fn update(&mut self, bar: &Candle) -> &[f64] {
        let mut values = self.values;
        self.update_into(bar, &mut values);
        self.values = values;
        self.values()
    }

    /// Folds in one bar and writes the features as of its close into the
    /// first [`len`](Self::len) slots of `out` (the pipeline's event), with
    /// no intermediate copy.
    #[inline]
    pub fn update_into(&mut self, bar: &Candle, out: &mut [f64; MAX_FEATURES]) {
        for (state, out) in self.states.iter_mut().zip(out.iter_mut()) {
            *out = match state {
                State::Close => bar.close,
                State::Sma(s) => s.update(bar.close),
                State::Atr(a) => a.update(bar),
                State::SwingLow(m) => m.update(bar.low),
                State::SwingHigh(m) => m.update(bar.high),
                State::ReturnStd(s) => s.update(bar.close),
            };
        }
    }

    #[inline]
    pub fn values(&self) -> &[f64] {
        &self.values[..self.states.len()]
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}
