//! How candles enter and leave tradebot: the strict CSV importer with its
//! data-quality checks and safe repairs, the quality report behind
//! `tradebot inspect`, CSV export, and cross-source reconciliation.
//!
//! Everything a user's data goes through passes here first, so the rules are
//! strict and every refusal says what and where (`FILE:LINE: column 'high':
//! high 1.0712 < low 1.0716`). Nothing is written to a store until the whole
//! input has been read and validated, and then it is committed atomically.

mod csv_read;
mod discover;
mod error;
mod export;
mod import;
mod quality;
mod reconcile;
mod trades_csv;

pub use csv_read::{ParsedCsv, Repair, RepairKind, Row, read_candles_csv};
pub use discover::{CandleFileName, parse_candle_file_name};
pub use error::ImportError;
pub use export::export_csv;
pub use import::{ImportOptions, ImportReport, import_csv};
pub use quality::{Gap, Outlier, QualityOptions, QualityReport, SanityIssue, ZeroVolume};
pub use reconcile::{ColumnDeviation, Reconciliation, TimeRange, reconcile};
pub use trades_csv::read_trades_csv;
