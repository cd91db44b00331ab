//! Reading symbol and interval from data file names like `ETH_BTC-5m.csv.gz`
//! or `XRP_USDT_USDT-1h-futures.csv`, so a directory of downloads can be
//! imported in one command.

use std::path::Path;

use tradebot_core::{Interval, Symbol};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CandleFileName {
    pub symbol: Symbol,
    pub interval: Interval,
}

/// `SYMBOL-INTERVAL[-SUFFIX].csv[.gz]` → (symbol, interval); `None` for any
/// other name (trade files such as `XRP_ETH-trades.csv` among them).
pub fn parse_candle_file_name(path: &Path) -> Option<CandleFileName> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".gz").unwrap_or(name).strip_suffix(".csv")?;
    let parts: Vec<&str> = stem.split('-').collect();
    let at = (1..parts.len()).find(|&i| parts[i].parse::<Interval>().is_ok() && parts[i] != "1mo")?;
    let symbol = Symbol::new(&parts[..at].join("-")).ok()?;
    let interval = parts[at].parse().ok()?;
    Some(CandleFileName { symbol, interval })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<(String, String)> {
        parse_candle_file_name(Path::new(s)).map(|c| (c.symbol.to_string(), c.interval.to_string()))
    }

    #[test]
    fn names() {
        assert_eq!(p("ETH_BTC-5m.csv"), Some(("ETH_BTC".into(), "5m".into())));
        assert_eq!(p("data/UNITTEST_BTC-1m.csv.gz"), Some(("UNITTEST_BTC".into(), "1m".into())));
        assert_eq!(p("XRP_USDT_USDT-1h-futures.csv"), Some(("XRP_USDT_USDT".into(), "1h".into())));
        assert_eq!(p("BTC-PERP-1M.csv"), Some(("BTC-PERP".into(), "1M".into())));
        assert_eq!(p("XRP_ETH-trades.csv"), None);
        assert_eq!(p("README.md"), None);
    }
}
