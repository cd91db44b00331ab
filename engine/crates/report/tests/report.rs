//! The rendered page as a reader and a browser see it: every section present,
//! nothing fetched from the network, caller text escaped, the same input
//! giving the same bytes, thin inputs rendering, and a million-bar run staying
//! a small file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_core::{Side, Timestamp};
use tradebot_report::{
    MetricKind, MetricRow, MonthlyCell, PriceSeries, ReportError, ReportInput, RunSeries, StageLatency, TradePoint,
    render_html,
};

const START: i64 = 1_515_560_100_000_000_000; // 2018-01-10T04:55:00Z
const FIVE_MIN: i64 = 300_000_000_000;

/// A synthetic run of `bars` five-minute bars: a wavy price, a strategy and a
/// buy-and-hold baseline, a trade every `bars / 20` bars.
struct Fixture {
    times: Vec<Timestamp>,
    closes: Vec<f64>,
    strategy: Vec<f64>,
    hold: Vec<f64>,
    trades: Vec<TradePoint>,
}

impl Fixture {
    fn new(bars: usize) -> Fixture {
        let times: Vec<Timestamp> = (0..bars).map(|i| Timestamp::from_nanos(START + FIVE_MIN * i as i64)).collect();
        let closes: Vec<f64> =
            (0..bars).map(|i| 100.0 + 10.0 * (i as f64 / 500.0).sin() + 3.0 * (i as f64 / 37.0).cos()).collect();
        let strategy: Vec<f64> = (0..bars).map(|i| 10_000.0 * (1.0 + 0.2 * (i as f64 / 900.0).sin())).collect();
        let hold: Vec<f64> = closes.iter().map(|c| 10_000.0 * c / closes[0]).collect();
        let every = (bars / 20).max(2);
        let trades = (0..bars.saturating_sub(every))
            .step_by(every)
            .enumerate()
            .map(|(k, i)| {
                let j = i + every / 2;
                let side = if k % 2 == 0 { Side::Buy } else { Side::Sell };
                let r = side.sign() * (closes[j] / closes[i] - 1.0);
                TradePoint {
                    symbol: 0,
                    side,
                    entry_time: times[i],
                    entry_price: closes[i],
                    exit_time: times[j],
                    exit_price: closes[j],
                    pnl: r * 1_000.0,
                    return_fraction: r,
                }
            })
            .collect();
        Fixture { times, closes, strategy, hold, trades }
    }
}

const TOTAL: [f64; 2] = [0.12, 0.05];
const SHARPE: [f64; 2] = [1.4, f64::NAN];
const MONTHLY: [MonthlyCell; 3] = [
    MonthlyCell { year: 2018, month: 1, return_fraction: 0.031 },
    MonthlyCell { year: 2018, month: 2, return_fraction: -0.012 },
    MonthlyCell { year: 2019, month: 7, return_fraction: 0.002 },
];
const LATENCY: [StageLatency<'static>; 2] = [
    StageLatency {
        stage: "features",
        count: 1000,
        p50_ns: 150,
        p90_ns: 200,
        p99_ns: 900,
        p999_ns: 2_000,
        max_ns: 9_000,
    },
    StageLatency {
        stage: "broker",
        count: 40,
        p50_ns: 12_000,
        p90_ns: 20_000,
        p99_ns: 80_000,
        p999_ns: 200_000,
        max_ns: 1_500_000,
    },
];

/// Renders `fixture` with every part of the input filled in.
fn render_full(f: &Fixture, title: &str, notes: &[&str]) -> Result<String, ReportError> {
    let runs = [
        RunSeries { name: "SMA crossover", times: &f.times, equity: &f.strategy },
        RunSeries { name: "buy-and-hold", times: &f.times, equity: &f.hold },
    ];
    let metrics = [
        MetricRow { name: "Total return", kind: MetricKind::Fraction, values: &TOTAL },
        MetricRow { name: "Sharpe", kind: MetricKind::Ratio, values: &SHARPE },
    ];
    let prices = [PriceSeries { symbol: "ETH_BTC", times: &f.times, closes: &f.closes }];
    render_html(&ReportInput {
        title,
        subtitle: "2018-01-10 .. 2018-02-12, config sma.toml, tradebot 0.1.0",
        runs: &runs,
        metrics_table: &metrics,
        prices: &prices,
        trades: &f.trades,
        monthly_returns: &MONTHLY,
        latency: &LATENCY,
        notes,
    })
}

fn svg_count(html: &str) -> usize {
    html.matches("<svg ").count()
}

#[test]
fn the_page_has_every_section_and_an_svg_per_chart() {
    let html =
        render_full(&Fixture::new(10_000), "SMA crossover (10, 20) on ETH_BTC 5m", &["12 risk refusals"]).unwrap();
    for id in ["notes", "metrics", "equity", "drawdown", "prices", "monthly", "trades", "latency"] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "missing section {id}");
    }
    // equity, drawdown, one price chart, return histogram, latency bars
    assert_eq!(svg_count(&html), 5);
    for label in ["Equity curves", "Strategy drawdown", "ETH_BTC price with trades", "Trade return distribution"] {
        assert!(html.contains(&format!("aria-label=\"{label}\"")), "missing chart {label}");
    }
    assert!(html.contains("<h1>SMA crossover (10, 20) on ETH_BTC 5m</h1>"));
    assert!(html.contains("<th class=\"strategy\">SMA crossover</th><th>buy-and-hold</th>"));
    assert!(html.contains("<li>12 risk refusals</li>"));
    assert!(html.contains("<polyline"), "curves are drawn as SVG paths");
    assert!(html.contains("<polygon"), "entry markers and the drawdown area are drawn");
    assert!(html.contains(">+3.1%</td>"), "monthly cells are percentages");
    assert!(html.contains(">12.0 µs</td>"), "latencies carry their unit");
    assert!(html.contains(">\n2018-01-15\n</text>"), "weekly ticks are labelled with Monday dates");
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn the_page_references_nothing_on_the_network() {
    let html = render_full(&Fixture::new(5_000), "t", &[]).unwrap();
    let without_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for forbidden in ["http://", "https://", "src=", "href=", "<script", "<link", "@import", "url(", "<img", "<iframe"]
    {
        assert!(!without_svg_namespace.contains(forbidden), "page contains {forbidden:?}");
    }
}

#[test]
fn caller_text_is_escaped_everywhere_it_appears() {
    let f = Fixture::new(500);
    let evil = "<script>alert('x')</script> & \"quoted\"";
    let runs = [
        RunSeries { name: evil, times: &f.times, equity: &f.strategy },
        RunSeries { name: "<b>hold</b>", times: &f.times, equity: &f.hold },
    ];
    let values = [1.0, 2.0];
    let metrics = [MetricRow { name: "<i>m</i>", kind: MetricKind::Count, values: &values }];
    let prices = [PriceSeries { symbol: "<svg onload=alert(1)>", times: &f.times, closes: &f.closes }];
    let latency = [StageLatency { stage: "<stage>", ..LATENCY[0] }];
    let notes = ["<img src=x onerror=alert(1)>"];
    let html = render_html(&ReportInput {
        title: evil,
        subtitle: evil,
        runs: &runs,
        metrics_table: &metrics,
        prices: &prices,
        trades: &f.trades,
        monthly_returns: &MONTHLY,
        latency: &latency,
        notes: &notes,
    })
    .unwrap();
    assert!(!html.contains("<script"), "a title cannot inject a script");
    assert!(!html.contains("<b>hold"), "run names are escaped in the table");
    assert!(!html.contains("<i>m"), "metric names are escaped");
    assert!(!html.contains("<svg onload"), "symbols are escaped");
    assert!(!html.contains("<img"), "notes are escaped");
    assert!(!html.contains("<stage>"), "stage names are escaped");
    assert!(html.contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;</title>"));
    assert!(html.contains("&lt;b&gt;hold&lt;/b&gt;"), "the legend inside the SVG escapes too");
}

#[test]
fn the_same_input_renders_byte_identical_html() {
    let f = Fixture::new(20_000);
    let a = render_full(&f, "determinism", &["note"]).unwrap();
    let b = render_full(&f, "determinism", &["note"]).unwrap();
    assert!(a == b, "two renders differ");
}

#[test]
fn a_single_run_without_trades_latency_or_prices_renders() {
    let f = Fixture::new(300);
    let runs = [RunSeries { name: "only", times: &f.times, equity: &f.strategy }];
    let html = render_html(&ReportInput { title: "one run", runs: &runs, ..ReportInput::default() }).unwrap();
    assert_eq!(svg_count(&html), 2, "equity and drawdown");
    assert!(html.contains("No closed trades."));
    assert!(html.contains("No latency measurements."));
    assert!(html.contains("No price data."));
    assert!(html.contains("No monthly returns."));
    assert!(html.contains("No metrics."));
}

#[test]
fn an_entirely_empty_input_renders() {
    let html = render_html(&ReportInput::default()).unwrap();
    assert_eq!(svg_count(&html), 0);
    assert!(html.contains("No equity data."));
}

#[test]
fn a_run_of_a_single_bar_renders() {
    let times = [Timestamp::from_nanos(START)];
    let runs = [RunSeries { name: "one bar", times: &times, equity: &[100.0] }];
    let prices = [PriceSeries { symbol: "X", times: &times, closes: &[5.0] }];
    let html = render_html(&ReportInput { runs: &runs, prices: &prices, ..ReportInput::default() }).unwrap();
    assert_eq!(svg_count(&html), 3);
}

#[test]
fn a_million_bar_run_renders_to_a_small_file() {
    let f = Fixture::new(1_000_000);
    let html = render_full(&f, "1M bars", &[]).unwrap();
    assert!(html.len() < 600_000, "report is {} bytes", html.len());
    let points: usize =
        html.split("points=\"").skip(1).map(|s| s.split('"').next().unwrap().split(' ').count()).max().unwrap();
    assert!(points <= 2_100, "a series was drawn with {points} points");
}

#[test]
fn inconsistent_input_is_refused_with_the_culprit_named() {
    let f = Fixture::new(100);
    let short = RunSeries { name: "bad run", times: &f.times[..50], equity: &f.strategy };
    let err = render_html(&ReportInput { runs: &[short], ..ReportInput::default() }).unwrap_err();
    assert!(matches!(err, ReportError::LengthMismatch { times: 50, values: 100, .. }), "{err}");
    assert!(err.to_string().contains("bad run"));

    let backwards = [Timestamp::from_nanos(2), Timestamp::from_nanos(1)];
    let run = RunSeries { name: "r", times: &backwards, equity: &[1.0, 1.0] };
    let err = render_html(&ReportInput { runs: &[run], ..ReportInput::default() }).unwrap_err();
    assert!(matches!(err, ReportError::Unordered { index: 1, .. }), "{err}");

    let runs = [RunSeries { name: "r", times: &f.times, equity: &f.strategy }];
    let metrics = [MetricRow { name: "Sharpe", kind: MetricKind::Ratio, values: &[1.0, 2.0] }];
    let err = render_html(&ReportInput { runs: &runs, metrics_table: &metrics, ..ReportInput::default() }).unwrap_err();
    assert!(matches!(err, ReportError::MetricWidth { values: 2, runs: 1, .. }), "{err}");

    let cells = [MonthlyCell { year: 2020, month: 13, return_fraction: 0.0 }];
    let err = render_html(&ReportInput { monthly_returns: &cells, ..ReportInput::default() }).unwrap_err();
    assert!(matches!(err, ReportError::InvalidMonth { month: 13, .. }), "{err}");

    let err = render_html(&ReportInput { trades: &f.trades[..1], ..ReportInput::default() }).unwrap_err();
    assert!(matches!(err, ReportError::UnknownSymbol { trade: 0, symbol: 0, symbols: 0 }), "{err}");
}

#[test]
fn non_finite_values_are_skipped_not_drawn_as_nan() {
    let f = Fixture::new(1_000);
    let mut equity = f.strategy.clone();
    equity[10] = f64::NAN;
    equity[500] = f64::INFINITY;
    let runs = [RunSeries { name: "gappy", times: &f.times, equity: &equity }];
    let html = render_html(&ReportInput { runs: &runs, ..ReportInput::default() }).unwrap();
    assert!(!html.contains("NaN") && !html.contains("inf"), "no non-finite number reaches the page");
    assert_eq!(svg_count(&html), 2);
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => -1e6f64..1e6,
            1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(0.0), Just(1e300), Just(-1e300)],
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever the numbers (non-finite, huge, zero, negative equity,
        /// instants at the ends of time), a consistent input renders.
        #[test]
        fn any_consistent_input_renders_without_panicking(
            equity in prop::collection::vec(value(), 0..300),
            gaps in prop::collection::vec(0i64..1_000_000_000_000_000, 0..300),
            origin in prop_oneof![Just(i64::MIN / 2), -1_000_000_000_000_000_000i64..1_000_000_000_000_000_000],
            returns in prop::collection::vec(value(), 0..40),
            months in prop::collection::vec((1900i32..2100, 1u8..=12, value()), 0..30),
            latency in prop::collection::vec((any::<u64>(), any::<u64>()), 0..5),
        ) {
            let n = equity.len().min(gaps.len());
            let mut t = origin;
            let times: Vec<Timestamp> = gaps[..n].iter().map(|g| { t = t.saturating_add(*g); Timestamp::from_nanos(t) }).collect();
            let runs = [RunSeries { name: "s", times: &times, equity: &equity[..n] }, RunSeries { name: "b", times: &times, equity: &equity[..n] }];
            let prices = [PriceSeries { symbol: "X", times: &times, closes: &equity[..n] }];
            let trades: Vec<TradePoint> = returns.iter().enumerate().map(|(i, r)| {
                let at = times.get(i % n.max(1)).copied().unwrap_or_default();
                TradePoint { symbol: 0, side: if i % 2 == 0 { Side::Buy } else { Side::Sell }, entry_time: at, entry_price: *r, exit_time: at, exit_price: *r, pnl: *r, return_fraction: *r }
            }).collect();
            let cells: Vec<MonthlyCell> = months.iter().map(|&(year, month, r)| MonthlyCell { year, month, return_fraction: r }).collect();
            let stages: Vec<StageLatency<'_>> = latency.iter().map(|&(a, b)| StageLatency { stage: "s", count: a, p50_ns: a, p90_ns: b, p99_ns: b, p999_ns: b, max_ns: b }).collect();
            let values = [returns.first().copied().unwrap_or(0.0), 1.0];
            let metrics = [MetricRow { name: "m", kind: MetricKind::Money, values: &values }];
            let html = render_html(&ReportInput {
                title: "t", subtitle: "s", runs: &runs, metrics_table: &metrics, prices: &prices, trades: &trades,
                monthly_returns: &cells, latency: &stages, notes: &[],
            });
            prop_assert!(html.is_ok(), "{:?}", html.err());
        }
    }
}
