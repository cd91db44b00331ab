//! [`MonthlyReturn`] rows: the return of each calendar month (UTC) of the
//! run, for the report's month-by-year table.
//!
//! This is the one part of the metrics whose state grows with the run: one
//! row per month. The table reserves the expected number of months up front
//! and appends a row only when a step falls in a new month, so a run that
//! stays within its estimate never allocates after construction, and one
//! that outlives it reallocates at most at month boundaries (amortised
//! doubling: a handful of times over decades of data). Every other step
//! updates the last row in place after one comparison of integer times.

use serde::{Deserialize, Serialize};
use tradebot_core::{Interval, Timestamp, finite};

/// One calendar month of the equity curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReturn {
    pub year: i32,
    /// 1 = January … 12 = December.
    pub month: u8,
    /// Equity the month is measured from: the previous listed month's last
    /// equity, or the initial equity for the first month.
    pub start_equity: f64,
    /// Equity at the month's last step so far.
    pub end_equity: f64,
    /// `end_equity / start_equity - 1`; `None` when `start_equity <= 0`.
    #[serde(rename = "return")]
    pub return_fraction: Option<f64>,
}

impl MonthlyReturn {
    /// The row with its return computed from its equities. The table keeps
    /// rows without it and computes it when read: a step only moves the
    /// month's end equity (a division a step saved).
    fn with_return(self) -> Self {
        let r = self.end_equity / self.start_equity - 1.0;
        MonthlyReturn { return_fraction: Some(r).filter(|&r| self.start_equity > 0.0 && finite(r)), ..self }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct MonthlyTable {
    rows: Vec<MonthlyReturn>,
    initial_equity: f64,
    /// Open time of the month after the last row's; a step before it (and,
    /// steps being in time order, not before the row's month) updates the row.
    next_month: Timestamp,
}

impl MonthlyTable {
    pub(crate) fn new(initial_equity: f64, expected_months: usize) -> Self {
        MonthlyTable { rows: Vec::with_capacity(expected_months), initial_equity, next_month: Timestamp::MIN }
    }

    /// Folds in a step at `time` (not before the previous step) with `equity`.
    #[inline]
    pub(crate) fn on_step(&mut self, time: Timestamp, equity: f64) {
        if time < self.next_month
            && let Some(row) = self.rows.last_mut()
        {
            row.end_equity = equity;
            return;
        }
        self.open_month(time, equity);
    }

    #[cold]
    fn open_month(&mut self, time: Timestamp, equity: f64) {
        let start = Interval::Mo1.floor(time);
        // Past the last representable month every later step stays in it.
        self.next_month = Interval::Mo1.add(start, 1).unwrap_or(Timestamp::MAX);
        let (year, month) = year_month(start);
        let start_equity = self.rows.last().map_or(self.initial_equity, |r| r.end_equity);
        self.rows.push(MonthlyReturn { year, month, start_equity, end_equity: equity, return_fraction: None });
    }

    pub(crate) fn rows(&self) -> Vec<MonthlyReturn> {
        self.rows.iter().map(|r| r.with_return()).collect()
    }
}

/// UTC calendar year and month of `t`.
fn year_month(t: Timestamp) -> (i32, u8) {
    // Every i64 nanosecond count lies inside jiff's range (years -9999..=9999),
    // so the fallback is unreachable; it exists only to avoid a panic path.
    let ts = jiff::Timestamp::from_nanosecond(i128::from(t.as_nanos())).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    (i32::from(dt.year()), u8::try_from(dt.month()).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn each_month_is_measured_from_the_previous_month_end_and_the_first_from_the_initial_equity() {
        let mut t = MonthlyTable::new(100.0, 4);
        t.on_step(ts("2024-01-15T00:00:00Z"), 105.0);
        t.on_step(ts("2024-01-31T23:59:59Z"), 110.0);
        t.on_step(ts("2024-02-01T00:00:00Z"), 120.0);
        t.on_step(ts("2024-02-29T12:00:00Z"), 99.0);
        // March has no step; April is measured from February's end.
        t.on_step(ts("2024-04-02T00:00:00Z"), 108.9);
        let rows = t.rows();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].year, rows[0].month, rows[0].start_equity, rows[0].end_equity), (2024, 1, 100.0, 110.0));
        assert!((rows[0].return_fraction.unwrap() - 0.1).abs() < 1e-15);
        assert_eq!((rows[1].month, rows[1].start_equity), (2, 110.0));
        assert!((rows[1].return_fraction.unwrap() + 0.1).abs() < 1e-15);
        assert_eq!((rows[2].month, rows[2].start_equity), (4, 99.0));
        assert!((rows[2].return_fraction.unwrap() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn steps_within_the_reserved_months_do_not_reallocate() {
        let mut t = MonthlyTable::new(100.0, 12);
        let cap = t.rows.capacity();
        let mut time = ts("2023-01-01T00:00:00Z");
        for i in 0..(365 * 24) {
            t.on_step(time, 100.0 + f64::from(i));
            time = time.checked_add_nanos(3_600_000_000_000).unwrap();
        }
        assert_eq!(t.rows().len(), 12);
        assert_eq!(t.rows.capacity(), cap);
    }

    #[test]
    fn a_month_starting_from_zero_equity_has_no_return() {
        let mut t = MonthlyTable::new(0.0, 1);
        t.on_step(ts("2024-01-15T00:00:00Z"), 5.0);
        assert_eq!(t.rows()[0].return_fraction, None);
    }
}
