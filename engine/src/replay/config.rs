//! The replay config file: TOML, typed, frozen.
//!
//! Every table rejects unknown keys and every error names the file, the line
//! and column (for syntax and type errors) and the key. The engine's own
//! sections are [`KernelConfig`]'s; this file adds where the data comes from
//! (`[data]`) and where the outputs go (`[output]`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tradebot_analytics::Calendar;
use tradebot_core::{Interval, PluginRef, Symbol, Timestamp};
use tradebot_exec::SimBrokerConfig;
use tradebot_kernel::{KernelConfig, MetricsSettings, PipelineConfig};
use tradebot_plugin::{Budget, PluginLimits};
use tradebot_risk::{RiskConfig, SizingConfig};
use tradebot_strategy::StrategyConfig;

use super::ReplayError;
use super::agents::AgentsConfig;

/// One market of the run: a CSV file (imported through the same validation
/// as `tradebot import`, into a temporary store) or a market in a store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// A candle CSV (optionally gzip). Symbol and interval default to what
    /// the file name says (`ETH_BTC-5m.csv`).
    pub csv: Option<PathBuf>,
    /// A store directory holding the market.
    pub store: Option<PathBuf>,
    pub symbol: Option<Symbol>,
    pub interval: Option<Interval>,
}

/// `[data]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// Explicit markets; when empty, the `SYMBOL-<interval>.csv[.gz]` files
    /// of `symbols` in `dir` are replayed.
    pub feeds: Vec<FeedConfig>,
    /// Directory scanned when `feeds` is empty (default: the bundled data).
    pub dir: Option<PathBuf>,
    /// Only files of this interval are picked from `dir`.
    pub interval: Interval,
    /// Only these symbols are picked from `dir` (empty: every file of the
    /// interval).
    pub symbols: Vec<String>,
    /// Replay bars opening at or after this instant.
    pub start: Option<Timestamp>,
    /// Replay bars opening before this instant.
    pub end: Option<Timestamp>,
}

/// The markets of the built-in default run: the ten altcoin/BTC pairs of
/// the bundled data, recorded over the same month (`tests/data/README.md`).
pub const DEFAULT_MARKETS: [&str; 10] =
    ["ADA_BTC", "DASH_BTC", "ETC_BTC", "ETH_BTC", "LTC_BTC", "NXT_BTC", "TRX_BTC", "XLM_BTC", "XMR_BTC", "ZEC_BTC"];

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            feeds: Vec::new(),
            dir: None,
            interval: Interval::M5,
            symbols: DEFAULT_MARKETS.iter().map(|s| (*s).to_owned()).collect(),
            start: None,
            end: None,
        }
    }
}

/// `[output]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Where the run's files go, replaced as a whole when the run succeeds
    /// (default `target/replay` in the working directory).
    pub dir: Option<PathBuf>,
    /// Also run buy-and-hold and SMA crossover on the same data for the report.
    pub baselines: bool,
    /// Write `report.html`.
    pub report: bool,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { dir: None, baselines: true, report: true, progress: true }
    }
}

/// `[plugins]`: limits of every plugin instance, and hot reload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// `{ kind = "fuel", per_call = 10000000, init = 1000000000 }` (replay's
    /// deterministic bound) or `{ kind = "deadline", per_call_us, init_us }`.
    pub budget: Budget,
    /// Linear-memory cap per instance (at least 2 MiB).
    pub memory_bytes: usize,
    /// Log lines a plugin may emit per call.
    pub log_lines_per_call: u32,
    /// Watch a strategy plugin's file and swap in new versions during the
    /// run (meant for paper and live; a replay that uses it is only as
    /// repeatable as the moment the file changed).
    pub hot_reload: bool,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        let l = PluginLimits::default();
        PluginsConfig {
            budget: l.budget,
            memory_bytes: l.memory_bytes,
            log_lines_per_call: l.log_lines_per_call,
            hot_reload: false,
        }
    }
}

impl PluginsConfig {
    pub fn limits(&self) -> PluginLimits {
        PluginLimits {
            budget: self.budget,
            memory_bytes: self.memory_bytes,
            log_lines_per_call: self.log_lines_per_call,
        }
    }
}

/// The whole file.
///
/// The engine's tables repeat [`KernelConfig`]'s fields instead of
/// `#[serde(flatten)]`-ing it, because serde cannot combine `flatten` with
/// `deny_unknown_fields`, and rejecting unknown keys matters more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplayConfig {
    pub data: DataConfig,
    pub output: OutputConfig,
    pub initial_equity: f64,
    pub strategy: StrategyConfig,
    pub sizing: SizingConfig,
    pub risk: RiskConfig,
    pub broker: SimBrokerConfig,
    pub metrics: MetricsSettings,
    pub pipeline: PipelineConfig,
    pub kill_switch_at: Option<Timestamp>,
    pub plugins: PluginsConfig,
    /// The prediction agents (the ensemble strategy reads them).
    pub agents: AgentsConfig,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        let k = KernelConfig::default();
        ReplayConfig {
            data: DataConfig::default(),
            output: OutputConfig::default(),
            initial_equity: k.initial_equity,
            strategy: k.strategy,
            sizing: k.sizing,
            risk: k.risk,
            broker: k.broker,
            metrics: MetricsSettings { calendar: Calendar::Crypto, ..k.metrics },
            pipeline: k.pipeline,
            kill_switch_at: None,
            plugins: PluginsConfig::default(),
            agents: AgentsConfig::default(),
        }
    }
}

impl ReplayConfig {
    /// Whether the run needs the plugin host.
    pub fn uses_plugins(&self) -> bool {
        matches!(self.strategy, StrategyConfig::Plugin(_) | StrategyConfig::Ensemble(_))
            || matches!(self.sizing, SizingConfig::Plugin(_))
    }

    /// The engine's part of the config.
    pub fn kernel(&self) -> KernelConfig {
        KernelConfig {
            initial_equity: self.initial_equity,
            strategy: self.strategy.clone(),
            sizing: self.sizing.clone(),
            risk: self.risk.clone(),
            broker: self.broker,
            metrics: self.metrics,
            pipeline: self.pipeline,
            kill_switch_at: self.kill_switch_at,
        }
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|e| ReplayError::Config {
            file: path.to_owned(),
            at: None,
            message: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ReplayError> {
        let mut config: ReplayConfig = toml::from_str(text).map_err(|e| {
            let (at, message) = toml_error(text, &e);
            ReplayError::Config { file: path.to_owned(), at, message }
        })?;
        config.kernel().validate().map_err(|e| ReplayError::Config {
            file: path.to_owned(),
            at: None,
            message: e.to_string(),
        })?;
        config.plugins.limits().validate().map_err(|message| ReplayError::Config {
            file: path.to_owned(),
            at: None,
            message,
        })?;
        let ensemble = matches!(config.strategy, StrategyConfig::Ensemble(_));
        if ensemble == config.agents.is_empty() {
            let message = if ensemble {
                "strategy ensemble: [agents] lists no models; add e.g. models = [\"models/trend-mlp\"]"
            } else {
                "agents: only the ensemble strategy reads agents; set strategy.kind = \"ensemble\" or remove [agents]"
            };
            return Err(ReplayError::Config { file: path.to_owned(), at: None, message: message.into() });
        }
        // Paths in a config file are relative to the file, as in most tools.
        config.output.dir = config.output.dir.as_deref().map(|p| relative_to(path, p));
        for f in &mut config.data.feeds {
            if f.csv.is_some() == f.store.is_some() {
                return Err(ReplayError::Config {
                    file: path.to_owned(),
                    at: None,
                    message: "data.feeds: each feed needs exactly one of `csv` or `store`".into(),
                });
            }
            f.csv = f.csv.as_deref().map(|p| relative_to(path, p));
            f.store = f.store.as_deref().map(|p| relative_to(path, p));
        }
        config.data.dir = config.data.dir.as_deref().map(|p| relative_to(path, p));
        match &mut config.strategy {
            StrategyConfig::Plugin(p) => resolve_plugin(path, "strategy", p)?,
            StrategyConfig::Ensemble(e) => resolve_plugin(path, "strategy.meta", &mut e.meta)?,
            _ => {}
        }
        if let SizingConfig::Plugin(p) = &mut config.sizing {
            resolve_plugin(path, "sizing", p)?;
        }
        for m in &mut config.agents.models {
            *m = relative_to(path, m);
        }
        if let Some(s) = &mut config.agents.sentiment {
            s.headlines = relative_to(path, &s.headlines);
        }
        Ok(config)
    }
}

/// Makes a plugin reference self-contained: its path through
/// [`plugin_path`], and a `config_file` read into `config` (both relative to
/// the config file).
fn resolve_plugin(config_file: &Path, key: &str, plugin: &mut PluginRef) -> Result<(), ReplayError> {
    plugin.path = plugin_path(config_file, &plugin.path);
    let Some(file) = plugin.config_file.take() else { return Ok(()) };
    let bad = |message: String| ReplayError::Config { file: config_file.to_owned(), at: None, message };
    if !plugin.config.is_empty() {
        return Err(bad(format!("{key}: give `config` or `config_file`, not both")));
    }
    let file = relative_to(config_file, &file);
    plugin.config = std::fs::read_to_string(&file)
        .map_err(|e| bad(format!("{key}.config_file = {:?}: {e}", file.display().to_string())))?;
    Ok(())
}

/// A plugin path: `bundled:NAME` is a plugin this build compiled from
/// `plugins/` (`bundled:meta-confidence-weighted`), anything else a file
/// relative to the config file.
pub(crate) fn plugin_path(config_file: &Path, p: &Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("bundled:")) {
        Some(name) => tradebot_plugin::bundled_plugin(name),
        None => relative_to(config_file, p),
    }
}

pub(crate) fn relative_to(config_file: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_owned();
    }
    config_file.parent().map_or_else(|| p.to_owned(), |dir| dir.join(p))
}

/// Where a TOML error is (1-based line and column) and its message, quoting
/// the offending line so the message names the key even when the parser's
/// own message only names the expected type. Shared by every config file.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> (Option<(usize, usize)>, String) {
    let at = e.span().map(|s| line_col(text, s.start));
    let line = at.and_then(|(l, _)| text.lines().nth(l - 1)).map(str::trim).filter(|l| !l.is_empty());
    let message = match line {
        Some(l) => format!("{} (in `{l}`)", e.message().trim()),
        None => e.message().trim().to_owned(),
    };
    (at, message)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
