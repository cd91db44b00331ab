//! The monthly returns heat table: a row per year, a column per month and the
//! compounded year, each cell tinted green for gains and red for losses, the
//! stronger the larger the move relative to the table's largest.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use plotters::style::RGBColor;

use crate::MonthlyCell;
use crate::charts::{GAIN, LOSS};
use crate::format::signed_percent;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Returns per year, `None` for months without a cell. Several cells for the
/// same month are compounded; months are 1..=12 (checked by validation, and
/// others are skipped here).
fn by_year(cells: &[MonthlyCell]) -> BTreeMap<i32, [Option<f64>; 12]> {
    let mut years = BTreeMap::new();
    for cell in cells {
        let Some(month) = usize::from(cell.month).checked_sub(1).filter(|m| *m < 12) else { continue };
        let slot = &mut years.entry(cell.year).or_insert([None; 12])[month];
        *slot = Some(compound(slot.unwrap_or(0.0), cell.return_fraction));
    }
    years
}

fn compound(a: f64, b: f64) -> f64 {
    (1.0 + a) * (1.0 + b) - 1.0
}

/// Writes the table, or a sentence when there are no cells.
pub(crate) fn monthly_table(out: &mut String, cells: &[MonthlyCell]) -> fmt::Result {
    let years = by_year(cells);
    if years.is_empty() {
        out.push_str("<p class=\"empty\">No monthly returns.</p>\n");
        return Ok(());
    }
    let totals: Vec<f64> = years
        .values()
        .map(|m| m.iter().flatten().filter(|r| r.is_finite()).fold(0.0, |a, r| compound(a, *r)))
        .collect();
    let scale =
        |values: &mut dyn Iterator<Item = f64>| values.filter(|v| v.is_finite()).fold(0.0f64, |a, v| a.max(v.abs()));
    let month_scale = scale(&mut years.values().flat_map(|m| m.iter().flatten().copied()));
    let year_scale = scale(&mut totals.iter().copied());

    out.push_str("<table class=\"heat\">\n<thead><tr><th>Year</th>");
    for m in MONTHS {
        write!(out, "<th>{m}</th>")?;
    }
    out.push_str("<th>Year</th></tr></thead>\n<tbody>\n");
    for ((year, months), total) in years.iter().zip(&totals) {
        write!(out, "<tr><th scope=\"row\">{year}</th>")?;
        for r in months {
            cell(out, *r, month_scale)?;
        }
        cell(out, Some(*total), year_scale)?;
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(())
}

fn cell(out: &mut String, r: Option<f64>, scale: f64) -> fmt::Result {
    match r {
        None => out.push_str("<td></td>"),
        Some(r) => match tint(r, scale) {
            Some(RGBColor(red, green, blue)) => {
                write!(out, "<td style=\"background:#{red:02x}{green:02x}{blue:02x}\">{}</td>", signed_percent(r, 1))?
            }
            None => write!(out, "<td>{}</td>", signed_percent(r, 1))?,
        },
    }
    Ok(())
}

/// Background for a return `r` when the largest move in the table is `scale`:
/// white blended towards green or red, at least a faint tint for any move and
/// nearly full colour for the largest; `None` for zero or non-finite `r`.
fn tint(r: f64, scale: f64) -> Option<RGBColor> {
    if !r.is_finite() || r == 0.0 || scale <= 0.0 {
        return None;
    }
    let strength = 0.12 + 0.6 * (r.abs() / scale).min(1.0);
    let RGBColor(red, green, blue) = if r > 0.0 { GAIN } else { LOSS };
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * strength).round() as u8;
    Some(RGBColor(mix(red), mix(green), mix(blue)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn c(year: i32, month: u8, r: f64) -> MonthlyCell {
        MonthlyCell { year, month, return_fraction: r }
    }

    #[test]
    fn years_are_rows_in_order_and_the_year_column_compounds_its_months() {
        let mut out = String::new();
        monthly_table(&mut out, &[c(2019, 2, -0.05), c(2018, 1, 0.10), c(2018, 3, 0.10)]).unwrap();
        let y2018 = out.find(">2018<").unwrap();
        let y2019 = out.find(">2019<").unwrap();
        assert!(y2018 < y2019);
        assert!(out.contains(">+21.0%</td></tr>"), "2018 compounds to +21%: {out}");
        assert!(out.contains(">-5.0%</td>"), "{out}");
        assert_eq!(out.matches("<td").count(), 26, "13 cells per year row");
    }

    #[test]
    fn gains_are_green_losses_red_and_larger_moves_stronger() {
        let small = tint(0.01, 0.10).unwrap();
        let big = tint(0.10, 0.10).unwrap();
        let loss = tint(-0.05, 0.10).unwrap();
        assert!(big.1 > big.0 && small.1 > small.0, "green dominates gains");
        assert!(loss.0 > loss.1, "red dominates losses");
        assert!(big.0 < small.0, "a larger gain is further from white");
        assert_eq!(tint(0.0, 0.1), None);
        assert_eq!(tint(f64::NAN, 0.1), None);
    }

    #[test]
    fn duplicate_months_compound() {
        let years = by_year(&[c(2020, 5, 0.1), c(2020, 5, 0.1)]);
        assert!((years[&2020][4].unwrap() - 0.21).abs() < 1e-12);
    }

    #[test]
    fn no_cells_say_so() {
        let mut out = String::new();
        monthly_table(&mut out, &[]).unwrap();
        assert!(out.contains("No monthly returns"));
    }
}
