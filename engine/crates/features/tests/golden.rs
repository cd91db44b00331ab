//! The spine's indicators against TA-Lib reference values on real data
//! (`../shared/golden`, copied to `tests/golden/talib`): the README there
//! says how to compare (every row from 300 on within 1e-6 relative).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use tradebot_core::{Candle, Timestamp};
use tradebot_features::{Atr, ReturnStd, Sma};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/golden/talib").join(name)
}

struct Rows {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn load(name: &str) -> Rows {
    let mut r = csv::Reader::from_path(golden(name)).unwrap();
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect();
    Rows { headers, rows }
}

impl Rows {
    fn col(&self, name: &str) -> Vec<Option<f64>> {
        let i = self.headers.iter().position(|h| h == name).unwrap();
        self.rows.iter().map(|r| if r[i].is_empty() { None } else { Some(r[i].parse().unwrap()) }).collect()
    }

    fn candles(&self) -> Vec<Candle> {
        let c = |n| self.col(n).into_iter().map(Option::unwrap).collect::<Vec<_>>();
        let (o, h, l, cl, v) = (c("open"), c("high"), c("low"), c("close"), c("volume"));
        (0..self.rows.len())
            .map(|i| Candle {
                open_time: Timestamp::parse(&self.rows[i][0]).unwrap(),
                open: o[i],
                high: h[i],
                low: l[i],
                close: cl[i],
                volume: v[i],
            })
            .collect()
    }
}

fn compare(name: &str, column: &str, ours: &[f64], reference: &[Option<f64>]) {
    for (i, (&o, r)) in ours.iter().zip(reference).enumerate() {
        match r {
            None => {}
            Some(r) if i >= 300 => {
                assert!((o - r).abs() <= 1e-6 * r.abs().max(1.0), "{name} {column} row {i}: ours {o} vs TA-Lib {r}")
            }
            Some(_) => assert!(!o.is_nan(), "{name} {column} row {i}: undefined where TA-Lib has a value"),
        }
    }
}

#[test]
fn sma_atr_and_return_std_match_talib_on_every_golden_file() {
    for name in ["ETH_BTC-5m.talib.csv", "UNITTEST_BTC-30m.talib.csv", "ORDERFLOW_BTC_USDT-5m.talib.csv"] {
        let rows = load(name);
        let candles = rows.candles();
        for n in [10, 20, 50, 200] {
            let mut s = Sma::new(n);
            let ours: Vec<f64> = candles.iter().map(|c| s.update(c.close)).collect();
            compare(name, &format!("sma_{n}"), &ours, &rows.col(&format!("sma_{n}")));
        }
        let mut atr = Atr::new(14);
        let ours: Vec<f64> = candles.iter().map(|c| atr.update(c)).collect();
        compare(name, "atr_14", &ours, &rows.col("atr_14"));
        let mut sd = ReturnStd::new(20);
        let ours: Vec<f64> = candles.iter().map(|c| sd.update(c.close)).collect();
        compare(name, "ret_std_20", &ours, &rows.col("ret_std_20"));
    }
}
