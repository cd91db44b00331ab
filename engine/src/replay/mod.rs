//! `tradebot replay`: the backtest. Loads the run's markets, replays them
//! through the kernel (the same pipeline paper and live trading run), runs
//! the baselines on the same data, and writes the run's files.
//!
//! Outputs are written into a fresh sibling directory and moved into place
//! only when everything succeeded, so a failed run never leaves a
//! half-written output directory behind (nor destroys the previous one).

mod agents;
pub(crate) mod config;
mod data;
mod output;
mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use thiserror::Error;
use tradebot_analytics::periods_per_year;
use tradebot_kernel::{AgentBundle, KernelConfig, RecorderOutputs, RunInput, RunOutput, SlotProvider, run};
use tradebot_plugin::{PluginHost, WasmSlots};
use tradebot_risk::{EquityFractionSizing, RiskConfig, SizingConfig, StopLossConfig, TakeProfitConfig};
use tradebot_strategy::StrategyConfig;

pub use agents::{AgentsConfig, build_agents};
pub use config::{DataConfig, FeedConfig, OutputConfig, PluginsConfig, ReplayConfig};
pub use data::{DataOverride, LoadedData, bundled_data_dir, load};

/// Why a replay failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplayError {
    #[error("{}{}: {message}", file.display(), at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Config { file: PathBuf, at: Option<(usize, usize)>, message: String },
    #[error("{}: {message}", file.display())]
    Data { file: PathBuf, message: String },
    #[error(transparent)]
    Import(tradebot_data::ImportError),
    #[error("{0}")]
    Kernel(#[from] tradebot_kernel::KernelError),
    #[error("writing {}: {message}", file.display())]
    Output { file: PathBuf, message: String },
    #[error("{0}")]
    Io(String),
}

impl ReplayError {
    /// The user's input (config, data, arguments) is at fault, not the machine.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ReplayError::Config { .. } | ReplayError::Data { .. } | ReplayError::Kernel(_) => true,
            ReplayError::Import(e) => e.is_bad_input(),
            ReplayError::Output { .. } | ReplayError::Io(_) => false,
        }
    }
}

/// What `tradebot replay` was asked to do.
#[derive(Debug, Default, Clone)]
pub struct ReplayOptions {
    pub config: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub data: Option<DataOverride>,
    /// Force the pipeline mode (otherwise the config's).
    pub mode: Option<tradebot_kernel::PipelineMode>,
    /// Updated with the number of events replayed, for a progress bar.
    pub progress: Option<Arc<AtomicU64>>,
}

/// The outcome of a replay, for the command line.
#[derive(Debug)]
pub struct ReplaySummary {
    pub output_dir: PathBuf,
    pub strategy: String,
    pub symbols: usize,
    pub bars: usize,
    pub run: RunOutput,
    pub baselines: Vec<(String, RunOutput)>,
}

/// Loads the config a replay would use (the default one without a file).
pub fn load_config(path: Option<&Path>) -> Result<ReplayConfig, ReplayError> {
    match path {
        Some(p) => ReplayConfig::load(p),
        None => Ok(ReplayConfig::default()),
    }
}

/// The baselines every report shows: the market itself (buy-and-hold) and a
/// naive rule (SMA crossover 10/20, long-only), each all-in with equal
/// weights across the run's markets, risk limits lifted and no stops, on the
/// same data and with the same broker costs as the strategy.
pub fn baseline_configs(main: &KernelConfig, markets: usize) -> Vec<(String, KernelConfig)> {
    let weight = 1.0 / markets.max(1) as f64;
    let lifted = RiskConfig::lifted();
    let mk = |strategy: StrategyConfig| KernelConfig {
        strategy,
        sizing: SizingConfig::EquityFraction(EquityFractionSizing { fraction: weight * 0.9999 }),
        risk: RiskConfig { stop_loss: StopLossConfig::None, take_profit: TakeProfitConfig::None, ..lifted.clone() },
        ..main.clone()
    };
    vec![
        ("buy_and_hold".to_owned(), mk(StrategyConfig::BuyAndHold)),
        ("sma_cross".to_owned(), mk(StrategyConfig::SmaCross { fast: 10, slow: 20, long_short: false })),
    ]
}

fn run_one(
    data: &LoadedData,
    config: KernelConfig,
    outputs: RecorderOutputs,
    progress: Option<Arc<AtomicU64>>,
    slots: Option<Arc<dyn SlotProvider>>,
    agents: Option<AgentBundle>,
) -> Result<RunOutput, ReplayError> {
    let ppy = config
        .metrics
        .periods_per_year
        .unwrap_or_else(|| periods_per_year(data.step_interval(), &config.metrics.calendar));
    let input = RunInput {
        feeds: data.feeds(),
        symbols: data.symbols.clone(),
        config,
        periods_per_year: ppy,
        progress,
        slots,
        agents,
    };
    Ok(run(input, outputs)?)
}

/// The plugin host, when the config names a plugin.
pub fn plugin_slots(config: &ReplayConfig) -> Result<Option<Arc<dyn SlotProvider>>, ReplayError> {
    if !config.uses_plugins() {
        return Ok(None);
    }
    let host = PluginHost::new(config.plugins.limits()).map_err(|e| ReplayError::Io(e.to_string()))?;
    Ok(Some(Arc::new(WasmSlots::new(host, config.plugins.hot_reload))))
}

/// Runs a replay and writes its output directory.
pub fn replay(opts: &ReplayOptions) -> Result<ReplaySummary, ReplayError> {
    let mut config = load_config(opts.config.as_deref())?;
    if let Some(mode) = opts.mode {
        config.pipeline.mode = mode;
    }
    let out_dir = opts.output.clone().or_else(|| config.output.dir.clone()).unwrap_or_else(|| "target/replay".into());
    let data = load(&config.data, opts.data.as_ref())?;
    let staging = output::Staging::new(&out_dir)?;

    let kernel = config.kernel();
    let slots = plugin_slots(&config)?;
    let agents = if config.agents.is_empty() {
        None
    } else {
        let file = opts.config.clone().unwrap_or_else(|| "<default config>".into());
        Some(build_agents(&config.agents, &data.symbols, &data.intervals, &file)?)
    };
    let outputs = staging.recorder_outputs()?;
    let main = run_one(&data, kernel.clone(), outputs, opts.progress.clone(), slots, agents)?;
    if let Some((file, e)) = &main.recorded.error {
        return Err(ReplayError::Output { file: staging.path().join(file.file_name()), message: e.to_string() });
    }
    let mut baselines = Vec::new();
    if config.output.baselines {
        for (name, cfg) in baseline_configs(&kernel, data.symbols.len()) {
            let outputs = RecorderOutputs { keep_equity_curve: true, ..RecorderOutputs::discard() };
            let out = run_one(&data, cfg, outputs, None, None, None)?;
            baselines.push((name, out));
        }
    }
    staging.write_json("metrics.json", &output::metrics_json(&main, &baselines, &data))?;
    staging.write_json("latency.json", &output::latency_json(&main))?;
    let effective = toml::to_string(&config)
        .map_err(|e| ReplayError::Output { file: staging.path().join("config.toml"), message: e.to_string() })?;
    staging.write_text("config.toml", &effective)?;
    if config.output.report {
        let html = report::render(
            &staging.path().join("trades.csv"),
            &main,
            &baselines,
            &data,
            &config,
            opts.config.as_deref(),
        )?;
        staging.write_text("report.html", &html)?;
    }
    staging.commit()?;
    Ok(ReplaySummary {
        output_dir: out_dir,
        strategy: main.strategy.clone(),
        symbols: data.symbols.len(),
        bars: (0..data.symbols.len()).map(|i| data.candles(i).len()).sum(),
        run: main,
        baselines,
    })
}
