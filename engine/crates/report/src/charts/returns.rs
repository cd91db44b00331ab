//! Histogram of the strategy's trade returns.
//!
//! Bin edges are multiples of a round width, so zero is always an edge and
//! every bin is wholly gains (green) or wholly losses (red).

use plotters::prelude::*;

use super::{GAIN, INK, LOSS, WIDTH, render_svg};
use crate::format::{axis_decimals, fixed};
use crate::{ReportError, TradePoint};

/// Bins of a histogram: bin `i` covers `start + i·width .. start + (i+1)·width`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bins {
    pub(crate) start: f64,
    pub(crate) width: f64,
    pub(crate) counts: Vec<u32>,
}

/// Most bins a histogram gets, however spread the returns.
const MAX_BINS: usize = 60;

/// About √n bins (5 to 40) of a round width (1, 2, 2.5 or 5 × 10^k) over the
/// finite `values`; `None` when there are none.
pub(crate) fn bins(values: &[f64]) -> Option<Bins> {
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let n = finite().count();
    if n == 0 {
        return None;
    }
    let lo = finite().fold(f64::INFINITY, f64::min);
    let hi = finite().fold(f64::NEG_INFINITY, f64::max);
    let target = (n as f64).sqrt().ceil().clamp(5.0, 40.0);
    let raw = if hi > lo { (hi - lo) / target } else { (lo.abs() * 0.1).max(0.1) };
    let width = round_width(raw);
    let start = (lo / width).floor() * width;
    // At most about 42 by construction; the cap only guards absurd spreads
    // (values put past the last bin are counted in it).
    let count = (((hi - start) / width).floor() as usize + 1).clamp(1, MAX_BINS);
    let mut counts = vec![0u32; count];
    for v in finite() {
        let i = (((v - start) / width).floor().max(0.0) as usize).min(count - 1);
        counts[i] += 1;
    }
    Some(Bins { start, width, counts })
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at least `raw`.
fn round_width(raw: f64) -> f64 {
    let raw = if raw.is_finite() && raw > 0.0 { raw } else { 1.0 };
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|w| *w >= raw * (1.0 - 1e-12)).unwrap_or(raw)
}

/// The histogram of `return_fraction × 100` over `trades`, or `None` without
/// trades.
pub(crate) fn returns_svg(trades: &[TradePoint]) -> Result<Option<String>, ReportError> {
    let returns: Vec<f64> = trades.iter().map(|t| t.return_fraction * 100.0).collect();
    let Some(bins) = bins(&returns) else { return Ok(None) };
    let x = (bins.start, bins.start + bins.width * bins.counts.len() as f64);
    let top = f64::from(bins.counts.iter().copied().max().unwrap_or(1).max(1)) * 1.1;
    let decimals = axis_decimals(x.0, x.1);
    let svg = render_svg("returns", "Trade return distribution", (WIDTH, 300), |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(84)
            .build_cartesian_2d(x.0..x.1, 0.0..top)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| format!("{}%", fixed(*v, decimals)))
            .y_label_formatter(&|v| fixed(*v, 0))
            .x_desc("trade return")
            .y_desc("trades")
            .disable_x_mesh()
            .bold_line_style(RGBColor(229, 231, 235))
            .light_line_style(TRANSPARENT)
            .axis_style(INK)
            .label_style(("sans-serif", 15).into_font().color(&INK))
            .axis_desc_style(("sans-serif", 15).into_font().color(&INK))
            .draw()?;
        chart.draw_series(bins.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| {
            let left = bins.start + bins.width * i as f64;
            let colour = if left >= 0.0 { GAIN } else { LOSS };
            let mut bar = Rectangle::new([(left, 0.0), (left + bins.width, f64::from(*c))], colour.mix(0.85).filled());
            // A pixel of white between neighbours keeps equal-coloured bins apart.
            bar.set_margin(0, 0, 1, 0);
            bar
        }))?;
        Ok(())
    })?;
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_is_a_bin_edge_so_no_bin_mixes_gains_and_losses() {
        let b = bins(&[-3.0, -1.2, 0.5, 2.0, 4.9]).unwrap();
        let k = -b.start / b.width;
        assert!((k - k.round()).abs() < 1e-9, "{b:?}");
    }

    #[test]
    fn widths_are_round_numbers() {
        assert_eq!(round_width(0.3), 0.5);
        assert_eq!(round_width(2.2), 2.5);
        assert_eq!(round_width(7.0), 10.0);
        assert_eq!(round_width(1.0), 1.0);
    }

    #[test]
    fn a_single_trade_gets_a_bin() {
        let b = bins(&[1.5]).unwrap();
        assert_eq!(b.counts.iter().sum::<u32>(), 1);
        assert!(bins(&[]).is_none());
        assert!(bins(&[f64::NAN]).is_none());
    }

    proptest! {
        #[test]
        fn every_finite_return_is_counted_in_the_bin_that_covers_it(
            values in prop::collection::vec(prop_oneof![-1e4f64..1e4, -1.0f64..1.0], 1..400),
        ) {
            let b = bins(&values).unwrap();
            prop_assert!(b.counts.len() <= MAX_BINS);
            prop_assert_eq!(b.counts.iter().sum::<u32>() as usize, values.len());
            let end = b.start + b.width * b.counts.len() as f64;
            for v in &values {
                prop_assert!(*v >= b.start && *v <= end, "{} outside {}..{}", v, b.start, end);
            }
        }
    }
}
