//! `tradebot replay`: the backtest on recorded data.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tradebot::replay::{DataOverride, ReplayError, ReplayOptions, ReplaySummary, load_config, replay};
use tradebot::{Interval, Symbol, parse_candle_file_name};

use super::Failure;

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Run config (TOML). Without it, the built-in default: SMA crossover
    /// (10, 20) long-only with the default risk limits on the bundled
    /// `*_BTC-5m` markets.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output directory (default: the config's `output.dir`, else
    /// `target/replay`). Replaced as a whole when the run succeeds.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Replay this candle CSV instead of the config's data section (imported
    /// through the same validation as `tradebot import`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Symbol of --data (default: from the file name).
    #[arg(long, requires = "data")]
    symbol: Option<Symbol>,
    /// Interval of --data (default: from the file name).
    #[arg(long, requires = "data")]
    interval: Option<Interval>,
    /// Override the config's pipeline mode.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Mode {
    Fused,
    Pipelined,
}

fn failure(e: ReplayError) -> Failure {
    let bad_input = e.is_bad_input();
    Failure { error: e.into(), bad_input }
}

pub fn replay_cmd(args: ReplayArgs) -> Result<ExitCode, Failure> {
    let data = match &args.data {
        None => None,
        Some(csv) => {
            let named = parse_candle_file_name(csv);
            let symbol = args.symbol.or(named.map(|n| n.symbol)).ok_or_else(|| {
                Failure::input(anyhow::anyhow!("{}: --symbol is required (the file name does not say)", csv.display()))
            })?;
            let interval = args.interval.or(named.map(|n| n.interval)).ok_or_else(|| {
                Failure::input(anyhow::anyhow!(
                    "{}: --interval is required (the file name does not say)",
                    csv.display()
                ))
            })?;
            Some(DataOverride { csv: csv.clone(), symbol, interval })
        }
    };
    let config = load_config(args.config.as_deref()).map_err(failure)?;
    let show_progress = !args.quiet && config.output.progress;
    let progress = Arc::new(AtomicU64::new(0));
    let opts = ReplayOptions {
        config: args.config.clone(),
        output: args.output.clone(),
        data,
        mode: args.mode.map(|m| match m {
            Mode::Fused => tradebot::kernel::PipelineMode::Fused,
            Mode::Pipelined => tradebot::kernel::PipelineMode::Pipelined,
        }),
        progress: show_progress.then(|| Arc::clone(&progress)),
    };

    let done = Arc::new(AtomicBool::new(false));
    let bar = show_progress.then(|| {
        let (done, progress) = (Arc::clone(&done), Arc::clone(&progress));
        std::thread::spawn(move || draw_progress(&done, &progress))
    });
    let result = replay(&opts);
    done.store(true, Ordering::Relaxed);
    if let Some(h) = bar {
        let _ = h.join();
    }
    let summary = result.map_err(failure)?;
    print_summary(&summary);
    Ok(ExitCode::SUCCESS)
}

/// Draws an events counter on stderr (only when it is a terminal) until the
/// run ends. The total is not known up front across the main run and its
/// baselines, so this shows a rate, not a percentage.
fn draw_progress(done: &AtomicBool, progress: &AtomicU64) {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} replaying: {human_pos} events ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    while !done.load(Ordering::Relaxed) {
        pb.set_position(progress.load(Ordering::Relaxed));
        pb.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    pb.finish_and_clear();
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{:+.2}%", v * 100.0))
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}"))
}

fn print_summary(s: &ReplaySummary) {
    let m = &s.run.metrics;
    println!("replayed {} bars of {} market(s) with {}", s.bars, s.symbols, s.strategy);
    println!(
        "  final equity {:.2} (total return {}, Sharpe {}, PSR {}, max drawdown {:.2}%, {} trades, fees {:.2})",
        m.final_equity,
        pct(m.total_return),
        ratio(m.sharpe_ratio),
        ratio(m.probabilistic_sharpe_ratio),
        m.max_drawdown * 100.0,
        m.total_trades,
        m.fees_paid
    );
    for (name, b) in &s.baselines {
        let bm = &b.metrics;
        println!(
            "  baseline {name}: final equity {:.2} (total return {}, Sharpe {}, max drawdown {:.2}%)",
            bm.final_equity,
            pct(bm.total_return),
            ratio(bm.sharpe_ratio),
            bm.max_drawdown * 100.0
        );
    }
    let c = s.run.recorded.counts;
    println!("  {} decisions, {} refused and {} reduced by risk", c.decisions, c.refusals, c.reductions);
    let faults = s.run.plugin_faults;
    if faults.total() > 0 {
        // Each fault fell back to "no new exposure" and is an alert in decisions.jsonl.
        let list = |counts: &[u64]| {
            tradebot::core::PluginFault::ALL
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(f, n)| format!("{f} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "  plugin faults (safe default used): strategy [{}], sizing [{}]",
            list(&faults.strategy),
            list(&faults.sizing)
        );
    }
    println!("  in-sample backtest net of the configured costs; not evidence of future profit");
    println!("  outputs in {}", s.output_dir.display());
}
