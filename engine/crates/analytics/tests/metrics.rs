//! Rules of the metrics that reference values alone would not pin down:
//! undefined values, drawdown episodes, PSR's calibration, the JSON schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use tradebot_analytics::{Metrics, MetricsAccumulator, MetricsConfig};
use tradebot_core::{OrderPurpose, Side, SymbolId, Timestamp};
use tradebot_portfolio::TradeRecord;

const DAY: i64 = 86_400_000_000_000;

fn day(i: usize) -> Timestamp {
    Timestamp::from_nanos(1_704_067_200_000_000_000 + i as i64 * DAY) // 2024-01-01 + i days
}

fn run(initial: f64, equity: &[f64]) -> MetricsAccumulator {
    let mut acc = MetricsAccumulator::new(MetricsConfig::default(), initial, 12);
    for (i, &e) in equity.iter().enumerate() {
        acc.on_step(day(i), e, true);
    }
    acc
}

fn trade(pnl: f64, entry_price: f64, quantity: f64) -> TradeRecord {
    TradeRecord {
        symbol: SymbolId(0),
        side: Side::Buy,
        entry_time: day(0),
        entry_price,
        exit_time: day(1),
        exit_price: entry_price,
        quantity,
        pnl,
        fees: 0.0,
        exit_purpose: OrderPurpose::Exit,
    }
}

/// A curve with a fixed step return that alternates sign every step.
fn alternating(initial: f64, step: f64, bias: f64, n: usize) -> Vec<f64> {
    let mut e = initial;
    (0..n)
        .map(|i| {
            e *= 1.0 + bias + if i % 2 == 0 { step } else { -step };
            e
        })
        .collect()
}

#[test]
fn flat_equity_has_zero_volatility_and_no_sharpe_sortino_shape_or_psr() {
    let m = run(1_000.0, &[1_000.0; 50]).metrics();
    assert_eq!(m.annual_volatility, Some(0.0));
    assert_eq!(m.total_return, Some(0.0));
    assert_eq!(m.annual_return, Some(0.0));
    assert_eq!(m.max_drawdown, 0.0);
    assert_eq!(m.calmar_ratio, None, "no drawdown to divide by");
    for (name, v) in [
        ("sharpe", m.sharpe_ratio),
        ("sortino", m.sortino_ratio),
        ("skewness", m.skewness),
        ("kurtosis", m.kurtosis),
        ("psr", m.probabilistic_sharpe_ratio),
        ("t", m.sharpe_t_stat),
    ] {
        assert_eq!(v, None, "{name}");
    }
}

#[test]
fn constant_growth_counts_as_zero_volatility_rather_than_an_astronomic_sharpe() {
    let mut e = 1_000.0;
    let equity: Vec<f64> = (0..100)
        .map(|_| {
            e *= 1.001;
            e
        })
        .collect();
    let m = run(1_000.0, &equity).metrics();
    assert!(m.annual_volatility.unwrap() < 1e-12);
    assert_eq!(m.sharpe_ratio, None);
    assert_eq!(m.sortino_ratio, None, "no step below the risk-free rate");
}

#[test]
fn no_trades_leave_every_trade_statistic_null() {
    let m = run(1_000.0, &[1_010.0, 1_020.0]).metrics();
    assert_eq!(m.total_trades, 0);
    let json = serde_json::to_value(m).unwrap();
    for key in
        ["win_rate", "profit_factor", "avg_trade_return", "best_trade_return", "worst_trade_return", "avg_trade_pnl"]
    {
        assert!(json[key].is_null(), "{key} = {}", json[key]);
    }
}

#[test]
fn before_any_step_the_run_has_no_dates_and_no_rates() {
    let m = MetricsAccumulator::new(MetricsConfig::default(), 500.0, 0).metrics();
    assert_eq!((m.start, m.end, m.bars), (None, None, 0));
    assert_eq!((m.initial_equity, m.final_equity, m.total_return), (500.0, 500.0, Some(0.0)));
    assert_eq!((m.annual_return, m.annual_volatility, m.exposure_time, m.turnover), (None, None, None, None));
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.starts_with(r#"{"start":null,"end":null,"bars":0,"#), "{json}");
}

#[test]
fn a_single_return_is_not_enough_for_volatility_or_sharpe() {
    let m = run(1_000.0, &[1_100.0]).metrics();
    assert_eq!((m.annual_volatility, m.sharpe_ratio, m.sortino_ratio, m.skewness), (None, None, None, None));
    assert!((m.total_return.unwrap() - 0.1).abs() < 1e-15);
}

#[test]
fn trades_give_win_rate_profit_factor_and_returns_on_entry_notional() {
    let mut acc = run(1_000.0, &[1_000.0]);
    for t in [trade(30.0, 100.0, 2.0), trade(-10.0, 50.0, 1.0), trade(0.0, 10.0, 1.0), trade(10.0, 10.0, 10.0)] {
        acc.on_trade(&t);
    }
    let m = acc.metrics();
    assert_eq!(m.total_trades, 4);
    assert_eq!(m.win_rate, Some(0.5), "a zero-pnl trade is not a win");
    assert_eq!(m.profit_factor, Some(4.0));
    assert_eq!(m.best_trade_return, Some(0.15));
    assert_eq!(m.worst_trade_return, Some(-0.2));
    assert!((m.avg_trade_return.unwrap() - (0.15 - 0.2 + 0.0 + 0.1) / 4.0).abs() < 1e-15);
    assert_eq!(m.avg_trade_pnl, Some(7.5));
}

#[test]
fn profit_factor_is_null_without_a_losing_trade() {
    let mut acc = run(1_000.0, &[1_000.0]);
    acc.on_trade(&trade(5.0, 100.0, 1.0));
    acc.on_trade(&trade(0.0, 100.0, 1.0));
    assert_eq!(acc.metrics().profit_factor, None);
}

#[test]
fn drawdown_duration_includes_an_unrecovered_drawdown_at_the_end() {
    // Peak 120 on day 1 recovered on day 4 (3 days); peak 130 on day 5 never
    // regained through day 11 (6 days): the open episode is the longest.
    let m = run(100.0, &[110.0, 120.0, 100.0, 110.0, 125.0, 130.0, 120.0, 117.0, 129.0, 100.0, 128.0, 125.0]).metrics();
    assert_eq!(m.max_drawdown_duration_bars, 6);
    assert_eq!(m.max_drawdown_duration_seconds, 6.0 * 86_400.0);
    assert!((m.max_drawdown - 30.0 / 130.0).abs() < 1e-15);
}

#[test]
fn drawdown_seconds_follow_the_step_times_across_gaps() {
    let mut acc = MetricsAccumulator::new(MetricsConfig::default(), 100.0, 1);
    acc.on_step(day(0), 100.0, false);
    acc.on_step(day(1), 90.0, false);
    acc.on_step(day(10), 95.0, false); // a gap of 9 days in the data
    let m = acc.metrics();
    assert_eq!(m.max_drawdown_duration_bars, 2);
    assert_eq!(m.max_drawdown_duration_seconds, 10.0 * 86_400.0);
}

#[test]
fn psr_of_a_strongly_positive_series_is_above_0_99() {
    let m = run(1_000.0, &alternating(1_000.0, 0.01, 0.004, 400)).metrics();
    assert!(m.sharpe_ratio.unwrap() > 3.0);
    assert!(m.probabilistic_sharpe_ratio.unwrap() > 0.99, "{:?}", m.probabilistic_sharpe_ratio);
}

#[test]
fn psr_of_a_zero_mean_series_is_near_one_half() {
    let m = run(1_000.0, &alternating(1_000.0, 0.01, 0.0, 400)).metrics();
    assert!(m.sharpe_ratio.unwrap().abs() < 1e-6);
    assert!((m.probabilistic_sharpe_ratio.unwrap() - 0.5).abs() < 1e-3, "{:?}", m.probabilistic_sharpe_ratio);
}

#[test]
fn a_higher_psr_benchmark_lowers_the_psr() {
    let equity = alternating(1_000.0, 0.01, 0.001, 400);
    let psr = |benchmark: f64| {
        let config = MetricsConfig { psr_benchmark_sharpe: benchmark, ..MetricsConfig::default() };
        let mut acc = MetricsAccumulator::new(config, 1_000.0, 0);
        for (i, &e) in equity.iter().enumerate() {
            acc.on_step(day(i), e, true);
        }
        acc.metrics().probabilistic_sharpe_ratio.unwrap()
    };
    assert!(psr(0.0) > psr(1.0) && psr(1.0) > psr(3.0));
}

#[test]
fn a_wiped_out_account_reports_minus_100_percent_and_no_nan() {
    let m = run(1_000.0, &[500.0, 0.0, 0.0, -10.0]).metrics();
    assert_eq!(m.annual_return, Some(-1.0));
    assert_eq!(m.total_return, Some(-1.01));
    assert_eq!(m.bars, 4);
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
}

#[test]
fn an_annual_return_too_large_for_f64_is_null_not_infinite() {
    let config = MetricsConfig { periods_per_year: 525_600.0, ..MetricsConfig::default() };
    let mut acc = MetricsAccumulator::new(config, 1_000.0, 0);
    acc.on_step(day(0), 2_000.0, true);
    acc.on_step(day(1), 4_000.0, true);
    assert_eq!(acc.metrics().annual_return, None);
    assert_eq!(acc.metrics().calmar_ratio, None);
}

#[test]
fn non_finite_and_out_of_order_inputs_are_ignored_and_counted() {
    let mut acc = run(1_000.0, &[1_010.0, 1_020.0]);
    acc.on_step(day(5), f64::NAN, true);
    acc.on_step(day(0), 1_500.0, true); // before the last step
    acc.on_trade(&trade(f64::INFINITY, 1.0, 1.0));
    acc.on_fill_notional(f64::NAN, 0.0);
    let m = acc.metrics();
    assert_eq!((m.bars, m.final_equity, m.total_trades, m.ignored_inputs), (2, 1_020.0, 0, 4));
}

#[test]
fn exposure_and_turnover_come_from_steps_and_fills() {
    let mut acc = MetricsAccumulator::new(MetricsConfig::default(), 1_000.0, 1);
    for (i, (e, exposed)) in
        [(1_000.0, false), (1_100.0, true), (1_200.0, true), (1_100.0, false)].into_iter().enumerate()
    {
        acc.on_step(day(i), e, exposed);
    }
    acc.on_fill_notional(-900.0, 0.9); // the sign of a notional is ignored
    acc.on_fill_notional(1_300.0, 1.3);
    let m = acc.metrics();
    assert_eq!(m.exposure_time, Some(0.5));
    assert!((m.turnover.unwrap() - 2.0).abs() < 1e-15, "2200 traded over 1100 average equity");
    assert!((m.fees_paid - 2.2).abs() < 1e-15);
}

#[test]
fn metrics_can_be_read_mid_run_without_disturbing_the_stream() {
    let equity = alternating(1_000.0, 0.02, 0.001, 60);
    let whole = run(1_000.0, &equity).metrics();
    let mut acc = MetricsAccumulator::new(MetricsConfig::default(), 1_000.0, 12);
    for (i, &e) in equity.iter().enumerate() {
        acc.on_step(day(i), e, true);
        let _ = acc.metrics();
    }
    assert_eq!(acc.metrics(), whole);
}

/// The JSON keys come in struct order, and `METRICS.md` documents exactly
/// these keys in this order (its table is the `metrics.json` schema).
#[test]
fn metrics_json_keys_are_in_struct_order_and_match_metrics_md() {
    const KEYS: [&str; 32] = [
        "start",
        "end",
        "bars",
        "periods_per_year",
        "risk_free_rate",
        "initial_equity",
        "final_equity",
        "total_return",
        "annual_return",
        "annual_volatility",
        "sharpe_ratio",
        "sortino_ratio",
        "max_drawdown",
        "max_drawdown_duration_bars",
        "max_drawdown_duration_seconds",
        "calmar_ratio",
        "win_rate",
        "profit_factor",
        "total_trades",
        "avg_trade_return",
        "best_trade_return",
        "worst_trade_return",
        "avg_trade_pnl",
        "exposure_time",
        "turnover",
        "fees_paid",
        "skewness",
        "kurtosis",
        "probabilistic_sharpe_ratio",
        "psr_benchmark_sharpe",
        "sharpe_t_stat",
        "ignored_inputs",
    ];
    let keys = KEYS.to_vec();
    let m: Metrics = run(1_000.0, &[1_010.0, 990.0, 1_030.0]).metrics();
    let json = serde_json::to_string(&m).unwrap();
    let mut last = 0;
    for key in &keys {
        let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} missing from {json}"));
        assert!(at >= last, "{key} out of order in {json}");
        last = at;
    }
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value.as_object().unwrap().len(), keys.len(), "no undocumented key");

    // The schema table is the first one; later sections document the
    // monthly rows and what the replay command adds.
    let doc = include_str!("../METRICS.md").split("## Monthly returns").next().unwrap_or("");
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(k, _)| k)
        .filter(|k| !k.contains('.'))
        .collect();
    assert_eq!(documented, keys, "METRICS.md's schema table lists the keys in JSON order");

    // Reads back (serde_json's default float parsing may differ in the last
    // ulp from the written value, so compare parsed with parsed).
    let back: Metrics = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_value(back).unwrap(), value);
}
