//! Reading a candle CSV into validated rows, strictly or with safe repairs.
//!
//! Accepted: header `timestamp,open,high,low,close,volume` in any order and
//! letter case (the time column may also be called `date`, `datetime`,
//! `time` or `open_time`), surrounding whitespace, a UTF-8 BOM, CRLF line ends, gzip
//! compression (detected from the content, not the name). Timestamps as
//! [`Timestamp::parse`] reads them; numbers as exact decimals.

use std::cmp::Ordering;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use tradebot_core::{Decimal, Interval, Scale, Timestamp, format_mantissa, parse_decimal};

use crate::ImportError;

/// Value columns in storage order.
pub(crate) const VALUE_COLUMNS: [&str; 5] = ["open", "high", "low", "close", "volume"];
const EXPECTED_HEADER: &str = "timestamp,open,high,low,close,volume";

/// One validated row.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Row {
    /// 1-based line number in the input.
    pub line: u64,
    pub time: Timestamp,
    /// open, high, low, close, volume.
    pub values: [Decimal; 5],
}

/// What `--repair` changed, row by row.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RepairKind {
    /// An exact copy of an earlier row (same time, same values) was dropped.
    DroppedDuplicate { of_line: u64 },
    /// The row came after a later-timed row and was moved into time order.
    Reordered { after_line: u64 },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Repair {
    pub line: u64,
    pub time: Timestamp,
    #[serde(flatten)]
    pub kind: RepairKind,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            RepairKind::DroppedDuplicate { of_line } => {
                write!(f, "line {}: dropped exact duplicate of line {of_line} ({})", self.line, self.time)
            }
            RepairKind::Reordered { after_line } => {
                write!(
                    f,
                    "line {}: moved into time order ({} came after line {after_line}'s later bar)",
                    self.line, self.time
                )
            }
        }
    }
}

/// The rows of a file, in strictly increasing time order.
#[derive(Clone, Debug, Default)]
pub struct ParsedCsv {
    pub rows: Vec<Row>,
    pub rows_read: u64,
    pub repairs: Vec<Repair>,
}

impl ParsedCsv {
    /// The smallest scales that hold every price and every volume exactly.
    pub fn scales(&self) -> (Scale, Scale) {
        let mut p = 0u8;
        let mut q = 0u8;
        for r in &self.rows {
            p = p
                .max(r.values[0].decimals)
                .max(r.values[1].decimals)
                .max(r.values[2].decimals)
                .max(r.values[3].decimals);
            q = q.max(r.values[4].decimals);
        }
        // parse_decimal never yields more than Scale::MAX_DECIMALS places.
        (Scale::new(p).unwrap_or_default(), Scale::new(q).unwrap_or_default())
    }
}

/// Reads and validates a candle CSV. Without `repair` the first problem is an
/// error; with it, exact duplicates are dropped and rows sorted (each change
/// listed), while conflicting duplicates and bad rows are still errors.
pub fn read_candles_csv(
    input: impl Read,
    file: &Path,
    interval: Interval,
    repair: bool,
) -> Result<ParsedCsv, ImportError> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let head = buffered.fill_buf().map_err(ImportError::io(file, "read"))?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> =
        if gzip { Box::new(flate2::bufread::MultiGzDecoder::new(buffered)) } else { Box::new(buffered) };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        // No `Trim::All`: csv's trim rebuilds the record (an allocation per
        // row); fields are trimmed as borrowed slices below instead.
        .buffer_capacity(1 << 16)
        .from_reader(reader);

    let mut record = csv::ByteRecord::new();
    let read_err = |e: csv::Error, line: u64| {
        let line = e.position().map_or(line, csv::Position::line);
        ImportError::data(file, line, None, format!("cannot read the file: {}", describe_csv_error(&e)))
    };
    if !csv.read_byte_record(&mut record).map_err(|e| read_err(e, 1))? {
        return Err(ImportError::data(file, 1, None, format!("empty file: expected the header {EXPECTED_HEADER}")));
    }
    let header_line = record.position().map_or(1, csv::Position::line);
    let columns = map_header(&record, file, header_line)?;

    let mut out = ParsedCsv { rows: Vec::with_capacity(1 << 16), ..ParsedCsv::default() };
    let mut max_seen: Option<(Timestamp, u64)> = None;
    let mut unordered = false;
    while csv.read_byte_record(&mut record).map_err(|e| read_err(e, 0))? {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
            continue; // a line of only whitespace
        }
        let row = parse_row(&record, &columns, file, line, interval)?;
        out.rows_read += 1;
        if let Some((prev, prev_line)) = max_seen {
            match row.time.cmp(&prev) {
                Ordering::Greater => {}
                _ if repair => unordered = true,
                Ordering::Equal => {
                    return Err(ImportError::data(
                        file,
                        line,
                        Some("timestamp"),
                        format!(
                            "duplicate timestamp {} (also on line {prev_line}); --repair drops exact duplicates",
                            row.time
                        ),
                    ));
                }
                Ordering::Less => {
                    return Err(ImportError::data(
                        file,
                        line,
                        Some("timestamp"),
                        format!(
                            "{} is before {} on line {prev_line}: rows must be in increasing time order (--repair sorts them)",
                            row.time, prev
                        ),
                    ));
                }
            }
        }
        if max_seen.is_none_or(|(t, _)| row.time > t) {
            max_seen = Some((row.time, line));
        }
        out.rows.push(row);
    }
    if out.rows.is_empty() {
        return Err(ImportError::data(file, header_line, None, "no candle rows after the header"));
    }
    if unordered {
        repair_order(&mut out, file)?;
    }
    Ok(out)
}

fn describe_csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        other => format!("{other:?}"),
    }
}

/// Index of each expected column in the file's header.
fn map_header(header: &csv::ByteRecord, file: &Path, line: u64) -> Result<[usize; 6], ImportError> {
    let mut idx = [usize::MAX; 6];
    for (i, raw) in header.iter().enumerate() {
        let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name = String::from_utf8_lossy(raw).trim().to_ascii_lowercase();
        let slot = match name.as_str() {
            // Common names of the time column in exported candle files.
            "timestamp" | "date" | "datetime" | "time" | "open_time" => 0,
            "open" => 1,
            "high" => 2,
            "low" => 3,
            "close" => 4,
            "volume" => 5,
            _ => {
                return Err(ImportError::data(
                    file,
                    line,
                    None,
                    format!("unexpected column '{name}' in the header; expected {EXPECTED_HEADER}"),
                ));
            }
        };
        if idx[slot] != usize::MAX {
            return Err(ImportError::data(file, line, None, format!("column '{name}' appears twice in the header")));
        }
        idx[slot] = i;
    }
    let names = ["timestamp", "open", "high", "low", "close", "volume"];
    if let Some(missing) = (0..6).find(|&s| idx[s] == usize::MAX) {
        return Err(ImportError::data(
            file,
            line,
            None,
            format!("the header lacks column '{}'; expected {EXPECTED_HEADER}", names[missing]),
        ));
    }
    Ok(idx)
}

fn parse_row(
    rec: &csv::ByteRecord,
    cols: &[usize; 6],
    file: &Path,
    line: u64,
    interval: Interval,
) -> Result<Row, ImportError> {
    if rec.len() != 6 {
        return Err(ImportError::data(file, line, None, format!("expected 6 fields, found {}", rec.len())));
    }
    let field = |i: usize| rec.get(cols[i]).unwrap_or_default().trim_ascii();
    let ts_text = std::str::from_utf8(field(0))
        .map_err(|_| ImportError::data(file, line, Some("timestamp"), "not valid UTF-8"))?;
    let time =
        Timestamp::parse(ts_text).map_err(|e| ImportError::data(file, line, Some("timestamp"), e.to_string()))?;
    if !interval.is_aligned(time) {
        return Err(ImportError::data(
            file,
            line,
            Some("timestamp"),
            format!("{time} is not on the {interval} grid (expected an open time like {})", interval.floor(time)),
        ));
    }
    let mut values = [Decimal { mantissa: 0, decimals: 0 }; 5];
    for (k, v) in values.iter_mut().enumerate() {
        *v = parse_decimal(field(k + 1))
            .map_err(|e| ImportError::data(file, line, Some(VALUE_COLUMNS[k]), e.to_string()))?;
    }
    let row = Row { line, time, values };
    check_sanity(&row).map_err(|(col, msg)| ImportError::data(file, line, Some(col), msg))?;
    Ok(row)
}

/// Exact comparison of two decimals of any scales.
pub(crate) fn cmp_dec(a: Decimal, b: Decimal) -> Ordering {
    let wide = |d: Decimal| i128::from(d.mantissa) * 10i128.pow(u32::from(Scale::MAX_DECIMALS - d.decimals));
    wide(a).cmp(&wide(b))
}

pub(crate) fn show(d: Decimal) -> String {
    let mut s = String::new();
    // Decimals come from parse_decimal and never exceed the maximum scale.
    format_mantissa(d.mantissa, Scale::new(d.decimals).unwrap_or_default(), &mut s);
    s
}

/// The OHLCV rules, checked exactly on the decimals: prices > 0, volume >= 0,
/// low <= open, close <= high.
fn check_sanity(row: &Row) -> Result<(), (&'static str, String)> {
    let [open, high, low, close, volume] = row.values;
    for (k, v) in [open, high, low, close].into_iter().enumerate() {
        if v.mantissa <= 0 {
            let c = VALUE_COLUMNS[k];
            return Err((c, format!("{c} {} must be > 0", show(v))));
        }
    }
    if volume.mantissa < 0 {
        return Err(("volume", format!("volume {} must be >= 0", show(volume))));
    }
    if cmp_dec(high, low) == Ordering::Less {
        return Err(("high", format!("high {} < low {}", show(high), show(low))));
    }
    for (c, v) in [("open", open), ("close", close)] {
        if cmp_dec(v, high) == Ordering::Greater {
            return Err((c, format!("{c} {} > high {}", show(v), show(high))));
        }
        if cmp_dec(v, low) == Ordering::Less {
            return Err((c, format!("{c} {} < low {}", show(v), show(low))));
        }
    }
    Ok(())
}

/// Sorts rows by time (stable, so the first of equal rows stays first),
/// drops exact duplicates and refuses conflicting ones; lists every change.
fn repair_order(out: &mut ParsedCsv, file: &Path) -> Result<(), ImportError> {
    let mut max_before: Option<(Timestamp, u64)> = None;
    for r in &out.rows {
        if let Some((t, l)) = max_before
            && r.time < t
        {
            out.repairs.push(Repair { line: r.line, time: r.time, kind: RepairKind::Reordered { after_line: l } });
        }
        if max_before.is_none_or(|(t, _)| r.time > t) {
            max_before = Some((r.time, r.line));
        }
    }
    out.rows.sort_by_key(|r| r.time);
    let mut kept: Vec<Row> = Vec::with_capacity(out.rows.len());
    for r in out.rows.drain(..) {
        if let Some(prev) = kept.last()
            && prev.time == r.time
        {
            if prev.values == r.values {
                out.repairs.push(Repair {
                    line: r.line,
                    time: r.time,
                    kind: RepairKind::DroppedDuplicate { of_line: prev.line },
                });
                continue;
            }
            let k = (0..5).find(|&k| prev.values[k] != r.values[k]).unwrap_or(0);
            let c = VALUE_COLUMNS[k];
            return Err(ImportError::data(
                file,
                r.line,
                Some(c),
                format!(
                    "conflicting duplicate of line {} for {}: {c} {} vs {}; cannot repair safely",
                    prev.line,
                    r.time,
                    show(prev.values[k]),
                    show(r.values[k])
                ),
            ));
        }
        kept.push(r);
    }
    out.rows = kept;
    out.repairs.sort_by_key(|r| r.line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, repair: bool) -> Result<ParsedCsv, String> {
        read_candles_csv(text.as_bytes(), Path::new("in.csv"), Interval::M5, repair).map_err(|e| e.to_string())
    }

    const H: &str = "timestamp,open,high,low,close,volume\n";

    #[test]
    fn the_spec_example_message() {
        let e = read(&format!("{H}2018-01-10T04:55:00Z,1.0714,1.0712,1.0716,1.0713,5\n"), false).unwrap_err();
        assert_eq!(e, "in.csv:2: column 'high': high 1.0712 < low 1.0716");
    }

    #[test]
    fn tolerates_bom_crlf_case_whitespace_and_column_order() {
        let text = "\u{feff} TimeStamp , CLOSE,open,High,low,Volume\r\n 2018-01-10T04:55:00Z , 2 ,1,3,0.5, 10 \r\n";
        let p = read(text, false).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(show(p.rows[0].values[3]), "2");
        assert_eq!(show(p.rows[0].values[0]), "1");
    }

    #[test]
    fn every_problem_names_line_and_column() {
        let row = |s: &str| read(&format!("{H}2018-01-10T04:50:00Z,1,1,1,1,1\n{s}\n"), false).unwrap_err();
        assert_eq!(row("2018-01-10T04:55:00Z,NaN,1,1,1,1"), "in.csv:3: column 'open': 'NaN' is not a finite number");
        assert_eq!(row("2018-01-10T04:55:00Z,1,1,1,1,-2"), "in.csv:3: column 'volume': volume -2 must be >= 0");
        assert_eq!(row("2018-01-10T04:55:00Z,0,1,1,1,2"), "in.csv:3: column 'open': open 0 must be > 0");
        assert_eq!(row("2018-01-10T04:55:00Z,2,1.5,1,1,2"), "in.csv:3: column 'open': open 2 > high 1.5");
        assert_eq!(row("2018-01-10T04:55:00Z,1,2,1,0.5,2"), "in.csv:3: column 'close': close 0.5 < low 1");
        assert_eq!(row("2018-01-10T04:55:00Z,1,x,1,1,2"), "in.csv:3: column 'high': 'x' is not a number");
        assert_eq!(row("2018-01-10T04:55:00Z,1,1,1"), "in.csv:3: expected 6 fields, found 4");
        assert!(
            row("2018-01-10T04:56:00Z,1,1,1,1,1")
                .starts_with("in.csv:3: column 'timestamp': 2018-01-10T04:56:00Z is not on the 5m grid")
        );
        assert!(row("2018-01-10T04:50:00Z,1,1,1,1,1").starts_with("in.csv:3: column 'timestamp': duplicate timestamp"));
        assert!(
            row("2018-01-10T04:45:00Z,1,1,1,1,1")
                .starts_with("in.csv:3: column 'timestamp': 2018-01-10T04:45:00Z is before")
        );
        assert!(
            row("not-a-time,1,1,1,1,1")
                .starts_with("in.csv:3: column 'timestamp': 'not-a-time' is not a valid timestamp")
        );
    }

    #[test]
    fn header_problems_are_named() {
        assert!(read("", false).unwrap_err().contains("empty file"));
        assert!(read(H, false).unwrap_err().contains("no candle rows"));
        assert!(read("timestamp,open,high,low,close\n", false).unwrap_err().contains("lacks column 'volume'"));
        for alias in ["Date", "datetime", "time", "open_time"] {
            let text = format!("{alias},open,high,low,close,volume\n2018-01-10T04:50:00Z,1,1,1,1,1\n");
            assert!(read(&text, false).is_ok(), "{alias} names the time column");
        }
        assert!(read("date,timestamp,open,high,low,close,volume\n", false).unwrap_err().contains("appears twice"));
        assert!(
            read("timestamp,open,high,low,close,volume,trades\n", false)
                .unwrap_err()
                .contains("unexpected column 'trades'")
        );
    }

    #[test]
    fn repair_sorts_and_drops_exact_duplicates_and_lists_each_change() {
        let text = format!(
            "{H}2018-01-10T05:00:00Z,1,2,1,1,1\n2018-01-10T04:55:00Z,1,2,1,1,1\n2018-01-10T05:00:00Z,1,2,1,1,1\n2018-01-10T05:05:00Z,1,2,1,1,1\n"
        );
        assert!(read(&text, false).is_err());
        let p = read(&text, true).unwrap();
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 2, 5]);
        let notes: Vec<String> = p.repairs.iter().map(ToString::to_string).collect();
        assert_eq!(
            notes,
            vec![
                "line 3: moved into time order (2018-01-10T04:55:00Z came after line 2's later bar)",
                "line 4: dropped exact duplicate of line 2 (2018-01-10T05:00:00Z)",
            ]
        );
    }

    #[test]
    fn repair_refuses_conflicting_duplicates() {
        let text = format!("{H}2018-01-10T05:00:00Z,1,2,1,1,1\n2018-01-10T05:00:00Z,1,2,1,1.5,1\n");
        let e = read(&text, true).unwrap_err();
        assert_eq!(
            e,
            "in.csv:3: column 'close': conflicting duplicate of line 2 for 2018-01-10T05:00:00Z: close 1 vs 1.5; cannot repair safely"
        );
    }
}
