//! Assembles `report.html` from a run, its baselines and the data.

use std::path::Path;

use tradebot_core::{Side, Timestamp};
use tradebot_kernel::RunOutput;
use tradebot_report::{
    MetricKind, MetricRow, MonthlyCell, PriceSeries, ReportInput, RunSeries, StageLatency, TradePoint, render_html,
};

use super::ReplayError;
use super::config::ReplayConfig;
use super::data::LoadedData;

/// Price charts are drawn for at most this many markets (the first ones traded).
const MAX_PRICE_CHARTS: usize = 4;

/// Reads the run's `trades.csv` back (the recorder keeps no trades in
/// memory); `symbol` of each point is the market's index in `data`.
fn read_trades(path: &Path, data: &LoadedData) -> Result<Vec<TradePoint>, ReplayError> {
    let bad = |e: &dyn std::fmt::Display| ReplayError::Output { file: path.to_owned(), message: e.to_string() };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(&e))?;
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| bad(&e))?;
        let field = |i: usize| row.get(i).unwrap_or("");
        let num = |i: usize| field(i).parse::<f64>().map_err(|e| bad(&e));
        let time = |i: usize| Timestamp::parse(field(i)).map_err(|e| bad(&e));
        let symbol = data.symbols.iter().position(|s| s.as_str() == field(0)).ok_or_else(|| bad(&"unknown symbol"))?;
        out.push(TradePoint {
            symbol,
            side: if field(1) == "long" { Side::Buy } else { Side::Sell },
            entry_time: time(2)?,
            entry_price: num(3)?,
            exit_time: time(4)?,
            exit_price: num(5)?,
            pnl: num(7)?,
            return_fraction: num(9)?,
        });
    }
    Ok(out)
}

pub fn render(
    trades_csv: &Path,
    main: &RunOutput,
    baselines: &[(String, RunOutput)],
    data: &LoadedData,
    config: &ReplayConfig,
    config_path: Option<&Path>,
) -> Result<String, ReplayError> {
    let runs: Vec<&RunOutput> = std::iter::once(main).chain(baselines.iter().map(|(_, r)| r)).collect();
    let names: Vec<String> =
        std::iter::once(main.strategy.clone()).chain(baselines.iter().map(|(n, _)| n.clone())).collect();
    let times: Vec<Vec<Timestamp>> = runs.iter().map(|r| r.recorded.equity.iter().map(|e| e.time).collect()).collect();
    let equity: Vec<Vec<f64>> = runs.iter().map(|r| r.recorded.equity.iter().map(|e| e.equity).collect()).collect();
    let series: Vec<RunSeries<'_>> =
        (0..runs.len()).map(|i| RunSeries { name: &names[i], times: &times[i], equity: &equity[i] }).collect();

    type Getter = fn(&tradebot_analytics::Metrics) -> f64;
    let rows_def: [(&str, MetricKind, Getter); 16] = [
        ("Final equity", MetricKind::Money, |m| m.final_equity),
        ("Total return", MetricKind::Fraction, |m| m.total_return.unwrap_or(f64::NAN)),
        ("Annual return", MetricKind::Fraction, |m| m.annual_return.unwrap_or(f64::NAN)),
        ("Annual volatility", MetricKind::Fraction, |m| m.annual_volatility.unwrap_or(f64::NAN)),
        ("Sharpe ratio", MetricKind::Ratio, |m| m.sharpe_ratio.unwrap_or(f64::NAN)),
        ("Probabilistic Sharpe (SR > 0)", MetricKind::Fraction, |m| m.probabilistic_sharpe_ratio.unwrap_or(f64::NAN)),
        ("Sortino ratio", MetricKind::Ratio, |m| m.sortino_ratio.unwrap_or(f64::NAN)),
        ("Max drawdown", MetricKind::Fraction, |m| m.max_drawdown),
        ("Calmar ratio", MetricKind::Ratio, |m| m.calmar_ratio.unwrap_or(f64::NAN)),
        ("Trades", MetricKind::Count, |m| m.total_trades as f64),
        ("Win rate", MetricKind::Fraction, |m| m.win_rate.unwrap_or(f64::NAN)),
        ("Profit factor", MetricKind::Ratio, |m| m.profit_factor.unwrap_or(f64::NAN)),
        ("Average trade", MetricKind::Fraction, |m| m.avg_trade_return.unwrap_or(f64::NAN)),
        ("Exposure time", MetricKind::Fraction, |m| m.exposure_time.unwrap_or(f64::NAN)),
        ("Turnover (x avg equity)", MetricKind::Ratio, |m| m.turnover.unwrap_or(f64::NAN)),
        ("Fees paid", MetricKind::Money, |m| m.fees_paid),
    ];
    let values: Vec<Vec<f64>> = rows_def.iter().map(|(_, _, g)| runs.iter().map(|r| g(&r.metrics)).collect()).collect();
    let metrics_table: Vec<MetricRow<'_>> =
        rows_def.iter().zip(&values).map(|((name, kind, _), v)| MetricRow { name, kind: *kind, values: v }).collect();

    // Price charts of the first markets the strategy traded (or the first markets).
    let trades = read_trades(trades_csv, data)?;
    let mut charted: Vec<usize> = Vec::new();
    for t in &trades {
        let i = t.symbol;
        if !charted.contains(&i) && charted.len() < MAX_PRICE_CHARTS {
            charted.push(i);
        }
    }
    if charted.is_empty() {
        charted = (0..data.symbols.len().min(MAX_PRICE_CHARTS)).collect();
    }
    let price_times: Vec<Vec<Timestamp>> = charted
        .iter()
        .map(|&i| {
            let iv = data.intervals[i];
            data.candles(i).iter().map(|c| iv.add(c.open_time(), 1).unwrap_or(c.open_time())).collect()
        })
        .collect();
    let closes: Vec<Vec<f64>> = charted
        .iter()
        .map(|&i| {
            let scale = data.stores[i].meta().price_scale;
            data.candles(i).iter().map(|c| scale.to_f64(c.close)).collect()
        })
        .collect();
    let prices: Vec<PriceSeries<'_>> = charted
        .iter()
        .enumerate()
        .map(|(k, &i)| PriceSeries { symbol: data.symbols[i].as_str(), times: &price_times[k], closes: &closes[k] })
        .collect();
    // Every trade counts in the histogram; only charted markets get markers,
    // so trades of other markets are attached to no price series.
    let points: Vec<TradePoint> = trades
        .iter()
        .filter_map(|t| Some(TradePoint { symbol: charted.iter().position(|&i| i == t.symbol)?, ..*t }))
        .collect();
    let monthly: Vec<MonthlyCell> = main
        .monthly_returns
        .iter()
        .map(|m| MonthlyCell { year: m.year, month: m.month, return_fraction: m.return_fraction.unwrap_or(f64::NAN) })
        .collect();
    let latency: Vec<StageLatency<'_>> = main
        .latency
        .iter()
        .chain(&main.agent_latency)
        .map(|l| StageLatency {
            stage: &l.stage,
            count: l.count,
            p50_ns: l.p50_ns,
            p90_ns: l.p90_ns,
            p99_ns: l.p99_ns,
            p999_ns: l.p999_ns,
            max_ns: l.max_ns,
        })
        .collect();

    let c = main.recorded.counts;
    let mut notes: Vec<String> = vec![
        "Every figure is in-sample on the replayed data, net of the configured costs; past performance in a \
         backtest is not evidence of future profit."
            .to_owned(),
    ];
    for (name, run) in baselines {
        let ours: Vec<f64> = main.recorded.equity.iter().map(|e| e.equity).collect();
        let theirs: Vec<f64> = run.recorded.equity.iter().map(|e| e.equity).collect();
        let x = tradebot_analytics::excess_return(&ours, &theirs);
        if let (Some(mean), Some(p)) = (x.mean_excess_per_step, x.p_value) {
            notes.push(format!(
                "Versus {name}: mean excess return {:+.4} % per bar over {} bars; one-sided p = {:.3} that the \
                 strategy is not better (assumes independent bars).",
                mean * 100.0,
                x.steps,
                p
            ));
        }
    }
    if c.refusals + c.reductions > 0 {
        notes.push(format!(
            "The risk engine refused {} and reduced {} of {} entries (rules and numbers in decisions.jsonl).",
            c.refusals, c.reductions, c.decisions
        ));
    }
    for dir in &config.agents.models {
        // The out-of-sample verdict `tradebot evaluate` wrote next to the
        // models: whether the agent has any statistically significant edge.
        let verdict = std::fs::read_to_string(dir.join("evaluation.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| Some((v["model"].as_str()?.to_owned(), v["verdict"].as_str()?.to_owned())));
        match verdict {
            Some((model, verdict)) => notes.push(format!("Agent {model}, walk-forward evaluation: {verdict}")),
            None => notes.push(format!("Agent models in {} have no evaluation.json.", dir.display())),
        }
    }
    for (agent, bars) in main.agent_faults.iter().filter(|(_, n)| *n > 0) {
        notes.push(format!("Agent {agent} failed on {bars} bars (treated as abstaining)."));
    }
    if let Some(h) = main.halted {
        notes.push(format!("Trading halted by the {} rule.", h.as_str()));
    }
    for t in &main.open_trades {
        let side = if t.side == Side::Buy { "long" } else { "short" };
        notes.push(format!(
            "{} {side} {} still open at the end, valued at the last close ({:.2} unrealised).",
            data.symbols.get(t.symbol.index()).map_or("?", |s| s.as_str()),
            t.quantity,
            t.pnl
        ));
    }
    for r in &data.imports {
        if r.quality.gaps.count > 0 {
            notes.push(format!(
                "{} {}: {} gaps in the data ({} missing bars).",
                r.symbol, r.interval, r.quality.gaps.count, r.quality.gaps.missing_bars
            ));
        }
    }
    let note_refs: Vec<&str> = notes.iter().map(String::as_str).collect();

    let markets = if data.symbols.len() <= 3 {
        data.symbols.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    } else {
        format!("{} markets", data.symbols.len())
    };
    let title = format!("{} on {} {}", main.strategy, markets, data.step_interval());
    let (first, last) = (main.metrics.start, main.metrics.end);
    let subtitle = format!(
        "{} to {} · {} bars · initial equity {} · config {} · tradebot {}",
        first.map(|t| t.to_string()).unwrap_or_default(),
        last.map(|t| t.to_string()).unwrap_or_default(),
        main.metrics.bars,
        config.initial_equity,
        config_path.map_or_else(|| "built-in default".to_owned(), |p| p.display().to_string()),
        env!("CARGO_PKG_VERSION"),
    );
    let input = ReportInput {
        title: &title,
        subtitle: &subtitle,
        runs: &series,
        metrics_table: &metrics_table,
        prices: &prices,
        trades: &points,
        monthly_returns: &monthly,
        latency: &latency,
        notes: &note_refs,
    };
    render_html(&input).map_err(|e| ReplayError::Output { file: "report.html".into(), message: e.to_string() })
}
