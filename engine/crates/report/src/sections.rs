//! The page's sections, in reading order: what was run, what to worry about,
//! how it did against its baselines, then the detail behind the numbers.
//!
//! Each function writes one `<section>` with a stable `id`, or a sentence
//! where its data is missing, so a reader always sees what was left out.

use std::fmt::{self, Write};

use tradebot_core::Timestamp;

use crate::charts::{drawdown_svg, equity_svg, latency_svg, price_svg, returns_svg};
use crate::escape::Html;
use crate::format::{percent, signed_percent};
use crate::tables::{latency_table, metrics_table, monthly_table};
use crate::{MonthlyCell, ReportError, ReportInput, RunSeries, StageLatency, TradePoint, drawdown as drawdown_of};

pub(crate) fn header(out: &mut String, input: &ReportInput<'_>) -> fmt::Result {
    write!(out, "<header>\n<h1>{}</h1>\n", Html(input.title))?;
    if !input.subtitle.is_empty() {
        writeln!(out, "<p class=\"subtitle\">{}</p>", Html(input.subtitle))?;
    }
    out.push_str("</header>\n");
    Ok(())
}

pub(crate) fn notes(out: &mut String, notes: &[&str]) -> fmt::Result {
    if notes.is_empty() {
        return Ok(());
    }
    out.push_str("<section id=\"notes\" class=\"notes\">\n<h2>Notes</h2>\n<ul>\n");
    for note in notes {
        writeln!(out, "<li>{}</li>", Html(note))?;
    }
    out.push_str("</ul>\n</section>\n");
    Ok(())
}

pub(crate) fn metrics(out: &mut String, input: &ReportInput<'_>) -> fmt::Result {
    out.push_str("<section id=\"metrics\">\n<h2>Metrics</h2>\n");
    if input.metrics_table.is_empty() || input.runs.is_empty() {
        out.push_str("<p class=\"empty\">No metrics.</p>\n");
    } else {
        out.push_str("<div class=\"scroll\">\n");
        metrics_table(out, input.runs, input.metrics_table)?;
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

pub(crate) fn equity(out: &mut String, runs: &[RunSeries<'_>]) -> Result<(), ReportError> {
    out.push_str("<section id=\"equity\">\n<h2>Equity</h2>\n");
    match equity_svg(runs)? {
        Some(svg) => {
            if let Some(strategy) = runs.first() {
                writeln!(out, "<p class=\"caption\">{} (thick line) against its baselines.</p>", Html(strategy.name))?;
            }
            out.push_str(&svg);
        }
        None => out.push_str("<p class=\"empty\">No equity data.</p>\n"),
    }
    out.push_str("</section>\n");
    Ok(())
}

pub(crate) fn drawdown(out: &mut String, runs: &[RunSeries<'_>]) -> Result<(), ReportError> {
    out.push_str("<section id=\"drawdown\">\n<h2>Drawdown</h2>\n");
    let chart = match runs.first() {
        Some(run) => {
            let dd = drawdown_of(run.equity);
            let deepest = dd.iter().enumerate().filter(|(_, d)| d.is_finite()).fold(None, |best, (i, d)| match best {
                Some((_, b)) if b >= *d => best,
                _ => Some((i, *d)),
            });
            if let Some((i, d)) = deepest {
                let when = run.times.get(i).copied().unwrap_or(Timestamp::from_nanos(0));
                writeln!(
                    out,
                    "<p class=\"caption\">{}: 1 − equity / running peak. Deepest {} at {when}.</p>",
                    Html(run.name),
                    percent(d, 2)
                )?;
            }
            drawdown_svg(run, &dd)?
        }
        None => None,
    };
    match chart {
        Some(svg) => out.push_str(&svg),
        None => out.push_str("<p class=\"empty\">No equity data.</p>\n"),
    }
    out.push_str("</section>\n");
    Ok(())
}

pub(crate) fn prices(out: &mut String, input: &ReportInput<'_>) -> Result<(), ReportError> {
    out.push_str("<section id=\"prices\">\n<h2>Prices and trades</h2>\n");
    if input.prices.is_empty() {
        out.push_str("<p class=\"empty\">No price data.</p>\n");
    }
    for (i, series) in input.prices.iter().enumerate() {
        writeln!(out, "<h3>{}</h3>", Html(series.symbol))?;
        match price_svg(series, i, input.trades)? {
            Some(chart) => {
                writeln!(
                    out,
                    "<p class=\"caption\">▲ long entry, ▼ short entry, ○ exit. {} trades; {} markers drawn \
                     (markers on the same spot are merged).</p>",
                    chart.trades, chart.markers_drawn
                )?;
                out.push_str(&chart.svg);
            }
            None => out.push_str("<p class=\"empty\">No prices.</p>\n"),
        }
    }
    out.push_str("</section>\n");
    Ok(())
}

pub(crate) fn monthly(out: &mut String, cells: &[MonthlyCell]) -> fmt::Result {
    out.push_str("<section id=\"monthly\">\n<h2>Monthly returns</h2>\n<div class=\"scroll\">\n");
    monthly_table(out, cells)?;
    out.push_str("</div>\n</section>\n");
    Ok(())
}

pub(crate) fn trades(out: &mut String, trades: &[TradePoint]) -> Result<(), ReportError> {
    out.push_str("<section id=\"trades\">\n<h2>Trade returns</h2>\n");
    let returns: Vec<f64> = trades.iter().map(|t| t.return_fraction).filter(|r| r.is_finite()).collect();
    match returns_svg(trades)? {
        Some(svg) => {
            let winners = trades.iter().filter(|t| t.pnl > 0.0).count();
            let mean = returns.iter().sum::<f64>() / returns.len().max(1) as f64;
            let best = returns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let worst = returns.iter().copied().fold(f64::INFINITY, f64::min);
            writeln!(
                out,
                "<p class=\"caption\">{} closed trades, {} winners ({}); mean return {}, best {}, worst {}.</p>",
                trades.len(),
                winners,
                percent(winners as f64 / trades.len().max(1) as f64, 1),
                signed_percent(mean, 2),
                signed_percent(best, 2),
                signed_percent(worst, 2)
            )?;
            out.push_str(&svg);
        }
        None => out.push_str("<p class=\"empty\">No closed trades.</p>\n"),
    }
    out.push_str("</section>\n");
    Ok(())
}

pub(crate) fn latency(out: &mut String, stages: &[StageLatency<'_>]) -> Result<(), ReportError> {
    out.push_str("<section id=\"latency\">\n<h2>Latency per stage</h2>\n");
    match latency_svg(stages)? {
        Some(svg) => {
            out.push_str("<div class=\"scroll\">\n");
            latency_table(out, stages)?;
            out.push_str("</div>\n<p class=\"caption\">p50 and p99 per stage, log scale.</p>\n");
            out.push_str(&svg);
        }
        None => out.push_str("<p class=\"empty\">No latency measurements.</p>\n"),
    }
    out.push_str("</section>\n");
    Ok(())
}
