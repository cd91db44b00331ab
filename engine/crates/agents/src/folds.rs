//! Walk-forward folds with a purge and an embargo.
//!
//! Samples live on one time axis (bar index `t`; a sample's label looks at
//! bars `t..=t + horizon`). Each fold trains on a block, stops early on the
//! validation block that follows it, and is tested on the block after that;
//! the test blocks tile the end of the history, fold after fold.
//!
//! Between two consecutive blocks `purge + embargo` samples are dropped:
//! - the **purge** (at least the label horizon) removes the samples whose
//!   labels would reach into the next block, so no label used to fit or stop
//!   a model was computed from a price of its validation or test period;
//! - the **embargo** adds a further gap, so that serially correlated inputs
//!   just before a block do not stand in for the block itself.
//!
//! A fold's model may only be used from the first bar after the last price
//! its training and validation labels saw (see [`Fold::trained_through`]).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::AgentError;

/// Expanding (train from the start) or rolling (a fixed-length train block).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoldScheme {
    Expanding,
    Rolling,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkForwardConfig {
    /// Number of folds (test blocks).
    pub folds: usize,
    #[serde(default = "default_scheme")]
    pub scheme: FoldScheme,
    /// Samples per test block.
    pub test: usize,
    /// Samples per validation block (early stopping).
    pub validation: usize,
    /// Train block length for `rolling`; the minimum train length for
    /// `expanding` (the first fold must have at least this many).
    pub train: usize,
    /// Samples dropped at the end of each block; at least the label horizon.
    pub purge: usize,
    /// Further samples dropped after the purge.
    #[serde(default)]
    pub embargo: usize,
}

fn default_scheme() -> FoldScheme {
    FoldScheme::Expanding
}

/// One fold's sample ranges on the time axis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fold {
    pub index: usize,
    pub train: Range<usize>,
    pub validation: Range<usize>,
    pub test: Range<usize>,
}

impl Fold {
    /// The last bar whose price any training or validation label used:
    /// `validation.end - 1 + horizon`.
    pub fn trained_through(&self, horizon: usize) -> usize {
        self.validation.end - 1 + horizon
    }
}

impl WalkForwardConfig {
    pub fn validate(&self, horizon: usize) -> Result<(), AgentError> {
        if self.folds == 0 {
            return Err(AgentError::config("walk_forward.folds", 0, "must be at least 1"));
        }
        if self.test == 0 {
            return Err(AgentError::config("walk_forward.test", 0, "must be at least 1"));
        }
        if self.validation == 0 {
            return Err(AgentError::config(
                "walk_forward.validation",
                0,
                "must be at least 1 (early stopping needs it)",
            ));
        }
        if self.train == 0 {
            return Err(AgentError::config("walk_forward.train", 0, "must be at least 1"));
        }
        if self.purge < horizon {
            return Err(AgentError::config(
                "walk_forward.purge",
                self.purge,
                "must be at least the label horizon, or training labels would see validation and test prices",
            ));
        }
        Ok(())
    }

    /// Folds over `n` samples (time steps `0..n`).
    pub fn plan(&self, n: usize, horizon: usize) -> Result<Vec<Fold>, AgentError> {
        self.validate(horizon)?;
        let gap = self.purge + self.embargo;
        let tests = self.folds * self.test;
        // Before the first test block: validation, two gaps, and the train block.
        let needed = tests + self.validation + 2 * gap + self.train;
        if needed > n {
            return Err(AgentError::Folds(format!(
                "{} folds of {} test samples with validation {}, train {}, purge {} and embargo {} need {needed} samples; \
                 the data has {n}",
                self.folds, self.test, self.validation, self.train, self.purge, self.embargo
            )));
        }
        let first_test = n - tests;
        let folds = (0..self.folds)
            .map(|k| {
                let test_start = first_test + k * self.test;
                let val_end = test_start - gap;
                let val_start = val_end - self.validation;
                let train_end = val_start - gap;
                let train_start = match self.scheme {
                    FoldScheme::Expanding => 0,
                    FoldScheme::Rolling => train_end - self.train,
                };
                Fold {
                    index: k,
                    train: train_start..train_end,
                    validation: val_start..val_end,
                    test: test_start..test_start + self.test,
                }
            })
            .collect();
        Ok(folds)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn cfg(scheme: FoldScheme) -> WalkForwardConfig {
        WalkForwardConfig { folds: 3, scheme, test: 100, validation: 50, train: 200, purge: 2, embargo: 3 }
    }

    #[test]
    fn test_blocks_tile_the_end_of_the_history() {
        let folds = cfg(FoldScheme::Expanding).plan(1000, 1).unwrap();
        assert_eq!(folds.iter().map(|f| f.test.clone()).collect::<Vec<_>>(), vec![700..800, 800..900, 900..1000]);
        assert_eq!(folds[0].validation, 645..695);
        assert_eq!(folds[0].train, 0..640);
        assert_eq!(folds[2].train, 0..840);
    }

    #[test]
    fn rolling_folds_keep_a_fixed_train_length() {
        for f in cfg(FoldScheme::Rolling).plan(1000, 1).unwrap() {
            assert_eq!(f.train.len(), 200);
        }
    }

    #[test]
    fn a_purge_shorter_than_the_horizon_is_refused() {
        let err = cfg(FoldScheme::Expanding).plan(1000, 5).unwrap_err();
        assert!(err.to_string().contains("walk_forward.purge = 2"), "{err}");
    }

    #[test]
    fn too_little_data_says_how_much_is_needed() {
        assert!(cfg(FoldScheme::Expanding).plan(560, 1).is_ok());
        let err = cfg(FoldScheme::Expanding).plan(559, 1).unwrap_err();
        assert!(err.to_string().contains("need 560 samples; the data has 559"), "{err}");
    }

    proptest! {
        /// No label used for fitting or early stopping reaches a price of the
        /// fold's own validation or test block, and the model is available
        /// before its test block starts.
        #[test]
        fn no_label_crosses_into_a_later_block(
            folds in 1usize..5, test in 1usize..50, validation in 1usize..50, train in 1usize..100,
            horizon in 1usize..5, extra_purge in 0usize..3, embargo in 0usize..5, slack in 0usize..100,
            rolling in any::<bool>(),
        ) {
            let c = WalkForwardConfig {
                folds, test, validation, train, purge: horizon + extra_purge, embargo,
                scheme: if rolling { FoldScheme::Rolling } else { FoldScheme::Expanding },
            };
            let n = folds * test + validation + 2 * (c.purge + embargo) + train + slack;
            for f in c.plan(n, horizon).unwrap() {
                prop_assert!(f.train.end - 1 + horizon < f.validation.start);
                prop_assert!(f.trained_through(horizon) < f.test.start);
                prop_assert!(f.train.len() >= train);
                prop_assert!(f.test.end <= n);
            }
        }
    }
}
