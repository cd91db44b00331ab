//! Streaming indicators: each one is updated with one bar at a time in O(1)
//! and never looks at a later bar, so the value at bar `t` is exactly what a
//! live engine would have computed at `t`'s close. Replay and live run this
//! same code; there is no separate vectorised version to drift from it: the
//! batch pass over a stored series ([`FeatureColumns`]) runs each feature's
//! very same step, only feature by feature (and over several threads)
//! instead of bar by bar.
//!
//! Here are the technical indicators, the statistical and microstructure
//! features, and the named, versioned feature sets built from them
//! ([`FeatureSetDef`], [`FeatureMatrix`]) that strategies, the risk engine,
//! the agents and training read.
//!
//! Every indicator returns `f64::NAN` until it has seen enough bars.

mod atr;
mod batch;
mod extrema;
mod flow;
mod lanes;
mod momentum;
mod resolve;
mod set;
mod sma;
mod spec;
mod stats;
mod stdev;
mod volatility;

pub use atr::Atr;
pub use batch::FeatureColumns;
pub use extrema::{RollingMax, RollingMin};
pub use flow::{
    BookLevel, BookSnapshot, Keltner, KeltnerBands, RollingVwap, SIZE_BUCKETS, SessionVwap, TickCvd, TickRule, Trade,
    TradeBar, TradeBarParams, TradeBars, VolumeProfile, VolumeProfileValue,
};
pub use momentum::{Adx, AdxValue, Cci, Ema, Macd, MacdValue, Mfi, Obv, Roc, Rsi, Stoch, StochValue, WillR};
pub use resolve::{ResolveError, resolve_column};
pub use set::{FeatureMatrix, FeatureSetDef, FeatureSetError};
pub use sma::Sma;
pub use spec::{FeatureSet, FeatureSpec, MAX_FEATURES};
pub use stats::{
    Autocorr, Drawdown, GARCH_BACKCAST, Garch11, Garch11Params, GarchValue, GarmanKlass, Hurst, PercentRank,
    QuantileValues, RealizedVol, RollingQuantiles, RollingSharpe, TrendFit, TrendValue,
};
pub use stats::{ReturnKurt, ReturnSkew, SimpleReturn, ZScore};
pub use stdev::ReturnStd;
pub use volatility::{Bollinger, BollingerBands, Natr, Parkinson, TrueRange};
