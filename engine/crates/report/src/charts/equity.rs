//! Equity curves of the strategy and its baselines on one chart.
//!
//! The strategy is drawn last, thicker and in the strong colour, so it reads
//! as the subject and the baselines as context.

use plotters::prelude::*;

use super::{BASELINES, STRATEGY, WIDTH, draw_legend, render_svg, thin, time_bounds, time_chart, value_bounds};
use crate::ReportError;
use crate::RunSeries;
use crate::format::{axis_decimals, fixed};

pub(crate) fn equity_svg(runs: &[RunSeries<'_>]) -> Result<Option<String>, ReportError> {
    let series: Vec<Vec<(i64, f64)>> = runs.iter().map(|r| thin(r.times, r.equity)).collect();
    let Some(x) = time_bounds(series.iter().flatten()) else { return Ok(None) };
    let y = value_bounds(series.iter().flatten().map(|p| p.1));
    let decimals = axis_decimals(y.0, y.1);
    let svg = render_svg("equity", "Equity curves", (WIDTH, 400), |area| {
        let y_label = |v: &f64| fixed(*v, decimals);
        let mut chart = time_chart(area, x, y, "equity", &y_label)?;
        let style = |i: usize| match i {
            0 => STRATEGY.stroke_width(3),
            _ => BASELINES[(i - 1) % BASELINES.len()].stroke_width(1),
        };
        // Legend entries in input order (strategy first) while the strategy's
        // line is drawn on top of the baselines.
        for (i, run) in runs.iter().enumerate() {
            let s = style(i);
            chart
                .draw_series(std::iter::empty::<PathElement<(i64, f64)>>())?
                .label(run.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], s));
        }
        for (i, points) in series.iter().enumerate().rev() {
            chart.draw_series(LineSeries::new(points.iter().copied(), style(i)))?;
        }
        draw_legend(&mut chart)
    })?;
    Ok(Some(svg))
}
