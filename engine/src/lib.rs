//! tradebot: a low-latency, single-process trading engine.
//!
//! This crate is the façade over the engine's small crates, so users depend
//! on one name and get a flat API:
//!
//! * [`tradebot_core`]: time, symbols, intervals, fixed-point decimals, candles;
//! * [`tradebot_store`]: crash-safe memory-mapped candle files;
//! * [`tradebot_data`]: strict CSV import, quality reports, export, reconciliation.
//!
//! The `tradebot` binary (`src/main.rs`) is the command-line edge.

pub use tradebot_core::{Candle, Decimal, Interval, RawCandle, Scale, Symbol, Timestamp};
pub use tradebot_data::{
    ImportError, ImportOptions, ImportReport, QualityOptions, QualityReport, Reconciliation, export_csv, import_csv,
    parse_candle_file_name, read_candles_csv, reconcile,
};
pub use tradebot_store::{CandleStore, CandleWriter, Durability, StoreError, StoreMeta, store_path};

pub use tradebot_core as core;
pub use tradebot_data as data;
pub use tradebot_store as store;
