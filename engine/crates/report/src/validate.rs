//! Structural checks of a [`ReportInput`] before anything is drawn.
//!
//! Mismatched lengths or backwards time would otherwise be drawn as a wrong
//! but plausible-looking chart; refusing them names the caller's bug instead.

use tradebot_core::Timestamp;

use crate::{ReportError, ReportInput};

pub(crate) fn validate(input: &ReportInput<'_>) -> Result<(), ReportError> {
    for run in input.runs {
        check_series("run", run.name, run.times, run.equity.len())?;
    }
    for price in input.prices {
        check_series("price series", price.symbol, price.times, price.closes.len())?;
    }
    for row in input.metrics_table {
        if row.values.len() != input.runs.len() {
            return Err(ReportError::MetricWidth {
                metric: row.name.to_owned(),
                values: row.values.len(),
                runs: input.runs.len(),
            });
        }
    }
    for cell in input.monthly_returns {
        if !(1..=12).contains(&cell.month) {
            return Err(ReportError::InvalidMonth { year: cell.year, month: cell.month });
        }
    }
    for (i, trade) in input.trades.iter().enumerate() {
        if trade.symbol >= input.prices.len() {
            return Err(ReportError::UnknownSymbol { trade: i, symbol: trade.symbol, symbols: input.prices.len() });
        }
    }
    Ok(())
}

fn check_series(what: &'static str, name: &str, times: &[Timestamp], values: usize) -> Result<(), ReportError> {
    if times.len() != values {
        return Err(ReportError::LengthMismatch { what, name: name.to_owned(), times: times.len(), values });
    }
    if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
        return Err(ReportError::Unordered { what, name: name.to_owned(), index: i + 1 });
    }
    Ok(())
}
