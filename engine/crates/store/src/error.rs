//! Store errors: each names the file and what is wrong with it.

use std::path::PathBuf;

use thiserror::Error;
use tradebot_core::{Interval, SanityViolation, Timestamp};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{path}: {op}: {source}")]
    Io { path: PathBuf, op: &'static str, source: std::io::Error },
    #[error("{path}: not a tradebot candle file: {reason}")]
    NotAStore { path: PathBuf, reason: String },
    #[error("{path}: corrupt candle file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: format version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion { path: PathBuf, found: u32, supported: u32 },
    #[error("{path}: holds {field} {found}, expected {expected}")]
    Mismatch { path: PathBuf, field: &'static str, expected: String, found: String },
    #[error("{path}: another writer holds the lock on this file")]
    Locked { path: PathBuf },
    #[error("{path}: already exists")]
    Exists { path: PathBuf },
    #[error("{path}: full: the format holds at most {capacity} candles per file")]
    Full { path: PathBuf, capacity: u64 },
    #[error("{path}: candle at {next} is not after the last stored candle at {last}")]
    NotIncreasing { path: PathBuf, last: Timestamp, next: Timestamp },
    #[error("{path}: candle at {at} is not on the {interval} grid")]
    OffGrid { path: PathBuf, at: Timestamp, interval: Interval },
    #[error("{path}: candle at {at} breaks an OHLCV rule ({violation:?})")]
    Insane { path: PathBuf, at: Timestamp, violation: SanityViolation },
    #[error("{path}: writer stopped by an injected crash (test hook)")]
    InjectedCrash { path: PathBuf },
    #[error("{path}: an earlier write failed; reopen the writer")]
    Poisoned { path: PathBuf },
}

impl StoreError {
    pub(crate) fn io(path: &std::path::Path, op: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, op, source }
    }
}
