//! The `talib_v1` feature set reproduces every column of the TA-Lib golden
//! files under the same names, a batch pass equals the streaming one bit for
//! bit, and no value at bar t changes when later bars are added.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use proptest::prelude::*;
use tradebot_core::{Candle, Timestamp};
use tradebot_features::{FeatureColumns, FeatureMatrix, FeatureSetDef};

fn golden(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/golden/talib").join(name);
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect();
    (headers, rows)
}

fn candles(rows: &[Vec<String>]) -> Vec<Candle> {
    rows.iter()
        .map(|r| Candle {
            open_time: Timestamp::parse(&r[0]).unwrap(),
            open: r[1].parse().unwrap(),
            high: r[2].parse().unwrap(),
            low: r[3].parse().unwrap(),
            close: r[4].parse().unwrap(),
            volume: r[5].parse().unwrap(),
        })
        .collect()
}

#[test]
fn talib_v1_is_every_golden_column_by_name_and_value() {
    for file in ["ETH_BTC-5m.talib.csv", "UNITTEST_BTC-30m.talib.csv", "ORDERFLOW_BTC_USDT-5m.talib.csv"] {
        let (headers, rows) = golden(file);
        let def = FeatureSetDef::talib_v1();
        assert_eq!(def.columns(), headers[6..].to_vec(), "talib_v1 names and orders the golden columns");
        let matrix = FeatureMatrix::compute(&def, &candles(&rows)).unwrap();
        for (i, (ours, theirs)) in matrix.iter().zip(&rows).enumerate() {
            for (j, (o, t)) in ours.iter().zip(&theirs[6..]).enumerate() {
                let col = &headers[6 + j];
                if t.is_empty() {
                    assert!(o.is_nan(), "{file} row {i} {col}: {o} where TA-Lib is undefined");
                } else if i >= 300 {
                    let t: f64 = t.parse().unwrap();
                    assert!((o - t).abs() <= 1e-6 * t.abs().max(1.0), "{file} row {i} {col}: {o} vs {t}");
                } else {
                    assert!(!o.is_nan(), "{file} row {i} {col}: undefined where TA-Lib is defined");
                }
            }
        }
    }
}

#[test]
fn streaming_one_bar_at_a_time_equals_the_batch_pass_bit_for_bit() {
    let (_, rows) = golden("ETH_BTC-5m.talib.csv");
    let bars = candles(&rows);
    let def = FeatureSetDef::talib_v1();
    let batch = FeatureMatrix::compute(&def, &bars).unwrap();
    let mut m = FeatureMatrix::new(def).unwrap();
    for (bar, want) in bars.iter().zip(&batch) {
        let got = m.update(bar).to_vec();
        assert!(got.iter().zip(want).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(m.all_valid(), got.iter().all(|v| !v.is_nan()));
        assert_eq!(m.valid().filter(|v| *v).count(), got.iter().filter(|v| !v.is_nan()).count());
    }
}

/// A set fuses some neighbours into one computer (SMAs, skewness and
/// kurtosis, percentile rank and quantiles, realised volatilities); each
/// column must still be what its feature computes alone, bit for bit.
#[test]
fn every_column_of_a_built_in_set_equals_its_feature_computed_alone() {
    let (_, rows) = golden("ETH_BTC-5m.talib.csv");
    let bars = candles(&rows);
    for def in [FeatureSetDef::talib_v1(), FeatureSetDef::default_v1(), FeatureSetDef::agents_v1()] {
        let whole = FeatureMatrix::compute_columns(&def, &bars, 1).unwrap();
        let mut c = 0;
        for f in &def.features {
            let alone = FeatureSetDef { name: "alone".into(), version: 1, features: vec![*f] };
            let cols = FeatureMatrix::compute_columns(&alone, &bars, 1).unwrap();
            for k in 0..cols.names().len() {
                let same = cols.column(k).iter().zip(whole.column(c)).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{}: column {} differs from the feature alone", def.name, whole.names()[c]);
                c += 1;
            }
        }
        assert_eq!(c, whole.names().len());
    }
}

/// The batch pass computes feature by feature, each feature's column on
/// whichever thread is free; none of that may change a bit.
#[test]
fn the_column_batch_on_any_number_of_threads_equals_streaming_bit_for_bit() {
    let (_, rows) = golden("ETH_BTC-5m.talib.csv");
    let bars = candles(&rows);
    for def in [FeatureSetDef::talib_v1(), FeatureSetDef::default_v1(), FeatureSetDef::agents_v1()] {
        let mut m = FeatureMatrix::new(def.clone()).unwrap();
        let streamed: Vec<Vec<f64>> = bars.iter().map(|bar| m.update(bar).to_vec()).collect();
        let mut reused = FeatureColumns::default();
        for threads in [1, 2, 3, 8] {
            let cols = FeatureMatrix::compute_columns(&def, &bars, threads).unwrap();
            assert_eq!(cols.names(), def.columns().as_slice());
            assert_eq!(cols.rows(), bars.len());
            for (c, name) in cols.names().iter().enumerate() {
                let column = cols.column(c);
                assert_eq!(column.len(), bars.len());
                for (i, (got, row)) in column.iter().zip(&streamed).enumerate() {
                    assert_eq!(got.to_bits(), row[c].to_bits(), "{} {name} at bar {i}, {threads} threads", def.name);
                }
            }
            // A buffer reused from another set or length is refilled whole.
            FeatureMatrix::compute_columns_into(&def, &bars, threads, &mut reused).unwrap();
            assert_eq!((reused.names(), reused.rows()), (cols.names(), cols.rows()));
            for c in 0..cols.names().len() {
                let bits = |col: &[f64]| col.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert!(bits(reused.column(c)) == bits(cols.column(c)), "{} column {c} refilled", def.name);
            }
        }
        let mut row = Vec::new();
        let cols = FeatureMatrix::compute_columns(&def, &bars, 2).unwrap();
        cols.row_into(bars.len() - 1, &mut row);
        let last = &streamed[bars.len() - 1];
        assert!(row.len() == last.len() && row.iter().zip(last).all(|(a, b)| a.to_bits() == b.to_bits()));
        cols.row_into(bars.len(), &mut row);
        assert!(row.is_empty(), "no row past the end");
        assert!(cols.column(cols.names().len()).is_empty(), "no column past the end");
    }
}

#[test]
fn a_batch_over_no_bars_has_the_columns_and_no_rows_and_a_bad_set_is_refused() {
    let def = FeatureSetDef::talib_v1();
    let cols = FeatureMatrix::compute_columns(&def, &[], 2).unwrap();
    assert_eq!((cols.rows(), cols.names().len()), (0, def.columns().len()));
    assert!(cols.to_rows().is_empty());
    let mut bad = def;
    bad.features.push(tradebot_features::FeatureSpec::Sma { period: 10 });
    let (_, rows) = golden("ETH_BTC-5m.talib.csv");
    let e = FeatureMatrix::compute_columns(&bad, &candles(&rows), 2).unwrap_err();
    assert!(e.to_string().contains("sma_10"), "{e}");
}

fn bars(steps: &[(f64, f64, f64, f64)]) -> Vec<Candle> {
    let mut close = 100.0;
    steps
        .iter()
        .enumerate()
        .map(|(i, &(r, up, down, v))| {
            let open = close;
            close = (open * (1.0 + r)).max(1e-6);
            Candle {
                open_time: Timestamp::from_nanos(i as i64 * 300_000_000_000),
                open,
                high: open.max(close) * (1.0 + up),
                low: open.min(close) * (1.0 - down),
                close,
                volume: v,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Look-ahead: every value up to bar t is the same whether or not bars
    /// after t exist.
    #[test]
    fn no_value_changes_when_later_bars_are_appended(
        steps in prop::collection::vec((-0.02f64..0.02, 0.0f64..0.01, 0.0f64..0.01, 0.0f64..1e4), 250..400),
        cut in 1usize..250,
    ) {
        let all = bars(&steps);
        for def in [FeatureSetDef::talib_v1(), FeatureSetDef::default_v1()] {
            let full = FeatureMatrix::compute(&def, &all).unwrap();
            let prefix = FeatureMatrix::compute(&def, &all[..cut]).unwrap();
            for (i, (a, b)) in prefix.iter().zip(&full).enumerate() {
                prop_assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{} row {} changed", def.name, i);
            }
        }
    }
}

#[test]
fn the_default_set_updates_without_allocating_and_becomes_fully_valid() {
    let (_, rows) = golden("ETH_BTC-5m.talib.csv");
    let bars = candles(&rows);
    let mut m = FeatureMatrix::new(FeatureSetDef::default_v1()).unwrap();
    for bar in &bars[..300] {
        m.update(bar);
    }
    let info = allocation_counter::measure(|| {
        for bar in &bars[300..] {
            std::hint::black_box(m.update(bar));
        }
    });
    assert_eq!(info.count_total, 0, "{info:?}");
    assert!(m.all_valid(), "every default feature is defined after {} bars", bars.len());
}

mod trade_flow {
    use tradebot_core::{Side, Trade};
    use tradebot_features::{FeatureSetError, FeatureSpec, TradeBars};

    use super::*;

    fn trade(ms: i64, price: f64, amount: f64, side: Side) -> Trade {
        Trade { time: Timestamp::from_millis(ms).unwrap(), price, amount, side: Some(side) }
    }

    #[test]
    fn the_microstructure_set_is_refused_where_only_candles_arrive() {
        let d = FeatureSetDef::microstructure_v1();
        assert!(d.validate().is_ok());
        assert_eq!(d.columns().len(), 26);
        assert!(d.needs_trades() && !FeatureSetDef::default_v1().needs_trades());
        assert!(matches!(d.require_candles_only(), Err(FeatureSetError::NeedsTrades { .. })));
        assert_eq!(FeatureSetDef::builtin("microstructure_v1").unwrap(), d);
    }

    #[test]
    fn one_trade_aggregation_per_set() {
        let mut d = FeatureSetDef::microstructure_v1();
        d.features.push(FeatureSpec::TradeFlow {
            size_unit: 1.0,
            large_window: 10,
            large_mult: 3.0,
            bar_window: 5,
            roll_window: 10,
        });
        assert!(matches!(d.validate(), Err(FeatureSetError::SeveralTradeFlows { count: 2, .. })));
    }

    /// With a feed, a bar's columns are its trade bar's; a bar without
    /// trades has zero counts and volumes, undefined ratios, and the running
    /// measures (CVD, Amihud, Kyle, Roll) of the last trade bar; without a
    /// feed every trade-flow column is NaN, never a made-up zero.
    #[test]
    fn bars_with_without_and_with_no_trade_feed() {
        let def = FeatureSetDef::microstructure_v1();
        let params = def.trade_bar_params(60_000_000_000).unwrap();
        let mut agg = TradeBars::new(params);
        let mut bars = Vec::new();
        for (i, t) in [
            trade(1_000, 10.0, 0.5, Side::Buy),
            trade(2_000, 10.1, 0.2, Side::Sell),
            trade(61_000, 10.2, 1.0, Side::Buy),
            trade(62_000, 10.0, 0.3, Side::Sell),
        ]
        .iter()
        .enumerate()
        {
            bars.extend(agg.update(t));
            if i == 3 {
                bars.extend(agg.finish());
            }
        }
        assert_eq!(bars.len(), 2);
        let cols = def.columns();
        let at = |name: &str| cols.iter().position(|c| c == name).unwrap();
        let mut m = FeatureMatrix::new(def.clone()).unwrap();
        let v = m.update_with_trades(&bars[0].candle(), Some(&bars[0])).to_vec();
        assert_eq!(v[at("trade_count")], 2.0);
        assert_eq!(v[at("buy_volume")], 0.5);
        assert_eq!(v[at("sell_volume")], 0.2);
        assert_eq!(v[at("cvd_trades")], bars[0].cvd);
        let v = m.update_with_trades(&bars[1].candle(), Some(&bars[1])).to_vec();
        assert_eq!(v[at("cvd_trades")], bars[1].cvd);
        let mut quiet = bars[1].candle();
        quiet.open_time = Timestamp::from_millis(120_000).unwrap();
        let v = m.update_with_trades(&quiet, None).to_vec();
        assert_eq!((v[at("trade_count")], v[at("buy_volume")], v[at("large_trades")]), (0.0, 0.0, 0.0));
        assert!(v[at("flow_imbalance")].is_nan() && v[at("trade_mean_size")].is_nan());
        assert_eq!(v[at("cvd_trades")].to_bits(), bars[1].cvd.to_bits());
        assert_eq!(v[at("roll_spread_100")].to_bits(), bars[1].roll_spread.to_bits());

        let mut candles_only = FeatureMatrix::new(def).unwrap();
        let v = candles_only.update(&bars[0].candle()).to_vec();
        assert!(v[at("trade_count")..].iter().all(|x| x.is_nan()));
    }

    /// The matrix of bars built from `trades`, as `tradebot features
    /// --trades` builds it.
    fn matrix(def: &FeatureSetDef, trades: &[Trade]) -> Vec<Vec<f64>> {
        let mut agg = TradeBars::new(def.trade_bar_params(10_000_000_000).unwrap());
        let mut bars: Vec<_> = trades.iter().filter_map(|t| agg.update(t)).collect();
        bars.extend(agg.finish());
        let pairs: Vec<_> = bars.iter().map(|b| (b.candle(), *b)).collect();
        let rows = FeatureMatrix::compute_with_trades(def, &pairs).unwrap();
        // The batch over two threads is the streaming pass, bit for bit.
        let mut m = FeatureMatrix::new(def.clone()).unwrap();
        let cols = FeatureMatrix::compute_columns_with_trades(def, &pairs, 2).unwrap();
        for (i, (c, t)) in pairs.iter().enumerate() {
            let streamed = m.update_with_trades(c, Some(t));
            for (k, v) in streamed.iter().enumerate() {
                assert_eq!(v.to_bits(), rows[i][k].to_bits());
                assert_eq!(v.to_bits(), cols.column(k)[i].to_bits());
            }
        }
        rows
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Look-ahead, for trade flow: every row of a bar that was complete
        /// before the cut is the same with or without the later trades (the
        /// bar the cut falls in is cut itself, so it may differ).
        #[test]
        fn no_trade_flow_value_depends_on_a_later_trade(
            steps in prop::collection::vec((0i64..4_000, -0.01f64..0.01, 0.0001f64..5.0, any::<bool>(), any::<bool>()), 50..600),
            cut in 1usize..600,
        ) {
            let mut def = FeatureSetDef::microstructure_v1();
            // Windows short enough to fill within the generated history.
            def.features.pop();
            def.features.push(FeatureSpec::TradeFlow { size_unit: 0.01, large_window: 10, large_mult: 3.0, bar_window: 4, roll_window: 10 });
            let (mut ms, mut price) = (0i64, 100.0);
            let trades: Vec<Trade> = steps
                .iter()
                .map(|&(dt, dp, amount, has_side, buy)| {
                    ms += dt;
                    price *= 1.0 + dp;
                    let side = has_side.then_some(if buy { Side::Buy } else { Side::Sell });
                    Trade { time: Timestamp::from_millis(ms).unwrap(), price, amount, side }
                })
                .collect();
            let cut = cut.min(trades.len());
            let full = matrix(&def, &trades);
            let prefix = matrix(&def, &trades[..cut]);
            // The prefix's last bar may be the one the cut fell into.
            for (i, (a, b)) in prefix.iter().zip(&full).enumerate().take(prefix.len().saturating_sub(1)) {
                prop_assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "row {} changed", i);
            }
        }
    }
}
