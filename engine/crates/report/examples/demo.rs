//! Renders a report of a synthetic run so a person can look at the page.
//!
//! ```sh
//! cargo run -p tradebot-report --example demo -- target/demo-report.html [BARS]
//! ```
//!
//! The data are a seeded random walk (5-minute bars from 2018-01-10), a
//! strategy that flips between long and short every few hundred bars, and a
//! buy-and-hold baseline; nothing here is a real result.

use std::error::Error;

use tradebot_core::{Side, Timestamp};
use tradebot_report::{
    MetricKind, MetricRow, MonthlyCell, PriceSeries, ReportInput, RunSeries, StageLatency, TradePoint, render_html,
};

/// xorshift64*: deterministic noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: demo OUTPUT.html [BARS]")?;
    let bars: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100_000).max(2);

    let start = Timestamp::parse("2018-01-10T05:00:00Z")?.as_nanos();
    let step = 300_000_000_000i64;
    let times: Vec<Timestamp> = (0..bars).map(|i| Timestamp::from_nanos(start + step * i as i64)).collect();
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut price = 0.05;
    let closes: Vec<f64> = (0..bars)
        .map(|_| {
            price *= 1.0 + 0.004 * noise.next() + 0.000_002;
            price
        })
        .collect();

    // Strategy: hold one side for a few hundred bars, then flip.
    let cash = 10_000.0;
    let mut equity = Vec::with_capacity(bars);
    let mut trades = Vec::new();
    let (mut side, mut entry_i, mut value) = (Side::Buy, 0usize, cash);
    let mut hold = 300;
    for i in 0..bars {
        if i > 0 {
            let r = closes[i] / closes[i - 1] - 1.0;
            value *= 1.0 + side.sign() * r;
        }
        equity.push(value);
        if i + 1 == bars || i - entry_i >= hold {
            let ret = side.sign() * (closes[i] / closes[entry_i] - 1.0) - 0.002;
            trades.push(TradePoint {
                symbol: 0,
                side,
                entry_time: times[entry_i],
                entry_price: closes[entry_i],
                exit_time: times[i],
                exit_price: closes[i],
                pnl: ret * value,
                return_fraction: ret,
            });
            value *= 0.998;
            side = side.opposite();
            entry_i = i;
            hold = 100 + ((noise.next() + 0.5) * 600.0) as usize;
        }
    }
    let hold_equity: Vec<f64> = closes.iter().map(|c| cash * c / closes[0]).collect();

    let monthly = monthly_returns(&times, &equity);
    let last = |v: &[f64]| v.last().copied().unwrap_or(cash);
    let total = [last(&equity) / cash - 1.0, last(&hold_equity) / cash - 1.0];
    let max_dd = |v: &[f64]| tradebot_report::drawdown(v).into_iter().filter(|d| d.is_finite()).fold(0.0, f64::max);
    let dd = [max_dd(&equity), max_dd(&hold_equity)];
    let wins = trades.iter().filter(|t| t.pnl > 0.0).count() as f64 / trades.len().max(1) as f64;
    let count = [trades.len() as f64, 1.0];
    let finals = [last(&equity), last(&hold_equity)];
    let win_rate = [wins, f64::NAN];
    let metrics = [
        MetricRow { name: "Total return", kind: MetricKind::Fraction, values: &total },
        MetricRow { name: "Max drawdown", kind: MetricKind::Fraction, values: &dd },
        MetricRow { name: "Final equity", kind: MetricKind::Money, values: &finals },
        MetricRow { name: "Trades", kind: MetricKind::Count, values: &count },
        MetricRow { name: "Win rate", kind: MetricKind::Fraction, values: &win_rate },
    ];
    let runs = [
        RunSeries { name: "Flip strategy", times: &times, equity: &equity },
        RunSeries { name: "Buy and hold", times: &times, equity: &hold_equity },
    ];
    let prices = [PriceSeries { symbol: "ETH_BTC", times: &times, closes: &closes }];
    let latency = [
        StageLatency {
            stage: "features",
            count: bars as u64,
            p50_ns: 180,
            p90_ns: 240,
            p99_ns: 900,
            p999_ns: 2_400,
            max_ns: 31_000,
        },
        StageLatency {
            stage: "agents",
            count: bars as u64,
            p50_ns: 14_000,
            p90_ns: 19_000,
            p99_ns: 45_000,
            p999_ns: 120_000,
            max_ns: 900_000,
        },
        StageLatency {
            stage: "risk",
            count: bars as u64,
            p50_ns: 420,
            p90_ns: 610,
            p99_ns: 1_800,
            p999_ns: 6_000,
            max_ns: 40_000,
        },
        StageLatency {
            stage: "broker",
            count: trades.len() as u64,
            p50_ns: 2_100,
            p90_ns: 3_900,
            p99_ns: 11_000,
            p999_ns: 30_000,
            max_ns: 75_000,
        },
    ];
    let subtitle = format!("Synthetic data, {bars} bars from {} to {}; demo example", times[0], times[bars - 1]);
    let input = ReportInput {
        title: "Flip strategy on ETH_BTC 5m (synthetic <demo>)",
        subtitle: &subtitle,
        runs: &runs,
        metrics_table: &metrics,
        prices: &prices,
        trades: &trades,
        monthly_returns: &monthly,
        latency: &latency,
        notes: &["Synthetic data: this page shows the report's layout, not a strategy's merit.", "3 risk refusals"],
    };
    let html = render_html(&input)?;
    std::fs::write(&path, &html)?;
    println!("wrote {path}: {} bytes", html.len());
    Ok(())
}

/// Month-end over month-start equity, months taken from the UTC date text.
fn monthly_returns(times: &[Timestamp], equity: &[f64]) -> Vec<MonthlyCell> {
    let mut cells = Vec::new();
    let mut open: Option<(String, f64)> = None;
    let mut prev = f64::NAN;
    for (t, e) in times.iter().zip(equity) {
        let month = t.to_string()[..7].to_owned();
        match &open {
            Some((m, _)) if *m == month => {}
            _ => {
                if let Some((m, first)) = open.take() {
                    cells.push(cell(&m, prev / first - 1.0));
                }
                open = Some((month, if prev.is_finite() { prev } else { *e }));
            }
        }
        prev = *e;
    }
    if let Some((m, first)) = open {
        cells.push(cell(&m, prev / first - 1.0));
    }
    cells
}

fn cell(month: &str, r: f64) -> MonthlyCell {
    let year = month[..4].parse().unwrap_or(0);
    let month = month[5..7].parse().unwrap_or(1);
    MonthlyCell { year, month, return_fraction: r }
}
