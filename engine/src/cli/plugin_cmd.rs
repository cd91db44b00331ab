//! `tradebot plugin check|bench FILE.wasm`: what a component is, whether it
//! passes the engine's checks, and what one call costs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;
use hdrhistogram::Histogram;
use tradebot::core::Symbol;
use tradebot::plugin::wit::{Candle, Direction, SizingRequest, TradeStats};
use tradebot::plugin::{
    LoadedComponent, PluginError, PluginHost, PluginLimits, WasmMetaAgent, WasmSizing, WasmStrategy, World,
    sample_agents, sample_context, sample_predictions_for, sample_symbols, self_test_meta, self_test_sizing,
    self_test_strategy,
};

use super::Failure;

#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Compile a component, say which world it targets, call `init` and
    /// `about`, and run the engine's self-test (exit status 2 if it fails).
    Check(PluginArgs),
    /// Time the component's hot call (strategy: on-bar; sizing: size;
    /// meta-agent: combine with six agent predictions), and its
    /// instantiation and reload.
    Bench {
        #[command(flatten)]
        args: PluginArgs,
        /// Timed calls.
        #[arg(long, default_value_t = 20_000)]
        calls: u32,
    },
}

#[derive(Debug, clap::Args)]
pub struct PluginArgs {
    /// The component (`.wasm`).
    file: PathBuf,
    /// The string passed to the plugin's `init` (the bundled plugins read JSON).
    #[arg(long, default_value = "")]
    config: String,
    /// Meta-agent: the agent names given to `init`, comma-separated (default:
    /// six synthetic agents); e.g. the agents a learned combiner was trained on.
    #[arg(long, value_delimiter = ',')]
    agents: Vec<String>,
    /// Meta-agent and sizing: the instruments given to `init`, comma-separated
    /// (default: BTCUSDT).
    #[arg(long, value_delimiter = ',')]
    symbols: Vec<String>,
}

impl PluginArgs {
    fn agents(&self) -> Vec<String> {
        if self.agents.is_empty() { sample_agents() } else { self.agents.clone() }
    }

    fn symbol_names(&self) -> Vec<String> {
        if self.symbols.is_empty() { sample_symbols() } else { self.symbols.clone() }
    }

    fn symbols(&self) -> Result<Vec<Symbol>, Failure> {
        self.symbol_names()
            .iter()
            .map(|s| Symbol::new(s).map_err(|e| Failure::input(anyhow!("--symbols {s:?}: {e}"))))
            .collect()
    }
}

impl From<PluginError> for Failure {
    fn from(e: PluginError) -> Self {
        let bad_input = e.is_bad_input();
        Failure { error: e.into(), bad_input }
    }
}

pub fn plugin(cmd: PluginCommand) -> Result<ExitCode, Failure> {
    let host = PluginHost::new(PluginLimits::default())?;
    match cmd {
        PluginCommand::Check(a) => check(&host, &a),
        PluginCommand::Bench { args, calls } => bench(&host, &args, calls.max(1)),
    }
}

fn check(host: &PluginHost, a: &PluginArgs) -> Result<ExitCode, Failure> {
    let started = Instant::now();
    let loaded = host.load(&a.file)?;
    let compiled = started.elapsed();
    println!("{}", a.file.display());
    println!("  world      {} ({})", loaded.world.as_str(), tradebot::plugin::WIT_PACKAGE);
    println!("  exports    {}", loaded.world.exports().join(", "));
    println!("  size       {} bytes, sha256 {}", loaded.bytes, loaded.sha256_hex());
    println!("  compile    {:.1} ms", compiled.as_secs_f64() * 1e3);
    let (stamp, tested) = match loaded.world {
        World::Strategy => {
            let s = WasmStrategy::new(host, &loaded, &a.config)?;
            println!("  features   {}", s.columns().join(", "));
            (s.stamp(), self_test_strategy(host, &loaded, &a.config)?)
        }
        World::SizingPolicy => {
            let s = WasmSizing::new(host, &loaded, &a.config, &a.symbols()?)?;
            println!(
                "  reasons    {}",
                (0..s.reason_count()).filter_map(|k| s.reason(k as u32)).collect::<Vec<_>>().join(" | ")
            );
            (tradebot::risk::SizingPolicy::stamp(&s).ok_or_else(|| Failure::input(anyhow!("no stamp")))?, {
                self_test_sizing(host, &loaded, &a.config)?
            })
        }
        World::MetaAgent => {
            let m = WasmMetaAgent::new(host, &loaded, &a.config, &a.agents(), &a.symbol_names())?;
            println!("  agents     {}", a.agents().join(", "));
            (m.stamp(), self_test_meta(host, &loaded, &a.config, &a.agents(), &a.symbol_names())?)
        }
    };
    println!("  plugin     {stamp}");
    println!("  self-test  passed ({tested} calls)");
    Ok(ExitCode::SUCCESS)
}

fn percentiles(h: &Histogram<u64>) -> String {
    format!(
        "p50 {:.3} µs, p99 {:.3} µs, p99.9 {:.3} µs, max {:.3} µs",
        h.value_at_quantile(0.5) as f64 / 1e3,
        h.value_at_quantile(0.99) as f64 / 1e3,
        h.value_at_quantile(0.999) as f64 / 1e3,
        h.max() as f64 / 1e3
    )
}

fn histogram() -> Result<Histogram<u64>, Failure> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| Failure { error: e.into(), bad_input: false })
}

fn record(h: &mut Histogram<u64>, t: Instant) {
    h.saturating_record(t.elapsed().as_nanos() as u64);
}

fn bench(host: &PluginHost, a: &PluginArgs, calls: u32) -> Result<ExitCode, Failure> {
    let bytes = std::fs::read(&a.file)
        .map_err(|e| Failure { error: anyhow!("{}: {e}", a.file.display()), bad_input: false })?;
    let loaded = host.load_bytes(&bytes, &a.file)?;
    let mut call = histogram()?;
    match loaded.world {
        World::Strategy => {
            let mut s = WasmStrategy::new(host, &loaded, &a.config)?;
            let values = vec![100.0; s.columns().len()];
            for i in 0..calls + 1000 {
                let p = 100.0 + (f64::from(i) / 7.0).sin();
                let candle = Candle {
                    open_time_ns: i64::from(i) * 60_000_000_000,
                    close_time_ns: i64::from(i + 1) * 60_000_000_000,
                    open: p,
                    high: p + 1.0,
                    low: p - 1.0,
                    close: p,
                    volume: 1.0,
                };
                let t = Instant::now();
                let _ = s.call(candle, &values);
                if i >= 1000 {
                    record(&mut call, t);
                }
            }
            println!("on-bar      {}", percentiles(&call));
        }
        World::SizingPolicy => {
            let mut s = WasmSizing::new(host, &loaded, &a.config, &a.symbols()?)?;
            let mut r = SizingRequest {
                symbol: 0,
                direction: Direction::Long,
                confidence: 0.7,
                equity: 10_000.0,
                price: 100.0,
                volatility: 0.01,
                atr: 1.5,
                stop_distance: 2.0,
                position: 0.0,
                exposure: 0.1,
                stats: TradeStats { closed_trades: 40, win_rate: 0.55, avg_win: 12.0, avg_loss: 10.0 },
                lot_size: 0.0,
                commission_fraction: 0.001,
            };
            for i in 0..calls + 1000 {
                r.price = 100.0 + f64::from(i % 100) * 0.01;
                let t = Instant::now();
                let _ = s.call(&r);
                if i >= 1000 {
                    record(&mut call, t);
                }
            }
            println!("size        {}", percentiles(&call));
        }
        World::MetaAgent => {
            let agents = a.agents();
            let mut m = WasmMetaAgent::new(host, &loaded, &a.config, &agents, &a.symbol_names())?;
            let predictions = sample_predictions_for(agents.len());
            let context = sample_context();
            for i in 0..calls + 1000 {
                let t = Instant::now();
                let _ = m.combine(predictions.iter().copied(), &context);
                if i >= 1000 {
                    record(&mut call, t);
                }
            }
            println!("combine({}) {}", agents.len(), percentiles(&call));
        }
    }
    let mut inst = histogram()?;
    let mut reload = histogram()?;
    for _ in 0..20 {
        let t = Instant::now();
        instantiate(host, &loaded, a)?;
        record(&mut inst, t);
        let t = Instant::now();
        let fresh = host.load_bytes(&bytes, &a.file)?;
        instantiate(host, &fresh, a)?;
        record(&mut reload, t);
    }
    println!("instantiate {}", percentiles(&inst));
    println!("reload      {} (compile + instantiate + init)", percentiles(&reload));
    Ok(ExitCode::SUCCESS)
}

fn instantiate(host: &PluginHost, loaded: &LoadedComponent, a: &PluginArgs) -> Result<(), Failure> {
    match loaded.world {
        World::Strategy => drop(WasmStrategy::new(host, loaded, &a.config)?),
        World::SizingPolicy => drop(WasmSizing::new(host, loaded, &a.config, &a.symbols()?)?),
        World::MetaAgent => drop(WasmMetaAgent::new(host, loaded, &a.config, &a.agents(), &a.symbol_names())?),
    }
    Ok(())
}
