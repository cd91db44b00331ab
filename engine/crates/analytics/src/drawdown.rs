//! [`Drawdown`]: the deepest fall from a running peak and the longest time
//! spent below one, in O(1) state.
//!
//! An episode starts at the step that set the peak and ends at the first
//! step whose equity is back at or above it (as backtesting.py and empyrical
//! count it, peak to recovery). An episode still open at the last step counts
//! with its length so far, so a run that never recovers from its last fall
//! does not report a short drawdown. The initial equity is the first peak,
//! dated at the first step (the run's start) with step index 0.

use tradebot_core::Timestamp;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Drawdown {
    peak: f64,
    peak_index: u64,
    /// `None` until the first step dates the initial-equity peak.
    peak_time: Option<Timestamp>,
    underwater: bool,
    /// Lowest equity since the peak: the fall is divided out only when it
    /// deepens (the fraction is monotone in the equity, rounding included,
    /// so the deepest fall's fraction is the largest).
    trough: f64,
    last_index: u64,
    last_time: Timestamp,
    max_drawdown: f64,
    /// Longest finished episode, in steps and in nanoseconds; kept apart
    /// because gaps in the step times can make them different episodes.
    longest_bars: u64,
    longest_nanos: i64,
}

impl Drawdown {
    pub(crate) fn new(initial_equity: f64) -> Self {
        Drawdown {
            peak: initial_equity,
            peak_index: 0,
            peak_time: None,
            underwater: false,
            trough: initial_equity,
            last_index: 0,
            last_time: Timestamp::default(),
            max_drawdown: 0.0,
            longest_bars: 0,
            longest_nanos: 0,
        }
    }

    /// Folds in step `index` (1-based) at `time` with `equity` (finite).
    #[inline]
    pub(crate) fn on_step(&mut self, index: u64, time: Timestamp, equity: f64) {
        if self.peak_time.is_none() {
            self.peak_time = Some(time);
        }
        if equity >= self.peak {
            if self.underwater {
                self.recover(index, time);
            }
            self.peak = equity;
            self.trough = equity;
            self.peak_index = index;
            self.peak_time = Some(time);
        } else {
            self.underwater = true;
            // A fall from a peak at or below zero has no meaningful fraction.
            if equity < self.trough {
                self.trough = equity;
                if self.peak > 0.0 {
                    self.max_drawdown = self.max_drawdown.max((self.peak - equity) / self.peak);
                }
            }
        }
        self.last_index = index;
        self.last_time = time;
    }

    /// Ends an episode: out of line, so the common step does not compute
    /// its length speculatively.
    #[cold]
    #[inline(never)]
    fn recover(&mut self, index: u64, time: Timestamp) {
        let peak_time = self.peak_time.unwrap_or(time);
        self.longest_bars = self.longest_bars.max(index - self.peak_index);
        self.longest_nanos = self.longest_nanos.max(nanos_between(peak_time, time));
        self.underwater = false;
    }

    /// Deepest fall as a positive fraction of its peak (0 without one).
    pub(crate) fn max_drawdown(&self) -> f64 {
        self.max_drawdown
    }

    /// Longest episode in steps, counting an unrecovered one at the end.
    pub(crate) fn longest_bars(&self) -> u64 {
        if self.underwater { self.longest_bars.max(self.last_index - self.peak_index) } else { self.longest_bars }
    }

    /// Longest episode in seconds, counting an unrecovered one at the end.
    pub(crate) fn longest_seconds(&self) -> f64 {
        let nanos = match self.peak_time {
            Some(peak) if self.underwater => self.longest_nanos.max(nanos_between(peak, self.last_time)),
            _ => self.longest_nanos,
        };
        nanos as f64 / 1e9
    }
}

/// `b - a` in nanoseconds; saturates rather than overflow for instants
/// centuries apart.
fn nanos_between(a: Timestamp, b: Timestamp) -> i64 {
    b.as_nanos().saturating_sub(a.as_nanos())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    fn run(initial: f64, equity: &[f64]) -> Drawdown {
        let mut d = Drawdown::new(initial);
        for (i, &e) in equity.iter().enumerate() {
            d.on_step(i as u64 + 1, Timestamp::from_nanos(i as i64 * 60_000_000_000), e);
        }
        d
    }

    #[test]
    fn a_recovered_drawdown_lasts_from_its_peak_to_the_recovery_step() {
        let d = run(100.0, &[100.0, 120.0, 90.0, 100.0, 120.0, 130.0]);
        assert_eq!(d.max_drawdown(), 0.25);
        assert_eq!(d.longest_bars(), 3, "peak at step 2, back at 120 on step 5");
        assert_eq!(d.longest_seconds(), 180.0);
    }

    #[test]
    fn an_unrecovered_drawdown_at_the_end_counts_to_the_last_step() {
        let d = run(100.0, &[110.0, 100.0, 111.0, 105.0, 104.0, 103.0, 102.0]);
        assert_eq!(d.longest_bars(), 4, "peak 111 at step 3, still below at step 7");
        assert_eq!(d.longest_seconds(), 240.0);
        assert!((d.max_drawdown() - 10.0 / 110.0).abs() < 1e-15, "the deeper, recovered fall");
    }

    #[test]
    fn a_fall_below_the_initial_equity_is_a_drawdown_from_the_start() {
        let d = run(100.0, &[80.0, 90.0]);
        assert_eq!(d.max_drawdown(), 0.2);
        assert_eq!(d.longest_bars(), 2, "the initial equity is the peak at index 0");
        assert_eq!(d.longest_seconds(), 60.0, "dated at the first step, the run's start");
    }

    #[test]
    fn a_rising_curve_has_no_drawdown() {
        let d = run(100.0, &[100.0, 101.0, 101.0, 102.0]);
        assert_eq!((d.max_drawdown(), d.longest_bars(), d.longest_seconds()), (0.0, 0, 0.0));
    }
}
