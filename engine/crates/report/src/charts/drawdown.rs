//! The strategy's drawdown as a filled "underwater" area below zero.

use plotters::prelude::*;

use super::{LOSS, WIDTH, render_svg, thin, time_bounds, time_chart};
use crate::format::axis_decimals;
use crate::{ReportError, RunSeries, format};

/// `drawdown` is [`crate::drawdown`] of `run.equity`, drawn as `-100 × dd` %.
pub(crate) fn drawdown_svg(run: &RunSeries<'_>, drawdown: &[f64]) -> Result<Option<String>, ReportError> {
    let points: Vec<(i64, f64)> = thin(run.times, drawdown).into_iter().map(|(t, d)| (t, -100.0 * d)).collect();
    let Some(x) = time_bounds(&points) else { return Ok(None) };
    let deepest = points.iter().map(|p| p.1).fold(0.0f64, f64::min);
    // Never less than half a percent tall, so a flat curve is not magnified into noise.
    let y = (deepest.min(-0.5) * 1.08, 0.0);
    let decimals = axis_decimals(y.0, y.1);
    let svg = render_svg("drawdown", "Strategy drawdown", (WIDTH, 240), |area| {
        let y_label = |v: &f64| format!("{}%", format::fixed(*v, decimals));
        let mut chart = time_chart(area, x, y, "drawdown", &y_label)?;
        chart.draw_series(AreaSeries::new(points.iter().copied(), 0.0, LOSS.mix(0.25)).border_style(LOSS))?;
        Ok(())
    })?;
    Ok(Some(svg))
}
