//! The latency percentiles table, with units chosen per value.

use std::fmt::{self, Write};

use crate::StageLatency;
use crate::escape::Html;
use crate::format::{duration_ns, fixed};

pub(crate) fn latency_table(out: &mut String, stages: &[StageLatency<'_>]) -> fmt::Result {
    out.push_str(
        "<table class=\"latency\">\n<thead><tr><th>Stage</th><th>Count</th><th>p50</th><th>p90</th><th>p99</th>\
         <th>p99.9</th><th>max</th></tr></thead>\n<tbody>\n",
    );
    for s in stages {
        write!(out, "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td>", Html(s.stage), fixed(s.count as f64, 0))?;
        for ns in [s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, s.max_ns] {
            write!(out, "<td class=\"num\">{}</td>", duration_ns(ns as f64))?;
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(())
}
