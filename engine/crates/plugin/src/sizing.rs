//! A sizing-policy component behind the risk crate's [`SizingPolicy`].

use tradebot_core::{PluginFault, PluginStamp, Side, Symbol};
use tradebot_risk::{SizingAnswer, SizingContext, SizingInput, SizingPolicy};

use crate::bindings::{self, SizingDecision, SizingRequest, TradeStats, sizing};
use crate::error::PluginError;
use crate::host::{LoadedComponent, LogLine, PluginHost, World};
use crate::instance::{InitArgs, Instance};

/// Longest reason accepted, in bytes.
pub const MAX_REASON: usize = 256;
/// Most reasons a plugin may list.
pub const MAX_REASONS: usize = 64;

/// One instance of a sizing component, sizing every entry of the account.
pub struct WasmSizing {
    inst: Instance<sizing::SizingPolicy>,
    symbols: usize,
    /// What the plugin's `reasons()` listed; answers give an index.
    reasons: Vec<String>,
    /// Reused between calls: only its fields change.
    request: SizingRequest,
}

impl std::fmt::Debug for WasmSizing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmSizing").field("stamp", &self.inst.stamp).finish_non_exhaustive()
    }
}

fn blank_request() -> SizingRequest {
    SizingRequest {
        symbol: 0,
        direction: bindings::Direction::Long,
        confidence: 0.0,
        equity: 0.0,
        price: 0.0,
        volatility: f64::NAN,
        atr: f64::NAN,
        stop_distance: f64::NAN,
        position: 0.0,
        exposure: 0.0,
        stats: TradeStats { closed_trades: 0, win_rate: 0.0, avg_win: 0.0, avg_loss: 0.0 },
        lot_size: 0.0,
        commission_fraction: 0.0,
    }
}

/// Checks the list a plugin's `reasons()` gave.
pub fn check_reasons(reasons: &[String]) -> Result<(), String> {
    if reasons.is_empty() || reasons.len() > MAX_REASONS {
        return Err(format!("reasons(): {} reasons; need 1 to {MAX_REASONS}", reasons.len()));
    }
    if let Some((k, r)) = reasons.iter().enumerate().find(|(_, r)| r.len() > MAX_REASON) {
        return Err(format!("reasons(): reason #{k} is {} bytes; at most {MAX_REASON}", r.len()));
    }
    Ok(())
}

/// Checks an answer against the contract (`reasons`: how many the plugin
/// listed); `Err` is an invalid output.
pub fn check_sizing(d: &SizingDecision, long: bool, price: f64, reasons: usize) -> Result<SizingAnswer, &'static str> {
    let t = d.target_position;
    if !t.is_finite() {
        return Err("target-position is not finite");
    }
    if (long && t < 0.0) || (!long && t > 0.0) {
        return Err("target-position has the sign of the other direction");
    }
    if d.reason as usize >= reasons {
        return Err("reason is not an index into the plugin's reasons");
    }
    if let Some(stop) = d.stop {
        let protective = if long { stop < price } else { stop > price };
        if !(stop.is_finite() && stop > 0.0 && protective) {
            return Err("stop is not a finite price on the losing side of the entry");
        }
    }
    if let Some(tp) = d.take_profit {
        let profitable = if long { tp > price } else { tp < price };
        if !(tp.is_finite() && tp > 0.0 && profitable) {
            return Err("take-profit is not a finite price on the winning side of the entry");
        }
    }
    Ok(SizingAnswer { quantity: t.abs(), stop: d.stop, take_profit: d.take_profit, fault: None })
}

impl WasmSizing {
    /// Instantiates the component, calls its `init` with `config` and the
    /// account's instruments, and reads and checks its `reasons()`.
    pub fn new(
        host: &PluginHost,
        loaded: &LoadedComponent,
        config: &str,
        symbols: &[Symbol],
    ) -> Result<Self, PluginError> {
        loaded.expect_world(World::SizingPolicy)?;
        let names: Vec<String> = symbols.iter().map(|s| s.as_str().to_owned()).collect();
        let init = InitArgs { config: config.to_owned(), agents: Vec::new(), symbols: names };
        let mut inst = Instance::<sizing::SizingPolicy>::new(host, loaded, init)?;
        let fail = |message: String| PluginError::SelfTest { path: loaded.path.clone(), message };
        let reasons = inst.call_at_load(|b, s| b.call_reasons(s)).map_err(|f| fail(format!("reasons(): {f}")))?;
        check_reasons(&reasons).map_err(fail)?;
        Ok(WasmSizing { inst, symbols: symbols.len(), reasons, request: blank_request() })
    }

    /// The text of a reason code an answer gave (`None`: not one of the
    /// plugin's).
    pub fn reason(&self, code: u32) -> Option<&str> {
        self.reasons.get(code as usize).map(String::as_str)
    }

    /// How many reasons the plugin listed.
    pub fn reason_count(&self) -> usize {
        self.reasons.len()
    }

    pub fn faults(&self) -> [u64; PluginFault::ALL.len()] {
        self.inst.faults
    }

    pub fn drain_logs(&mut self) -> Vec<LogLine> {
        self.inst.drain_logs()
    }

    /// The raw call, for tools and benchmarks: the answer as the plugin
    /// gave it, or the fault.
    pub fn call(&mut self, request: &SizingRequest) -> Result<SizingDecision, PluginFault> {
        self.inst.call(|b, s| b.call_size(s, *request))
    }
}

impl SizingPolicy for WasmSizing {
    fn size(&mut self, input: &SizingInput<'_>, context: &SizingContext) -> SizingAnswer {
        let long = context.side == Side::Buy;
        let Some(symbol) = u32::try_from(context.symbol.index()).ok().filter(|&s| (s as usize) < self.symbols) else {
            return SizingAnswer::refuse(self.inst.count(PluginFault::BadRequest));
        };
        let r = &mut self.request;
        r.symbol = symbol;
        r.direction = if long { bindings::Direction::Long } else { bindings::Direction::Short };
        r.confidence = context.confidence;
        r.equity = input.equity;
        r.price = input.price;
        r.volatility = input.volatility;
        r.atr = context.atr;
        r.stop_distance = input.stop.map_or(f64::NAN, |s| (input.price - s).abs());
        r.position = context.position;
        r.exposure = context.exposure;
        r.stats = TradeStats {
            closed_trades: input.stats.closed(),
            win_rate: input.stats.win_rate(),
            avg_win: input.stats.avg_win(),
            avg_loss: input.stats.avg_loss(),
        };
        r.lot_size = input.lot_size;
        r.commission_fraction = input.commission_fraction;
        let request = &self.request;
        match self.inst.call(|b, s| b.call_size(s, *request)) {
            Ok(d) => match check_sizing(&d, long, input.price, self.reasons.len()) {
                Ok(answer) => answer,
                Err(_) => SizingAnswer::refuse(self.inst.invalid_output()),
            },
            Err(fault) => SizingAnswer::refuse(fault),
        }
    }

    fn stamp(&self) -> Option<PluginStamp> {
        Some(self.inst.stamp)
    }
}

/// Sizes a grid of synthetic entries (both directions, with and without a
/// stop, with and without trade history) on a fresh instance; any fault or
/// invalid answer fails the test.
pub fn self_test_sizing(host: &PluginHost, loaded: &LoadedComponent, config: &str) -> Result<usize, PluginError> {
    let test = Symbol::new("TEST").map_err(|e| PluginError::Engine(e.to_string()))?;
    let mut s = WasmSizing::new(host, loaded, config, &[test])?;
    let mut n = 0;
    for long in [true, false] {
        for stop in [None, Some(0.02)] {
            for (closed, win_rate) in [(0u64, 0.0), (50, 0.55)] {
                let mut r = blank_request();

                r.direction = if long { bindings::Direction::Long } else { bindings::Direction::Short };
                r.confidence = 0.7;
                r.equity = 10_000.0;
                r.price = 100.0;
                r.volatility = 0.01;
                r.atr = 1.5;
                r.stop_distance = stop.map_or(f64::NAN, |f| 100.0 * f);
                r.stats = TradeStats { closed_trades: closed, win_rate, avg_win: 12.0, avg_loss: 10.0 };
                let fail = |message: String| PluginError::SelfTest { path: loaded.path.clone(), message };
                let d = s.call(&r).map_err(|f| fail(format!("size #{n}: {f}")))?;
                check_sizing(&d, long, r.price, s.reason_count()).map_err(|m| fail(format!("size #{n}: {m}")))?;
                n += 1;
            }
        }
    }
    Ok(n)
}
