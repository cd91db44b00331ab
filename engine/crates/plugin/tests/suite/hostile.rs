//! Hostile plugins (`plugins/testing/hostile-*`) cannot hang, crash or
//! escape the host. Every misbehaviour is one call's fault, reported with
//! its kind, and the slot's safe default for that call (hold, size 0, do not
//! trade); the wrapper then carries on with a fresh instance.
//!
//! The fixtures behave normally for their first `after` calls and then
//! misbehave as `mode` says. A fresh instance starts counting from 0 again,
//! so with `after = 1` the calls go normal, fault, normal, fault, ...
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tradebot_core::{PluginFault, Side, Symbol, SymbolId};
use tradebot_plugin::wit::{Candle, Level};
use tradebot_plugin::{
    Budget, LoadedComponent, PluginError, PluginHost, PluginLimits, WasmMetaAgent, WasmSizing, WasmStrategy,
    bundled_plugin, sample_agents, sample_context, sample_predictions, sample_symbols,
};
use tradebot_risk::{SizingContext, SizingInput, SizingPolicy, TradeStats};
use tradebot_strategy::Direction;

// ---- hosts and components ---------------------------------------------------

struct Hostiles {
    host: PluginHost,
    strategy: LoadedComponent,
    sizing: LoadedComponent,
    meta: LoadedComponent,
}

impl Hostiles {
    fn new(limits: PluginLimits) -> Self {
        let host = PluginHost::new(limits).unwrap();
        let load = |name: &str| host.load(&bundled_plugin(name)).unwrap();
        Hostiles {
            strategy: load("hostile-strategy"),
            sizing: load("hostile-sizing"),
            meta: load("hostile-meta"),
            host,
        }
    }
}

/// The replay defaults: 10 M fuel per call, 32 MiB of memory.
fn default_host() -> &'static Hostiles {
    static H: OnceLock<Hostiles> = OnceLock::new();
    H.get_or_init(|| Hostiles::new(PluginLimits::default()))
}

/// Fuel to spare, so that the memory cap (the default 32 MiB) or the host's
/// own size checks are what stops a hoarding plugin. With the default
/// 10 M fuel, filling memory a megabyte at a time or building 100,000
/// strings runs out of fuel first (see the last test).
fn roomy_host() -> &'static Hostiles {
    static H: OnceLock<Hostiles> = OnceLock::new();
    H.get_or_init(|| {
        Hostiles::new(PluginLimits {
            budget: Budget::Fuel { per_call: 2_000_000_000, init: 1_000_000_000 },
            ..PluginLimits::default()
        })
    })
}

/// Live trading: a 5 ms deadline per call instead of fuel.
fn live_host() -> &'static Hostiles {
    static H: OnceLock<Hostiles> = OnceLock::new();
    H.get_or_init(|| Hostiles::new(PluginLimits::live(Duration::from_millis(5))))
}

/// The account's one instrument (`SymbolId(0)` in the requests).
fn symbols() -> Vec<Symbol> {
    vec![Symbol::new("BTCUSDT").unwrap()]
}

fn sizing(hosts: &Hostiles, config: &str) -> Result<WasmSizing, PluginError> {
    WasmSizing::new(&hosts.host, &hosts.sizing, config, &symbols())
}

fn meta(hosts: &Hostiles, config: &str) -> WasmMetaAgent {
    WasmMetaAgent::new(&hosts.host, &hosts.meta, config, &sample_agents(), &sample_symbols()).unwrap()
}

fn config(mode: &str, after: u64) -> String {
    format!(r#"{{"mode": "{mode}", "after": {after}}}"#)
}

// ---- one call per world, checked against the fixture's normal answer -------

fn candle() -> Candle {
    Candle {
        open_time_ns: 1_700_000_000_000_000_000,
        close_time_ns: 1_700_000_060_000_000_000,
        open: 100.0,
        high: 101.0,
        low: 99.0,
        close: 100.5,
        volume: 1_000.0,
    }
}

/// `Ok` when the strategy gave its normal answer (long, confidence 1), the
/// fault when the call failed; anything else fails the test.
fn strategy_call(s: &mut WasmStrategy) -> Result<(), PluginFault> {
    let signal = s.call(candle(), &[]);
    match signal.fault {
        None => {
            assert_eq!((signal.target, signal.confidence), (Some(Direction::Long), 1.0), "not the normal answer");
            Ok(())
        }
        Some(fault) => {
            // The safe default: keep whatever is held.
            assert_eq!((signal.target, signal.confidence), (None, 0.0), "{fault}: not a hold");
            Err(fault)
        }
    }
}

const EQUITY: f64 = 10_000.0;
const PRICE: f64 = 100.0;

fn sizing_call_raw(s: &mut WasmSizing, side: Side) -> tradebot_risk::SizingAnswer {
    let stats = TradeStats::new();
    let input = SizingInput {
        equity: EQUITY,
        price: PRICE,
        stop: Some(98.0),
        volatility: 0.01,
        stats: &stats,
        lot_size: 0.0,
        commission_fraction: 0.0,
    };
    let context = SizingContext { symbol: SymbolId(0), side, confidence: 0.8, atr: 1.5, position: 0.0, exposure: 0.0 };
    s.size(&input, &context)
}

/// `Ok` for the normal answer (1 % of equity), the fault otherwise.
fn sizing_call(s: &mut WasmSizing) -> Result<(), PluginFault> {
    let answer = sizing_call_raw(s, Side::Buy);
    match answer.fault {
        None => {
            assert_eq!(answer.quantity, EQUITY * 0.01 / PRICE, "not the normal answer");
            Ok(())
        }
        Some(fault) => {
            // The safe default: enter nothing.
            assert_eq!((answer.quantity, answer.stop, answer.take_profit), (0.0, None, None), "{fault}");
            Err(fault)
        }
    }
}

/// `Ok` for the normal answer (the plain average), the fault otherwise.
fn meta_call(m: &mut WasmMetaAgent) -> Result<(), PluginFault> {
    let predictions: Vec<_> = sample_predictions().into_iter().flatten().collect();
    let out = m.combine(sample_predictions(), &sample_context());
    match out.fault {
        None => {
            let n = predictions.len() as f64;
            let mean = [0, 1, 2].map(|k| predictions.iter().map(|p| p.probabilities[k]).sum::<f64>() / n);
            for (got, want) in out.probabilities.iter().zip(mean) {
                assert!((got - want).abs() < 1e-12, "not the normal answer: {:?}", out.probabilities);
            }
            assert_eq!((out.confidence, out.should_trade), (0.6, true));
            Ok(())
        }
        Some(fault) => {
            // The safe default: neutral, no confidence, do not trade.
            assert_eq!(out.probabilities, [0.0, 1.0, 0.0], "{fault}");
            assert_eq!((out.confidence, out.disagreement, out.should_trade), (0.0, 0.0, false), "{fault}");
            assert!(out.notes.is_empty());
            Err(fault)
        }
    }
}

/// Four calls with `after = 1`: normal, fault, normal (a fresh instance whose
/// count restarted), fault; and the wrapper counted two faults of that kind.
fn assert_fault_then_recovery<W>(
    what: &str,
    expected: PluginFault,
    wrapper: &mut W,
    call: fn(&mut W) -> Result<(), PluginFault>,
    faults: fn(&W) -> [u64; PluginFault::ALL.len()],
) {
    let outcomes: Vec<Result<(), PluginFault>> = (0..4).map(|_| call(wrapper)).collect();
    assert_eq!(outcomes, [Ok(()), Err(expected), Ok(()), Err(expected)], "{what}");
    let mut counted = [0; PluginFault::ALL.len()];
    counted[expected.index()] = 2;
    assert_eq!(faults(wrapper), counted, "{what}: fault counters");
}

fn assert_strategy_mode(hosts: &Hostiles, mode: &str, expected: PluginFault) {
    let mut s = WasmStrategy::new(&hosts.host, &hosts.strategy, &config(mode, 1)).unwrap();
    assert_fault_then_recovery(&format!("strategy {mode}"), expected, &mut s, strategy_call, WasmStrategy::faults);
}

fn assert_sizing_mode(hosts: &Hostiles, mode: &str, expected: PluginFault) {
    let mut s = sizing(hosts, &config(mode, 1)).unwrap();
    assert_fault_then_recovery(&format!("sizing {mode}"), expected, &mut s, sizing_call, WasmSizing::faults);
}

fn assert_meta_mode(hosts: &Hostiles, mode: &str, expected: PluginFault) {
    let mut m = meta(hosts, &config(mode, 1));
    assert_fault_then_recovery(&format!("meta {mode}"), expected, &mut m, meta_call, WasmMetaAgent::faults);
}

// ---- strategy ----------------------------------------------------------------

#[test]
fn a_strategy_that_loops_runs_out_of_fuel_and_the_next_call_works() {
    assert_strategy_mode(default_host(), "loop", PluginFault::OutOfFuel);
}

#[test]
fn a_strategy_that_hoards_memory_hits_the_memory_cap_and_the_next_call_works() {
    assert_strategy_mode(roomy_host(), "oom", PluginFault::OutOfMemory);
}

#[test]
fn a_strategy_that_panics_traps_and_the_next_call_works() {
    assert_strategy_mode(default_host(), "trap", PluginFault::Trap);
}

#[test]
fn a_strategy_confidence_that_is_nan_infinite_or_negative_is_an_invalid_output() {
    for mode in ["nan", "inf", "negative"] {
        assert_strategy_mode(default_host(), mode, PluginFault::InvalidOutput);
    }
}

// The escape attempts: whether or not an escape works, the fixture answers
// long with confidence 1 (its normal answer when the attempt fails, the
// "escaped" answer when it succeeds), so the evidence is what it logged.

#[test]
fn a_strategy_cannot_read_files() {
    let h = default_host();
    let mut s = WasmStrategy::new(&h.host, &h.strategy, &config("file", 0)).unwrap();
    let signal = s.call(candle(), &[]);
    assert_eq!(signal.fault, None);
    // The fixture logs each path it failed to open and stops at the first it
    // can read: a warning for every one of the four means none was readable.
    let logs = s.drain_logs();
    let paths = ["/etc/passwd", ".", "/", "Cargo.toml"];
    assert_eq!(logs.len(), paths.len(), "{logs:?}");
    for (line, path) in logs.iter().zip(paths) {
        assert_eq!(line.level, Level::Warn);
        assert!(line.message.starts_with(&format!("open {path}: ")), "{line:?}");
    }
    // Drained: nothing is left for the next reader.
    assert!(s.drain_logs().is_empty());
}

#[test]
fn a_strategy_cannot_open_a_network_connection() {
    let h = default_host();
    let mut s = WasmStrategy::new(&h.host, &h.strategy, &config("net", 0)).unwrap();
    let signal = s.call(candle(), &[]);
    assert_eq!(signal.fault, None);
    let logs = s.drain_logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0].level, Level::Warn);
    assert!(logs[0].message.starts_with("connect: "), "{logs:?}");
}

#[test]
fn a_strategy_sees_a_clock_frozen_at_the_unix_epoch() {
    let h = default_host();
    let mut s = WasmStrategy::new(&h.host, &h.strategy, &config("clock", 0)).unwrap();
    let signal = s.call(candle(), &[]);
    assert_eq!(signal.fault, None);
    let logs = s.drain_logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!((logs[0].level, logs[0].message.as_str()), (Level::Info, "clock says 0"));
}

#[test]
fn a_strategy_asking_for_too_many_features_is_refused_when_built() {
    // With fuel to spare, the host's own limit refuses the list.
    let h = roomy_host();
    let err = WasmStrategy::new(&h.host, &h.strategy, &config("huge", 0)).unwrap_err();
    let PluginError::SelfTest { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("100000 columns") && message.contains("at most 12"), "{message}");
    // With the default budget, building the list alone exhausts the call.
    let h = default_host();
    let err = WasmStrategy::new(&h.host, &h.strategy, &config("huge", 0)).unwrap_err();
    assert!(matches!(err, PluginError::SelfTest { .. }), "{err:?}");
    assert!(err.to_string().contains("features"), "{err}");
}

#[test]
fn a_strategy_that_loops_in_init_is_refused_quickly() {
    let h = default_host();
    let start = Instant::now();
    let err = WasmStrategy::new(&h.host, &h.strategy, r#"{"mode": "loop", "in_init": true}"#).unwrap_err();
    let PluginError::Init { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, &bundled_plugin("hostile-strategy"));
    assert!(message.contains("out_of_fuel"), "{message}");
    // The init budget (1 G fuel) burns in well under a second on any machine
    // that runs this suite; ten seconds means it did not hang.
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}

#[test]
fn a_strategy_that_traps_in_init_is_refused() {
    let h = default_host();
    let err = WasmStrategy::new(&h.host, &h.strategy, r#"{"mode": "trap", "in_init": true}"#).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("trap"), "{message}");
}

#[test]
fn an_unknown_config_field_is_refused_at_init() {
    let h = default_host();
    let err = WasmStrategy::new(&h.host, &h.strategy, r#"{"mode": "loop", "afterwards": 3}"#).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("afterwards"), "{message}");
}

// ---- deadlines (live) ---------------------------------------------------------

#[test]
fn with_a_deadline_a_looping_strategy_times_out_and_the_next_call_works() {
    let h = live_host();
    let mut s = WasmStrategy::new(&h.host, &h.strategy, &config("loop", 1)).unwrap();
    assert_eq!(strategy_call(&mut s), Ok(()));
    let start = Instant::now();
    assert_eq!(strategy_call(&mut s), Err(PluginFault::Timeout));
    // 5 ms deadline; a second is room for a loaded machine, not a hang.
    assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
    assert_eq!(strategy_call(&mut s), Ok(()));
    assert_eq!(s.faults()[PluginFault::Timeout.index()], 1);
}

#[test]
fn with_a_deadline_a_strategy_that_loops_in_init_is_refused_after_the_init_deadline() {
    let h = live_host();
    let start = Instant::now();
    let err = WasmStrategy::new(&h.host, &h.strategy, r#"{"mode": "loop", "in_init": true}"#).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("timeout"), "{message}");
    // The init deadline is one second.
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}

// ---- sizing ---------------------------------------------------------------------

#[test]
fn a_sizing_policy_that_loops_runs_out_of_fuel_and_the_next_call_works() {
    assert_sizing_mode(default_host(), "loop", PluginFault::OutOfFuel);
}

#[test]
fn a_sizing_policy_that_hoards_memory_hits_the_memory_cap_and_the_next_call_works() {
    assert_sizing_mode(roomy_host(), "oom", PluginFault::OutOfMemory);
}

#[test]
fn a_sizing_policy_that_panics_traps_and_the_next_call_works() {
    assert_sizing_mode(default_host(), "trap", PluginFault::Trap);
}

#[test]
fn a_size_that_is_nan_infinite_or_negative_is_an_invalid_output() {
    for mode in ["nan", "inf", "negative"] {
        assert_sizing_mode(default_host(), mode, PluginFault::InvalidOutput);
    }
}

#[test]
fn a_reason_code_outside_the_plugins_reasons_is_an_invalid_output() {
    assert_sizing_mode(default_host(), "bad-reason", PluginFault::InvalidOutput);
}

#[test]
fn too_many_or_too_long_reasons_are_refused_when_the_plugin_is_loaded() {
    // With fuel to spare, the lists reach the host, which names the limit.
    let h = roomy_host();
    let err = sizing(h, &config("huge", 0)).unwrap_err();
    let PluginError::SelfTest { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("100000 reasons") && message.contains("1 to 64"), "{message}");
    let err = sizing(h, &config("long-reason", 0)).unwrap_err();
    let PluginError::SelfTest { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("reason #0 is 4194304 bytes") && message.contains("at most 256"), "{message}");
    // With the default budget building them may run out of fuel first;
    // either way the plugin is refused, naming `reasons()`.
    for mode in ["huge", "long-reason"] {
        let err = sizing(default_host(), &config(mode, 0)).unwrap_err();
        assert!(matches!(err, PluginError::SelfTest { .. }) && err.to_string().contains("reasons()"), "{err}");
    }
}

#[test]
fn sizing_an_instrument_the_plugin_was_not_told_about_is_refused_without_calling_it() {
    let h = default_host();
    let mut s = sizing(h, &config("ok", 0)).unwrap();
    let stats = TradeStats::new();
    let input = SizingInput {
        equity: EQUITY,
        price: PRICE,
        stop: None,
        volatility: 0.01,
        stats: &stats,
        lot_size: 0.0,
        commission_fraction: 0.0,
    };
    let context =
        SizingContext { symbol: SymbolId(1), side: Side::Buy, confidence: 0.8, atr: 1.5, position: 0.0, exposure: 0.0 };
    let answer = s.size(&input, &context);
    assert_eq!((answer.quantity, answer.fault), (0.0, Some(PluginFault::BadRequest)));
    assert_eq!(sizing_call(&mut s), Ok(()));
}

#[test]
fn a_size_against_the_requested_direction_is_an_invalid_output_on_both_sides() {
    assert_sizing_mode(default_host(), "wrong-sign", PluginFault::InvalidOutput);
    let h = default_host();
    let mut s = sizing(h, &config("wrong-sign", 0)).unwrap();
    let answer = sizing_call_raw(&mut s, Side::Sell);
    assert_eq!((answer.quantity, answer.fault), (0.0, Some(PluginFault::InvalidOutput)));
}

#[test]
fn a_stop_or_take_profit_on_the_wrong_side_is_an_invalid_output_on_both_sides() {
    assert_sizing_mode(default_host(), "bad-stop", PluginFault::InvalidOutput);
    let h = default_host();
    let mut s = sizing(h, &config("bad-stop", 0)).unwrap();
    let answer = sizing_call_raw(&mut s, Side::Sell);
    assert_eq!((answer.quantity, answer.fault), (0.0, Some(PluginFault::InvalidOutput)));
}

#[test]
fn an_absurd_but_well_formed_size_is_passed_on_for_the_risk_engine_to_cut() {
    let h = default_host();
    let mut s = sizing(h, &config("absurd", 0)).unwrap();
    for side in [Side::Buy, Side::Sell] {
        let answer = sizing_call_raw(&mut s, side);
        assert_eq!(answer.fault, None, "{side:?}");
        // A quantity, whatever the side: the engine applies the direction.
        assert_eq!(answer.quantity, 1000.0 * EQUITY / PRICE, "{side:?}");
        assert_eq!((answer.stop, answer.take_profit), (None, None));
    }
    assert_eq!(s.faults(), [0; PluginFault::ALL.len()]);
}

#[test]
fn a_sizing_policy_that_loops_in_init_is_refused() {
    let h = default_host();
    let err = sizing(h, r#"{"mode": "loop", "in_init": true}"#).unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("out_of_fuel"), "{message}");
}

// ---- meta-agent -------------------------------------------------------------------

#[test]
fn a_meta_agent_that_loops_runs_out_of_fuel_and_the_next_call_works() {
    assert_meta_mode(default_host(), "loop", PluginFault::OutOfFuel);
}

#[test]
fn a_meta_agent_that_hoards_memory_hits_the_memory_cap_and_the_next_call_works() {
    assert_meta_mode(roomy_host(), "oom", PluginFault::OutOfMemory);
}

#[test]
fn a_meta_agent_that_panics_traps_and_the_next_call_works() {
    assert_meta_mode(default_host(), "trap", PluginFault::Trap);
}

#[test]
fn meta_probabilities_that_are_nan_negative_or_do_not_sum_to_one_are_invalid_outputs() {
    for mode in ["nan", "inf", "negative", "sum"] {
        assert_meta_mode(default_host(), mode, PluginFault::InvalidOutput);
    }
}

#[test]
fn more_than_sixteen_notes_are_an_invalid_output() {
    // 100,000 notes: with fuel to spare they reach the host, which refuses them.
    assert_meta_mode(roomy_host(), "huge", PluginFault::InvalidOutput);
    // With the default budget the plugin runs out of fuel building them; either
    // way the call is a fault and the next one works.
    let h = default_host();
    let mut m = meta(h, &config("huge", 1));
    assert_eq!(meta_call(&mut m), Ok(()));
    assert!(matches!(meta_call(&mut m), Err(PluginFault::OutOfFuel | PluginFault::InvalidOutput)));
    assert_eq!(meta_call(&mut m), Ok(()));
}

// ---- the default budget bounds every world's worst case ---------------------------

#[test]
fn with_the_default_budget_hoarding_memory_is_stopped_by_fuel_or_memory() {
    let h = default_host();
    let contained = |r: Result<(), PluginFault>| matches!(r, Err(PluginFault::OutOfFuel | PluginFault::OutOfMemory));
    let mut s = WasmStrategy::new(&h.host, &h.strategy, &config("oom", 0)).unwrap();
    assert!(contained(strategy_call(&mut s)));
    let mut z = sizing(h, &config("oom", 0)).unwrap();
    assert!(contained(sizing_call(&mut z)));
    let mut m = meta(h, &config("oom", 0));
    assert!(contained(meta_call(&mut m)));
}
