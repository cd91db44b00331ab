//! The recorder: the last stage, the only one that formats text or touches
//! files. It writes `orders.csv`, `trades.csv`, `equity.csv` and the decision
//! log (`decisions.jsonl`) as records arrive, and keeps the equity curve in
//! memory (sized up front from the number of bars, so it never grows).
//! Trades are not kept: there may be any number of them, and the report
//! reads them back from `trades.csv`.
//!
//! Output is a pure function of the records: floats are printed with Rust's
//! shortest round-trip formatting and times as RFC 3339 UTC, so two replays
//! of the same inputs write byte-identical files whichever lane layout ran.
//! A write error does not stop the run; the first one is kept and returned
//! with the results so the caller can fail the run and name the file.

use std::io::{self, Write};

use serde::Serialize;
use tradebot_core::{OrderKind, Symbol};
use tradebot_risk::RiskEvent;

use crate::account::RecordSink;
use crate::record::{Alert, Decision, EquitySample, Record};

/// Where each output goes; `None` skips the output entirely (nothing is
/// formatted), which is what benchmarks of the engine itself use.
pub struct RecorderOutputs {
    pub orders: Option<Box<dyn Write + Send>>,
    pub trades: Option<Box<dyn Write + Send>>,
    pub equity: Option<Box<dyn Write + Send>>,
    pub decisions: Option<Box<dyn Write + Send>>,
    /// Keep the equity curve in memory for the report and the baseline
    /// comparison (one sample per step, reserved up front).
    pub keep_equity_curve: bool,
}

impl std::fmt::Debug for RecorderOutputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecorderOutputs")
    }
}

impl RecorderOutputs {
    /// Every output discarded (benchmarks, tests of the engine alone).
    pub fn discard() -> Self {
        RecorderOutputs { orders: None, trades: None, equity: None, decisions: None, keep_equity_curve: false }
    }
}

pub const ORDERS_HEADER: &str = "time,order_id,symbol,side,kind,purpose,quantity,limit_price,stop_price,reduce_only,status,filled_quantity,remaining_quantity,fill_quantity,fill_price,fee,reason\n";
pub const TRADES_HEADER: &str =
    "symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,pnl,fees,return,exit_reason\n";
pub const EQUITY_HEADER: &str = "time,equity,cash,gross_exposure,drawdown,open_positions\n";

/// Which output a write error happened in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OutputFile {
    Orders,
    Trades,
    Equity,
    Decisions,
}

impl OutputFile {
    pub const fn file_name(self) -> &'static str {
        match self {
            OutputFile::Orders => "orders.csv",
            OutputFile::Trades => "trades.csv",
            OutputFile::Equity => "equity.csv",
            OutputFile::Decisions => "decisions.jsonl",
        }
    }
}

/// Counts of what was recorded.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    pub order_events: u64,
    pub fills: u64,
    pub trades: u64,
    pub decisions: u64,
    pub refusals: u64,
    pub reductions: u64,
    pub alerts: u64,
}

/// The recorder stage.
#[derive(Debug)]
pub struct Recorder {
    symbols: Vec<Symbol>,
    out: RecorderOutputs,
    error: Option<(OutputFile, io::Error)>,
    equity: Vec<EquitySample>,
    counts: RecordCounts,
    ended: bool,
}

/// What the recorder hands back at the end of a run.
#[derive(Debug)]
pub struct Recorded {
    pub equity: Vec<EquitySample>,
    pub counts: RecordCounts,
    pub error: Option<(OutputFile, io::Error)>,
}

impl Recorder {
    /// `expected_steps` sizes the in-memory equity curve so it does not grow
    /// during the run.
    pub fn new(symbols: Vec<Symbol>, mut out: RecorderOutputs, expected_steps: usize) -> Self {
        let mut error = None;
        for (file, w, header) in [
            (OutputFile::Orders, &mut out.orders, ORDERS_HEADER),
            (OutputFile::Trades, &mut out.trades, TRADES_HEADER),
            (OutputFile::Equity, &mut out.equity, EQUITY_HEADER),
        ] {
            if let Some(Err(e)) = w.as_mut().map(|w| w.write_all(header.as_bytes())) {
                error.get_or_insert((file, e));
            }
        }
        let keep = out.keep_equity_curve;
        Recorder {
            symbols,
            out,
            error,
            equity: if keep { Vec::with_capacity(expected_steps + 1) } else { Vec::new() },
            counts: RecordCounts::default(),
            ended: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.ended
    }

    pub fn finish(mut self) -> Recorded {
        for (file, w) in [
            (OutputFile::Orders, &mut self.out.orders),
            (OutputFile::Trades, &mut self.out.trades),
            (OutputFile::Equity, &mut self.out.equity),
            (OutputFile::Decisions, &mut self.out.decisions),
        ] {
            if let Some(Err(e)) = w.as_mut().map(|w| w.flush()) {
                self.error.get_or_insert((file, e));
            }
        }
        Recorded { equity: self.equity, counts: self.counts, error: self.error }
    }

    fn write(&mut self, record: &Record) -> io::Result<OutputFile> {
        match record {
            Record::Order { request, event } => {
                self.counts.order_events += 1;
                let (limit, stop) = match request.kind {
                    OrderKind::Market => (f64::NAN, f64::NAN),
                    OrderKind::Limit { limit } => (limit, f64::NAN),
                    OrderKind::Stop { stop } => (f64::NAN, stop),
                    OrderKind::StopLimit { stop, limit } => (limit, stop),
                };
                if event.fill.is_some() {
                    self.counts.fills += 1;
                }
                let Some(w) = self.out.orders.as_mut() else { return Ok(OutputFile::Orders) };
                write!(
                    w,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},",
                    event.time,
                    request.id,
                    self.symbols.get(request.symbol.index()).map_or("?", |s| s.as_str()),
                    request.side,
                    request.kind.as_str(),
                    request.purpose.as_str(),
                    request.quantity,
                    Opt(limit),
                    Opt(stop),
                    request.reduce_only,
                    event.status.as_str(),
                    event.filled_quantity,
                    event.remaining_quantity,
                )?;
                match event.fill {
                    Some(f) => write!(w, "{},{},{},", f.quantity, f.price, f.fee)?,
                    None => w.write_all(b",,,")?,
                }
                writeln!(w, "{}", event.reason.as_str())?;
                Ok(OutputFile::Orders)
            }
            Record::Trade(t) => {
                self.counts.trades += 1;
                let side = if t.side == tradebot_core::Side::Buy { "long" } else { "short" };
                // The name (a UTF-8 check) only when there is a file to write.
                let Some(w) = self.out.trades.as_mut() else { return Ok(OutputFile::Trades) };
                let name = self.symbols.get(t.symbol.index()).map_or("?", |s| s.as_str());
                writeln!(
                    w,
                    "{name},{side},{},{},{},{},{},{},{},{},{}",
                    t.entry_time,
                    t.entry_price,
                    t.exit_time,
                    t.exit_price,
                    t.quantity,
                    t.pnl,
                    t.fees,
                    t.return_fraction(),
                    t.exit_purpose.as_str()
                )?;
                Ok(OutputFile::Trades)
            }
            Record::Equity(e) => {
                if self.out.keep_equity_curve {
                    self.equity.push(*e);
                }
                let Some(w) = self.out.equity.as_mut() else { return Ok(OutputFile::Equity) };
                writeln!(
                    w,
                    "{},{},{},{},{},{}",
                    e.time, e.equity, e.cash, e.gross_exposure, e.drawdown, e.open_positions
                )?;
                Ok(OutputFile::Equity)
            }
            Record::Decision(d) => {
                self.counts.decisions += 1;
                match d.verdict {
                    crate::record::Verdict::Refused => self.counts.refusals += 1,
                    crate::record::Verdict::Reduced => self.counts.reductions += 1,
                    _ => {}
                }
                self.write_decision(d)?;
                Ok(OutputFile::Decisions)
            }
            Record::Alert { time, alert } => {
                self.counts.alerts += 1;
                let Some(w) = self.out.decisions.as_mut() else { return Ok(OutputFile::Decisions) };
                write!(w, "{{\"time\":\"{time}\",\"type\":\"alert\",")?;
                match alert {
                    Alert::KillSwitch => w.write_all(b"\"alert\":\"kill_switch\"")?,
                    Alert::OrderRejected => w.write_all(b"\"alert\":\"order_rejected\"")?,
                    Alert::InvalidBar => w.write_all(b"\"alert\":\"invalid_bar\"")?,
                    Alert::Plugin { slot, fault } => {
                        write!(w, "\"alert\":\"plugin\",\"slot\":\"{}\",\"fault\":\"{}\"", slot.as_str(), fault)?
                    }
                    Alert::Risk(RiskEvent::Halted(h)) => write!(w, "\"alert\":\"halted\",\"rule\":\"{}\"", h.as_str())?,
                    Alert::Risk(RiskEvent::FlattenRequested) => w.write_all(b"\"alert\":\"flatten_requested\"")?,
                    Alert::Risk(RiskEvent::DailyLossReached { loss, limit }) => write!(
                        w,
                        "\"alert\":\"daily_loss_reached\",\"loss\":{},\"limit\":{}",
                        Json(*loss),
                        Json(*limit)
                    )?,
                    Alert::Risk(other) => write!(w, "\"alert\":\"risk\",\"detail\":\"{other:?}\"")?,
                }
                w.write_all(b"}\n")?;
                Ok(OutputFile::Decisions)
            }
            Record::StopMoved { time, symbol, from, to, long } => {
                let name = self.symbols.get(symbol.index()).copied();
                let Some(w) = self.out.decisions.as_mut() else { return Ok(OutputFile::Decisions) };
                writeln!(
                    w,
                    "{{\"time\":\"{time}\",\"type\":\"stop_moved\",\"symbol\":\"{}\",\"side\":\"{}\",\"from\":{},\"to\":{}}}",
                    name.as_ref().map_or("?", |s| s.as_str()),
                    if *long { "long" } else { "short" },
                    Json(*from),
                    Json(*to)
                )?;
                Ok(OutputFile::Decisions)
            }
            Record::End => {
                self.ended = true;
                Ok(OutputFile::Decisions)
            }
        }
    }

    fn write_decision(&mut self, d: &Decision) -> io::Result<()> {
        let Some(w) = self.out.decisions.as_mut() else { return Ok(()) };
        let symbol = self.symbols.get(d.symbol.index()).copied();
        let name = symbol.as_ref().map_or("?", |s| s.as_str());
        write!(
            w,
            "{{\"time\":\"{}\",\"type\":\"decision\",\"symbol\":\"{}\",\"close\":{},\"inputs\":[",
            d.time,
            name,
            Json(d.close)
        )?;
        for (k, v) in d.inputs[..d.n_inputs as usize].iter().enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            write!(w, "{}", Json(*v))?;
        }
        write!(
            w,
            "],\"atr\":{},\"volatility\":{},\"signal\":\"{}\",\"confidence\":{},\"equity\":{},\"exposure\":{},\"position\":{},\
             \"exit_quantity\":{},\"sized_quantity\":{},\"approved_quantity\":{},\"stop\":{},\"take_profit\":{},\
             \"verdict\":\"{}\",\"risk\":[",
            Json(d.atr),
            Json(d.volatility),
            d.target.as_str(),
            Json(d.confidence),
            Json(d.equity),
            Json(d.exposure),
            Json(d.position_before),
            Json(d.exit_quantity),
            Json(d.sized_quantity),
            Json(d.approved_quantity),
            Json(d.stop),
            Json(d.take_profit),
            d.verdict.as_str(),
        )?;
        for (k, n) in d.notes.iter().flatten().enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            write!(
                w,
                "{{\"rule\":\"{}\",\"limit\":{},\"value\":{},\"requested\":{},\"allowed\":{}}}",
                n.rule.as_str(),
                Json(n.limit),
                Json(n.value),
                Json(n.requested),
                Json(n.allowed)
            )?;
        }
        w.write_all(b"]")?;
        // Plugin identity only when a plugin took part, so native runs keep
        // their decision log unchanged.
        for (key, stamp) in [("strategy_plugin", d.strategy_plugin), ("sizing_plugin", d.sizing_plugin)] {
            if let Some(stamp) = stamp {
                write!(w, ",\"{key}\":")?;
                serde_json::to_writer(&mut *w, &stamp.to_string())?;
            }
        }
        if let Some(fault) = d.sizing_fault {
            write!(w, ",\"sizing_fault\":\"{fault}\"")?;
        }
        w.write_all(b"}\n")
    }
}

impl RecordSink for Recorder {
    #[inline]
    fn wants_equity(&self) -> bool {
        self.out.keep_equity_curve || self.out.equity.is_some()
    }

    #[inline]
    fn record(&mut self, record: &Record) {
        if self.error.is_some() {
            return;
        }
        let file = match record {
            Record::Order { .. } => OutputFile::Orders,
            Record::Trade(_) => OutputFile::Trades,
            Record::Equity(_) => OutputFile::Equity,
            _ => OutputFile::Decisions,
        };
        if let Err(e) = self.write(record) {
            self.error = Some((file, e));
        }
    }
}

/// A float for CSV: empty when undefined.
struct Opt(f64);

impl std::fmt::Display for Opt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_finite() { write!(f, "{}", self.0) } else { Ok(()) }
    }
}

/// A float for JSON: `null` when not finite.
struct Json(f64);

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_finite() { write!(f, "{}", self.0) } else { f.write_str("null") }
    }
}
