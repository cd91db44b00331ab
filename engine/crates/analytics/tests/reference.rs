//! The metrics agree with an independent numpy / scipy / pandas computation
//! on three fixed equity series.
//!
//! The series are built here and in `tests/reference.py` from the same
//! integer LCG with the same float operations, so both sides see
//! bit-identical equity curves. The tables below are that script's output
//! (numpy 2.4.6, scipy 1.17.1, pandas 3.1.1), pasted as printed; the heart of
//! the script is:
//!
//! ```python
//! full = np.array([s["initial"]] + s["eq"])
//! r = pd.Series(full).pct_change().dropna().to_numpy()
//! rf_step = (1 + rf) ** (1 / ppy) - 1
//! std = np.std(r, ddof=1); mean = np.mean(r)
//! downside = np.sqrt(np.mean(np.minimum(0.0, r - rf_step) ** 2))
//! skew = stats.skew(r, bias=True); kurt = stats.kurtosis(r, fisher=False, bias=True)
//! sr = (mean - rf_step) / std; sr_star = cfg["psr_benchmark_sharpe"] / math.sqrt(ppy)
//! psr = stats.norm.cdf((sr - sr_star) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
//! mdd = (1 - full / np.maximum.accumulate(full)).max()
//! cagr = (full[-1] / full[0]) ** (ppy / N) - 1
//! # sharpe = sr * sqrt(ppy), sortino = (mean - rf_step) / downside * sqrt(ppy),
//! # turnover = sum(notional) / np.mean(full[1:]); drawdown durations from the
//! # runs of `full < cummax(full)`; monthly: resample("ME").last() vs the
//! # previous month end (the initial equity first).
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use tradebot_analytics::{MetricsAccumulator, MetricsConfig};
use tradebot_core::{OrderPurpose, Side, SymbolId, Timestamp};
use tradebot_portfolio::TradeRecord;

const NS: i64 = 1_000_000_000;

/// Numerical Recipes' 32-bit LCG, as `lcg()` in reference.py.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = (1_664_525 * self.0 + 1_013_904_223) % (1 << 32);
        self.0 as f64 / 4_294_967_296.0
    }
}

struct Series {
    initial: f64,
    config: MetricsConfig,
    steps: Vec<(Timestamp, f64, bool)>,
    /// (entry price, quantity, pnl)
    trades: Vec<(f64, f64, f64)>,
    /// (notional, fee)
    fills: Vec<(f64, f64)>,
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn at(t0: Timestamp, seconds: i64) -> Timestamp {
    t0.checked_add_nanos(seconds * NS).unwrap()
}

fn series_daily_crypto() -> Series {
    let mut g = Lcg(42);
    let t0 = ts("2024-01-01T00:00:00Z");
    let mut e = 10_000.0;
    let mut steps = Vec::new();
    for k in 0..500i64 {
        let (u1, u2) = (g.next(), g.next());
        let crash = if u2 < 0.04 { 0.08 } else { 0.0 };
        let r = 0.001 + 0.04 * (u1 - 0.5) - crash;
        e *= 1.0 + r;
        steps.push((at(t0, k * 86_400), e, k % 3 != 0));
    }
    let trades = vec![
        (100.0, 10.0, 50.0),
        (100.0, 5.0, -20.0),
        (200.0, 2.0, 0.0),
        (50.0, 40.0, 120.0),
        (80.0, 10.0, -60.0),
        (120.0, 3.0, 15.5),
    ];
    let fills = trades.iter().flat_map(|&(p, q, _)| [(p * q, p * q * 0.001); 2]).collect();
    let config = MetricsConfig { risk_free_rate: 0.03, periods_per_year: 365.0, psr_benchmark_sharpe: 1.0 };
    Series { initial: 10_000.0, config, steps, trades, fills }
}

fn series_tiny() -> Series {
    let t0 = ts("2024-03-29T00:00:00Z");
    let eq = [110.0, 99.0, 99.0, 121.0, 110.0];
    let exposed = [true, true, false, true, false];
    let steps = (0..5).map(|k| (at(t0, k as i64 * 86_400), eq[k], exposed[k])).collect();
    let trades = vec![(100.0, 1.0, 5.0), (100.0, 1.0, -2.0), (100.0, 1.0, 0.0)];
    let fills = vec![(100.0, 0.1), (105.0, 0.1)];
    let config = MetricsConfig { risk_free_rate: 0.0, periods_per_year: 365.0, psr_benchmark_sharpe: 0.0 };
    Series { initial: 100.0, config, steps, trades, fills }
}

fn series_equities_hourly() -> Series {
    let mut g = Lcg(7);
    let t0 = ts("2024-01-02T14:30:00Z");
    let mut e = 50_000.0;
    let mut steps = Vec::new();
    for k in 0..300i64 {
        let (u1, u2) = (g.next(), g.next());
        let drift = if k < 120 { 0.003 } else { -0.002 };
        let r = drift + 0.01 * (u1 - 0.5);
        e *= 1.0 + r;
        steps.push((at(t0, (k / 7) * 86_400 + (k % 7) * 3_600), e, u2 < 0.6));
    }
    let config = MetricsConfig { risk_free_rate: 0.05, periods_per_year: 252.0 * 6.5, psr_benchmark_sharpe: 0.5 };
    Series { initial: 50_000.0, config, steps, trades: Vec::new(), fills: Vec::new() }
}

fn run(s: &Series) -> MetricsAccumulator {
    let mut acc = MetricsAccumulator::new(s.config, s.initial, 24);
    for &(time, equity, exposed) in &s.steps {
        acc.on_step(time, equity, exposed);
    }
    for (i, &(entry_price, quantity, pnl)) in s.trades.iter().enumerate() {
        let time = s.steps[i].0;
        acc.on_trade(&TradeRecord {
            symbol: SymbolId(0),
            side: Side::Buy,
            entry_time: time,
            entry_price,
            exit_time: time,
            exit_price: entry_price,
            quantity,
            pnl,
            fees: 0.0,
            exit_purpose: OrderPurpose::Exit,
        });
    }
    for &(notional, fee) in &s.fills {
        acc.on_fill_notional(notional, fee);
    }
    acc
}

fn check(name: &str, s: &Series, want: &[(&str, Option<f64>)], monthly: &[(i32, u8, f64)]) {
    let acc = run(s);
    let json = serde_json::to_value(acc.metrics()).unwrap();
    for &(key, expected) in want {
        let got = json.get(key).unwrap_or_else(|| panic!("{name}: metrics.json has no {key}"));
        match expected {
            None => assert!(got.is_null(), "{name}.{key}: want null, got {got}"),
            Some(w) => {
                let g = got.as_f64().unwrap_or_else(|| panic!("{name}.{key}: want {w}, got {got}"));
                assert!((g - w).abs() <= 1e-10 * w.abs().max(1e-3), "{name}.{key}: got {g}, reference {w}");
            }
        }
    }
    let rows = acc.monthly_returns();
    assert_eq!(rows.len(), monthly.len(), "{name}: month count");
    for (row, &(year, month, ret)) in rows.iter().zip(monthly) {
        assert_eq!((row.year, row.month), (year, month), "{name}");
        let got = row.return_fraction.unwrap();
        assert!((got - ret).abs() <= 1e-12 * ret.abs().max(1e-3), "{name} {year}-{month}: got {got}, reference {ret}");
    }
}

#[test]
fn daily_crypto_series_matches_numpy_scipy_pandas() {
    check("daily_crypto", &series_daily_crypto(), DAILY_CRYPTO, DAILY_CRYPTO_MONTHLY);
}

#[test]
fn tiny_hand_checkable_series_matches_numpy_scipy_pandas() {
    // By hand: returns 0.1, -0.1, 0, 0.2222, -0.0909; the 110 peak of step 1
    // is regained on step 4 (3 days); trades +5, -2, 0 on 100 of notional.
    check("tiny", &series_tiny(), TINY, TINY_MONTHLY);
}

#[test]
fn equities_hourly_series_with_an_unrecovered_drawdown_and_session_gaps_matches_numpy_scipy_pandas() {
    check("equities_hourly", &series_equities_hourly(), EQUITIES_HOURLY, EQUITIES_HOURLY_MONTHLY);
}

// ---- output of `python3 tests/reference.py` (then rustfmt) ----

const DAILY_CRYPTO: &[(&str, Option<f64>)] = &[
    ("bars", Some(500.0)),
    ("initial_equity", Some(10000.0)),
    ("final_equity", Some(4808.265505876663)),
    ("total_return", Some(-0.5191734494123337)),
    ("annual_return", Some(-0.414062138361005)),
    ("annual_volatility", Some(0.3461462530793666)),
    ("sharpe_ratio", Some(-1.4503210362173395)),
    ("sortino_ratio", Some(-1.649625155561432)),
    ("max_drawdown", Some(0.5755606828076067)),
    ("max_drawdown_duration_bars", Some(470.0)),
    ("max_drawdown_duration_seconds", Some(40608000.0)),
    ("calmar_ratio", Some(-0.7194065729806183)),
    ("win_rate", Some(0.5)),
    ("profit_factor", Some(2.31875)),
    ("total_trades", Some(6.0)),
    ("avg_trade_return", Some(0.006342592592592594)),
    ("best_trade_return", Some(0.06)),
    ("worst_trade_return", Some(-0.075)),
    ("avg_trade_pnl", Some(17.583333333333332)),
    ("exposure_time", Some(0.666)),
    ("turnover", Some(1.331297101744451)),
    ("fees_paid", Some(10.12)),
    ("skewness", Some(-2.3608941685473828)),
    ("kurtosis", Some(11.28664999728732)),
    ("probabilistic_sharpe_ratio", Some(0.0008615801640102029)),
    ("sharpe_t_stat", Some(-1.6974723788155828)),
];
const DAILY_CRYPTO_MONTHLY: &[(i32, u8, f64)] = &[
    (2024, 1, 0.005881246282682273),
    (2024, 2, -0.11322485081798661),
    (2024, 3, -0.21966517466343716),
    (2024, 4, -0.023062705731216937),
    (2024, 5, 0.157690742781051),
    (2024, 6, -0.08727378213631865),
    (2024, 7, 0.05419672044982948),
    (2024, 8, 0.08579282325752313),
    (2024, 9, 0.04812061214834751),
    (2024, 10, 0.03885657782091867),
    (2024, 11, -0.0872277305692648),
    (2024, 12, -0.03199773798302563),
    (2025, 1, -0.10325801546355784),
    (2025, 2, -0.1654435656294163),
    (2025, 3, -0.15607411679888716),
    (2025, 4, -0.08758568950311674),
    (2025, 5, 0.054516912621591196),
];
const TINY: &[(&str, Option<f64>)] = &[
    ("bars", Some(5.0)),
    ("initial_equity", Some(100.0)),
    ("final_equity", Some(110.0)),
    ("total_return", Some(0.10000000000000009)),
    ("annual_return", Some(1050.1531995000598)),
    ("annual_volatility", Some(2.6020410823241527)),
    ("sharpe_ratio", Some(3.6839766485533247)),
    ("sortino_ratio", Some(8.301682814067803)),
    ("max_drawdown", Some(0.09999999999999998)),
    ("max_drawdown_duration_bars", Some(3.0)),
    ("max_drawdown_duration_seconds", Some(259200.0)),
    ("calmar_ratio", Some(10501.531995000601)),
    ("win_rate", Some(0.3333333333333333)),
    ("profit_factor", Some(2.5)),
    ("total_trades", Some(3.0)),
    ("avg_trade_return", Some(0.01)),
    ("best_trade_return", Some(0.05)),
    ("worst_trade_return", Some(-0.02)),
    ("avg_trade_pnl", Some(1.0)),
    ("exposure_time", Some(0.6)),
    ("turnover", Some(1.901669758812616)),
    ("fees_paid", Some(0.2)),
    ("skewness", Some(0.4741925577900992)),
    ("kurtosis", Some(1.768490180796214)),
    ("probabilistic_sharpe_ratio", Some(0.6565318150898541)),
    ("sharpe_t_stat", Some(0.43117685319043747)),
];
const TINY_MONTHLY: &[(i32, u8, f64)] = &[(2024, 3, -0.010000000000000009), (2024, 4, 0.11111111111111116)];
const EQUITIES_HOURLY: &[(&str, Option<f64>)] = &[
    ("bars", Some(300.0)),
    ("initial_equity", Some(50000.0)),
    ("final_equity", Some(49419.56840693353)),
    ("total_return", Some(-0.011608631861329322)),
    ("annual_return", Some(-0.06176412703514955)),
    ("annual_volatility", Some(0.14931270900245414)),
    ("sharpe_ratio", Some(-0.6793476097600232)),
    ("sortino_ratio", Some(-0.9555977639606795)),
    ("max_drawdown", Some(0.2939790063561525)),
    ("max_drawdown_duration_bars", Some(178.0)),
    ("max_drawdown_duration_seconds", Some(2170800.0)),
    ("calmar_ratio", Some(-0.21009706713656606)),
    ("win_rate", None),
    ("profit_factor", None),
    ("total_trades", Some(0.0)),
    ("avg_trade_return", None),
    ("best_trade_return", None),
    ("worst_trade_return", None),
    ("avg_trade_pnl", None),
    ("exposure_time", Some(0.6033333333333334)),
    ("turnover", Some(0.0)),
    ("fees_paid", Some(0.0)),
    ("skewness", Some(0.07937741768603596)),
    ("kurtosis", Some(2.3472290960396913)),
    ("probabilistic_sharpe_ratio", Some(0.3073017896525049)),
    ("sharpe_t_stat", Some(-0.290733937659011)),
];
const EQUITIES_HOURLY_MONTHLY: &[(i32, u8, f64)] = &[(2024, 1, 0.17088803305880873), (2024, 2, -0.15586175600700847)];
