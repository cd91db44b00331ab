//! `tradebot features`: the feature matrix of a stored market, or of bars
//! built from a recorded trades file, computed by the same streaming code
//! the pipeline and the agents use (a batch pass that runs the same steps
//! feature by feature, spread over the cores: the values are bit-identical).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use tradebot::features::{FeatureColumns, FeatureMatrix, FeatureSetDef, TradeBar, TradeBars};
use tradebot::{Candle, CandleStore, Interval, Symbol, store_path};

use super::Failure;

#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    /// Store directory (with --symbol), or use --trades.
    #[arg(long, required_unless_present = "trades", requires = "symbol")]
    store: Option<PathBuf>,
    /// Market symbol, e.g. ETH_BTC.
    #[arg(long, requires = "store")]
    symbol: Option<Symbol>,
    /// Bar interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w 1M.
    #[arg(long)]
    interval: Interval,
    /// A recorded trades file (`timestamp,price,amount[,side][,id]`, plain or
    /// gzip) instead of a store: bars are built from its trades (intervals
    /// without trades have no bar) and trade-flow features are computed.
    #[arg(long, conflicts_with_all = ["store", "symbol"])]
    trades: Option<PathBuf>,
    /// Feature set: a built-in name (`talib_v1`, `default_v1`, `agents_v1`,
    /// `microstructure_v1` with --trades) or a TOML file with `name`,
    /// `version` and `[[features]]` tables.
    #[arg(long, default_value = "talib_v1")]
    set: String,
    /// CSV to write: `timestamp` (bar open time) then one column per
    /// feature; empty cells while a feature warms up. A `.meta.json` beside
    /// it names the set, its version and definition hash.
    #[arg(long)]
    output: PathBuf,
    /// Recompute on 16 truncated histories and fail if any past value
    /// changes (a feature that looks ahead).
    #[arg(long)]
    check_lookahead: bool,
}

fn load_set(spec: &str) -> Result<FeatureSetDef, Failure> {
    let path = Path::new(spec);
    let def = if spec.ends_with(".toml") || path.is_file() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{spec}: cannot read the feature set"))
            .map_err(|error| Failure { error, bad_input: false })?;
        toml::from_str::<FeatureSetDef>(&text).map_err(|e| {
            let at = e.span().map(|s| {
                let before = &text[..s.start.min(text.len())];
                format!(":{}:{}", before.matches('\n').count() + 1, before.rsplit('\n').next().map_or(0, str::len) + 1)
            });
            Failure::input(anyhow!("{spec}{}: {}", at.unwrap_or_default(), e.message().trim()))
        })?
    } else {
        FeatureSetDef::builtin(spec).map_err(Failure::input)?
    };
    def.validate().map_err(Failure::input)?;
    Ok(def)
}

/// The bars a matrix is computed over: candles from a store, or candles
/// built from trades together with the trade bars they came from.
enum Bars {
    Candles(Vec<Candle>),
    Trades(Vec<(Candle, TradeBar)>),
}

impl Bars {
    fn len(&self) -> usize {
        match self {
            Bars::Candles(c) => c.len(),
            Bars::Trades(t) => t.len(),
        }
    }

    fn open_time(&self, i: usize) -> Option<tradebot::Timestamp> {
        match self {
            Bars::Candles(c) => c.get(i).map(|c| c.open_time),
            Bars::Trades(t) => t.get(i).map(|(c, _)| c.open_time),
        }
    }

    /// The matrix of the first `n` bars, a batch pass over every core (the
    /// values do not depend on how many).
    fn matrix(&self, def: &FeatureSetDef, n: usize) -> Result<FeatureColumns, Failure> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        match self {
            Bars::Candles(c) => FeatureMatrix::compute_columns(def, &c[..n], threads),
            Bars::Trades(t) => FeatureMatrix::compute_columns_with_trades(def, &t[..n], threads),
        }
        .map_err(Failure::input)
    }
}

/// Rows of the matrix differ from a recomputation on the first `cut` bars.
fn check_lookahead(def: &FeatureSetDef, bars: &Bars, full: &FeatureColumns) -> Result<usize, Failure> {
    let n = bars.len();
    let cuts: Vec<usize> = (1..=16).map(|k| n * k / 17).filter(|&c| c > 0).collect();
    for &cut in &cuts {
        let prefix = bars.matrix(def, cut)?;
        for (col, name) in full.names().iter().enumerate() {
            let (a, b) = (prefix.column(col), full.column(col));
            if let Some(row) = (0..a.len()).find(|&i| a[i].to_bits() != b[i].to_bits()) {
                return Err(Failure {
                    error: anyhow!(
                        "look-ahead: feature `{name}` at row {row} is {} on the first {cut} bars but {} on all {n}",
                        a[row],
                        b[row]
                    ),
                    bad_input: false,
                });
            }
        }
    }
    Ok(cuts.len())
}

/// Bars of `interval` built from a trades file, with the set's trade
/// aggregation (or `microstructure_v1`'s when the set has none).
fn bars_from_trades(path: &Path, interval: Interval, def: &FeatureSetDef) -> Result<Bars, Failure> {
    let trades = tradebot::data::read_trades_csv(path)?;
    let nanos = interval
        .fixed_nanos()
        .ok_or_else(|| Failure::input(anyhow!("--trades needs a fixed-length interval (1m to 1w), not {interval}")))?;
    // A set without trade-flow features still needs bars: the built-in
    // microstructure set's aggregation.
    let params = def.trade_bar_params(nanos).or_else(|| FeatureSetDef::microstructure_v1().trade_bar_params(nanos));
    let Some(params) = params else {
        return Err(Failure { error: anyhow!("no trade aggregation for {interval}"), bad_input: false });
    };
    let mut agg = TradeBars::new(params);
    let mut out = Vec::new();
    for t in &trades {
        out.extend(agg.update(t).map(|b| (b.candle(), b)));
    }
    out.extend(agg.finish().map(|b| (b.candle(), b)));
    Ok(Bars::Trades(out))
}

pub fn features(a: FeaturesArgs) -> Result<ExitCode, Failure> {
    let def = load_set(&a.set)?;
    let (bars, source) = match (&a.trades, &a.store, &a.symbol) {
        (Some(path), _, _) => (bars_from_trades(path, a.interval, &def)?, serde_json::json!({ "trades": path })),
        (None, Some(store), Some(symbol)) => {
            if def.needs_trades() {
                return Err(Failure::input(anyhow!(
                    "feature set `{}` has trade-flow features: give --trades FILE instead of a store",
                    def.name
                )));
            }
            let path = store_path(store, symbol, a.interval);
            let store = CandleStore::open_expecting(&path, symbol, a.interval)?;
            store.verify()?;
            let meta = *store.meta();
            let candles = store.candles().iter().map(|c| c.to_candle(meta.price_scale, meta.qty_scale)).collect();
            (Bars::Candles(candles), serde_json::json!({ "store": path, "symbol": symbol }))
        }
        _ => return Err(Failure::input(anyhow!("give --store and --symbol, or --trades"))),
    };
    let matrix = bars.matrix(&def, bars.len())?;

    let checked = if a.check_lookahead { Some(check_lookahead(&def, &bars, &matrix)?) } else { None };

    // Written beside the target and renamed into place: a failed run leaves
    // no half-written file.
    let dir = a.output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let env = |e: std::io::Error| Failure { error: anyhow!("{}: {e}", a.output.display()), bad_input: false };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(env)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write!(w, "timestamp").map_err(env)?;
        for c in def.columns() {
            write!(w, ",{c}").map_err(env)?;
        }
        writeln!(w).map_err(env)?;
        let mut row = Vec::with_capacity(matrix.names().len());
        for i in 0..matrix.rows() {
            if let Some(t) = bars.open_time(i) {
                write!(w, "{t}").map_err(env)?;
            }
            matrix.row_into(i, &mut row);
            for v in &row {
                if v.is_nan() { write!(w, ",") } else { write!(w, ",{v}") }.map_err(env)?;
            }
            writeln!(w).map_err(env)?;
        }
        w.flush().map_err(env)?;
    }
    let meta_json = serde_json::json!({
        "set": def.name,
        "version": def.version,
        "definition_hash": def.definition_hash(),
        "columns": def.columns(),
        "rows": bars.len(),
        "source": source,
        "interval": a.interval,
        "lookahead_truncations_checked": checked,
    });
    let meta_path = PathBuf::from(format!("{}.meta.json", a.output.display()));
    let meta_text =
        serde_json::to_string_pretty(&meta_json).map_err(|e| Failure { error: e.into(), bad_input: false })?;
    std::fs::write(&meta_path, meta_text + "\n").map_err(env)?;
    tmp.persist(&a.output).map_err(|e| env(e.error))?;
    println!(
        "{} rows × {} features of set {} v{} ({}) → {}",
        bars.len(),
        def.columns().len(),
        def.name,
        def.version,
        def.definition_hash(),
        a.output.display()
    );
    if let Some(n) = checked {
        println!("look-ahead check: {n} truncated histories, no past value changed");
    }
    Ok(ExitCode::SUCCESS)
}
