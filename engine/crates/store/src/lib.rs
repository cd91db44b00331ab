//! Candle history on disk: one append-only, memory-mapped file per
//! (symbol, interval).
//!
//! Replay reads candles straight out of the page cache as `&[RawCandle]`
//! (zero-copy), the live feed appends to the same files, and neither a crash
//! nor a foreign or damaged file can make the engine read garbage.
//!
//! # File format (version 1), all integers little-endian
//!
//! ```text
//! 0      header slot A (512 bytes)  ┐ two copies, written alternately;
//! 512    header slot B (512 bytes)  ┘ the valid one with the higher seq wins
//! 4096   block checksum table: u32 CRC32C per complete block of records
//! data   records: RawCandle, 48 bytes each, strictly increasing open time
//! ```
//!
//! A slot holds magic `TRDBCNDL`, the format version, the commit sequence
//! number, the committed record count, the CRC32C of the records of the last
//! (partial) block, symbol, interval, price and volume scales and the file
//! geometry, and ends with a CRC32C of the slot itself.
//!
//! # Why it is crash-safe
//!
//! The committed count in the header is the only commit point. Appending
//! writes records (and the checksums of blocks they complete) *beyond* the
//! committed count, syncs, and only then writes the new count into the slot
//! not currently in use, and syncs again. A process killed at any byte
//! therefore leaves either the old header (the new records are an ignored,
//! torn tail, cut off by the next writer) or, if it dies inside the slot write,
//! a slot whose checksum fails, so the other slot — the previous commit — is
//! used. Committed bytes are never rewritten. A file cut short below its
//! committed count (copied partially, say) opens as the prefix of whole
//! records it still has, and says so ([`CandleStore::truncated_from`]).
//!
//! Opening reads two 512-byte slots and maps the file: O(1) in time and memory
//! whatever the file's size. Record checksums are verified on demand with
//! [`CandleStore::verify`] (tantivy does the same with its footers), which
//! `inspect`, `export` and replay call before trusting a whole file.

mod error;
mod format;
mod reader;
mod writer;

pub use error::StoreError;
pub use format::{FORMAT_VERSION, MAGIC, StoreMeta};
pub use reader::CandleStore;
pub use writer::{CandleWriter, Durability};

use std::path::{Path, PathBuf};

use tradebot_core::{Interval, Symbol};

/// The path of the store file for (`symbol`, `interval`) under `dir`.
pub fn store_path(dir: &Path, symbol: &Symbol, interval: Interval) -> PathBuf {
    dir.join(format!("{}-{}.tbc", symbol.file_stem(), interval.file_slug()))
}
