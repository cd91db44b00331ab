//! `import`, `inspect`, `export`, `reconcile`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tradebot::{
    CandleStore, Durability, ImportOptions, ImportReport, Interval, QualityOptions, QualityReport, Symbol, import_csv,
    parse_candle_file_name, store_path,
};

use super::{Failure, MarketArgs};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV file (or .csv.gz), or a directory of them.
    #[arg(long)]
    input: PathBuf,
    /// Market symbol (file input only).
    #[arg(long)]
    symbol: Option<Symbol>,
    /// Bar interval (file input only).
    #[arg(long)]
    interval: Option<Interval>,
    /// Store directory (created if missing).
    #[arg(long)]
    store: PathBuf,
    /// Drop exact duplicate rows and sort out-of-order rows (each change is
    /// listed); conflicting duplicates are still refused.
    #[arg(long)]
    repair: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Robust z-score above which a bar's return is reported as an outlier.
    #[arg(long, default_value_t = QualityOptions::default().outlier_z)]
    outlier_z: f64,
}

pub fn import(a: ImportArgs) -> Result<ExitCode, Failure> {
    let quality = QualityOptions { outlier_z: a.outlier_z };
    let jobs: Vec<(PathBuf, Symbol, Interval)> = if a.input.is_dir() {
        if a.symbol.is_some() || a.interval.is_some() {
            return Err(Failure::input(anyhow::anyhow!(
                "--symbol and --interval apply to a single file; a directory import reads them from each file name"
            )));
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&a.input)
            .map_err(|e| Failure { error: anyhow::anyhow!("{}: {e}", a.input.display()), bad_input: false })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut jobs = Vec::new();
        for f in files {
            match parse_candle_file_name(&f) {
                Some(n) => jobs.push((f, n.symbol, n.interval)),
                None => eprintln!("skipped {}: not named SYMBOL-INTERVAL[-SUFFIX].csv[.gz]", f.display()),
            }
        }
        jobs
    } else {
        match (a.symbol, a.interval) {
            (Some(s), Some(i)) => vec![(a.input.clone(), s, i)],
            _ => {
                return Err(Failure::input(anyhow::anyhow!(
                    "{}: importing a file needs --symbol and --interval",
                    a.input.display()
                )));
            }
        }
    };

    let mut reports: Vec<ImportReport> = Vec::new();
    let mut first_failure: Option<Failure> = None;
    for (file, symbol, interval) in jobs {
        let opts = ImportOptions { symbol, interval, repair: a.repair, quality, durability: Durability::Sync };
        match import_csv(&file, &a.store, &opts) {
            Ok(r) => {
                if !a.json {
                    println!("{r}");
                }
                reports.push(r);
            }
            Err(e) => {
                let f = Failure::from(e);
                eprintln!("error: {}", f.error);
                first_failure.get_or_insert(f);
            }
        }
    }
    let json = serde_json::to_string_pretty(&reports).map_err(|e| Failure { error: e.into(), bad_input: false })?;
    if a.json {
        println!("{json}");
    }
    if let Some(path) = &a.report {
        write_atomically(path, json.as_bytes())?;
    }
    match first_failure {
        // Already printed above; exit with its status.
        Some(f) => Ok(ExitCode::from(if f.bad_input { 2 } else { 1 })),
        None => Ok(ExitCode::SUCCESS),
    }
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[command(flatten)]
    market: MarketArgs,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Robust z-score above which a bar's return is reported as an outlier.
    #[arg(long, default_value_t = QualityOptions::default().outlier_z)]
    outlier_z: f64,
}

#[derive(serde::Serialize)]
struct Inspection<'a> {
    store: &'a Path,
    symbol: Symbol,
    interval: Interval,
    price_decimals: u8,
    volume_decimals: u8,
    /// "ok", or what the checksum verification found.
    checksums: String,
    header_warning: Option<&'a str>,
    truncated_from: Option<u64>,
    quality: QualityReport,
}

pub fn inspect(a: InspectArgs) -> Result<ExitCode, Failure> {
    let m = &a.market;
    let path = store_path(&m.store, &m.symbol, m.interval);
    let store = CandleStore::open_expecting(&path, &m.symbol, m.interval)?;
    let verified = store.verify();
    let meta = *store.meta();
    let report = Inspection {
        store: &path,
        symbol: meta.symbol,
        interval: meta.interval,
        price_decimals: meta.price_scale.decimals(),
        volume_decimals: meta.qty_scale.decimals(),
        checksums: verified.as_ref().map_or_else(ToString::to_string, |()| "ok".to_owned()),
        header_warning: store.header_warning(),
        truncated_from: store.truncated_from(),
        quality: QualityReport::compute(
            store.candles(),
            meta.interval,
            meta.price_scale,
            QualityOptions { outlier_z: a.outlier_z },
        ),
    };
    if a.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| Failure { error: e.into(), bad_input: false })?;
        println!("{json}");
    } else {
        println!("{} ({} {})", path.display(), report.symbol, report.interval);
        println!("  checksums       {}", report.checksums);
        if let Some(w) = report.header_warning {
            println!("  WARNING         {w}");
        }
        if let Some(n) = report.truncated_from {
            println!("  WARNING         file cut short: header commits {n} candles, {} remain", store.len());
        }
        println!("  decimals        price {} / volume {}", report.price_decimals, report.volume_decimals);
        print!("{}", report.quality);
    }
    match verified {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(_) => Ok(ExitCode::from(2)),
    }
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    market: MarketArgs,
    /// CSV file to write (gzip-compressed if it ends in .gz).
    #[arg(long)]
    output: PathBuf,
}

pub fn export(a: ExportArgs) -> Result<ExitCode, Failure> {
    let m = &a.market;
    let store = CandleStore::open_expecting(store_path(&m.store, &m.symbol, m.interval), &m.symbol, m.interval)?;
    let n = tradebot::export_csv(&store, &a.output)?;
    eprintln!("wrote {n} candles to {}", a.output.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// First store directory.
    #[arg(long)]
    left: PathBuf,
    /// Second store directory.
    #[arg(long)]
    right: PathBuf,
    #[arg(long)]
    symbol: Symbol,
    /// Symbol in the right store, if it names the market differently.
    #[arg(long)]
    right_symbol: Option<Symbol>,
    #[arg(long)]
    interval: Interval,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn reconcile(a: ReconcileArgs) -> Result<ExitCode, Failure> {
    let rs = a.right_symbol.unwrap_or(a.symbol);
    let left = CandleStore::open_expecting(store_path(&a.left, &a.symbol, a.interval), &a.symbol, a.interval)?;
    let right = CandleStore::open_expecting(store_path(&a.right, &rs, a.interval), &rs, a.interval)?;
    left.verify()?;
    right.verify()?;
    let r = tradebot::reconcile(&left, &right);
    if a.json {
        let json = serde_json::to_string_pretty(&r).map_err(|e| Failure { error: e.into(), bad_input: false })?;
        println!("{json}");
    } else {
        println!("{} vs {} ({} {})", left.path().display(), right.path().display(), a.symbol, a.interval);
        print!("{r}");
    }
    Ok(ExitCode::SUCCESS)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let env = |e: std::io::Error| Failure { error: anyhow::anyhow!("{}: {e}", path.display()), bad_input: false };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(env)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(env)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(env)?;
    tmp.persist(path).map_err(|e| env(e.error))?;
    Ok(())
}
