//! The report's SVG charts, drawn with plotters' SVG backend into strings.
//!
//! This module holds what every chart shares — the SVG wrapper, the palette,
//! the time-axis chart frame, range padding and series thinning — so each
//! chart file only says what it draws. A chart function returns `Ok(None)`
//! when there is nothing to draw, and the page says so in words instead.

mod drawdown;
mod equity;
mod latency;
mod price;
mod returns;

pub(crate) use drawdown::drawdown_svg;
pub(crate) use equity::equity_svg;
pub(crate) use latency::latency_svg;
pub(crate) use price::price_svg;
pub(crate) use returns::returns_svg;

use plotters::coord::Shift;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;
use tradebot_core::Timestamp;

use crate::ReportError;
use crate::escape::Html;
use crate::min_max_downsample;
use crate::time_axis::TimeAxis;

/// Width of every chart in pixels; the page scales it down on narrow screens.
pub(crate) const WIDTH: u32 = 1000;
/// Points drawn per series at most: two per pixel column of the plot area, so
/// thinning is invisible while a million-bar run stays a small file.
pub(crate) const MAX_POINTS: usize = 2000;
const MAX_TIME_TICKS: usize = 8;

pub(crate) const STRATEGY: RGBColor = RGBColor(31, 119, 180);
pub(crate) const BASELINES: [RGBColor; 5] = [
    RGBColor(127, 127, 127),
    RGBColor(230, 126, 34),
    RGBColor(142, 68, 173),
    RGBColor(22, 160, 133),
    RGBColor(140, 86, 75),
];
pub(crate) const GAIN: RGBColor = RGBColor(44, 160, 44);
pub(crate) const LOSS: RGBColor = RGBColor(214, 39, 40);
pub(crate) const INK: RGBColor = RGBColor(55, 65, 81);
const GRID: RGBColor = RGBColor(229, 231, 235);

pub(crate) type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
pub(crate) type DrawError = DrawingAreaErrorKind<std::io::Error>;
pub(crate) type TimeChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<WithKeyPoints<RangedCoordi64>, RangedCoordf64>>;

/// Runs `draw` on a white `size` canvas and returns the `<svg>` element, with
/// a class and an accessible name added to its root tag.
pub(crate) fn render_svg<F>(chart: &'static str, label: &str, size: (u32, u32), draw: F) -> Result<String, ReportError>
where
    F: for<'b> FnOnce(&Area<'b>) -> Result<(), DrawError>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present())
            .map_err(|e| ReportError::Chart { chart, message: e.to_string() })?;
    }
    let tag = format!("<svg class=\"chart\" role=\"img\" aria-label=\"{}\" ", Html(label));
    Ok(svg.replacen("<svg ", &tag, 1))
}

/// A chart frame with calendar-labelled time on x and `y_label`-formatted
/// values on y, mesh drawn.
pub(crate) fn time_chart<'a, 'b>(
    area: &'a Area<'b>,
    x: (i64, i64),
    y: (f64, f64),
    y_desc: &str,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<TimeChart<'a, 'b>, DrawError> {
    let axis = TimeAxis::new(x.0, x.1, MAX_TIME_TICKS);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(84)
        .build_cartesian_2d((x.0..x.1).with_key_points(axis.ticks.clone()), y.0..y.1)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|t| axis.label(*t))
        .y_label_formatter(y_label)
        .y_labels(6)
        .y_desc(y_desc)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK)
        .label_style(("sans-serif", 15).into_font().color(&INK))
        .axis_desc_style(("sans-serif", 15).into_font().color(&INK))
        .draw()?;
    Ok(chart)
}

/// Draws the series labels in a box in the chart's top-left corner.
pub(crate) fn draw_legend<'a, 'b: 'a>(chart: &mut TimeChart<'a, 'b>) -> Result<(), DrawError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .label_font(("sans-serif", 15).into_font().color(&INK))
        .draw()
}

/// The series' points to draw, thinned with [`min_max_downsample`], as
/// `(nanoseconds, value)`.
pub(crate) fn thin(times: &[Timestamp], values: &[f64]) -> Vec<(i64, f64)> {
    let n = times.len().min(values.len());
    min_max_downsample(&values[..n], MAX_POINTS).into_iter().map(|i| (times[i].as_nanos(), values[i])).collect()
}

/// The time range of the points, widened to an hour when it is one instant.
pub(crate) fn time_bounds<'p>(points: impl IntoIterator<Item = &'p (i64, f64)>) -> Option<(i64, i64)> {
    let (lo, hi) = points.into_iter().fold(None, |acc: Option<(i64, i64)>, &(t, _)| match acc {
        None => Some((t, t)),
        Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
    })?;
    const HALF_HOUR: i64 = 1_800_000_000_000;
    Some(if lo < hi { (lo, hi) } else { (lo.saturating_sub(HALF_HOUR), hi.saturating_add(HALF_HOUR)) })
}

/// The range of the finite values with 5 % head room each side, widened when
/// it is a single value; `(0, 1)` when there is none.
pub(crate) fn value_bounds(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { (lo.abs() * 0.01).max(1e-9) };
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    #[test]
    fn value_bounds_pad_and_never_collapse() {
        assert_eq!(value_bounds([0.0, 100.0]), (-5.0, 105.0));
        let (lo, hi) = value_bounds([50.0, 50.0]);
        assert!(lo < 50.0 && hi > 50.0);
        assert_eq!(value_bounds([f64::NAN]), (0.0, 1.0));
        assert_eq!(value_bounds(std::iter::empty()), (0.0, 1.0));
    }

    #[test]
    fn time_bounds_widen_a_single_instant() {
        let (lo, hi) = time_bounds(&[(10, 1.0), (10, 2.0)]).unwrap();
        assert!(lo < 10 && hi > 10);
        assert_eq!(time_bounds(&[(5, 0.0), (1, 0.0), (9, 0.0)]), Some((1, 9)));
        assert_eq!(time_bounds(&[]), None);
    }

    #[test]
    fn svg_root_tag_gets_an_escaped_accessible_name() {
        let svg = render_svg("test", "a<b", (100, 50), |_| Ok(())).unwrap();
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-label=\"a&lt;b\" "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
