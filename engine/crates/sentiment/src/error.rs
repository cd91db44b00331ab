//! Why a headline file, a configuration or an agent call was refused.
//!
//! Every error names where the problem is (file and line, TOML key, symbol or
//! time) and the offending value, so bad data stops a run with a message a
//! person can act on instead of silently skewing the agent.

use std::io;
use std::path::PathBuf;

use tradebot_core::{Symbol, Timestamp};

/// A headline file (JSONL) could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeadlineError {
    /// The file could not be opened.
    #[error("{}: cannot open: {source}", .path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Reading a line failed, e.g. because it is not UTF-8.
    #[error("{}:{line}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        #[source]
        source: io::Error,
    },
    /// A line is not valid JSON or does not fit the record schema (unknown
    /// or missing field, wrong type, bad timestamp or symbol, empty headline).
    #[error("{}:{line}:{column}: {}{message}", .path.display(), field_prefix(.field.as_deref()))]
    Record {
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// 1-based column within that line where the JSON parser stopped.
        column: u64,
        /// The field the problem is in (`time`, `symbols[1]`), when known.
        field: Option<String>,
        /// What is wrong, with the offending value where there is one.
        message: String,
    },
    /// A record is stamped earlier than the record before it.
    #[error(
        "{}:{line}: time {time} is before {previous} on line {previous_line}: records must be in non-decreasing time order",
        .path.display()
    )]
    OutOfOrder {
        path: PathBuf,
        /// 1-based line number of the offending record.
        line: u64,
        time: Timestamp,
        previous: Timestamp,
        /// 1-based line number of the record before it.
        previous_line: u64,
    },
}

fn field_prefix(field: Option<&str>) -> String {
    field.map(|f| format!("field `{f}`: ")).unwrap_or_default()
}

/// A [`SentimentConfig`](crate::SentimentConfig) value outside its allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `field` (its TOML key, e.g. `sentiment.half_life_hours`) holds `value`,
    /// which is not in `allowed`.
    #[error("{field}: {value} is not in {allowed}")]
    OutOfRange { field: &'static str, value: f64, allowed: &'static str },
}

/// A [`SentimentAgent`](crate::SentimentAgent) call was refused. None of these
/// allocate, so the per-bar path stays allocation-free even when it fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An agent needs at least one symbol to track.
    #[error("a sentiment agent needs at least one symbol")]
    NoSymbols,
    #[error("symbol {0} is listed twice")]
    DuplicateSymbol(Symbol),
    #[error("symbol {0} is not tracked by this sentiment agent")]
    UnknownSymbol(Symbol),
    /// Bars of one symbol must close in time order.
    #[error("{symbol}: bar close time {close_time} is before the previous one, {previous}")]
    BarOutOfOrder { symbol: Symbol, close_time: Timestamp, previous: Timestamp },
    /// Headlines must be ingested in non-decreasing time order.
    #[error("headline at {time} ingested after one at {previous}: headlines must come in non-decreasing time order")]
    HeadlineOutOfOrder { time: Timestamp, previous: Timestamp },
    /// The scorer broke its contract (a plug-in model returning NaN, say).
    #[error("the scorer returned {score} for the headline at {time}: scores must lie in [-1, 1]")]
    BadScore { time: Timestamp, score: f64 },
}
