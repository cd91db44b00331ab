//! Loading a run's markets: CSV files are imported through the same
//! validation as `tradebot import` into a temporary store, stores are opened
//! and checked against the symbol and interval they should hold.

use std::path::{Path, PathBuf};

use tradebot_core::SymbolId;
use tradebot_core::{Interval, RawCandle, Symbol, Timestamp};
use tradebot_data::{ImportOptions, ImportReport, QualityOptions, import_csv, parse_candle_file_name};
use tradebot_kernel::Feed;
use tradebot_store::{CandleStore, Durability, store_path};

use super::ReplayError;
use super::config::{DataConfig, FeedConfig};

/// A CSV given on the command line, replacing the config's data section.
#[derive(Clone, Debug)]
pub struct DataOverride {
    pub csv: PathBuf,
    pub symbol: Symbol,
    pub interval: Interval,
}

/// The opened markets of a run.
#[derive(Debug)]
pub struct LoadedData {
    /// Holds the temporary store of imported CSVs alive for the run.
    _temp: Option<tempfile::TempDir>,
    pub stores: Vec<CandleStore>,
    pub symbols: Vec<Symbol>,
    pub intervals: Vec<Interval>,
    pub sources: Vec<PathBuf>,
    pub imports: Vec<ImportReport>,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

impl LoadedData {
    /// The feeds of the run, restricted to `[start, end)`.
    pub fn feeds(&self) -> Vec<Feed<'_>> {
        self.stores
            .iter()
            .enumerate()
            .map(|(i, s)| Feed {
                symbol: SymbolId(i as u16),
                interval: self.intervals[i],
                candles: self.candles(i),
                price_scale: s.meta().price_scale,
                qty_scale: s.meta().qty_scale,
            })
            .collect()
    }

    /// Market `i`'s candles in the run's time range.
    pub fn candles(&self, i: usize) -> &[RawCandle] {
        let s = &self.stores[i];
        s.range(self.start.unwrap_or(Timestamp::MIN), self.end.unwrap_or(Timestamp::MAX))
    }

    /// The finest interval of the run: one metrics step per bar of it.
    pub fn step_interval(&self) -> Interval {
        self.intervals
            .iter()
            .copied()
            .min_by(|a, b| a.nominal_seconds().total_cmp(&b.nominal_seconds()))
            .unwrap_or(Interval::D1)
    }
}

/// The bundled recorded data (`tests/data` of the source tree).
pub fn bundled_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

fn feeds_of(config: &DataConfig) -> Result<Vec<FeedConfig>, ReplayError> {
    if !config.feeds.is_empty() {
        return Ok(config.feeds.clone());
    }
    let dir = config.dir.clone().unwrap_or_else(bundled_data_dir);
    let entries =
        std::fs::read_dir(&dir).map_err(|e| ReplayError::Data { file: dir.clone(), message: e.to_string() })?;
    let mut files: Vec<(PathBuf, Symbol, Interval)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| parse_candle_file_name(&p).map(|n| (p, n.symbol, n.interval)))
        .filter(|(_, s, i)| {
            *i == config.interval && (config.symbols.is_empty() || config.symbols.iter().any(|w| w == s.as_str()))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for wanted in &config.symbols {
        if !files.iter().any(|(_, s, _)| s.as_str() == wanted) {
            return Err(ReplayError::Data {
                file: dir,
                message: format!("data.symbols: no {wanted}-{}.csv[.gz] file here", config.interval),
            });
        }
    }
    if files.is_empty() {
        return Err(ReplayError::Data { file: dir, message: format!("no {} candle files found", config.interval) });
    }
    Ok(files
        .into_iter()
        .map(|(p, s, i)| FeedConfig { csv: Some(p), store: None, symbol: Some(s), interval: Some(i) })
        .collect())
}

/// Opens every market of the run.
pub fn load(config: &DataConfig, over: Option<&DataOverride>) -> Result<LoadedData, ReplayError> {
    let feeds = match over {
        Some(o) => vec![FeedConfig {
            csv: Some(o.csv.clone()),
            store: None,
            symbol: Some(o.symbol),
            interval: Some(o.interval),
        }],
        None => feeds_of(config)?,
    };
    let mut temp = None;
    let mut out = LoadedData {
        _temp: None,
        stores: Vec::new(),
        symbols: Vec::new(),
        intervals: Vec::new(),
        sources: Vec::new(),
        imports: Vec::new(),
        start: config.start,
        end: config.end,
    };
    for f in &feeds {
        let path = f.csv.as_ref().or(f.store.as_ref()).cloned().unwrap_or_default();
        let named = f.csv.as_deref().and_then(parse_candle_file_name);
        let symbol = f.symbol.or(named.map(|n| n.symbol)).ok_or_else(|| ReplayError::Data {
            file: path.clone(),
            message: "no symbol: set `symbol` (or --symbol), or name the file SYMBOL-INTERVAL.csv".into(),
        })?;
        let interval = f.interval.or(named.map(|n| n.interval)).ok_or_else(|| ReplayError::Data {
            file: path.clone(),
            message: "no interval: set `interval` (or --interval), or name the file SYMBOL-INTERVAL.csv".into(),
        })?;
        if out.symbols.contains(&symbol) {
            return Err(ReplayError::Data {
                file: path,
                message: format!("{symbol} appears twice in the run; each market may appear once"),
            });
        }
        let store = match (&f.csv, &f.store) {
            (Some(csv), _) => {
                if temp.is_none() {
                    temp = Some(tempfile::tempdir().map_err(|e| ReplayError::Io(e.to_string()))?);
                }
                let dir = temp.as_ref().map(|t| t.path().to_owned()).unwrap_or_default();
                let opts = ImportOptions {
                    symbol,
                    interval,
                    repair: false,
                    quality: QualityOptions::default(),
                    durability: Durability::Buffered,
                };
                let report = import_csv(csv, &dir, &opts).map_err(ReplayError::Import)?;
                out.imports.push(report);
                CandleStore::open_expecting(store_path(&dir, &symbol, interval), &symbol, interval)
                    .map_err(|e| ReplayError::Data { file: csv.clone(), message: e.to_string() })?
            }
            (None, Some(dir)) => CandleStore::open_expecting(store_path(dir, &symbol, interval), &symbol, interval)
                .map_err(|e| ReplayError::Data { file: dir.clone(), message: e.to_string() })?,
            (None, None) => {
                return Err(ReplayError::Data { file: path, message: "a feed needs `csv` or `store`".into() });
            }
        };
        out.stores.push(store);
        out.symbols.push(symbol);
        out.intervals.push(interval);
        out.sources.push(path);
    }
    if out.stores.len() > usize::from(u16::MAX) {
        return Err(ReplayError::Data { file: PathBuf::new(), message: "more than 65535 markets".into() });
    }
    out._temp = temp;
    if (0..out.stores.len()).all(|i| out.candles(i).is_empty()) {
        return Err(ReplayError::Data {
            file: out.sources.first().cloned().unwrap_or_default(),
            message: "no candles in the selected time range".into(),
        });
    }
    Ok(out)
}
