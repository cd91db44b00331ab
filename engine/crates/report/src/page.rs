//! [`render_html`]: the page skeleton, its stylesheet and the section order.
//!
//! Everything the page needs is inside it — CSS in a `<style>` element, charts
//! as inline `<svg>` — so it opens offline, and nothing in it depends on when
//! or where it was rendered, so the same input gives byte-identical output.

use std::fmt::Write;

use crate::escape::Html;
use crate::sections;
use crate::validate::validate;
use crate::{ReportError, ReportInput};

/// Renders the complete, self-contained `report.html` of a run.
///
/// Refuses structurally inconsistent input (see [`ReportError`]); missing
/// parts (no trades, no latency, a single run) render as a sentence in place
/// of their chart or table.
pub fn render_html(input: &ReportInput<'_>) -> Result<String, ReportError> {
    validate(input)?;
    let mut out = String::with_capacity(256 * 1024);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n",
        Html(input.title)
    )?;
    sections::header(&mut out, input)?;
    sections::notes(&mut out, input.notes)?;
    sections::metrics(&mut out, input)?;
    sections::equity(&mut out, input.runs)?;
    sections::drawdown(&mut out, input.runs)?;
    sections::prices(&mut out, input)?;
    sections::monthly(&mut out, input.monthly_returns)?;
    sections::trades(&mut out, input.trades)?;
    sections::latency(&mut out, input.latency)?;
    write!(out, "<footer>tradebot-report {}</footer>\n</main>\n</body>\n</html>\n", env!("CARGO_PKG_VERSION"))?;
    Ok(out)
}

/// System fonts only: a web font would need the network or a large inline blob.
const STYLE: &str = r#"body { margin: 0; background: #f9fafb; color: #1f2937;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 16px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
.subtitle { margin: 0; color: #4b5563; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px; margin: 20px 0; }
h2 { margin: 0 0 12px; font-size: 19px; }
h3 { margin: 16px 0 8px; font-size: 16px; }
svg.chart { display: block; max-width: 100%; height: auto; }
.caption, .empty { color: #4b5563; margin: 4px 0 10px; }
.notes { border-color: #f59e0b; background: #fffbeb; }
.notes ul { margin: 0; padding-left: 20px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e5e7eb; text-align: left; white-space: nowrap; }
thead th { border-bottom: 2px solid #d1d5db; }
td.num { text-align: right; }
.metrics .strategy { font-weight: 600; background: #eff6ff; }
.heat td { text-align: right; min-width: 48px; font-size: 13px; }
.heat th { font-size: 13px; }
.scroll { overflow-x: auto; }
footer { color: #9ca3af; font-size: 12px; text-align: center; }
"#;
