//! [`Headline`] records and [`HeadlineReader`], the strict JSONL reader of a
//! recorded headline stream (the replay source of the sentiment agent).
//!
//! One record per line:
//!
//! ```text
//! {"time": "2018-01-16T09:30:00Z", "headline": "...", "source": "...", "symbols": ["BTC/USDT"]}
//! {"time": 1516095000000, "headline": "..."}
//! ```
//!
//! * `time`: an RFC 3339 timestamp with an explicit offset (`Z` or
//!   `±hh:mm`), parsed by jiff (which also accepts the RFC 9557 extension
//!   of RFC 3339); or an integer count of Unix **milliseconds**. A local
//!   time without offset is refused: a headline's instant decides which
//!   candles it may affect, so it must not depend on a guessed time zone.
//! * `headline`: the text to score; not empty.
//! * `source` (optional): who published it; kept for reports, not scored.
//! * `symbols` (optional): the markets it is about; absent means every
//!   market. An empty list is refused, as it would mean none.
//!
//! An optional field set to `null` counts as absent, as JSON writers often
//! emit it that way.
//!
//! Unknown fields are errors (a misspelt `symbol` would otherwise silently
//! make a headline apply to every market). Records must be in non-decreasing
//! time order, which is what lets the agent consume them in one pass.
//! Blank lines are skipped but still counted, so every error names the line
//! an editor shows.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use tradebot_core::{Symbol, Timestamp};

use crate::HeadlineError;

/// One timestamped headline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Headline {
    /// When it was published (UTC nanoseconds). It may only affect candles
    /// that close strictly after this instant.
    #[serde(deserialize_with = "deserialize_time")]
    pub time: Timestamp,
    #[serde(deserialize_with = "deserialize_text")]
    pub headline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `None`: about every market.
    #[serde(default, deserialize_with = "deserialize_symbols", skip_serializing_if = "Option::is_none")]
    pub symbols: Option<Vec<Symbol>>,
}

impl Headline {
    /// Whether this headline is about `symbol`.
    pub fn concerns(&self, symbol: &Symbol) -> bool {
        self.symbols.as_ref().is_none_or(|s| s.contains(symbol))
    }
}

fn deserialize_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    d.deserialize_any(TimeVisitor)
}

struct TimeVisitor;

impl serde::de::Visitor<'_> for TimeVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp string or an integer of Unix milliseconds")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        parse_rfc3339(s).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, ms: i64) -> Result<Timestamp, E> {
        Timestamp::from_millis(ms).ok_or_else(|| E::custom(format!("{ms} ms since the epoch is out of range")))
    }

    fn visit_u64<E: serde::de::Error>(self, ms: u64) -> Result<Timestamp, E> {
        i64::try_from(ms)
            .ok()
            .and_then(Timestamp::from_millis)
            .ok_or_else(|| E::custom(format!("{ms} ms since the epoch is out of range")))
    }
}

/// RFC 3339 with a required offset, through jiff, to integer nanoseconds.
fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
    let ts: jiff::Timestamp =
        s.parse().map_err(|e| format!("{s:?} is not an RFC 3339 timestamp with an offset: {e}"))?;
    i64::try_from(ts.as_nanosecond())
        .map(Timestamp::from_nanos)
        .map_err(|_| format!("{s:?} is outside the supported range (years 1678 to 2261)"))
}

fn deserialize_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(serde::de::Error::custom("must not be empty"));
    }
    Ok(s)
}

fn deserialize_symbols<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Symbol>>, D::Error> {
    let v = Option::<Vec<Symbol>>::deserialize(d)?;
    if v.as_ref().is_some_and(Vec::is_empty) {
        return Err(serde::de::Error::custom(
            "must not be empty; leave the field out for a headline about every market",
        ));
    }
    Ok(v)
}

/// Reads a JSONL headline stream record by record, checking each record and
/// the time order; the iterator stops after the first error.
#[derive(Debug)]
pub struct HeadlineReader<R> {
    input: R,
    path: PathBuf,
    line: u64,
    buf: String,
    /// Time and line of the last record, for the order check.
    previous: Option<(Timestamp, u64)>,
    done: bool,
}

impl HeadlineReader<BufReader<File>> {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, HeadlineError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| HeadlineError::Open { path: path.to_owned(), source })?;
        Ok(HeadlineReader::new(BufReader::new(file), path))
    }
}

impl<R: BufRead> HeadlineReader<R> {
    /// `path` only names the input in errors (any reader works, e.g. a
    /// recorded live stream in memory).
    pub fn new(input: R, path: impl Into<PathBuf>) -> Self {
        HeadlineReader { input, path: path.into(), line: 0, buf: String::new(), previous: None, done: false }
    }

    fn next_record(&mut self) -> Option<Result<Headline, HeadlineError>> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => {
                    return Some(Err(HeadlineError::Read { path: self.path.clone(), line: self.line, source }));
                }
            }
            let mut text = self.buf.trim_end_matches(['\n', '\r']);
            if self.line == 1 {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
            }
            if text.trim().is_empty() {
                continue;
            }
            return Some(self.parse(text));
        }
    }

    fn parse(&self, text: &str) -> Result<Headline, HeadlineError> {
        let record = parse_record(text).map_err(|(column, field, message)| HeadlineError::Record {
            path: self.path.clone(),
            line: self.line,
            column,
            field,
            message,
        })?;
        if let Some((previous, previous_line)) = self.previous
            && record.time < previous
        {
            return Err(HeadlineError::OutOfOrder {
                path: self.path.clone(),
                line: self.line,
                time: record.time,
                previous,
                previous_line,
            });
        }
        Ok(record)
    }
}

/// One JSON line to a record, or (column, field, message).
fn parse_record(text: &str) -> Result<Headline, (u64, Option<String>, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let record: Headline = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        // "." is the record itself (a missing field) and "?" a place the
        // parser could not name (a syntax error): no field to report.
        let field = (path != "." && !path.contains('?')).then_some(path);
        let (column, message) = json_error_parts(e.inner());
        (column, field, message)
    })?;
    de.end().map_err(|e| {
        let (column, message) = json_error_parts(&e);
        (column, None, message)
    })?;
    Ok(record)
}

/// serde_json's message without its " at line 1 column N" suffix: the line
/// it would give is the line within the record, always 1, and would
/// contradict the file line the error reports.
fn json_error_parts(e: &serde_json::Error) -> (u64, String) {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    (e.column() as u64, message)
}

impl<R: BufRead> Iterator for HeadlineReader<R> {
    type Item = Result<Headline, HeadlineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_record();
        match &item {
            Some(Ok(h)) => self.previous = Some((h.time, self.line)),
            Some(Err(_)) | None => self.done = true,
        }
        item
    }
}

/// Every record of a JSONL headline file, checked, in file order.
pub fn read_headlines(path: impl AsRef<Path>) -> Result<Vec<Headline>, HeadlineError> {
    HeadlineReader::open(path)?.collect()
}
