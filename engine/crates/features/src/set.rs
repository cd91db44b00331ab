//! Named, versioned feature sets: what an agent is trained on and served.
//!
//! A [`FeatureSetDef`] lists features with their parameters under a name and
//! a version. It yields a fixed-order vector with stable column names (the
//! TA-Lib golden files' names where the feature is TA-Lib's) and a validity
//! mask: a value is valid once its feature has warmed up; before that it is
//! NaN, never a silent zero. The definition's hash travels with every model
//! trained on the set, so the engine can refuse a model trained on another.
//!
//! [`FeatureMatrix`] computes a set bar by bar with the same streaming code
//! the pipeline runs ([`crate::FeatureSet`]), so training and serving cannot
//! drift apart; its batch pass ([`FeatureMatrix::compute_columns`]) runs the
//! same steps feature by feature.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use tradebot_core::Candle;

use crate::batch;
use crate::spec::{Computer, TradeInput};
use crate::{FeatureColumns, FeatureSpec, TradeBar, TradeBarParams};

/// A named, versioned list of features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSetDef {
    pub name: String,
    pub version: u32,
    pub features: Vec<FeatureSpec>,
}

#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum FeatureSetError {
    #[error("feature set `{set}`: features[{index}] ({kind}): invalid {parameter}")]
    InvalidParameter { set: String, index: usize, kind: String, parameter: &'static str },
    #[error("feature set `{set}`: column `{column}` appears twice")]
    DuplicateColumn { set: String, column: String },
    #[error("feature set `{set}` has no features")]
    Empty { set: String },
    #[error("unknown feature set `{0}` (built in: talib_v1, default_v1, agents_v1, microstructure_v1)")]
    Unknown(String),
    #[error(
        "feature set `{set}` has trade-flow features, which need a trade feed (`tradebot features --trades`); agents and the pipeline see candles only"
    )]
    NeedsTrades { set: String },
    #[error("feature set `{set}` has {count} trade_flow features; at most one (it fixes how trades become bars)")]
    SeveralTradeFlows { set: String, count: usize },
}

impl FeatureSetDef {
    /// Every column of the TA-Lib golden reference files, in their order.
    pub fn talib_v1() -> Self {
        use FeatureSpec as F;
        FeatureSetDef {
            name: "talib_v1".into(),
            version: 1,
            features: vec![
                F::Sma { period: 10 },
                F::Sma { period: 20 },
                F::Sma { period: 50 },
                F::Sma { period: 200 },
                F::Ema { period: 12 },
                F::Ema { period: 26 },
                F::Macd { fast: 12, slow: 26, signal: 9 },
                F::Adx { period: 14 },
                F::Rsi { period: 14 },
                F::Stoch { fast_k: 14, slow_k: 3, slow_d: 3 },
                F::Roc { period: 10 },
                F::WillR { period: 14 },
                F::Bollinger { period: 20, k: 2.0 },
                F::Atr { period: 14 },
                F::Natr { period: 14 },
                F::TrueRange,
                F::Obv,
                F::Mfi { period: 14 },
                F::Cci { period: 20 },
                F::Return,
                F::ReturnStd { window: 20 },
                F::ReturnSkew { window: 20 },
                F::ReturnKurt { window: 20 },
                F::ZScore { window: 20 },
                F::Parkinson { window: 20 },
            ],
        }
    }

    /// The agents' default: `talib_v1` plus statistics (percentile rank,
    /// quantiles, ACF/PACF at lags 1–10, Hurst, realised and Garman–Klass
    /// volatility, rolling Sharpe, drawdown, trend slope and R²) and volume
    /// features (Keltner, VWAPs, volume profile, tick-rule CVD): 76 columns.
    /// GARCH needs fitted parameters, which the agents issue provides.
    pub fn default_v1() -> Self {
        use FeatureSpec as F;
        let mut features = Self::talib_v1().features;
        features.extend([
            F::PercentRank { window: 20 },
            F::Quantiles { window: 20 },
            F::Autocorr { window: 100, max_lag: 10 },
            F::Hurst { window: 128, min_size: 8 },
            F::RealizedVol { window: 10 },
            F::RealizedVol { window: 30 },
            F::RealizedVol { window: 100 },
            F::GarmanKlass { window: 20 },
            F::RollingSharpe { window: 20 },
            F::Drawdown,
            F::Trend { window: 20 },
            F::Keltner { ema: 20, atr: 10, mult: 2.0 },
            F::Vwap { window: 20 },
            F::SessionVwap,
            F::VolumeProfile { window: 100, bins: 24, value_area: 0.7 },
            F::TickCvd,
        ]);
        FeatureSetDef { name: "default_v1".into(), version: 1, features }
    }

    /// The learned agents' default: only scale-free features (returns,
    /// volatilities, oscillators, ranks, autocorrelation, Hurst), so a
    /// normalisation fitted on one period and one market still means
    /// something on the next. Price-level columns (moving averages, bands,
    /// VWAPs) are left out: their training mean is meaningless a month later.
    pub fn agents_v1() -> Self {
        use FeatureSpec as F;
        FeatureSetDef {
            name: "agents_v1".into(),
            version: 1,
            features: vec![
                F::Return,
                F::ReturnStd { window: 20 },
                F::ReturnSkew { window: 20 },
                F::ReturnKurt { window: 20 },
                F::ZScore { window: 20 },
                F::Parkinson { window: 20 },
                F::GarmanKlass { window: 20 },
                F::RealizedVol { window: 10 },
                F::RealizedVol { window: 30 },
                F::Rsi { period: 14 },
                F::Stoch { fast_k: 14, slow_k: 3, slow_d: 3 },
                F::Roc { period: 10 },
                F::WillR { period: 14 },
                F::Adx { period: 14 },
                F::Natr { period: 14 },
                F::Mfi { period: 14 },
                F::Cci { period: 20 },
                F::PercentRank { window: 20 },
                F::RollingSharpe { window: 20 },
                F::Drawdown,
                F::Autocorr { window: 100, max_lag: 3 },
                F::Hurst { window: 128, min_size: 8 },
            ],
        }
    }

    /// Candle and trade-flow features for markets with recorded trades
    /// (`tradebot features --trades`): returns, volatility, RSI and VWAP of
    /// the bars built from the trades, and their order flow (trade counts
    /// and sizes, buy/sell volume and imbalance, large trades, trade CVD,
    /// Amihud, Kyle's lambda, Roll's spread): 26 columns. The size unit
    /// (0.001) suits BTC- and ETH-sized amounts.
    pub fn microstructure_v1() -> Self {
        use FeatureSpec as F;
        FeatureSetDef {
            name: "microstructure_v1".into(),
            version: 1,
            features: vec![
                F::Return,
                F::RealizedVol { window: 30 },
                F::Parkinson { window: 20 },
                F::Rsi { period: 14 },
                F::Vwap { window: 20 },
                F::TickCvd,
                F::TradeFlow { size_unit: 0.001, large_window: 50, large_mult: 5.0, bar_window: 20, roll_window: 100 },
            ],
        }
    }

    /// A built-in set by name.
    pub fn builtin(name: &str) -> Result<Self, FeatureSetError> {
        match name {
            "talib_v1" => Ok(Self::talib_v1()),
            "default_v1" => Ok(Self::default_v1()),
            "agents_v1" => Ok(Self::agents_v1()),
            "microstructure_v1" => Ok(Self::microstructure_v1()),
            other => Err(FeatureSetError::Unknown(other.to_owned())),
        }
    }

    /// Column names in output order.
    pub fn columns(&self) -> Vec<String> {
        self.features.iter().flat_map(FeatureSpec::columns).collect()
    }

    /// `sha256:` and the hex SHA-256 of the definition's canonical JSON
    /// (name, version and every feature with its parameters, in order).
    pub fn definition_hash(&self) -> String {
        // Serialising plain data with serde_json cannot fail; an empty
        // string would still hash deterministically.
        let canonical = serde_json::to_string(self).unwrap_or_default();
        let digest = Sha256::digest(canonical.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// Whether the set has trade-flow features: it must then be computed
    /// with a trade feed ([`FeatureMatrix::update_with_trades`]).
    pub fn needs_trades(&self) -> bool {
        self.features.iter().any(FeatureSpec::needs_trades)
    }

    /// Refuses a set with trade-flow features where only candles arrive
    /// (training and serving agents), instead of feeding NaN columns.
    pub fn require_candles_only(&self) -> Result<(), FeatureSetError> {
        if self.needs_trades() { Err(FeatureSetError::NeedsTrades { set: self.name.clone() }) } else { Ok(()) }
    }

    /// How the set's trade-flow features aggregate trades into bars of
    /// `interval_nanos`; `None` if it has none.
    pub fn trade_bar_params(&self, interval_nanos: i64) -> Option<TradeBarParams> {
        self.features.iter().find_map(|f| f.trade_bar_params(interval_nanos))
    }

    /// Checks every parameter and that column names are unique.
    pub fn validate(&self) -> Result<(), FeatureSetError> {
        if self.features.is_empty() {
            return Err(FeatureSetError::Empty { set: self.name.clone() });
        }
        for (index, f) in self.features.iter().enumerate() {
            if let Some(parameter) = f.invalid_parameter() {
                let kind = f.columns().first().cloned().unwrap_or_default();
                return Err(FeatureSetError::InvalidParameter { set: self.name.clone(), index, kind, parameter });
            }
        }
        let flows = self.features.iter().filter(|f| f.needs_trades()).count();
        if flows > 1 {
            return Err(FeatureSetError::SeveralTradeFlows { set: self.name.clone(), count: flows });
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in self.columns() {
            if !seen.insert(c.clone()) {
                return Err(FeatureSetError::DuplicateColumn { set: self.name.clone(), column: c });
            }
        }
        Ok(())
    }
}

/// A feature set computed bar by bar for one instrument.
#[derive(Clone, Debug)]
pub struct FeatureMatrix {
    def: FeatureSetDef,
    columns: Vec<String>,
    computers: Vec<(Computer, usize)>,
    values: Vec<f64>,
}

impl FeatureMatrix {
    pub fn new(def: FeatureSetDef) -> Result<Self, FeatureSetError> {
        def.validate()?;
        let columns = def.columns();
        let computers = Computer::build(&def.features);
        Ok(FeatureMatrix { values: vec![f64::NAN; columns.len()], columns, computers, def })
    }

    pub fn definition(&self) -> &FeatureSetDef {
        &self.def
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Folds in one bar; returns every value as of its close (no
    /// allocation). Without a trade feed, trade-flow columns are NaN.
    #[inline]
    pub fn update(&mut self, bar: &Candle) -> &[f64] {
        self.fold(bar, TradeInput::NoFeed)
    }

    /// Folds in one bar and the trades of its interval (`None`: nothing
    /// traded in it), aggregated by a [`crate::TradeBars`] built from
    /// [`FeatureSetDef::trade_bar_params`].
    #[inline]
    pub fn update_with_trades(&mut self, bar: &Candle, trades: Option<&TradeBar>) -> &[f64] {
        self.fold(bar, TradeInput::Bar(trades))
    }

    #[inline]
    fn fold(&mut self, bar: &Candle, trades: TradeInput<'_>) -> &[f64] {
        for (c, at) in &mut self.computers {
            c.update(bar, trades, &mut self.values[*at..]);
        }
        &self.values
    }

    /// The latest values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Validity mask of the latest values: `true` once the column's feature
    /// has warmed up (its value is defined).
    pub fn valid(&self) -> impl Iterator<Item = bool> + '_ {
        self.values.iter().map(|v| !v.is_nan())
    }

    /// Whether every column is valid.
    pub fn all_valid(&self) -> bool {
        self.values.iter().all(|v| !v.is_nan())
    }

    /// The whole matrix of a series, one row per bar: a batch pass
    /// ([`FeatureMatrix::compute_columns`] on one thread), bit-identical to
    /// feeding the bars one at a time.
    pub fn compute(def: &FeatureSetDef, candles: &[Candle]) -> Result<Vec<Vec<f64>>, FeatureSetError> {
        Ok(Self::compute_columns(def, candles, 1)?.to_rows())
    }

    /// The whole matrix of bars built from trades: each candle with the
    /// trade bar it was built from.
    pub fn compute_with_trades(
        def: &FeatureSetDef,
        bars: &[(Candle, TradeBar)],
    ) -> Result<Vec<Vec<f64>>, FeatureSetError> {
        Ok(Self::compute_columns_with_trades(def, bars, 1)?.to_rows())
    }

    /// The whole matrix of a series, column by column, spread over up to
    /// `threads` threads (see [`FeatureColumns`]); every value is
    /// bit-identical to feeding the bars one at a time, for any `threads`.
    pub fn compute_columns(
        def: &FeatureSetDef,
        candles: &[Candle],
        threads: usize,
    ) -> Result<FeatureColumns, FeatureSetError> {
        let mut out = FeatureColumns::default();
        batch::compute_into(def, candles, threads, &mut out)?;
        Ok(out)
    }

    /// [`FeatureMatrix::compute_columns`] into `out`, reusing its memory.
    pub fn compute_columns_into(
        def: &FeatureSetDef,
        candles: &[Candle],
        threads: usize,
        out: &mut FeatureColumns,
    ) -> Result<(), FeatureSetError> {
        batch::compute_into(def, candles, threads, out)
    }

    /// [`FeatureMatrix::compute_columns`] of bars built from trades.
    pub fn compute_columns_with_trades(
        def: &FeatureSetDef,
        bars: &[(Candle, TradeBar)],
        threads: usize,
    ) -> Result<FeatureColumns, FeatureSetError> {
        let mut out = FeatureColumns::default();
        batch::compute_into(def, bars, threads, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_hash_changes_with_any_parameter_and_not_otherwise() {
        let a = FeatureSetDef::talib_v1();
        assert_eq!(a.definition_hash(), FeatureSetDef::talib_v1().definition_hash());
        let mut b = a.clone();
        b.features[0] = FeatureSpec::Sma { period: 11 };
        assert_ne!(a.definition_hash(), b.definition_hash());
        let mut c = a.clone();
        c.version = 2;
        assert_ne!(a.definition_hash(), c.definition_hash());
        assert!(a.definition_hash().starts_with("sha256:") && a.definition_hash().len() == 7 + 64);
    }

    #[test]
    fn the_default_set_has_at_least_sixty_unique_columns() {
        let d = FeatureSetDef::default_v1();
        assert!(d.validate().is_ok());
        assert_eq!(d.columns().len(), 76);
        assert!(d.columns().starts_with(&FeatureSetDef::talib_v1().columns()));
    }

    #[test]
    fn a_fused_skew_and_kurtosis_pair_keeps_every_column_where_and_what_it_was() {
        use crate::{ReturnKurt, ReturnSkew};
        let def = FeatureSetDef {
            name: "pairs".into(),
            version: 1,
            features: vec![
                FeatureSpec::ReturnSkew { window: 20 },
                FeatureSpec::ReturnKurt { window: 20 },
                FeatureSpec::ReturnSkew { window: 10 },
                FeatureSpec::ReturnKurt { window: 30 },
                FeatureSpec::Sma { period: 5 },
            ],
        };
        let mut m = FeatureMatrix::new(def).unwrap();
        let (mut s20, mut k20) = (ReturnSkew::new(20), ReturnKurt::new(20));
        let (mut s10, mut k30) = (ReturnSkew::new(10), ReturnKurt::new(30));
        let mut close = 50.0;
        for i in 0..300u32 {
            close *= 1.0 + 0.002 * f64::from((i * 31) % 17) / 17.0 - 0.001;
            let bar = Candle {
                open_time: tradebot_core::Timestamp::from_nanos(i64::from(i) * 60_000_000_000),
                open: close,
                high: close,
                low: close,
                close,
                volume: 1.0,
            };
            let row = m.update(&bar).to_vec();
            let expected = [s20.update(close), k20.update(close), s10.update(close), k30.update(close)];
            for (got, want) in row.iter().zip(expected) {
                assert_eq!(got.to_bits(), want.to_bits(), "bar {i}");
            }
        }
    }

    #[test]
    fn invalid_sets_are_refused_naming_the_feature() {
        let mut d = FeatureSetDef::talib_v1();
        d.features[6] = FeatureSpec::Macd { fast: 26, slow: 12, signal: 9 };
        let e = FeatureMatrix::new(d).unwrap_err().to_string();
        assert!(e.contains("features[6]") && e.contains("slow"), "{e}");
        let mut d = FeatureSetDef::talib_v1();
        d.features.push(FeatureSpec::Sma { period: 10 });
        assert!(matches!(FeatureMatrix::new(d), Err(FeatureSetError::DuplicateColumn { .. })));
    }
}
