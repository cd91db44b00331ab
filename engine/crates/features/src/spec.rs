//! [`FeatureSpec`] names a feature and its parameters; [`FeatureSet`]
//! computes a list of them for one instrument, bar by bar, into a fixed-size
//! array that travels through the pipeline without allocating. The same
//! computation ([`Computer`]) backs the named feature sets of
//! [`crate::FeatureMatrix`], so the strategy slot, the agents, training and
//! the `features` command all see one implementation.

use serde::{Deserialize, Serialize};
use tradebot_core::Candle;

use crate::sma::SmaGroup;
use crate::stats::{RankQuantiles, RealizedVolGroup, ReturnSkewKurt};
use crate::{
    Adx, Atr, Autocorr, Bollinger, Cci, Drawdown, Ema, Garch11, Garch11Params, GarmanKlass, Hurst, Keltner, Macd, Mfi,
    Natr, Obv, Parkinson, PercentRank, RealizedVol, ReturnKurt, ReturnSkew, ReturnStd, Roc, RollingMax, RollingMin,
    RollingQuantiles, RollingSharpe, RollingVwap, Rsi, SIZE_BUCKETS, SessionVwap, SimpleReturn, Sma, Stoch, TickCvd,
    TradeBar, TradeBarParams, TrendFit, TrueRange, VolumeProfile, WillR, ZScore,
};

/// The most lags an autocorrelation feature reports.
pub const MAX_ACF_LAG: usize = 10;

/// The most feature values one instrument's pipeline event can hold.
pub const MAX_FEATURES: usize = 64;

/// A feature a strategy, the risk engine or a feature set asks for. Most
/// produce one value per bar; MACD, ADX, the stochastic and Bollinger bands
/// produce several (see [`FeatureSpec::columns`]).
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeatureSpec {
    /// The bar's close.
    Close,
    /// Simple moving average of the close (pandas-compatible).
    Sma { period: usize },
    /// Exponential moving average of the close, seeded with the SMA of the first `period` closes.
    Ema { period: usize },
    /// MACD line, signal and histogram (TA-Lib's seeding).
    Macd { fast: usize, slow: usize, signal: usize },
    /// Wilder's ADX with +DI and -DI.
    Adx { period: usize },
    /// Wilder's RSI.
    Rsi { period: usize },
    /// Slow stochastic %K and %D.
    Stoch { fast_k: usize, slow_k: usize, slow_d: usize },
    /// Rate of change, percent.
    Roc { period: usize },
    /// Williams %R.
    WillR { period: usize },
    /// On-balance volume.
    Obv,
    /// Money flow index.
    Mfi { period: usize },
    /// Commodity channel index.
    Cci { period: usize },
    /// Bollinger bands: SMA ± `k` population standard deviations.
    Bollinger { period: usize, k: f64 },
    /// Wilder's average true range.
    Atr { period: usize },
    /// ATR as a percentage of the close.
    Natr { period: usize },
    /// True range.
    TrueRange,
    /// One-bar simple return of the close.
    Return,
    /// Sample standard deviation of one-bar returns over `window` bars.
    ReturnStd { window: usize },
    /// Rolling skewness of one-bar returns (pandas `rolling.skew`).
    ReturnSkew { window: usize },
    /// Rolling excess kurtosis of one-bar returns (pandas `rolling.kurt`).
    ReturnKurt { window: usize },
    /// `(close - SMA) / sample std of the close` over `window` bars.
    ZScore { window: usize },
    /// Parkinson's high-low volatility over `window` bars.
    Parkinson { window: usize },
    /// Lowest low of the last `lookback` bars (swing support).
    SwingLow { lookback: usize },
    /// Highest high of the last `lookback` bars (swing resistance).
    SwingHigh { lookback: usize },
    /// Percentile rank of the close in its last `window` closes (pandas `rank(pct=True)`).
    PercentRank { window: usize },
    /// Rolling 10/25/50/75/90 % quantiles of the close (pandas linear interpolation).
    Quantiles { window: usize },
    /// Autocorrelation and partial autocorrelation of returns at lags 1..=`max_lag`.
    Autocorr { window: usize, max_lag: usize },
    /// Hurst exponent by rescaled range over `window` returns, chunks from `min_size`.
    Hurst { window: usize, min_size: usize },
    /// Realised volatility: sqrt of the sum of squared log returns over `window`.
    RealizedVol { window: usize },
    /// Garman–Klass volatility over `window` bars.
    GarmanKlass { window: usize },
    /// GARCH(1,1) conditional variance (percent²) with given parameters, and its one-step forecast.
    Garch { mu: f64, omega: f64, alpha: f64, beta: f64 },
    /// Mean over sample std of returns over `window` (not annualised).
    RollingSharpe { window: usize },
    /// Close over its running peak, minus one.
    Drawdown,
    /// Slope and R² of a least-squares fit of the close on time over `window`.
    Trend { window: usize },
    /// Keltner channels: EMA(`ema`) of the close ± `mult` × ATR(`atr`).
    Keltner { ema: usize, atr: usize, mult: f64 },
    /// Volume-weighted typical price over `window` bars.
    Vwap { window: usize },
    /// Volume-weighted typical price since the start of the UTC day.
    SessionVwap,
    /// Point of control and 70 %-style value area of a rolling volume profile.
    VolumeProfile { window: usize, bins: usize, value_area: f64 },
    /// Cumulative volume signed by the tick rule.
    TickCvd,
    /// Order flow from the trades of each bar's interval (needs a trade
    /// feed, see [`crate::FeatureMatrix::update_with_trades`]): count, mean
    /// and largest size, a histogram of sizes by decades of `size_unit`,
    /// buy and sell volume, order-flow imbalance, large trades (above
    /// `large_mult` × the mean of the previous `large_window` sizes), trade
    /// CVD, the share of exchange sides the tick rule agrees with, Amihud
    /// illiquidity and Kyle's lambda over `bar_window` trade bars and Roll's
    /// spread over `roll_window` trade-price changes ([`crate::TradeBars`]).
    TradeFlow { size_unit: f64, large_window: usize, large_mult: f64, bar_window: usize, roll_window: usize },
}

/// Columns of [`FeatureSpec::TradeFlow`].
const TRADE_FLOW_OUTPUTS: usize = 12 + SIZE_BUCKETS;

/// `2` for 2.0, `2.5` for 2.5: parameters in column names.
fn num(k: f64) -> String {
    if k.fract() == 0.0 && k.abs() < 1e15 { format!("{}", k as i64) } else { format!("{k}") }
}

impl FeatureSpec {
    /// How many values the feature produces per bar.
    pub fn outputs(&self) -> usize {
        match self {
            FeatureSpec::Macd { .. }
            | FeatureSpec::Adx { .. }
            | FeatureSpec::Bollinger { .. }
            | FeatureSpec::Keltner { .. }
            | FeatureSpec::VolumeProfile { .. } => 3,
            FeatureSpec::Stoch { .. } | FeatureSpec::Garch { .. } | FeatureSpec::Trend { .. } => 2,
            FeatureSpec::Quantiles { .. } => 5,
            FeatureSpec::TradeFlow { .. } => TRADE_FLOW_OUTPUTS,
            FeatureSpec::Autocorr { max_lag, .. } => 2 * (*max_lag).clamp(1, MAX_ACF_LAG),
            _ => 1,
        }
    }

    /// Column names, in output order. Where the feature is one of TA-Lib's,
    /// the name is the column name of the golden reference files.
    pub fn columns(&self) -> Vec<String> {
        match *self {
            FeatureSpec::Close => vec!["close".into()],
            FeatureSpec::Sma { period } => vec![format!("sma_{period}")],
            FeatureSpec::Ema { period } => vec![format!("ema_{period}")],
            FeatureSpec::Macd { fast, slow, signal } => {
                let p = format!("{fast}_{slow}_{signal}");
                vec![format!("macd_{p}"), format!("macd_signal_{p}"), format!("macd_hist_{p}")]
            }
            FeatureSpec::Adx { period } => {
                vec![format!("adx_{period}"), format!("plus_di_{period}"), format!("minus_di_{period}")]
            }
            FeatureSpec::Rsi { period } => vec![format!("rsi_{period}")],
            FeatureSpec::Stoch { fast_k, slow_k, slow_d } => {
                let p = format!("{fast_k}_{slow_k}_{slow_d}");
                vec![format!("stoch_k_{p}"), format!("stoch_d_{p}")]
            }
            FeatureSpec::Roc { period } => vec![format!("roc_{period}")],
            FeatureSpec::WillR { period } => vec![format!("willr_{period}")],
            FeatureSpec::Obv => vec!["obv".into()],
            FeatureSpec::Mfi { period } => vec![format!("mfi_{period}")],
            FeatureSpec::Cci { period } => vec![format!("cci_{period}")],
            FeatureSpec::Bollinger { period, k } => {
                let p = format!("{period}_{}", num(k));
                vec![format!("bb_upper_{p}"), format!("bb_middle_{p}"), format!("bb_lower_{p}")]
            }
            FeatureSpec::Atr { period } => vec![format!("atr_{period}")],
            FeatureSpec::Natr { period } => vec![format!("natr_{period}")],
            FeatureSpec::TrueRange => vec!["trange".into()],
            FeatureSpec::Return => vec!["ret_1".into()],
            FeatureSpec::ReturnStd { window } => vec![format!("ret_std_{window}")],
            FeatureSpec::ReturnSkew { window } => vec![format!("ret_skew_{window}")],
            FeatureSpec::ReturnKurt { window } => vec![format!("ret_kurt_{window}")],
            FeatureSpec::ZScore { window } => vec![format!("zscore_close_{window}")],
            FeatureSpec::Parkinson { window } => vec![format!("parkinson_vol_{window}")],
            FeatureSpec::SwingLow { lookback } => vec![format!("swing_low_{lookback}")],
            FeatureSpec::SwingHigh { lookback } => vec![format!("swing_high_{lookback}")],
            FeatureSpec::PercentRank { window } => vec![format!("pct_rank_close_{window}")],
            FeatureSpec::Quantiles { window } => {
                [10, 25, 50, 75, 90].iter().map(|q| format!("q{q}_close_{window}")).collect()
            }
            FeatureSpec::Autocorr { window, max_lag } => {
                let lags = 1..=max_lag.clamp(1, MAX_ACF_LAG);
                let acf = lags.clone().map(|k| format!("acf_{k}_{window}"));
                acf.chain(lags.map(|k| format!("pacf_{k}_{window}"))).collect()
            }
            FeatureSpec::Hurst { window, .. } => vec![format!("hurst_{window}")],
            FeatureSpec::RealizedVol { window } => vec![format!("rv_{window}")],
            FeatureSpec::GarmanKlass { window } => vec![format!("gk_vol_{window}")],
            FeatureSpec::Garch { .. } => vec!["garch11_var".into(), "garch11_next_var".into()],
            FeatureSpec::RollingSharpe { window } => vec![format!("sharpe_{window}")],
            FeatureSpec::Drawdown => vec!["drawdown".into()],
            FeatureSpec::Trend { window } => vec![format!("trend_slope_{window}"), format!("trend_r2_{window}")],
            FeatureSpec::Keltner { ema, atr, mult } => {
                let p = format!("{ema}_{atr}_{}", num(mult));
                vec![format!("kc_upper_{p}"), format!("kc_middle_{p}"), format!("kc_lower_{p}")]
            }
            FeatureSpec::Vwap { window } => vec![format!("vwap_{window}")],
            FeatureSpec::SessionVwap => vec!["vwap_session".into()],
            FeatureSpec::VolumeProfile { window, .. } => {
                vec![format!("vp_poc_{window}"), format!("vp_vah_{window}"), format!("vp_val_{window}")]
            }
            FeatureSpec::TickCvd => vec!["cvd_tick".into()],
            FeatureSpec::TradeFlow { bar_window, roll_window, .. } => {
                let mut c: Vec<String> = vec!["trade_count".into(), "trade_mean_size".into(), "trade_max_size".into()];
                c.extend((0..SIZE_BUCKETS).map(|k| format!("trade_size_hist_{k}")));
                c.extend(
                    ["buy_volume", "sell_volume", "flow_imbalance", "large_trades", "cvd_trades", "tick_agreement"]
                        .map(String::from),
                );
                c.extend([
                    format!("amihud_{bar_window}"),
                    format!("kyle_lambda_{bar_window}"),
                    format!("roll_spread_{roll_window}"),
                ]);
                c
            }
        }
    }

    /// A parameter that makes the feature meaningless (a zero period, a
    /// non-finite or non-positive band width), named for error messages.
    pub fn invalid_parameter(&self) -> Option<&'static str> {
        let zero = |p: usize, name: &'static str| (p == 0).then_some(name);
        match *self {
            FeatureSpec::Close | FeatureSpec::Obv | FeatureSpec::TrueRange | FeatureSpec::Return => None,
            FeatureSpec::Sma { period }
            | FeatureSpec::Ema { period }
            | FeatureSpec::Adx { period }
            | FeatureSpec::Rsi { period }
            | FeatureSpec::Roc { period }
            | FeatureSpec::WillR { period }
            | FeatureSpec::Mfi { period }
            | FeatureSpec::Cci { period }
            | FeatureSpec::Atr { period }
            | FeatureSpec::Natr { period } => zero(period, "period"),
            FeatureSpec::Macd { fast, slow, signal } => {
                zero(fast, "fast").or(zero(signal, "signal")).or((slow <= fast).then_some("slow (must exceed fast)"))
            }
            FeatureSpec::Stoch { fast_k, slow_k, slow_d } => {
                zero(fast_k, "fast_k").or(zero(slow_k, "slow_k")).or(zero(slow_d, "slow_d"))
            }
            FeatureSpec::Bollinger { period, k } => {
                zero(period, "period").or((!(k.is_finite() && k > 0.0)).then_some("k"))
            }
            FeatureSpec::ReturnStd { window }
            | FeatureSpec::ReturnSkew { window }
            | FeatureSpec::ReturnKurt { window }
            | FeatureSpec::ZScore { window }
            | FeatureSpec::Parkinson { window } => (window < 2).then_some("window (at least 2)"),
            FeatureSpec::SwingLow { lookback } | FeatureSpec::SwingHigh { lookback } => zero(lookback, "lookback"),
            FeatureSpec::Drawdown | FeatureSpec::SessionVwap | FeatureSpec::TickCvd => None,
            FeatureSpec::PercentRank { window }
            | FeatureSpec::Quantiles { window }
            | FeatureSpec::RealizedVol { window }
            | FeatureSpec::GarmanKlass { window }
            | FeatureSpec::RollingSharpe { window }
            | FeatureSpec::Trend { window }
            | FeatureSpec::Vwap { window } => (window < 2).then_some("window (at least 2)"),
            FeatureSpec::Autocorr { window, max_lag } => {
                (window < max_lag + 2 || max_lag == 0 || max_lag > MAX_ACF_LAG)
                    .then_some("max_lag (1 to 10, and window at least max_lag + 2)")
            }
            FeatureSpec::Hurst { window, min_size } => {
                (min_size < 2 || window < 2 * min_size).then_some("min_size (at least 2, window at least 2 x min_size)")
            }
            FeatureSpec::Garch { mu, omega, alpha, beta } => (![mu, omega, alpha, beta].iter().all(|v| v.is_finite())
                || omega <= 0.0
                || alpha < 0.0
                || beta < 0.0
                || alpha + beta >= 1.0)
                .then_some("parameters (omega > 0, alpha, beta >= 0, alpha + beta < 1)"),
            FeatureSpec::Keltner { ema, atr, mult } => {
                zero(ema, "ema").or(zero(atr, "atr")).or((!(mult.is_finite() && mult > 0.0)).then_some("mult"))
            }
            FeatureSpec::VolumeProfile { window, bins, value_area } => (window < 2)
                .then_some("window")
                .or(zero(bins, "bins"))
                .or((!(value_area > 0.0 && value_area <= 1.0)).then_some("value_area (0, 1]")),
            FeatureSpec::TradeFlow { size_unit, large_window, large_mult, bar_window, roll_window } => {
                (!(size_unit.is_finite() && size_unit > 0.0))
                    .then_some("size_unit (positive)")
                    .or((large_window < 2).then_some("large_window (at least 2)"))
                    .or((!(large_mult.is_finite() && large_mult > 0.0)).then_some("large_mult (positive)"))
                    .or((bar_window < 2).then_some("bar_window (at least 2)"))
                    .or((roll_window < 2).then_some("roll_window (at least 2)"))
            }
        }
    }

    /// Whether the feature is computed from trades rather than candles.
    pub fn needs_trades(&self) -> bool {
        matches!(self, FeatureSpec::TradeFlow { .. })
    }

    /// The trade aggregation a [`FeatureSpec::TradeFlow`] reads, for bars of
    /// `interval_nanos`; `None` for the other features.
    pub fn trade_bar_params(&self, interval_nanos: i64) -> Option<TradeBarParams> {
        match *self {
            FeatureSpec::TradeFlow { size_unit, large_window, large_mult, bar_window, roll_window } => {
                Some(TradeBarParams { interval_nanos, size_unit, large_window, large_mult, bar_window, roll_window })
            }
            _ => None,
        }
    }
}

/// What a bar's trade-flow features see: no trade feed at all (their
/// columns are NaN), or a feed and the bar's trades (`None`: nothing traded
/// in the interval).
#[derive(Copy, Clone, Debug)]
pub(crate) enum TradeInput<'a> {
    NoFeed,
    Bar(Option<&'a TradeBar>),
}

/// The running trade-flow values a bar without trades carries forward:
/// CVD, Amihud, Kyle's lambda and Roll's spread are defined over past
/// trade bars, not over this interval.
#[derive(Copy, Clone, Debug)]
pub(crate) struct TradeFlowCarry {
    cvd: f64,
    amihud: f64,
    kyle: f64,
    roll: f64,
}

/// The running state of one feature.
#[derive(Clone, Debug)]
pub(crate) enum Computer {
    Close,
    Sma(Sma),
    /// Two to four adjacent SMAs.
    Sma2(SmaGroup<2>),
    Sma3(SmaGroup<3>),
    Sma4(SmaGroup<4>),
    Ema(Ema),
    Macd(Macd),
    Adx(Adx),
    Rsi(Rsi),
    Stoch(Stoch),
    Roc(Roc),
    WillR(WillR),
    Obv(Obv),
    Mfi(Mfi),
    Cci(Cci),
    Bollinger(Bollinger),
    Atr(Atr),
    Natr(Natr),
    TrueRange(TrueRange),
    Return(SimpleReturn),
    ReturnStd(ReturnStd),
    ReturnSkew(ReturnSkew),
    ReturnKurt(ReturnKurt),
    /// A skewness directly followed by a kurtosis of the same window.
    ReturnSkewKurt(ReturnSkewKurt),
    RankQuantiles(RankQuantiles),
    RealizedVol2(RealizedVolGroup<2>),
    RealizedVol3(RealizedVolGroup<3>),
    ZScore(ZScore),
    Parkinson(Parkinson),
    SwingLow(RollingMin),
    SwingHigh(RollingMax),
    PercentRank(PercentRank),
    Quantiles(RollingQuantiles),
    Autocorr(Autocorr, usize),
    Hurst(Hurst),
    RealizedVol(RealizedVol),
    GarmanKlass(GarmanKlass),
    Garch(Garch11),
    RollingSharpe(RollingSharpe),
    Drawdown(Drawdown),
    Trend(TrendFit),
    Keltner(Keltner),
    Vwap(RollingVwap),
    SessionVwap(SessionVwap),
    VolumeProfile(VolumeProfile),
    TickCvd(TickCvd),
    TradeFlow(TradeFlowCarry),
}

impl Computer {
    /// The computation of `specs`, each with the offset of its first output.
    ///
    /// Fusions give the same values bit for bit with less work, each
    /// computer still writing its specs' columns where they were:
    /// - a skewness directly followed by a kurtosis of the same window (as
    ///   in the built-in sets) becomes one computer over one window of
    ///   running moments: one window and one return fewer per bar;
    /// - a percentile rank directly followed by quantiles of the same
    ///   window: one sorted copy of the window instead of two;
    /// - up to four adjacent SMAs become one [`SmaGroup`]: one ring, and
    ///   their dependency chains side by side in one loop;
    /// - up to three adjacent realised volatilities share one log return.
    pub(crate) fn build(specs: &[FeatureSpec]) -> Vec<(Computer, usize)> {
        let mut out = Vec::with_capacity(specs.len());
        let mut at = 0;
        let mut i = 0;
        while let Some(spec) = specs.get(i) {
            let pair = match (spec, specs.get(i + 1)) {
                (FeatureSpec::ReturnSkew { window: s }, Some(FeatureSpec::ReturnKurt { window: k })) => {
                    ReturnSkewKurt::new(*s, *k).map(Computer::ReturnSkewKurt)
                }
                (FeatureSpec::PercentRank { window: r }, Some(FeatureSpec::Quantiles { window: q })) if r == q => {
                    Some(Computer::RankQuantiles(RankQuantiles::new(*r)))
                }
                _ => None,
            };
            let mut rv = [0; 3];
            let mut rvs = 0;
            while let (Some(slot), Some(FeatureSpec::RealizedVol { window })) = (rv.get_mut(rvs), specs.get(i + rvs)) {
                *slot = *window;
                rvs += 1;
            }
            let mut periods = [0; 4];
            let mut smas = 0;
            while let (Some(slot), Some(FeatureSpec::Sma { period })) = (periods.get_mut(smas), specs.get(i + smas)) {
                *slot = *period;
                smas += 1;
            }
            let [a, b, c, d] = periods;
            let (computer, taken) = match (pair, smas) {
                (Some(pair), _) => (pair, 2),
                (None, _) if rvs == 3 => (Computer::RealizedVol3(RealizedVolGroup::new(rv)), 3),
                (None, _) if rvs == 2 => (Computer::RealizedVol2(RealizedVolGroup::new([rv[0], rv[1]])), 2),
                (None, 4) => (Computer::Sma4(SmaGroup::new([a, b, c, d])), 4),
                (None, 3) => (Computer::Sma3(SmaGroup::new([a, b, c])), 3),
                (None, 2) => (Computer::Sma2(SmaGroup::new([a, b])), 2),
                _ => (Computer::new(spec), 1),
            };
            out.push((computer, at));
            at += specs[i..i + taken].iter().map(FeatureSpec::outputs).sum::<usize>();
            i += taken;
        }
        out
    }

    fn new(spec: &FeatureSpec) -> Self {
        match *spec {
            FeatureSpec::Close => Computer::Close,
            FeatureSpec::Sma { period } => Computer::Sma(Sma::new(period)),
            FeatureSpec::Ema { period } => Computer::Ema(Ema::new(period)),
            FeatureSpec::Macd { fast, slow, signal } => Computer::Macd(Macd::new(fast, slow, signal)),
            FeatureSpec::Adx { period } => Computer::Adx(Adx::new(period)),
            FeatureSpec::Rsi { period } => Computer::Rsi(Rsi::new(period)),
            FeatureSpec::Stoch { fast_k, slow_k, slow_d } => Computer::Stoch(Stoch::new(fast_k, slow_k, slow_d)),
            FeatureSpec::Roc { period } => Computer::Roc(Roc::new(period)),
            FeatureSpec::WillR { period } => Computer::WillR(WillR::new(period)),
            FeatureSpec::Obv => Computer::Obv(Obv::new()),
            FeatureSpec::Mfi { period } => Computer::Mfi(Mfi::new(period)),
            FeatureSpec::Cci { period } => Computer::Cci(Cci::new(period)),
            FeatureSpec::Bollinger { period, k } => Computer::Bollinger(Bollinger::new(period, k)),
            FeatureSpec::Atr { period } => Computer::Atr(Atr::new(period)),
            FeatureSpec::Natr { period } => Computer::Natr(Natr::new(period)),
            FeatureSpec::TrueRange => Computer::TrueRange(TrueRange::new()),
            FeatureSpec::Return => Computer::Return(SimpleReturn::new()),
            FeatureSpec::ReturnStd { window } => Computer::ReturnStd(ReturnStd::new(window)),
            FeatureSpec::ReturnSkew { window } => Computer::ReturnSkew(ReturnSkew::new(window)),
            FeatureSpec::ReturnKurt { window } => Computer::ReturnKurt(ReturnKurt::new(window)),
            FeatureSpec::ZScore { window } => Computer::ZScore(ZScore::new(window)),
            FeatureSpec::Parkinson { window } => Computer::Parkinson(Parkinson::new(window)),
            FeatureSpec::SwingLow { lookback } => Computer::SwingLow(RollingMin::new(lookback)),
            FeatureSpec::SwingHigh { lookback } => Computer::SwingHigh(RollingMax::new(lookback)),
            FeatureSpec::PercentRank { window } => Computer::PercentRank(PercentRank::new(window)),
            FeatureSpec::Quantiles { window } => Computer::Quantiles(RollingQuantiles::new(window)),
            FeatureSpec::Autocorr { window, max_lag } => {
                let lags = max_lag.clamp(1, MAX_ACF_LAG);
                Computer::Autocorr(Autocorr::new(window, lags), lags)
            }
            FeatureSpec::Hurst { window, min_size } => Computer::Hurst(Hurst::new(window, min_size)),
            FeatureSpec::RealizedVol { window } => Computer::RealizedVol(RealizedVol::new(window)),
            FeatureSpec::GarmanKlass { window } => Computer::GarmanKlass(GarmanKlass::new(window)),
            FeatureSpec::Garch { mu, omega, alpha, beta } => {
                Computer::Garch(Garch11::new(Garch11Params { mu, omega, alpha, beta }))
            }
            FeatureSpec::RollingSharpe { window } => Computer::RollingSharpe(RollingSharpe::new(window)),
            FeatureSpec::Drawdown => Computer::Drawdown(Drawdown::new()),
            FeatureSpec::Trend { window } => Computer::Trend(TrendFit::new(window)),
            FeatureSpec::Keltner { ema, atr, mult } => Computer::Keltner(Keltner::new(ema, atr, mult)),
            FeatureSpec::Vwap { window } => Computer::Vwap(RollingVwap::new(window)),
            FeatureSpec::SessionVwap => Computer::SessionVwap(SessionVwap::new()),
            FeatureSpec::VolumeProfile { window, bins, value_area } => {
                Computer::VolumeProfile(VolumeProfile::new(window, bins, value_area))
            }
            FeatureSpec::TickCvd => Computer::TickCvd(TickCvd::new()),
            FeatureSpec::TradeFlow { .. } => {
                Computer::TradeFlow(TradeFlowCarry { cvd: f64::NAN, amihud: f64::NAN, kyle: f64::NAN, roll: f64::NAN })
            }
        }
    }

    /// Folds in one bar and writes the feature's outputs to the front of `out`.
    ///
    /// Always inlined, and so is [`Computer::visit`]: a set's loop over its
    /// computers must hold the `match` itself. When LLVM chose to call it
    /// instead (after an unrelated feature grew), the streaming TA-Lib suite
    /// lost a fifth of its speed (6.5 -> 5.0 M bars/s).
    #[inline(always)]
    pub(crate) fn update(&mut self, bar: &Candle, trades: TradeInput<'_>, out: &mut [f64]) {
        self.visit(Row { bar, trades, out });
    }

    /// [`update`](Self::update) as a call into this computer's own step
    /// function, for sets of a few computers (see [`FeatureSet::update_into`]).
    #[inline(always)]
    pub(crate) fn update_call(&mut self, bar: &Candle, out: &mut [f64]) {
        self.visit(RowCall { bar, out });
    }

    /// Hands this computer's one-bar step to `v`, which runs it on one bar
    /// ([`Row`], the streaming path) or over a whole series
    /// ([`crate::batch`]). Both paths run the very same step, so a batch
    /// pass and a bar-by-bar pass agree bit for bit; the batch's loop is
    /// inside the `match`, so it runs one monomorphic step per bar.
    #[inline(always)]
    pub(crate) fn visit(&mut self, v: impl StepVisitor) {
        match self {
            Computer::Close => v.visit(&mut (), 1, |_, b, _| [b.close]),
            Computer::Sma(s) => v.visit(s, 1, |s, b, _| [s.update(b.close)]),
            Computer::Sma2(g) => v.visit(g, 2, |g, b, _| g.update(b.close)),
            Computer::Sma3(g) => v.visit(g, 3, |g, b, _| g.update(b.close)),
            Computer::Sma4(g) => v.visit(g, 4, |g, b, _| g.update(b.close)),
            Computer::Ema(e) => v.visit(e, 1, |e, b, _| [e.update(b.close)]),
            Computer::Macd(m) => v.visit(m, 3, |m, b, _| {
                let v = m.update(b.close);
                [v.macd, v.signal, v.hist]
            }),
            Computer::Adx(a) => v.visit(a, 3, |a, b, _| {
                let v = a.update(b);
                [v.adx, v.plus_di, v.minus_di]
            }),
            Computer::Rsi(r) => v.visit(r, 1, |r, b, _| [r.update(b.close)]),
            Computer::Stoch(s) => v.visit(s, 2, |s, b, _| {
                let v = s.update(b);
                [v.k, v.d]
            }),
            Computer::Roc(r) => v.visit(r, 1, |r, b, _| [r.update(b.close)]),
            Computer::WillR(w) => v.visit(w, 1, |w, b, _| [w.update(b)]),
            Computer::Obv(o) => v.visit(o, 1, |o, b, _| [o.update(b)]),
            Computer::Mfi(m) => v.visit(m, 1, |m, b, _| [out_of_line(|| m.update(b))]),
            Computer::Cci(c) => v.visit(c, 1, |c, b, _| [out_of_line(|| c.update(b))]),
            Computer::Bollinger(bb) => v.visit(bb, 3, |bb, b, _| {
                let v = bb.update(b.close);
                [v.upper, v.middle, v.lower]
            }),
            Computer::Atr(a) => v.visit(a, 1, |a, b, _| [a.update(b)]),
            Computer::Natr(n) => v.visit(n, 1, |n, b, _| [n.update(b)]),
            Computer::TrueRange(t) => v.visit(t, 1, |t, b, _| [t.update(b)]),
            Computer::Return(r) => v.visit(r, 1, |r, b, _| [r.update(b.close)]),
            Computer::ReturnStd(s) => v.visit(s, 1, |s, b, _| [s.update(b.close)]),
            Computer::ReturnSkew(s) => v.visit(s, 1, |s, b, _| [s.update(b.close)]),
            Computer::ReturnKurt(k) => v.visit(k, 1, |k, b, _| [k.update(b.close)]),
            Computer::RankQuantiles(rq) => v.visit(rq, 6, |rq, b, _| rq.update(b.close)),
            Computer::RealizedVol2(g) => v.visit(g, 2, |g, b, _| g.update(b.close)),
            Computer::RealizedVol3(g) => v.visit(g, 3, |g, b, _| g.update(b.close)),
            Computer::ReturnSkewKurt(sk) => v.visit(sk, 2, |sk, b, _| {
                let (skew, kurt) = sk.update(b.close);
                [skew, kurt]
            }),
            Computer::ZScore(z) => v.visit(z, 1, |z, b, _| [z.update(b.close)]),
            Computer::Parkinson(p) => v.visit(p, 1, |p, b, _| [out_of_line(|| p.update(b))]),
            Computer::SwingLow(m) => v.visit(m, 1, |m, b, _| [m.update(b.low)]),
            Computer::SwingHigh(m) => v.visit(m, 1, |m, b, _| [m.update(b.high)]),
            Computer::PercentRank(p) => v.visit(p, 1, |p, b, _| [p.update(b.close)]),
            Computer::Quantiles(q) => v.visit(q, 5, |q, b, _| {
                let v = q.update(b.close);
                [v.q10, v.q25, v.q50, v.q75, v.q90]
            }),
            Computer::Autocorr(a, lags) => {
                // ACF at lags 1..=lags, then PACF at the same lags.
                let lags = *lags;
                v.visit(a, 2 * lags, |a, b, _| {
                    a.update(b.close);
                    let mut out = [f64::NAN; 2 * MAX_ACF_LAG];
                    for k in 1..=lags {
                        out[k - 1] = a.acf(k);
                        out[lags + k - 1] = a.pacf(k);
                    }
                    out
                })
            }
            Computer::Hurst(h) => v.visit(h, 1, |h, b, _| [h.update(b.close)]),
            Computer::RealizedVol(r) => v.visit(r, 1, |r, b, _| [r.update(b.close)]),
            Computer::GarmanKlass(g) => v.visit(g, 1, |g, b, _| [out_of_line(|| g.update(b))]),
            Computer::Garch(g) => v.visit(g, 2, |g, b, _| {
                let v = g.update(b.close);
                [v.variance, v.next_variance]
            }),
            Computer::RollingSharpe(r) => v.visit(r, 1, |r, b, _| [r.update(b.close)]),
            Computer::Drawdown(d) => v.visit(d, 1, |d, b, _| [d.update(b.close)]),
            Computer::Trend(t) => v.visit(t, 2, |t, b, _| {
                let v = t.update(b.close);
                [v.slope, v.r2]
            }),
            Computer::Keltner(k) => v.visit(k, 3, |k, b, _| {
                let v = k.update(b);
                [v.upper, v.middle, v.lower]
            }),
            Computer::Vwap(vw) => v.visit(vw, 1, |vw, b, _| [out_of_line(|| vw.update(b))]),
            Computer::SessionVwap(vw) => v.visit(vw, 1, |vw, b, _| [out_of_line(|| vw.update(b))]),
            Computer::VolumeProfile(p) => v.visit(p, 3, |p, b, _| {
                let v = out_of_line(|| p.update(b));
                [v.poc, v.vah, v.val]
            }),
            Computer::TickCvd(c) => v.visit(c, 1, |c, b, _| [c.update(b)]),
            Computer::TradeFlow(carry) => {
                v.visit(carry, TRADE_FLOW_OUTPUTS, |carry, _, trades| trade_flow(carry, trades))
            }
        }
    }

    /// Rough cost of one step in nanoseconds (each alone in a batch pass on
    /// the 2-core VM, 2026-12-04): only balances a batch pass's threads,
    /// never changes a value.
    pub(crate) fn cost(&self) -> u32 {
        match self {
            Computer::Close | Computer::Return(_) | Computer::Obv(_) | Computer::Drawdown(_) => 1,
            Computer::Roc(_) | Computer::TrueRange(_) | Computer::TickCvd(_) => 2,
            Computer::Ema(_) | Computer::Atr(_) | Computer::Natr(_) => 3,
            Computer::Sma(_) | Computer::SessionVwap(_) | Computer::TradeFlow(_) => 4,
            Computer::Macd(_) | Computer::Keltner(_) | Computer::SwingLow(_) | Computer::SwingHigh(_) => 5,
            Computer::WillR(_) | Computer::Rsi(_) | Computer::Vwap(_) | Computer::ReturnStd(_) => 8,
            Computer::Sma2(_) | Computer::Garch(_) => 10,
            Computer::Sma4(_) => 13,
            Computer::ReturnSkew(_) | Computer::ReturnKurt(_) | Computer::Bollinger(_) | Computer::Sma3(_) => 12,
            Computer::ZScore(_) | Computer::Parkinson(_) | Computer::ReturnSkewKurt(_) | Computer::RealizedVol(_) => 15,
            Computer::Stoch(_) | Computer::GarmanKlass(_) | Computer::Trend(_) => 17,
            Computer::Adx(_) => 11,
            Computer::Mfi(_) | Computer::Cci(_) | Computer::RollingSharpe(_) => 30,
            Computer::PercentRank(_) | Computer::Quantiles(_) | Computer::RealizedVol2(_) => 35,
            Computer::RealizedVol3(_) => 40,
            Computer::RankQuantiles(_) => 45,
            Computer::VolumeProfile(_) => 210,
            Computer::Autocorr(..) => 225,
            Computer::Hurst(_) => 400,
        }
    }
}

/// The trade-flow columns of one bar: the bar's trade statistics, or with
/// no trades in the interval the values carried from past trade bars.
#[inline]
fn trade_flow(carry: &mut TradeFlowCarry, trades: TradeInput<'_>) -> [f64; TRADE_FLOW_OUTPUTS] {
    let mut out = [f64::NAN; TRADE_FLOW_OUTPUTS];
    match trades {
        TradeInput::NoFeed => {}
        TradeInput::Bar(Some(b)) => {
            *carry = TradeFlowCarry { cvd: b.cvd, amihud: b.amihud, kyle: b.kyle_lambda, roll: b.roll_spread };
            let agreement = if b.tick_compared > 0 { b.tick_agree as f64 / b.tick_compared as f64 } else { f64::NAN };
            let head = [b.count as f64, b.mean_size, b.max_size];
            let flow = [b.buy_volume, b.sell_volume, b.imbalance, b.large_count, b.cvd, agreement];
            let tail = [b.amihud, b.kyle_lambda, b.roll_spread];
            let hist = b.size_hist.map(|n| n as f64);
            for (slot, v) in out.iter_mut().zip(head.into_iter().chain(hist).chain(flow).chain(tail)) {
                *slot = v;
            }
        }
        TradeInput::Bar(None) => {
            let c = *carry;
            let head = [0.0, f64::NAN, f64::NAN];
            let flow = [0.0, 0.0, f64::NAN, 0.0, c.cvd, f64::NAN];
            let tail = [c.amihud, c.kyle, c.roll];
            let quiet = head.into_iter().chain([0.0; SIZE_BUCKETS]).chain(flow).chain(tail);
            for (slot, v) in out.iter_mut().zip(quiet) {
                *slot = v;
            }
        }
    }
    out
}

/// What to do with a computer's one-bar step (see [`Computer::visit`]):
/// `step` folds one bar into the computer's `state` and returns its outputs
/// in a `W`-wide array, of which the first `width` are its columns.
pub(crate) trait StepVisitor {
    fn visit<S: Clone, const W: usize>(
        self,
        state: &mut S,
        width: usize,
        step: impl FnMut(&mut S, &Candle, TradeInput<'_>) -> [f64; W],
    );
}

/// Sets of at most this many computers step each through a call of its own
/// (see [`FeatureSet::update_into`]).
const FEW_COMPUTERS: usize = 4;

/// The streaming path: one bar, its outputs written to the front of `out`.
struct Row<'a, 'o> {
    bar: &'a Candle,
    trades: TradeInput<'a>,
    out: &'o mut [f64],
}

impl StepVisitor for Row<'_, '_> {
    #[inline(always)]
    fn visit<S: Clone, const W: usize>(
        self,
        state: &mut S,
        width: usize,
        mut step: impl FnMut(&mut S, &Candle, TradeInput<'_>) -> [f64; W],
    ) {
        let v = step(state, self.bar, self.trades);
        match self.out.get_mut(..W) {
            Some(out) if width == W => put(out, v),
            _ => put_partial(self.out, &v[..width.min(W)]),
        }
    }
}

/// The streaming path of a small set: one bar, no trades, each computer's
/// step its own function.
///
/// Never inlined, unlike [`Row`]'s: a set of one or two computers (the
/// replay's strategies and risk inputs) then pays for its own computers'
/// prologues only, and its loop does not hoist the bar-derived math of
/// every arm of the `match` (see [`out_of_line`]); measured in the fused
/// replay, 154 -> 106 instructions a bar for an SMA pair. The outputs go out
/// as one constant-size store (two values: one 16-byte move), because the
/// next stage reads them right away and a 16-byte load of two separate
/// 8-byte stores cannot be forwarded from the store buffer (the SMA
/// crossover reads its two SMAs with one load). Each arm being its own
/// function, LLVM cannot merge their copies into one `memmove` (see
/// [`put`]); the partial copy is kept out of line for the same reason.
struct RowCall<'a, 'o> {
    bar: &'a Candle,
    out: &'o mut [f64],
}

impl StepVisitor for RowCall<'_, '_> {
    #[inline(never)]
    fn visit<S: Clone, const W: usize>(
        self,
        state: &mut S,
        width: usize,
        mut step: impl FnMut(&mut S, &Candle, TradeInput<'_>) -> [f64; W],
    ) {
        let v = step(state, self.bar, TradeInput::NoFeed);
        match self.out.get_mut(..W).and_then(|out| <&mut [f64; W]>::try_from(out).ok()) {
            Some(out) if width == W => *out = v,
            _ => put_partial(self.out, &v[..width.min(W)]),
        }
    }
}

/// Copies `v` into `out` (of the same length) one value at a time.
///
/// Not `copy_from_slice` nor a loop of plain stores: LLVM turns either into
/// a `memcpy` of a constant size, and once [`Computer::visit`]'s arms are
/// inlined into one loop it sinks the arms' copies, identical but for the
/// size, into one shared call with the size in a register: a real call to
/// `memmove` per feature per bar (6 - 8 % of the fused replay's samples,
/// found three times under different inlining). Volatile stores are never
/// merged into a `memcpy`; each is one move.
#[inline(always)]
#[allow(unsafe_code)]
fn put<const W: usize>(out: &mut [f64], v: [f64; W]) {
    for (o, x) in out.iter_mut().zip(v) {
        // SAFETY: `o` comes from a `&mut f64`, so it is valid, aligned and
        // not aliased for the duration of the write.
        unsafe { std::ptr::write_volatile(o, x) };
    }
}

/// The end of the event's feature slots cut a computer's outputs short
/// (never, for a set that fits in `MAX_FEATURES`).
#[cold]
#[inline(never)]
fn put_partial(out: &mut [f64], v: &[f64]) {
    for (slot, x) in out.iter_mut().zip(v) {
        *slot = *x;
    }
}

/// Runs `f` as a call that is never inlined.
///
/// For the computers whose per-bar math depends only on the bar (the logs of
/// high/low and close/open, the typical price's division, the UTC day):
/// inlined into [`FeatureSet`]'s loop over its computers, that math is
/// loop-invariant and free of side effects, so LLVM hoists it above the
/// `match` and every set pays for it on every bar, even a set of two SMAs.
/// Measured in the fused replay before this: two `log` calls and three
/// divisions a bar, about a quarter of the whole run.
#[inline(never)]
fn out_of_line<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Computes a fixed list of features for one instrument into a fixed array
/// (the pipeline event's), at most [`MAX_FEATURES`] values in all.
#[derive(Clone, Debug)]
pub struct FeatureSet {
    computers: Vec<(Computer, usize)>,
    values: [f64; MAX_FEATURES],
    len: usize,
}

impl FeatureSet {
    /// Builds the computation for `specs`; `None` if their outputs exceed
    /// [`MAX_FEATURES`].
    pub fn new(specs: &[FeatureSpec]) -> Option<Self> {
        let at: usize = specs.iter().map(FeatureSpec::outputs).sum();
        let computers = Computer::build(specs);
        (at <= MAX_FEATURES).then_some(FeatureSet { computers, values: [f64::NAN; MAX_FEATURES], len: at })
    }

    /// Folds in one bar and returns the features as of its close.
    #[inline]
    pub fn update(&mut self, bar: &Candle) -> &[f64] {
        let mut values = self.values;
        self.update_into(bar, &mut values);
        self.values = values;
        self.values()
    }

    /// Folds in one bar and writes the features as of its close into the
    /// first [`len`](Self::len) slots of `out` (the pipeline's event), with
    /// no intermediate copy.
    ///
    /// A set of at most [`FEW_COMPUTERS`] calls each computer's own step
    /// function; a larger one runs all of them inlined in one loop (a call
    /// and prologue per computer cost the 76-column default set 11 % and
    /// the streaming TA-Lib suite a quarter).
    #[inline(always)]
    pub fn update_into(&mut self, bar: &Candle, out: &mut [f64; MAX_FEATURES]) {
        if self.computers.len() <= FEW_COMPUTERS {
            for (c, at) in &mut self.computers {
                c.update_call(bar, &mut out[*at..]);
            }
        } else {
            self.update_into_many(bar, out);
        }
    }

    #[inline(never)]
    fn update_into_many(&mut self, bar: &Candle, out: &mut [f64; MAX_FEATURES]) {
        for (c, at) in &mut self.computers {
            c.update(bar, TradeInput::NoFeed, &mut out[*at..]);
        }
    }

    #[inline]
    pub fn values(&self) -> &[f64] {
        &self.values[..self.len]
    }

    /// Number of values (not specs) per bar.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
