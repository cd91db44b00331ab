//! `tradebot reconcile`: do two sources agree about the same market?
//!
//! Two vendors' candles for one market rarely match to the digit; this says
//! by how much and where they differ, and which bars one has and the other
//! lacks, so a user can pick a source or find a bad download.

use std::fmt;

use tradebot_core::{Interval, RawCandle, Scale, Timestamp};
use tradebot_store::CandleStore;

use crate::csv_read::VALUE_COLUMNS;

/// Deviation of one column over the overlapping bars.
#[derive(Clone, PartialEq, Debug, serde::Serialize)]
pub struct ColumnDeviation {
    pub column: &'static str,
    /// Bars whose values are not exactly equal.
    pub differing_bars: u64,
    pub max_abs: f64,
    pub max_abs_at: Option<Timestamp>,
    /// |a − b| / max(|a|, |b|): symmetric, in [0, 1] for positive values.
    pub max_rel: f64,
    pub max_rel_at: Option<Timestamp>,
}

/// A run of consecutive bars present in only one store.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
pub struct TimeRange {
    pub from: Timestamp,
    pub to: Timestamp,
    pub bars: u64,
}

#[derive(Clone, PartialEq, Debug, serde::Serialize)]
pub struct Reconciliation {
    pub interval: Interval,
    pub left_rows: u64,
    pub right_rows: u64,
    pub overlapping: u64,
    pub columns: Vec<ColumnDeviation>,
    pub only_left: u64,
    pub only_left_ranges: Vec<TimeRange>,
    pub only_right: u64,
    pub only_right_ranges: Vec<TimeRange>,
}

impl Reconciliation {
    /// True when both hold the same bars with the same values.
    pub fn identical(&self) -> bool {
        self.only_left == 0 && self.only_right == 0 && self.columns.iter().all(|c| c.differing_bars == 0)
    }
}

/// Compares two stores bar by bar (a merge on open time).
pub fn reconcile(left: &CandleStore, right: &CandleStore) -> Reconciliation {
    let (lm, rm) = (*left.meta(), *right.meta());
    let (a, b) = (left.candles(), right.candles());
    let mut columns: Vec<ColumnDeviation> = VALUE_COLUMNS
        .iter()
        .map(|&column| ColumnDeviation {
            column,
            differing_bars: 0,
            max_abs: 0.0,
            max_abs_at: None,
            max_rel: 0.0,
            max_rel_at: None,
        })
        .collect();
    let mut only_left = Runs::new(lm.interval);
    let mut only_right = Runs::new(lm.interval);
    let (mut i, mut j, mut overlapping) = (0, 0, 0u64);
    while i < a.len() || j < b.len() {
        let ta = a.get(i).map(|c| c.open_time);
        let tb = b.get(j).map(|c| c.open_time);
        match (ta, tb) {
            (Some(x), Some(y)) if x == y => {
                overlapping += 1;
                compare(&a[i], lm.price_scale, lm.qty_scale, &b[j], rm.price_scale, rm.qty_scale, &mut columns);
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_left.push(Timestamp::from_nanos(x));
                i += 1;
            }
            (Some(x), None) => {
                only_left.push(Timestamp::from_nanos(x));
                i += 1;
            }
            (_, Some(y)) => {
                only_right.push(Timestamp::from_nanos(y));
                j += 1;
            }
            (None, None) => break,
        }
    }
    Reconciliation {
        interval: lm.interval,
        left_rows: a.len() as u64,
        right_rows: b.len() as u64,
        overlapping,
        columns,
        only_left: only_left.total,
        only_left_ranges: only_left.ranges,
        only_right: only_right.total,
        only_right_ranges: only_right.ranges,
    }
}

fn compare(x: &RawCandle, xp: Scale, xq: Scale, y: &RawCandle, yp: Scale, yq: Scale, cols: &mut [ColumnDeviation]) {
    let xs = [x.open, x.high, x.low, x.close, x.volume];
    let ys = [y.open, y.high, y.low, y.close, y.volume];
    for k in 0..5 {
        let (sx, sy) = if k == 4 { (xq, yq) } else { (xp, yp) };
        // Exact equality on a common scale first; f64 only for magnitudes.
        let common = sx.max(sy);
        let equal = common.rescale_from(xs[k], sx).zip(common.rescale_from(ys[k], sy)).is_some_and(|(p, q)| p == q);
        if equal {
            continue;
        }
        let (fx, fy) = (sx.to_f64(xs[k]), sy.to_f64(ys[k]));
        let abs = (fx - fy).abs();
        let denom = fx.abs().max(fy.abs());
        let rel = if denom > 0.0 { abs / denom } else { 0.0 };
        let c = &mut cols[k];
        c.differing_bars += 1;
        let at = Some(x.open_time());
        if abs > c.max_abs {
            c.max_abs = abs;
            c.max_abs_at = at;
        }
        if rel > c.max_rel {
            c.max_rel = rel;
            c.max_rel_at = at;
        }
    }
}

struct Runs {
    interval: Interval,
    total: u64,
    ranges: Vec<TimeRange>,
}

impl Runs {
    fn new(interval: Interval) -> Self {
        Runs { interval, total: 0, ranges: Vec::new() }
    }

    fn push(&mut self, t: Timestamp) {
        self.total += 1;
        if let Some(last) = self.ranges.last_mut()
            && self.interval.add(last.to, 1) == Some(t)
        {
            last.to = t;
            last.bars += 1;
            return;
        }
        self.ranges.push(TimeRange { from: t, to: t, bars: 1 });
    }
}

impl fmt::Display for Reconciliation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  rows            left {} / right {}", self.left_rows, self.right_rows)?;
        writeln!(f, "  overlapping     {}", self.overlapping)?;
        writeln!(f, "  column   differing   max abs dev (at)                      max rel dev (at)")?;
        let at = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
        for c in &self.columns {
            writeln!(
                f,
                "  {:<8} {:>9}   {:<14.8e} {:<22} {:<10.3e} {}",
                c.column,
                c.differing_bars,
                c.max_abs,
                at(c.max_abs_at),
                c.max_rel,
                at(c.max_rel_at)
            )?;
        }
        for (name, n, ranges) in
            [("left", self.only_left, &self.only_left_ranges), ("right", self.only_right, &self.only_right_ranges)]
        {
            writeln!(f, "  only in {name:<6}  {n} bars in {} runs", ranges.len())?;
            for r in ranges.iter().take(20) {
                writeln!(f, "                  {} .. {} ({} bars)", r.from, r.to, r.bars)?;
            }
            if ranges.len() > 20 {
                writeln!(f, "                  ... {} more runs (see --json)", ranges.len() - 20)?;
            }
        }
        Ok(())
    }
}
