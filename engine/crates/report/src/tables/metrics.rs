//! The metrics table: one row per metric, the strategy's column first and
//! emphasised, then one column per baseline.

use std::fmt::{self, Write};

use crate::escape::Html;
use crate::format;
use crate::{MetricRow, RunSeries};

/// Writes the table; `rows[i].values` are in the order of `runs` (checked by
/// validation).
pub(crate) fn metrics_table(out: &mut String, runs: &[RunSeries<'_>], rows: &[MetricRow<'_>]) -> fmt::Result {
    out.push_str("<table class=\"metrics\">\n<thead><tr><th>Metric</th>");
    for (i, run) in runs.iter().enumerate() {
        let class = if i == 0 { " class=\"strategy\"" } else { "" };
        write!(out, "<th{class}>{}</th>", Html(run.name))?;
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        write!(out, "<tr><th scope=\"row\">{}</th>", Html(row.name))?;
        for (i, v) in row.values.iter().enumerate() {
            let class = if i == 0 { "num strategy" } else { "num" };
            write!(out, "<td class=\"{class}\">{}</td>", format::metric(row.kind, *v))?;
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::MetricKind;

    #[test]
    fn strategy_column_comes_first_and_values_are_formatted_by_kind() {
        let runs =
            [RunSeries { name: "SMA", ..RunSeries::default() }, RunSeries { name: "hold", ..RunSeries::default() }];
        let rows = [
            MetricRow { name: "Total return", kind: MetricKind::Fraction, values: &[0.25, -0.1] },
            MetricRow { name: "Win rate", kind: MetricKind::Fraction, values: &[0.5, f64::NAN] },
        ];
        let mut out = String::new();
        metrics_table(&mut out, &runs, &rows).unwrap();
        assert!(out.contains("<th class=\"strategy\">SMA</th><th>hold</th>"), "{out}");
        assert!(out.contains("<td class=\"num strategy\">25.00%</td><td class=\"num\">-10.00%</td>"), "{out}");
        assert!(out.contains("<td class=\"num\">—</td>"), "{out}");
    }
}
