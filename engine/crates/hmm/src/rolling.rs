//! [`RollingHmm`]: the regime agent's model, refitted on a trailing window
//! and filtered forward bar by bar.
//!
//! A replay must never use a model fitted on data after the bar it decides,
//! and live there is nothing after it. So the HMM is fitted by Baum–Welch on
//! the last `fit_window` returns only, every `refit_every` bars, and between
//! refits the online forward filter carries the state probabilities. The
//! output at bar `t` is a pure function of the closes up to `t` (tested by
//! appending bars), identical in replay and live.
//!
//! A refit allocates and costs milliseconds (a cold path, once per
//! `refit_every` bars); the per-bar filter step allocates nothing.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::{Filter, FitOptions, HmmError, fit, min_observations};

/// `[agents.regime]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RollingHmmConfig {
    /// Hidden states (2: calm and turbulent, or down and up drift).
    pub states: usize,
    /// Returns each fit sees (the trailing window).
    pub fit_window: usize,
    /// Bars between refits.
    pub refit_every: usize,
    /// Random starts of each fit (the best log-likelihood wins).
    pub starts: usize,
    /// EM iterations per start at most.
    pub max_iter: usize,
    /// Seed of the starts: the same data and seed give the same fits.
    pub seed: u64,
}

impl Default for RollingHmmConfig {
    /// Two states, a week of 5-minute bars per fit, a refit a day.
    fn default() -> Self {
        RollingHmmConfig { states: 2, fit_window: 2016, refit_every: 288, starts: 4, max_iter: 200, seed: 0 }
    }
}

impl RollingHmmConfig {
    pub fn validate(&self) -> Result<(), HmmError> {
        if self.states == 0 {
            return Err(HmmError::NoStates);
        }
        if self.fit_window < min_observations(self.states).max(10 * self.states) {
            return Err(HmmError::InvalidOptions("fit_window must be at least 10 returns per state"));
        }
        if self.refit_every == 0 {
            return Err(HmmError::InvalidOptions("refit_every must be at least 1"));
        }
        if self.starts == 0 || self.max_iter == 0 {
            return Err(HmmError::InvalidOptions("starts and max_iter must be at least 1"));
        }
        Ok(())
    }

    fn options(&self) -> FitOptions {
        FitOptions { starts: self.starts, max_iter: self.max_iter, seed: self.seed, ..FitOptions::default() }
    }
}

/// The current regime view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeView {
    /// Most probable state; states are sorted by variance (0 = calmest), so
    /// a label means the same thing after a refit.
    pub state: usize,
    pub states: usize,
    /// Its filtered probability.
    pub probability: f64,
}

/// A Gaussian HMM on percent log returns, refitted on a trailing window.
#[derive(Debug, Clone)]
pub struct RollingHmm {
    config: RollingHmmConfig,
    window: VecDeque<f64>,
    /// The window as one slice, for the fit.
    contiguous: Vec<f64>,
    filter: Option<Filter>,
    since_fit: usize,
    last_close: Option<f64>,
    fits: u64,
    failed_fits: u64,
}

impl RollingHmm {
    pub fn new(config: RollingHmmConfig) -> Result<Self, HmmError> {
        config.validate()?;
        Ok(RollingHmm {
            config,
            window: VecDeque::with_capacity(config.fit_window),
            contiguous: Vec::with_capacity(config.fit_window),
            filter: None,
            since_fit: 0,
            last_close: None,
            fits: 0,
            failed_fits: 0,
        })
    }

    /// Folds in a bar's close; returns the regime as of that close once the
    /// first fit has been made. Non-positive or non-finite closes are
    /// skipped (the next valid close starts a new return).
    pub fn push_close(&mut self, close: f64) -> Option<RegimeView> {
        if !(close.is_finite() && close > 0.0) {
            self.last_close = None;
            return self.view();
        }
        let prev = self.last_close.replace(close);
        let Some(prev) = prev else { return self.view() };
        let r = 100.0 * (close / prev).ln();
        if self.window.len() == self.config.fit_window {
            self.window.pop_front();
        }
        self.window.push_back(r);
        self.since_fit += 1;
        let due = self.filter.is_none() || self.since_fit >= self.config.refit_every;
        if due && self.window.len() == self.config.fit_window {
            self.refit();
        } else if let Some(f) = self.filter.as_mut() {
            f.update(r);
        }
        self.view()
    }

    #[cold]
    fn refit(&mut self) {
        self.since_fit = 0;
        self.contiguous.clear();
        self.contiguous.extend(self.window.iter().copied());
        let fitted = fit(&self.contiguous, self.config.states, self.config.options()).and_then(|mut f| {
            f.model.sort_by_variance();
            Filter::new(&f.model)
        });
        match fitted {
            Ok(mut filter) => {
                // The new model's view of now: filter the window it was fitted on.
                for &x in &self.contiguous {
                    filter.update(x);
                }
                self.filter = Some(filter);
                self.fits += 1;
            }
            Err(_) => {
                // Keep the previous model (if any) and carry on filtering.
                self.failed_fits += 1;
                if let (Some(f), Some(&x)) = (self.filter.as_mut(), self.window.back()) {
                    f.update(x);
                }
            }
        }
    }

    /// The regime as of the last close, once a model exists.
    pub fn view(&self) -> Option<RegimeView> {
        let f = self.filter.as_ref()?;
        let p = f.probabilities();
        let (state, probability) = p
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, v)| if v > best.1 { (i, v) } else { best });
        Some(RegimeView { state, states: p.len(), probability })
    }

    /// Successful and failed fits so far.
    pub fn fits(&self) -> (u64, u64) {
        (self.fits, self.failed_fits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closes whose returns switch between a calm and a turbulent regime.
    fn closes(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let mut c = 100.0;
        (0..n)
            .map(|i| {
                let vol = if (i / 300) % 2 == 0 { 0.001 } else { 0.01 };
                c *= 1.0 + vol * next();
                c
            })
            .collect()
    }

    fn small() -> RollingHmmConfig {
        RollingHmmConfig { states: 2, fit_window: 400, refit_every: 100, starts: 2, max_iter: 50, seed: 1 }
    }

    #[test]
    fn nothing_is_said_before_the_first_full_window() {
        let mut h = RollingHmm::new(small()).unwrap();
        let c = closes(1_000, 3);
        for (i, &x) in c.iter().enumerate() {
            let v = h.push_close(x);
            // 400 returns need 401 closes.
            assert_eq!(v.is_some(), i >= 400, "bar {i}");
        }
        assert_eq!(h.fits().0, 1 + (999 - 400) / 100, "one fit, then one every 100 bars");
    }

    #[test]
    fn a_regime_never_depends_on_later_bars() {
        let c = closes(1_500, 9);
        let run = |n: usize| {
            let mut h = RollingHmm::new(small()).unwrap();
            c[..n].iter().map(|&x| h.push_close(x)).collect::<Vec<_>>()
        };
        let full = run(1_500);
        for n in [401, 650, 999, 1_234] {
            assert_eq!(run(n)[..], full[..n], "a prefix of {n} bars");
        }
    }

    #[test]
    fn the_filter_tells_the_turbulent_regime_from_the_calm_one() {
        let c = closes(3_000, 5);
        let mut h = RollingHmm::new(small()).unwrap();
        let views: Vec<_> = c.iter().map(|&x| h.push_close(x)).collect();
        // Late in each block the filter should be sure which block it is in;
        // the two blocks must map to different states most of the time.
        let state_at = |i: usize| views[i].map(|v| v.state);
        let mut agree = 0;
        let mut total = 0;
        for block in 2..9 {
            let (a, b) = (state_at(block * 300 + 250), state_at((block + 1) * 300 + 250));
            total += 1;
            agree += usize::from(a != b);
        }
        assert!(agree * 10 >= total * 7, "alternating regimes are told apart {agree}/{total}");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(RollingHmm::new(RollingHmmConfig { states: 0, ..small() }).is_err());
        assert!(RollingHmm::new(RollingHmmConfig { fit_window: 5, ..small() }).is_err());
        assert!(RollingHmm::new(RollingHmmConfig { refit_every: 0, ..small() }).is_err());
    }
}
