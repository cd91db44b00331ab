//! A symbol's close prices with the strategy's entries and exits marked.
//!
//! Long entries are green ▲, short entries red ▼, exits hollow dark circles.
//! A long run can hold tens of thousands of trades; markers that would land
//! on the same spot are drawn once and each kind is capped, so the chart stays
//! readable and the file small. The caller is told how many were drawn.

use std::collections::BTreeSet;

use plotters::prelude::*;
use tradebot_core::Side;

use super::{GAIN, INK, LOSS, WIDTH, draw_legend, render_svg, thin, time_bounds, time_chart, value_bounds};
use crate::format::{axis_decimals, fixed};
use crate::{PriceSeries, ReportError, TradePoint};

/// Markers of one kind drawn at most; past this they are evenly sampled.
const MAX_MARKERS_PER_KIND: usize = 1500;
/// Markers whose centres fall in the same cell of this many pixels are one.
const MERGE_CELL_PX: i32 = 3;

#[derive(Debug)]
pub(crate) struct PriceChart {
    pub(crate) svg: String,
    /// Trades of this symbol inside the chart's time range.
    pub(crate) trades: usize,
    /// Markers drawn after merging overlapping ones and capping.
    pub(crate) markers_drawn: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    LongEntry,
    ShortEntry,
    Exit,
}

pub(crate) fn price_svg(
    series: &PriceSeries<'_>,
    symbol: usize,
    trades: &[TradePoint],
) -> Result<Option<PriceChart>, ReportError> {
    let closes = thin(series.times, series.closes);
    let Some(x) = time_bounds(&closes) else { return Ok(None) };
    let in_range = |t: i64, p: f64| t >= x.0 && t <= x.1 && p.is_finite();
    let mut markers: Vec<(Kind, i64, f64)> = Vec::new();
    let mut shown_trades = 0;
    for trade in trades.iter().filter(|t| t.symbol == symbol) {
        let (entry_t, exit_t) = (trade.entry_time.as_nanos(), trade.exit_time.as_nanos());
        let entry = in_range(entry_t, trade.entry_price);
        let exit = in_range(exit_t, trade.exit_price);
        if entry {
            let kind = if trade.side == Side::Buy { Kind::LongEntry } else { Kind::ShortEntry };
            markers.push((kind, entry_t, trade.entry_price));
        }
        if exit {
            markers.push((Kind::Exit, exit_t, trade.exit_price));
        }
        shown_trades += usize::from(entry || exit);
    }
    let y = value_bounds(closes.iter().map(|p| p.1).chain(markers.iter().map(|m| m.2)));
    let decimals = axis_decimals(y.0, y.1);
    let mut drawn = 0;
    let label = format!("{} price with trades", series.symbol);
    let svg = render_svg("price", &label, (WIDTH, 380), |area| {
        let y_label = |v: &f64| fixed(*v, decimals);
        let mut chart = time_chart(area, x, y, series.symbol, &y_label)?;
        chart
            .draw_series(LineSeries::new(closes.iter().copied(), INK.mix(0.8).stroke_width(1)))?
            .label(format!("{} close", series.symbol))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], INK.stroke_width(1)));
        let visible = merge_markers(&markers, |t, p| chart.backend_coord(&(t, p)));
        drawn = visible.len();
        let of = |kind: Kind| visible.iter().filter(move |m| m.0 == kind).map(|m| (m.1, m.2));
        if visible.iter().any(|m| m.0 == Kind::LongEntry) {
            let up = |(x, y): (i32, i32)| vec![(x, y - 6), (x + 5, y + 3), (x - 5, y + 3)];
            chart
                .draw_series(
                    of(Kind::LongEntry).map(|c| EmptyElement::at(c) + Polygon::new(up((0, 0)), GAIN.filled())),
                )?
                .label("long entry")
                .legend(move |c| Polygon::new(up(c), GAIN.filled()));
        }
        if visible.iter().any(|m| m.0 == Kind::ShortEntry) {
            let down = |(x, y): (i32, i32)| vec![(x, y + 6), (x + 5, y - 3), (x - 5, y - 3)];
            chart
                .draw_series(
                    of(Kind::ShortEntry).map(|c| EmptyElement::at(c) + Polygon::new(down((0, 0)), LOSS.filled())),
                )?
                .label("short entry")
                .legend(move |c| Polygon::new(down(c), LOSS.filled()));
        }
        if visible.iter().any(|m| m.0 == Kind::Exit) {
            let ring = INK.stroke_width(1);
            chart
                .draw_series(of(Kind::Exit).map(|c| EmptyElement::at(c) + Circle::new((0, 0), 3, ring)))?
                .label("exit")
                .legend(move |c| Circle::new(c, 3, ring));
        }
        draw_legend(&mut chart)
    })?;
    Ok(Some(PriceChart { svg, trades: shown_trades, markers_drawn: drawn }))
}

/// The markers to draw: one per kind and `MERGE_CELL_PX` cell of the canvas
/// (the earliest in input order), then at most `MAX_MARKERS_PER_KIND` per
/// kind, evenly sampled in time. Deterministic: no hashing, ties by order.
fn merge_markers(markers: &[(Kind, i64, f64)], to_px: impl Fn(i64, f64) -> (i32, i32)) -> Vec<(Kind, i64, f64)> {
    let mut seen = BTreeSet::new();
    let mut kept: Vec<(Kind, i64, f64)> = markers
        .iter()
        .copied()
        .filter(|&(kind, t, p)| {
            let (px, py) = to_px(t, p);
            seen.insert((kind, px.div_euclid(MERGE_CELL_PX), py.div_euclid(MERGE_CELL_PX)))
        })
        .collect();
    kept.sort_by_key(|m| (m.0, m.1));
    let mut out = Vec::with_capacity(kept.len().min(3 * MAX_MARKERS_PER_KIND));
    for kind in [Kind::LongEntry, Kind::ShortEntry, Kind::Exit] {
        let of_kind: Vec<_> = kept.iter().copied().filter(|m| m.0 == kind).collect();
        let n = of_kind.len();
        if n <= MAX_MARKERS_PER_KIND {
            out.extend(of_kind);
        } else {
            out.extend((0..MAX_MARKERS_PER_KIND).map(|i| of_kind[i * n / MAX_MARKERS_PER_KIND]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_on_the_same_pixels_are_drawn_once_per_kind() {
        let markers = [(Kind::LongEntry, 10, 1.0), (Kind::LongEntry, 11, 1.0), (Kind::Exit, 10, 1.0)];
        let kept = merge_markers(&markers, |t, _| (t as i32 / 10, 5));
        assert_eq!(kept, vec![(Kind::LongEntry, 10, 1.0), (Kind::Exit, 10, 1.0)]);
    }

    #[test]
    fn markers_are_capped_per_kind_and_keep_the_first() {
        let markers: Vec<_> = (0..10_000).map(|i| (Kind::ShortEntry, i64::from(i), 1.0)).collect();
        let kept = merge_markers(&markers, |t, _| (t as i32 * 10, 0));
        assert_eq!(kept.len(), MAX_MARKERS_PER_KIND);
        assert_eq!(kept[0].1, 0);
        assert!(kept.windows(2).all(|w| w[0].1 < w[1].1));
    }
}
