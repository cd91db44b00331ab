//! A streaming GARCH(1,1): refitted by maximum likelihood on a trailing
//! window at a fixed cadence, filtered forward bar by bar in between.
//!
//! Why this module exists: the volatility agent needs a GARCH forecast at
//! every bar, both to build its training inputs and when it serves in
//! replay. If the two were computed by different code (say, one batch fit
//! over the whole history for training), the training inputs would have
//! seen the future and the served ones would not. [`RollingGarch`] is a pure
//! function of the bars pushed so far: the forecast after bar `t` depends
//! on returns `..=t` only, so the same object produces both.
//!
//! Units: returns are **percent simple returns**,
//! `100 * (close_t / close_{t-1} - 1)`, exactly as [`returns_from_closes`]
//! and [`fit`] use (the scale arch's documentation recommends, and the one
//! the golden fits are on). Variances are therefore in percent², and
//! [`RollingGarch::forecast`] is a standard deviation in percent of price.
//!
//! Schedule: with `n` returns pushed, the model is refitted when
//! `n >= min_returns` and `(n - min_returns) % refit_every == 0`, on the last
//! `min(n, fit_window)` returns. A successful fit restarts the variance
//! recursion from arch's backcast of that window, so right after a refit the
//! forecast is exactly [`GarchFit::next_variance`] of the window (what a
//! batch [`Garch11::filter`] over the window gives). Between refits each new
//! return advances the recursion `s² <- omega + alpha (r - mu)² + beta s²`.
//! A failed fit keeps the previous parameters and recursion and is counted
//! ([`RollingGarch::failed_fits`]); before the first successful fit there is
//! no forecast.
//!
//! [`returns_from_closes`]: crate::returns_from_closes

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::GarchError;
use crate::fit::{GarchFit, MIN_RETURNS, fit};
use crate::model::Garch11;

/// When [`RollingGarch`] refits, and on how much history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingGarchConfig {
    /// Trailing returns each fit uses (at most).
    pub fit_window: usize,
    /// Returns between two refits.
    pub refit_every: usize,
    /// Returns needed before the first fit; at least [`MIN_RETURNS`] and at
    /// most `fit_window`.
    pub min_returns: usize,
}

impl Default for RollingGarchConfig {
    /// A 1,000-return window (about 3.5 days of 5-minute bars), refitted
    /// every 72 returns (6 hours), first fitted after 500.
    fn default() -> Self {
        Self { fit_window: 1000, refit_every: 72, min_returns: 500 }
    }
}

impl RollingGarchConfig {
    /// Checks the sizes.
    ///
    /// # Errors
    ///
    /// [`GarchError::Config`] naming the field: `min_returns` below
    /// [`MIN_RETURNS`] or above `fit_window`, or `refit_every` of 0.
    pub fn validate(&self) -> Result<(), GarchError> {
        let bad =
            |field: &'static str, value: usize, reason: &'static str| Err(GarchError::Config { field, value, reason });
        if self.min_returns < MIN_RETURNS {
            return bad("min_returns", self.min_returns, "must be at least 100 (the fewest returns a fit accepts)");
        }
        if self.fit_window < self.min_returns {
            return bad("fit_window", self.fit_window, "must be at least min_returns");
        }
        if self.refit_every == 0 {
            return bad("refit_every", 0, "must be at least 1");
        }
        Ok(())
    }
}

/// The streaming GARCH(1,1) described in the [module docs](self).
#[derive(Debug, Clone)]
pub struct RollingGarch {
    config: RollingGarchConfig,
    /// The last `fit_window` finite returns, oldest first.
    window: VecDeque<f64>,
    /// Finite returns pushed so far.
    returns: u64,
    /// Pushes that could not be used (non-finite return or close).
    skipped: u64,
    last_close: Option<f64>,
    params: Option<Garch11>,
    /// Variance of the next return under `params` (percent²).
    next_variance: f64,
    /// The fit that produced `params`.
    last_fit: Option<GarchFit>,
    fits: u64,
    failed_fits: u64,
    last_error: Option<GarchError>,
}

impl RollingGarch {
    /// An empty model.
    ///
    /// # Errors
    ///
    /// As [`RollingGarchConfig::validate`].
    pub fn new(config: RollingGarchConfig) -> Result<Self, GarchError> {
        config.validate()?;
        Ok(Self {
            config,
            window: VecDeque::with_capacity(config.fit_window),
            returns: 0,
            skipped: 0,
            last_close: None,
            params: None,
            next_variance: f64::NAN,
            last_fit: None,
            fits: 0,
            failed_fits: 0,
            last_error: None,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> RollingGarchConfig {
        self.config
    }

    /// Feeds a bar's close; from the second close on, its percent return
    /// goes to [`push_return`](Self::push_return). A close that is not
    /// finite and positive is skipped (counted) and the next return is taken
    /// from the last valid close.
    pub fn push_close(&mut self, close: f64) {
        if !(close.is_finite() && close > 0.0) {
            self.skipped += 1;
            return;
        }
        if let Some(prev) = self.last_close.replace(close) {
            self.push_return(100.0 * (close / prev - 1.0));
        }
    }

    /// Feeds one percent return: advances the variance recursion, then
    /// refits if the schedule says so. A non-finite return is skipped
    /// (counted) and changes nothing.
    pub fn push_return(&mut self, r: f64) {
        if !r.is_finite() {
            self.skipped += 1;
            return;
        }
        if self.window.len() == self.config.fit_window {
            self.window.pop_front();
        }
        self.window.push_back(r);
        self.returns += 1;
        if let Some(p) = self.params {
            // The operations of `Garch11::filter`, in its order, so the two
            // agree to the last bit.
            let e = r - p.mu;
            let e2 = e * e;
            self.next_variance = p.omega + p.alpha * e2 + p.beta * self.next_variance;
        }
        let n = self.returns;
        let min = self.config.min_returns as u64;
        if n >= min && (n - min).is_multiple_of(self.config.refit_every as u64) {
            self.refit();
        }
    }

    fn refit(&mut self) {
        let window = self.window.make_contiguous();
        match fit(window) {
            Ok(f) => {
                self.params = Some(f.params);
                self.next_variance = f.next_variance;
                self.last_fit = Some(f);
                self.fits += 1;
            }
            Err(e) => {
                self.failed_fits += 1;
                self.last_error = Some(e);
            }
        }
    }

    /// One-step-ahead variance (percent²) of the next return, or `None`
    /// before the first successful fit.
    #[must_use]
    pub fn forecast_variance(&self) -> Option<f64> {
        self.params.map(|_| self.next_variance).filter(|v| v.is_finite() && *v > 0.0)
    }

    /// One-step-ahead standard deviation (percent) of the next return, or
    /// `None` while warming up.
    #[must_use]
    pub fn forecast(&self) -> Option<f64> {
        self.forecast_variance().map(f64::sqrt)
    }

    /// The parameters in force, if any fit succeeded.
    #[must_use]
    pub fn params(&self) -> Option<Garch11> {
        self.params
    }

    /// The fit that produced [`params`](Self::params).
    #[must_use]
    pub fn last_fit(&self) -> Option<&GarchFit> {
        self.last_fit.as_ref()
    }

    /// Finite returns pushed so far.
    #[must_use]
    pub fn returns_seen(&self) -> u64 {
        self.returns
    }

    /// Closes or returns that were skipped as invalid.
    #[must_use]
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Successful fits so far.
    #[must_use]
    pub fn fits(&self) -> u64 {
        self.fits
    }

    /// Scheduled fits that failed (the previous parameters were kept).
    #[must_use]
    pub fn failed_fits(&self) -> u64 {
        self.failed_fits
    }

    /// Why the last failed fit failed.
    #[must_use]
    pub fn last_error(&self) -> Option<&GarchError> {
        self.last_error.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::backcast;

    /// A GARCH(1,1) path with deterministic pseudo-normal shocks.
    fn path(n: usize, seed: u64) -> Vec<f64> {
        let g = Garch11 { mu: 0.01, omega: 0.02, alpha: 0.1, beta: 0.85 };
        let mut state = seed;
        let mut uniform = || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut s2 = g.unconditional_variance();
        (0..n)
            .map(|_| {
                let z = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
                let e = s2.sqrt() * z;
                s2 = g.omega + g.alpha * e * e + g.beta * s2;
                g.mu + e
            })
            .collect()
    }

    fn config(fit_window: usize, refit_every: usize, min_returns: usize) -> RollingGarchConfig {
        RollingGarchConfig { fit_window, refit_every, min_returns }
    }

    /// Forecast after each return (`None` while warming up).
    fn run(cfg: RollingGarchConfig, returns: &[f64]) -> (RollingGarch, Vec<Option<f64>>) {
        let mut g = RollingGarch::new(cfg).unwrap();
        let out = returns
            .iter()
            .map(|&r| {
                g.push_return(r);
                g.forecast_variance()
            })
            .collect();
        (g, out)
    }

    #[test]
    fn it_refits_on_schedule_once_min_returns_are_in() {
        let r = path(700, 1);
        let (g, f) = run(config(300, 100, 200), &r);
        assert!(f[..199].iter().all(Option::is_none), "no forecast before the first fit");
        assert!(f[199..].iter().all(Option::is_some));
        // Fits after 200, 300, 400, 500, 600 and 700 returns.
        assert_eq!((g.fits(), g.failed_fits()), (6, 0));
        assert_eq!(g.last_fit().unwrap().n_returns, 300, "the last fit used the trailing window");
        assert_eq!(g.returns_seen(), 700);
    }

    #[test]
    fn right_after_a_refit_the_forecast_is_the_batch_fit_on_the_trailing_window() {
        let r = path(650, 2);
        let (_, f) = run(config(300, 100, 200), &r);
        for n in [200usize, 300, 400, 500, 600] {
            let window = &r[n.saturating_sub(300)..n];
            let batch = fit(window).unwrap();
            assert_eq!(f[n - 1], Some(batch.next_variance), "after {n} returns");
            assert_eq!(f[n - 1], Some(batch.params.next_variance(window)));
        }
    }

    #[test]
    fn between_refits_it_equals_the_batch_filter_with_the_same_parameters() {
        // One fit, on the first 300 returns, and none after: every later
        // forecast is `Garch11::filter`'s recursion with the fitted
        // parameters, started (as the fit was) from the window's backcast.
        let r = path(600, 3);
        let (g, f) = run(config(300, 10_000, 300), &r);
        let p = g.params().unwrap();
        let batch = p.filter_from(&r, backcast(&r[..300]));
        assert_eq!(p.filter(&r[..300])[..], batch[..300], "filter is filter_from its own backcast");
        for t in 299..599 {
            // f[t] is the variance of return t + 1, batch[t + 1] likewise.
            assert_eq!(f[t], Some(batch[t + 1]), "t = {t}");
        }
        assert_eq!(f[599], Some(p.next_variance_from(&r, backcast(&r[..300]))));
    }

    #[test]
    fn appending_bars_does_not_change_past_forecasts() {
        let r = path(900, 4);
        let cfg = config(250, 50, 150);
        let (_, short) = run(cfg, &r[..600]);
        let (_, long) = run(cfg, &r);
        assert_eq!(short[..], long[..600], "a forecast depends only on the returns before it");
        // And altering the future changes nothing of the past either.
        let mut altered = r.clone();
        altered[600..].iter_mut().for_each(|x| *x *= 3.0);
        let (_, alt) = run(cfg, &altered);
        assert_eq!(alt[..600], long[..600]);
        assert_ne!(alt[700..], long[700..], "the alteration is real");
    }

    #[test]
    fn closes_give_percent_returns_and_bad_closes_are_skipped() {
        let closes: Vec<f64> = path(400, 5)
            .iter()
            .scan(100.0, |c, r| {
                *c *= 1.0 + r / 100.0;
                Some(*c)
            })
            .collect();
        let mut a = RollingGarch::new(config(200, 50, 150)).unwrap();
        let mut b = a.clone();
        for &c in &closes {
            a.push_close(c);
        }
        for r in crate::returns_from_closes(&closes) {
            b.push_return(r);
        }
        assert_eq!(a.forecast_variance(), b.forecast_variance());
        assert_eq!(a.returns_seen(), 399);
        a.push_close(0.0);
        a.push_close(f64::NAN);
        a.push_return(f64::INFINITY);
        assert_eq!((a.skipped(), a.returns_seen()), (3, 399));
        assert_eq!(a.forecast_variance(), b.forecast_variance(), "skipped input changes nothing");
        assert!((a.forecast().unwrap() - b.forecast_variance().unwrap().sqrt()).abs() < 1e-15);
    }

    #[test]
    fn a_failed_fit_keeps_the_previous_parameters_and_is_counted() {
        // Constant returns after the first fit: the next fit's window has
        // zero variance and must fail.
        let mut r = path(150, 6);
        r.extend(std::iter::repeat_n(0.5, 250));
        let (g, f) = run(config(150, 150, 150), &r);
        assert_eq!((g.fits(), g.failed_fits()), (1, 1));
        assert!(matches!(g.last_error(), Some(GarchError::ZeroVariance)));
        assert_eq!(g.last_fit().unwrap().n_returns, 150);
        assert!(f[399].is_some(), "the old parameters keep forecasting");
    }

    #[test]
    fn bad_configurations_name_the_field() {
        for (cfg, field) in [
            (config(300, 10, 99), "min_returns"),
            (config(200, 10, 300), "fit_window"),
            (config(300, 0, 200), "refit_every"),
        ] {
            match RollingGarch::new(cfg) {
                Err(e @ GarchError::Config { .. }) => assert!(e.to_string().contains(field), "{e}"),
                other => panic!("{cfg:?}: {other:?}"),
            }
        }
    }
}
