//! `tradebot features`: the feature matrix of a stored market, computed by
//! the same streaming code the pipeline and the agents use.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use tradebot::features::{FeatureMatrix, FeatureSetDef};
use tradebot::{Candle, CandleStore, store_path};

use super::{Failure, MarketArgs};

#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    #[command(flatten)]
    market: MarketArgs,
    /// Feature set: a built-in name (`talib_v1`) or a TOML file with `name`,
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

/// Rows of the matrix differ from a recomputation on `candles[..cut]`.
fn check_lookahead(def: &FeatureSetDef, candles: &[Candle], full: &[Vec<f64>]) -> Result<usize, Failure> {
    let n = candles.len();
    let cuts: Vec<usize> = (1..=16).map(|k| n * k / 17).filter(|&c| c > 0).collect();
    for &cut in &cuts {
        let prefix = FeatureMatrix::compute(def, &candles[..cut]).map_err(Failure::input)?;
        for (row, (a, b)) in prefix.iter().zip(full).enumerate() {
            if let Some(col) = (0..a.len()).find(|&j| a[j].to_bits() != b[j].to_bits()) {
                return Err(Failure {
                    error: anyhow!(
                        "look-ahead: feature `{}` at row {row} is {} on the first {cut} bars but {} on all {n}",
                        def.columns()[col],
                        a[col],
                        b[col]
                    ),
                    bad_input: false,
                });
            }
        }
    }
    Ok(cuts.len())
}

pub fn features(a: FeaturesArgs) -> Result<ExitCode, Failure> {
    let m = &a.market;
    let def = load_set(&a.set)?;
    let path = store_path(&m.store, &m.symbol, m.interval);
    let store = CandleStore::open_expecting(&path, &m.symbol, m.interval)?;
    store.verify()?;
    let meta = *store.meta();
    let candles: Vec<Candle> = store.candles().iter().map(|c| c.to_candle(meta.price_scale, meta.qty_scale)).collect();
    let matrix = FeatureMatrix::compute(&def, &candles).map_err(Failure::input)?;

    let checked = if a.check_lookahead { Some(check_lookahead(&def, &candles, &matrix)?) } else { None };

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
        for (bar, row) in candles.iter().zip(&matrix) {
            write!(w, "{}", bar.open_time).map_err(env)?;
            for v in row {
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
        "rows": candles.len(),
        "store": path,
        "symbol": m.symbol,
        "interval": m.interval,
        "lookahead_truncations_checked": checked,
    });
    let meta_path = PathBuf::from(format!("{}.meta.json", a.output.display()));
    let meta_text =
        serde_json::to_string_pretty(&meta_json).map_err(|e| Failure { error: e.into(), bad_input: false })?;
    std::fs::write(&meta_path, meta_text + "\n").map_err(env)?;
    tmp.persist(&a.output).map_err(|e| env(e.error))?;
    println!(
        "{} rows × {} features of set {} v{} ({}) → {}",
        candles.len(),
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
