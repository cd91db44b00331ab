//! tradebot: a low-latency, single-process trading engine.
//!
//! This crate is the façade over the engine's small crates, so users depend
//! on one name and get a flat API:
//!
//! * [`tradebot_core`]: time, symbols, intervals, fixed-point decimals, candles;
//! * [`tradebot_store`]: crash-safe memory-mapped candle files;
//! * [`tradebot_data`]: strict CSV import, quality reports, export, reconciliation;
//! * [`tradebot_features`]: streaming indicators;
//! * [`tradebot_strategy`]: the strategy slot and the baseline strategies;
//! * [`tradebot_portfolio`]: ledger and round-trip trades;
//! * [`tradebot_exec`]: the simulated broker;
//! * [`tradebot_risk`]: the risk engine and position sizing;
//! * [`tradebot_analytics`]: performance metrics;
//! * [`tradebot_kernel`]: the pipeline shared by backtest, paper and live;
//! * [`tradebot_report`]: the HTML report;
//! * [`tradebot_plugin`]: the WASM plugin host (strategies, sizing, meta-agent);
//! * [`replay`]: the backtest command's library half (config, data, outputs).
//!
//! The `tradebot` binary (`src/main.rs`) is the command-line edge.

pub use tradebot_core::{Candle, Decimal, Interval, RawCandle, Scale, Symbol, Timestamp};
pub use tradebot_data::{
    ImportError, ImportOptions, ImportReport, QualityOptions, QualityReport, Reconciliation, export_csv, import_csv,
    parse_candle_file_name, read_candles_csv, reconcile,
};
pub use tradebot_store::{CandleStore, CandleWriter, Durability, StoreError, StoreMeta, store_path};

pub mod replay;
pub mod train;

pub use tradebot_agents as agents;
pub use tradebot_analytics as analytics;
pub use tradebot_core as core;
pub use tradebot_data as data;
pub use tradebot_exec as exec;
pub use tradebot_features as features;
pub use tradebot_kernel as kernel;
pub use tradebot_plugin as plugin;
pub use tradebot_portfolio as portfolio;
pub use tradebot_report as report;
pub use tradebot_risk as risk;
pub use tradebot_store as store;
pub use tradebot_strategy as strategy;
