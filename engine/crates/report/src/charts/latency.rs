//! p50 and p99 latency per pipeline stage as grouped bars on a log scale.
//!
//! Stages differ by orders of magnitude (a feature update in nanoseconds, a
//! broker round trip in milliseconds), so a linear axis would flatten all but
//! the slowest; labels carry their unit (ns, µs, ms).

use plotters::prelude::*;

use super::{BASELINES, INK, STRATEGY, WIDTH, render_svg};
use crate::format::duration_tick;
use crate::{ReportError, StageLatency};

const SLOT: i64 = 100;

pub(crate) fn latency_svg(stages: &[StageLatency<'_>]) -> Result<Option<String>, ReportError> {
    if stages.is_empty() {
        return Ok(None);
    }
    // Bars start at 1 ns: log scale has no zero, and nothing is faster.
    let value = |ns: u64| (ns as f64).max(1.0);
    let top = stages.iter().map(|s| value(s.p50_ns).max(value(s.p99_ns))).fold(10.0f64, f64::max) * 3.0;
    // x in hundredths of a stage slot (integer, so plotters can label it):
    // stage i occupies i*100 .. (i+1)*100, its name sits at the centre.
    let n = stages.len() as i64;
    let centres: Vec<i64> = (0..n).map(|i| i * SLOT + SLOT / 2).collect();
    let p99_colour = BASELINES[1];
    let svg = render_svg("latency", "Latency per stage", (WIDTH, 320), |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(84)
            .build_cartesian_2d((0..n * SLOT).with_key_points(centres), (1.0..top).log_scale())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| {
                usize::try_from(x.div_euclid(SLOT))
                    .ok()
                    .and_then(|i| stages.get(i))
                    .map_or_else(String::new, |s| s.stage.to_owned())
            })
            .y_label_formatter(&|v| duration_tick(*v))
            .y_desc("latency")
            .disable_x_mesh()
            .bold_line_style(RGBColor(229, 231, 235))
            .light_line_style(TRANSPARENT)
            .axis_style(INK)
            .label_style(("sans-serif", 15).into_font().color(&INK))
            .axis_desc_style(("sans-serif", 15).into_font().color(&INK))
            .draw()?;
        let bar = |i: usize, left: i64, ns: u64| {
            let x = i as i64 * SLOT + left;
            [(x, 1.0), (x + 36, value(ns))]
        };
        chart
            .draw_series(
                stages.iter().enumerate().map(|(i, s)| Rectangle::new(bar(i, 12, s.p50_ns), STRATEGY.filled())),
            )?
            .label("p50")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], STRATEGY.filled()));
        chart
            .draw_series(
                stages.iter().enumerate().map(|(i, s)| Rectangle::new(bar(i, 52, s.p99_ns), p99_colour.filled())),
            )?
            .label("p99")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], p99_colour.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(229, 231, 235))
            .label_font(("sans-serif", 15).into_font().color(&INK))
            .draw()
    })?;
    Ok(Some(svg))
}
