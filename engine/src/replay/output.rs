//! The output directory of a run: staged, then swapped into place.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use tradebot_kernel::{RecorderOutputs, RunOutput};

use super::ReplayError;
use super::data::LoadedData;

/// A sibling directory the run writes into before it replaces the target.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

fn out_err(file: &Path, e: impl ToString) -> ReplayError {
    ReplayError::Output { file: file.to_owned(), message: e.to_string() }
}

impl Staging {
    pub fn new(target: &Path) -> Result<Self, ReplayError> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| out_err(&parent, e))?;
        let name = target.file_name().map_or_else(|| "replay".into(), |n| n.to_string_lossy().into_owned());
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| out_err(&dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| out_err(&dir, e))?;
        Ok(Staging { target: target.to_owned(), dir, committed: false })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> Result<Option<Box<dyn std::io::Write + Send>>, ReplayError> {
        let path = self.dir.join(name);
        let f = File::create(&path).map_err(|e| out_err(&path, e))?;
        Ok(Some(Box::new(BufWriter::with_capacity(1 << 16, f))))
    }

    pub fn recorder_outputs(&self) -> Result<RecorderOutputs, ReplayError> {
        Ok(RecorderOutputs {
            orders: self.file("orders.csv")?,
            trades: self.file("trades.csv")?,
            equity: self.file("equity.csv")?,
            decisions: self.file("decisions.jsonl")?,
            keep_equity_curve: true,
        })
    }

    pub fn write_text(&self, name: &str, text: &str) -> Result<(), ReplayError> {
        let path = self.dir.join(name);
        fs::write(&path, text).map_err(|e| out_err(&path, e))
    }

    pub fn write_json(&self, name: &str, value: &Value) -> Result<(), ReplayError> {
        let mut text = serde_json::to_string_pretty(value).map_err(|e| out_err(&self.dir.join(name), e))?;
        text.push('\n');
        self.write_text(name, &text)
    }

    /// Replaces the target directory with the staged one.
    pub fn commit(mut self) -> Result<(), ReplayError> {
        let old = self.dir.with_extension("old");
        if self.target.exists() {
            if old.exists() {
                fs::remove_dir_all(&old).map_err(|e| out_err(&old, e))?;
            }
            fs::rename(&self.target, &old).map_err(|e| out_err(&self.target, e))?;
        }
        fs::rename(&self.dir, &self.target).map_err(|e| out_err(&self.target, e))?;
        if old.exists() {
            fs::remove_dir_all(&old).map_err(|e| out_err(&old, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // A failed run leaves nothing half-written behind.
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn metrics_object(run: &RunOutput) -> Map<String, Value> {
    match serde_json::to_value(run.metrics) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `metrics.json`: the strategy's metrics at the top level (schema in
/// `engine/crates/analytics/METRICS.md`), then the run's facts, the open
/// positions, and each baseline's metrics under `baselines`.
pub fn metrics_json(main: &RunOutput, baselines: &[(String, RunOutput)], data: &LoadedData) -> Value {
    let mut m = metrics_object(main);
    m.insert("strategy".into(), json!(main.strategy));
    m.insert("symbols".into(), json!(data.symbols.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    m.insert("intervals".into(), json!(data.intervals.iter().map(|i| i.as_str()).collect::<Vec<_>>()));
    let c = main.recorded.counts;
    m.insert(
        "counts".into(),
        json!({
            "decisions": c.decisions, "risk_refusals": c.refusals, "risk_reductions": c.reductions,
            "order_events": c.order_events, "fills": c.fills, "alerts": c.alerts,
        }),
    );
    m.insert("halted".into(), json!(main.halted.map(|h| h.as_str())));
    m.insert(
        "open_trades".into(),
        Value::Array(
            main.open_trades
                .iter()
                .map(|t| {
                    json!({
                        "symbol": data.symbols.get(t.symbol.index()).map(|s| s.as_str()),
                        "side": if t.side == tradebot_core::Side::Buy { "long" } else { "short" },
                        "entry_time": t.entry_time,
                        "entry_price": t.entry_price,
                        "quantity": t.quantity,
                        "mark_price": t.exit_price,
                        "unrealized_pnl": t.pnl,
                    })
                })
                .collect(),
        ),
    );
    m.insert(
        "monthly_returns".into(),
        Value::Array(
            main.monthly_returns
                .iter()
                .map(|r| json!({"month": format!("{:04}-{:02}", r.year, r.month), "return": r.return_fraction}))
                .collect(),
        ),
    );
    let mut b = Map::new();
    let curve = |r: &RunOutput| r.recorded.equity.iter().map(|e| e.equity).collect::<Vec<f64>>();
    let ours = curve(main);
    for (name, run) in baselines {
        let mut bm = metrics_object(run);
        bm.insert("strategy".into(), json!(run.strategy));
        // Significance of the strategy's excess per-step return over this baseline.
        bm.insert("strategy_excess".into(), json!(tradebot_analytics::excess_return(&ours, &curve(run))));
        b.insert(name.clone(), Value::Object(bm));
    }
    m.insert("baselines".into(), Value::Object(b));
    Value::Object(m)
}

/// `latency.json`: per-stage HDR percentiles (nanoseconds), the lane layout
/// and the rings' backpressure counters. Timing varies run to run; it is kept
/// out of `metrics.json` so that file stays byte-identical.
pub fn latency_json(main: &RunOutput) -> Value {
    json!({
        "unit": "ns",
        "lanes": main.lanes.describe(),
        "stages": main.latency,
        // Every call of every agent (the stages above are sampled).
        "agents": main.agent_latency,
        "agent_failures": main.agent_faults.iter().map(|(name, n)| json!({ "agent": name, "bars": n })).collect::<Vec<_>>(),
        "rings": main.rings,
        "events": main.events,
    })
}
