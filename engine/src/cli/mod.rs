//! Command-line definitions and dispatch.

mod data_cmds;
mod features_cmd;
mod fit_cmd;
mod plugin_cmd;
mod replay_cmd;
mod train_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tradebot::{Interval, Symbol};

#[derive(Debug, Parser)]
#[command(
    name = "tradebot",
    version,
    about = "Low-latency trading engine: data import, replay, paper and live trading"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import candle CSV (optionally gzip) into a store, with data-quality checks.
    ///
    /// FILE needs --symbol and --interval. A directory imports every
    /// `SYMBOL-INTERVAL[-SUFFIX].csv[.gz]` in it, reading both from the name.
    Import(data_cmds::ImportArgs),
    /// Report a stored market's coverage, gaps, defects and outliers.
    Inspect(data_cmds::InspectArgs),
    /// Write a stored market back to CSV in the import format.
    Export(data_cmds::ExportArgs),
    /// Compare two stores of the same market bar by bar.
    Reconcile(data_cmds::ReconcileArgs),
    /// Backtest: replay recorded candles through the trading pipeline and
    /// write metrics, trades, orders, equity, a decision log, latency and an
    /// HTML report.
    Replay(replay_cmd::ReplayArgs),
    /// Compute a feature set over a stored market and write the matrix as CSV.
    Features(features_cmd::FeaturesArgs),
    /// Fit the GARCH(1,1) volatility model or a Gaussian HMM to a candle file.
    #[command(subcommand)]
    Fit(fit_cmd::FitCommand),
    /// Train direction models walk-forward (candle), export ONNX with model
    /// cards, and evaluate them out of sample against baselines.
    Train(train_cmd::TrainArgs),
    /// Evaluate a trained model folder out of sample, through the model
    /// schedule replay uses, against baselines, with significance tests.
    Evaluate(train_cmd::EvaluateArgs),
    /// Inspect, self-test and time a WASM plugin component.
    #[command(subcommand)]
    Plugin(plugin_cmd::PluginCommand),
}

/// Why a command failed, and whose fault it was.
pub struct Failure {
    pub error: anyhow::Error,
    pub bad_input: bool,
}

impl Failure {
    fn input(error: impl Into<anyhow::Error>) -> Self {
        Failure { error: error.into(), bad_input: true }
    }
}

impl From<tradebot::ImportError> for Failure {
    fn from(e: tradebot::ImportError) -> Self {
        let bad_input = e.is_bad_input();
        Failure { error: e.into(), bad_input }
    }
}

impl From<tradebot::StoreError> for Failure {
    fn from(e: tradebot::StoreError) -> Self {
        tradebot::ImportError::from(e).into()
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Import(a) => data_cmds::import(a),
        Command::Inspect(a) => data_cmds::inspect(a),
        Command::Export(a) => data_cmds::export(a),
        Command::Reconcile(a) => data_cmds::reconcile(a),
        Command::Replay(a) => replay_cmd::replay_cmd(a),
        Command::Features(a) => features_cmd::features(a),
        Command::Plugin(c) => plugin_cmd::plugin(c),
        Command::Fit(c) => fit_cmd::fit(c),
        Command::Train(a) => train_cmd::train_cmd(a),
        Command::Evaluate(a) => train_cmd::evaluate_cmd(a),
    }
}

/// The market a command addresses inside a store directory.
#[derive(Debug, clap::Args)]
struct MarketArgs {
    /// Store directory.
    #[arg(long)]
    store: PathBuf,
    /// Market symbol, e.g. ETH_BTC.
    #[arg(long)]
    symbol: Symbol,
    /// Bar interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w 1M.
    #[arg(long)]
    interval: Interval,
}
