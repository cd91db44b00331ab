//! The data-quality report shared by `import` and `inspect`: coverage, gaps,
//! duplicates, rule violations, zero-volume bars and return outliers.
//!
//! Gaps and outliers are reported, never filled or removed: whether a missing
//! bar is a venue outage or a quiet market, and whether a spike is an error or
//! a real crash, is the user's call, and a silent fix would hide it.

use std::fmt;

use tradebot_core::{Interval, RawCandle, Scale, Timestamp};

/// Knobs of the report.
#[derive(Clone, Copy, Debug)]
pub struct QualityOptions {
    /// Bars whose log return has a robust z-score above this are outliers.
    pub outlier_z: f64,
}

impl Default for QualityOptions {
    /// A threshold of 10: Iglewicz & Hoaglin's 3.5 is meant for near-normal
    /// data and flags hundreds of ordinary moves in fat-tailed crypto bars;
    /// 10 robust standard deviations is implausible for a real bar and rare.
    fn default() -> Self {
        QualityOptions { outlier_z: 10.0 }
    }
}

/// Missing bars between two consecutive bars.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Gap {
    /// The last bar before the gap.
    pub after: Timestamp,
    /// The first bar after the gap.
    pub next: Timestamp,
    /// Bars absent in between.
    pub missing: i64,
}

#[derive(Clone, Copy, PartialEq, Debug, serde::Serialize)]
pub struct Outlier {
    pub time: Timestamp,
    /// ln(close / previous close).
    pub log_return: f64,
    /// 0.6745 · (r − median) / MAD.
    pub robust_z: f64,
}

#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct SanityIssue {
    pub time: Timestamp,
    pub column: &'static str,
    pub rule: String,
}

#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize)]
pub struct ZeroVolume {
    pub count: u64,
    pub times: Vec<Timestamp>,
}

#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize)]
pub struct GapSummary {
    pub count: u64,
    pub missing_bars: i64,
    pub longest: Option<Gap>,
    pub list: Vec<Gap>,
}

#[derive(Clone, PartialEq, Debug, serde::Serialize)]
pub struct OutlierSummary {
    pub method: &'static str,
    pub threshold: f64,
    pub count: u64,
    pub list: Vec<Outlier>,
}

#[derive(Clone, PartialEq, Debug, serde::Serialize)]
pub struct QualityReport {
    pub interval: Interval,
    pub rows: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Bars the grid has between first and last, present or not.
    pub expected_rows: u64,
    pub gaps: GapSummary,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub off_grid: u64,
    pub sanity_violations: Vec<SanityIssue>,
    pub zero_volume: ZeroVolume,
    pub outliers: OutlierSummary,
}

impl QualityReport {
    pub fn compute(candles: &[RawCandle], interval: Interval, price: Scale, opts: QualityOptions) -> QualityReport {
        let mut gaps = GapSummary::default();
        let (mut duplicates, mut out_of_order, mut off_grid) = (0, 0, 0);
        let mut sanity_violations = Vec::new();
        let mut zero_volume = ZeroVolume::default();
        for (i, c) in candles.iter().enumerate() {
            let t = c.open_time();
            if !interval.is_aligned(t) {
                off_grid += 1;
            }
            if let Some(v) = c.sanity_violation() {
                sanity_violations.push(SanityIssue { time: t, column: v.column(), rule: format!("{v:?}") });
            }
            if c.volume == 0 {
                zero_volume.count += 1;
                zero_volume.times.push(t);
            }
            if i == 0 {
                continue;
            }
            let prev = candles[i - 1].open_time();
            if t == prev {
                duplicates += 1;
            } else if t < prev {
                out_of_order += 1;
            } else {
                let missing = interval.bars_between(prev, t) - 1;
                if missing > 0 {
                    let gap = Gap { after: prev, next: t, missing };
                    gaps.count += 1;
                    gaps.missing_bars += missing;
                    if gaps.longest.is_none_or(|g| missing > g.missing) {
                        gaps.longest = Some(gap);
                    }
                    gaps.list.push(gap);
                }
            }
        }
        let first = candles.first().map(RawCandle::open_time);
        let last = candles.last().map(RawCandle::open_time);
        let expected_rows = match (first, last) {
            (Some(a), Some(b)) if b >= a => interval.bars_between(a, b).unsigned_abs() + 1,
            _ => 0,
        };
        QualityReport {
            interval,
            rows: candles.len() as u64,
            first,
            last,
            expected_rows,
            gaps,
            duplicates,
            out_of_order,
            off_grid,
            sanity_violations,
            zero_volume,
            outliers: outliers(candles, price, opts.outlier_z),
        }
    }

    /// Whether anything besides gaps, zero-volume bars and outliers (which
    /// real data has) is wrong.
    pub fn has_defects(&self) -> bool {
        self.duplicates > 0 || self.out_of_order > 0 || self.off_grid > 0 || !self.sanity_violations.is_empty()
    }
}

fn outliers(candles: &[RawCandle], price: Scale, threshold: f64) -> OutlierSummary {
    let method = "robust z-score of log close-to-close returns: 0.6745 (r - median) / MAD";
    let returns: Vec<(Timestamp, f64)> = candles
        .windows(2)
        .filter(|w| w[0].close > 0 && w[1].close > 0)
        .map(|w| (w[1].open_time(), (price.to_f64(w[1].close) / price.to_f64(w[0].close)).ln()))
        .collect();
    let mut summary = OutlierSummary { method, threshold, count: 0, list: Vec::new() };
    if returns.len() < 3 {
        return summary;
    }
    let mut values: Vec<f64> = returns.iter().map(|r| r.1).collect();
    let median = median_in_place(&mut values);
    for v in &mut values {
        *v = (*v - median).abs();
    }
    let mad = median_in_place(&mut values);
    // With MAD = 0 (most returns exactly zero, common in illiquid markets),
    // Iglewicz & Hoaglin scale by the mean absolute deviation instead.
    let scale = if mad > 0.0 { mad / 0.6745 } else { 1.253_314 * values.iter().sum::<f64>() / values.len() as f64 };
    if scale.is_nan() || scale <= 0.0 {
        return summary;
    }
    for &(time, r) in &returns {
        let z = (r - median) / scale;
        if z.abs() > threshold {
            summary.count += 1;
            summary.list.push(Outlier { time, log_return: r, robust_z: z });
        }
    }
    summary
}

fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let mid = n / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        let below = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + m) / 2.0
    }
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOW: usize = 20;
        let opt = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
        writeln!(f, "  rows            {} ({} expected on the {} grid)", self.rows, self.expected_rows, self.interval)?;
        writeln!(f, "  first / last    {} / {}", opt(self.first), opt(self.last))?;
        write!(f, "  gaps            {} gaps, {} missing bars", self.gaps.count, self.gaps.missing_bars)?;
        if let Some(g) = self.gaps.longest {
            write!(f, ", longest {} bars after {}", g.missing, g.after)?;
        }
        writeln!(f)?;
        for g in self.gaps.list.iter().take(SHOW) {
            writeln!(f, "                  after {} ({} missing, next bar {})", g.after, g.missing, g.next)?;
        }
        if self.gaps.list.len() > SHOW {
            writeln!(f, "                  ... {} more (see --json)", self.gaps.list.len() - SHOW)?;
        }
        writeln!(f, "  duplicates      {}", self.duplicates)?;
        writeln!(f, "  out of order    {}", self.out_of_order)?;
        writeln!(f, "  off grid        {}", self.off_grid)?;
        writeln!(f, "  OHLCV violations {}", self.sanity_violations.len())?;
        for s in self.sanity_violations.iter().take(SHOW) {
            writeln!(f, "                  {} column '{}': {}", s.time, s.column, s.rule)?;
        }
        writeln!(f, "  zero volume     {}", self.zero_volume.count)?;
        writeln!(f, "  outliers        {} with |robust z| > {}", self.outliers.count, self.outliers.threshold)?;
        for o in self.outliers.list.iter().take(SHOW) {
            writeln!(f, "                  {} log return {:+.6} (z {:+.1})", o.time, o.log_return, o.robust_z)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M5: i64 = 300_000_000_000;

    fn bar(i: i64, close: i64, volume: i64) -> RawCandle {
        RawCandle { open_time: i * M5, open: close, high: close, low: close, close, volume }
    }

    #[test]
    fn gaps_zero_volume_and_outliers_are_counted() {
        // A noisy walk around 100000 (xorshift noise of +-50 per bar).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut price = 100_000i64;
        let mut bars: Vec<RawCandle> = (0..100)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                price += (x % 101) as i64 - 50;
                bar(i, price, 1)
            })
            .collect();
        bars.retain(|b| b.open_time != 10 * M5 && b.open_time != 11 * M5 && b.open_time != 50 * M5);
        bars[20].volume = 0;
        bars[60].close *= 5;
        bars[60].high *= 5;
        let r = QualityReport::compute(&bars, Interval::M5, Scale::new(0).unwrap(), QualityOptions::default());
        assert_eq!(r.rows, 97);
        assert_eq!(r.expected_rows, 100);
        assert_eq!((r.gaps.count, r.gaps.missing_bars), (2, 3));
        assert_eq!(r.gaps.longest.unwrap().missing, 2);
        assert_eq!(r.gaps.longest.unwrap().after, Timestamp::from_nanos(9 * M5));
        assert_eq!(r.zero_volume.count, 1);
        // The spike up and the fall back are both outliers.
        assert_eq!(r.outliers.count, 2, "{:?}", r.outliers.list);
        assert!(!r.has_defects());
    }
}
