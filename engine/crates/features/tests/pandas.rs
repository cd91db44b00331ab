//! `Sma` reproduces pandas' `rolling(n).mean()` bit for bit (the values
//! backtesting.py's `SMA` gives), so crossover strategies agree with it even
//! at ties. References: `tests/golden/pandas/*.sma.csv`, made by
//! `tests/reference/pandas_sma.py` with pandas 3.1.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use tradebot_features::Sma;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").join(path)
}

fn column(path: &PathBuf, name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let i = r.headers().unwrap().iter().position(|h| h == name).unwrap();
    r.records().map(|rec| rec.unwrap()[i].to_owned()).collect()
}

#[test]
fn sma_matches_pandas_rolling_mean_bit_for_bit() {
    for market in ["ETH_BTC-5m", "LTC_BTC-5m", "XRP_ETH-5m", "NXT_BTC-5m"] {
        let closes: Vec<f64> =
            column(&repo(&format!("tests/data/{market}.csv")), "close").iter().map(|c| c.parse().unwrap()).collect();
        let golden = repo(&format!("tests/golden/pandas/{market}.sma.csv"));
        for n in [10, 20, 50] {
            let want = column(&golden, &format!("sma_{n}"));
            assert_eq!(want.len(), closes.len());
            let mut sma = Sma::new(n);
            for (i, (&c, w)) in closes.iter().zip(&want).enumerate() {
                let got = sma.update(c);
                if w.is_empty() {
                    assert!(got.is_nan(), "{market} sma_{n} row {i}: {got} during warm-up");
                } else {
                    let w: f64 = w.parse().unwrap();
                    assert_eq!(got.to_bits(), w.to_bits(), "{market} sma_{n} row {i}: {got:?} vs pandas {w:?}");
                }
            }
        }
    }
}
