//! From a feature column's name back to the feature that produces it.
//!
//! Plugins and configuration files name the features they want by column
//! name (`sma_10`, `macd_signal_12_26_9`, `bb_upper_20_2.5`), the same names
//! [`FeatureSpec::columns`] gives and the feature sets' outputs carry. The
//! engine computes [`FeatureSpec`]s, so [`resolve_column`] turns such a name
//! into the spec and the index of the column among that spec's outputs,
//! with `spec.columns()[index] == name` whenever it succeeds.
//!
//! Names carry every parameter except a few: Hurst's `min_size`, the volume
//! profile's `bins` and `value_area`, the autocorrelation's `max_lag` and
//! GARCH's fitted parameters. Those are taken from the built-in
//! `default_v1` set ([`FeatureSetDef::default_v1`]); a name whose feature has
//! no such default there is an error.

use thiserror::Error;

use crate::{FeatureSetDef, FeatureSpec};

/// Why a column name does not resolve to a feature.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResolveError {
    #[error("feature column name is empty")]
    Empty,
    #[error("feature column '{column}': no feature produces a column of this name")]
    Unknown { column: String },
    #[error("feature column '{column}': {problem}; expected {expected}")]
    Malformed { column: String, problem: String, expected: String },
    #[error("feature column '{column}': invalid {parameter}{}", implied_suffix(.implied))]
    InvalidParameter {
        column: String,
        parameter: &'static str,
        /// Parameters not in the name that were filled in, if any.
        implied: Option<String>,
    },
    #[error("feature column '{column}': parameters not written as the feature writes them; use '{canonical}'")]
    NotCanonical { column: String, canonical: String },
    #[error(
        "feature column '{column}': {feature} needs {parameters}, which the column name does not carry \
         and no built-in feature set provides; build the FeatureSpec directly"
    )]
    MissingParameters { column: String, feature: &'static str, parameters: &'static str },
}

fn implied_suffix(implied: &Option<String>) -> String {
    implied.as_ref().map(|i| format!(" (with {i})")).unwrap_or_default()
}

/// The feature producing the column `name` and the column's index among its
/// outputs: `spec.columns()[index] == name`. See the module documentation
/// for parameters the name does not carry.
pub fn resolve_column(name: &str) -> Result<(FeatureSpec, usize), ResolveError> {
    let Parsed { spec, index, implied } = parse(name)?;
    if let Some(parameter) = spec.invalid_parameter() {
        return Err(ResolveError::InvalidParameter { column: name.to_owned(), parameter, implied });
    }
    match spec.columns().get(index) {
        Some(c) if c == name => Ok((spec, index)),
        Some(c) => Err(ResolveError::NotCanonical { column: name.to_owned(), canonical: c.clone() }),
        None => Err(ResolveError::Unknown { column: name.to_owned() }),
    }
}

struct Parsed {
    spec: FeatureSpec,
    index: usize,
    implied: Option<String>,
}

impl Parsed {
    fn new(spec: FeatureSpec, index: usize) -> Self {
        Parsed { spec, index, implied: None }
    }
}

/// How the parameters after a family's prefix become a spec.
#[derive(Clone, Copy)]
enum Shape {
    /// One integer parameter; the column is output `index` of `spec(param)`.
    One(fn(usize) -> FeatureSpec, usize),
    Macd(usize),
    Stoch(usize),
    Bollinger(usize),
    Keltner(usize),
    Acf,
    Pacf,
    Hurst,
    VolumeProfile(usize),
}

/// Column-name prefixes, the shape of what follows and its description.
/// When several prefixes match, the longest wins (`macd_signal_` over `macd_`).
const FAMILIES: &[(&str, Shape, &str)] = {
    use FeatureSpec as F;
    use Shape::One;
    &[
        ("sma_", One(|period| F::Sma { period }, 0), "<period>"),
        ("ema_", One(|period| F::Ema { period }, 0), "<period>"),
        ("macd_", Shape::Macd(0), "<fast>_<slow>_<signal>"),
        ("macd_signal_", Shape::Macd(1), "<fast>_<slow>_<signal>"),
        ("macd_hist_", Shape::Macd(2), "<fast>_<slow>_<signal>"),
        ("adx_", One(|period| F::Adx { period }, 0), "<period>"),
        ("plus_di_", One(|period| F::Adx { period }, 1), "<period>"),
        ("minus_di_", One(|period| F::Adx { period }, 2), "<period>"),
        ("rsi_", One(|period| F::Rsi { period }, 0), "<period>"),
        ("stoch_k_", Shape::Stoch(0), "<fast_k>_<slow_k>_<slow_d>"),
        ("stoch_d_", Shape::Stoch(1), "<fast_k>_<slow_k>_<slow_d>"),
        ("roc_", One(|period| F::Roc { period }, 0), "<period>"),
        ("willr_", One(|period| F::WillR { period }, 0), "<period>"),
        ("mfi_", One(|period| F::Mfi { period }, 0), "<period>"),
        ("cci_", One(|period| F::Cci { period }, 0), "<period>"),
        ("bb_upper_", Shape::Bollinger(0), "<period>_<k>"),
        ("bb_middle_", Shape::Bollinger(1), "<period>_<k>"),
        ("bb_lower_", Shape::Bollinger(2), "<period>_<k>"),
        ("atr_", One(|period| F::Atr { period }, 0), "<period>"),
        ("natr_", One(|period| F::Natr { period }, 0), "<period>"),
        ("ret_std_", One(|window| F::ReturnStd { window }, 0), "<window>"),
        ("ret_skew_", One(|window| F::ReturnSkew { window }, 0), "<window>"),
        ("ret_kurt_", One(|window| F::ReturnKurt { window }, 0), "<window>"),
        ("zscore_close_", One(|window| F::ZScore { window }, 0), "<window>"),
        ("parkinson_vol_", One(|window| F::Parkinson { window }, 0), "<window>"),
        ("swing_low_", One(|lookback| F::SwingLow { lookback }, 0), "<lookback>"),
        ("swing_high_", One(|lookback| F::SwingHigh { lookback }, 0), "<lookback>"),
        ("pct_rank_close_", One(|window| F::PercentRank { window }, 0), "<window>"),
        ("q10_close_", One(|window| F::Quantiles { window }, 0), "<window>"),
        ("q25_close_", One(|window| F::Quantiles { window }, 1), "<window>"),
        ("q50_close_", One(|window| F::Quantiles { window }, 2), "<window>"),
        ("q75_close_", One(|window| F::Quantiles { window }, 3), "<window>"),
        ("q90_close_", One(|window| F::Quantiles { window }, 4), "<window>"),
        ("acf_", Shape::Acf, "<lag>_<window>"),
        ("pacf_", Shape::Pacf, "<lag>_<window>"),
        ("hurst_", Shape::Hurst, "<window>"),
        ("rv_", One(|window| F::RealizedVol { window }, 0), "<window>"),
        ("gk_vol_", One(|window| F::GarmanKlass { window }, 0), "<window>"),
        ("sharpe_", One(|window| F::RollingSharpe { window }, 0), "<window>"),
        ("trend_slope_", One(|window| F::Trend { window }, 0), "<window>"),
        ("trend_r2_", One(|window| F::Trend { window }, 1), "<window>"),
        ("kc_upper_", Shape::Keltner(0), "<ema>_<atr>_<mult>"),
        ("kc_middle_", Shape::Keltner(1), "<ema>_<atr>_<mult>"),
        ("kc_lower_", Shape::Keltner(2), "<ema>_<atr>_<mult>"),
        ("vwap_", One(|window| F::Vwap { window }, 0), "<window>"),
        ("vp_poc_", Shape::VolumeProfile(0), "<window>"),
        ("vp_vah_", Shape::VolumeProfile(1), "<window>"),
        ("vp_val_", Shape::VolumeProfile(2), "<window>"),
    ]
};

fn parse(column: &str) -> Result<Parsed, ResolveError> {
    use FeatureSpec as F;
    let fixed = match column {
        "" => return Err(ResolveError::Empty),
        "close" => F::Close,
        "obv" => F::Obv,
        "trange" => F::TrueRange,
        "ret_1" => F::Return,
        "drawdown" => F::Drawdown,
        "vwap_session" => F::SessionVwap,
        "cvd_tick" => F::TickCvd,
        "garch11_var" => return garch(column, 0),
        "garch11_next_var" => return garch(column, 1),
        _ => return parse_family(column),
    };
    Ok(Parsed::new(fixed, 0))
}

fn parse_family(column: &str) -> Result<Parsed, ResolveError> {
    use FeatureSpec as F;
    let (prefix, shape, params, rest) = FAMILIES
        .iter()
        .filter_map(|&(prefix, shape, params)| column.strip_prefix(prefix).map(|rest| (prefix, shape, params, rest)))
        .max_by_key(|(prefix, ..)| prefix.len())
        .ok_or_else(|| ResolveError::Unknown { column: column.to_owned() })?;
    let args = Args { column, expected: format!("{prefix}{params}"), tokens: rest.split('_').collect() };
    Ok(match shape {
        Shape::One(spec, index) => {
            args.arity(1)?;
            Parsed::new(spec(args.int(0)?), index)
        }
        Shape::Macd(index) => {
            args.arity(3)?;
            Parsed::new(F::Macd { fast: args.int(0)?, slow: args.int(1)?, signal: args.int(2)? }, index)
        }
        Shape::Stoch(index) => {
            args.arity(3)?;
            Parsed::new(F::Stoch { fast_k: args.int(0)?, slow_k: args.int(1)?, slow_d: args.int(2)? }, index)
        }
        Shape::Bollinger(index) => {
            args.arity(2)?;
            Parsed::new(F::Bollinger { period: args.int(0)?, k: args.float(1)? }, index)
        }
        Shape::Keltner(index) => {
            args.arity(3)?;
            Parsed::new(F::Keltner { ema: args.int(0)?, atr: args.int(1)?, mult: args.float(2)? }, index)
        }
        Shape::Acf | Shape::Pacf => {
            args.arity(2)?;
            autocorr(column, args.int(0)?, args.int(1)?, matches!(shape, Shape::Pacf))?
        }
        Shape::Hurst => {
            args.arity(1)?;
            let window = args.int(0)?;
            let min_size = builtin(|f| match *f {
                F::Hurst { min_size, .. } => Some(min_size),
                _ => None,
            })
            .next()
            .ok_or_else(|| missing(column, "Hurst", "min_size"))?;
            Parsed {
                spec: F::Hurst { window, min_size },
                index: 0,
                implied: Some(format!("min_size = {min_size} from default_v1")),
            }
        }
        Shape::VolumeProfile(index) => {
            args.arity(1)?;
            let window = args.int(0)?;
            let (bins, value_area) = builtin(|f| match *f {
                F::VolumeProfile { bins, value_area, .. } => Some((bins, value_area)),
                _ => None,
            })
            .next()
            .ok_or_else(|| missing(column, "the volume profile", "bins and value_area"))?;
            Parsed {
                spec: F::VolumeProfile { window, bins, value_area },
                index,
                implied: Some(format!("bins = {bins}, value_area = {value_area} from default_v1")),
            }
        }
    })
}

/// `acf_<lag>_<window>` or `pacf_<lag>_<window>`: `max_lag` is the largest
/// of default_v1's autocorrelation features if `lag` is within it and that
/// fits the window, else `lag` itself.
fn autocorr(column: &str, lag: usize, window: usize, partial: bool) -> Result<Parsed, ResolveError> {
    if lag == 0 {
        return Err(ResolveError::InvalidParameter {
            column: column.to_owned(),
            parameter: "lag (at least 1)",
            implied: None,
        });
    }
    let default = builtin(|f| match *f {
        FeatureSpec::Autocorr { max_lag, .. } => Some(max_lag),
        _ => None,
    })
    .max();
    let (spec, implied) = match default
        .filter(|&max_lag| max_lag >= lag)
        .map(|max_lag| FeatureSpec::Autocorr { window, max_lag })
        .filter(|s| s.invalid_parameter().is_none())
    {
        Some(spec) => (spec, None),
        None => (FeatureSpec::Autocorr { window, max_lag: lag }, Some(format!("max_lag = {lag}, the lag in the name"))),
    };
    // The ACFs at lags 1..=lags, then the PACFs.
    let lags = spec.outputs() / 2;
    let index = if partial { lags + lag - 1 } else { lag - 1 };
    Ok(Parsed { spec, index, implied })
}

fn garch(column: &str, index: usize) -> Result<Parsed, ResolveError> {
    builtin(|f| matches!(f, FeatureSpec::Garch { .. }).then_some(*f))
        .next()
        .map(|spec| Parsed::new(spec, index))
        .ok_or_else(|| missing(column, "GARCH(1,1)", "fitted parameters (mu, omega, alpha, beta)"))
}

/// What `pick` finds in the built-in default_v1 set (a superset of talib_v1).
fn builtin<T>(pick: impl Fn(&FeatureSpec) -> Option<T>) -> impl Iterator<Item = T> {
    FeatureSetDef::default_v1().features.into_iter().filter_map(move |f| pick(&f))
}

fn missing(column: &str, feature: &'static str, parameters: &'static str) -> ResolveError {
    ResolveError::MissingParameters { column: column.to_owned(), feature, parameters }
}

/// The `_`-separated parameters after a family's prefix.
struct Args<'a> {
    column: &'a str,
    expected: String,
    tokens: Vec<&'a str>,
}

impl Args<'_> {
    fn malformed(&self, problem: String) -> ResolveError {
        ResolveError::Malformed { column: self.column.to_owned(), problem, expected: self.expected.clone() }
    }

    fn arity(&self, n: usize) -> Result<(), ResolveError> {
        if self.tokens.len() == n {
            Ok(())
        } else {
            let s = if n == 1 { "" } else { "s" };
            Err(self.malformed(format!("{} parameters where the feature takes {n} parameter{s}", self.tokens.len())))
        }
    }

    fn token(&self, i: usize) -> Result<&str, ResolveError> {
        match self.tokens.get(i).copied() {
            None | Some("") => Err(self.malformed(format!("parameter {} is missing", i + 1))),
            Some(t) => Ok(t),
        }
    }

    fn int(&self, i: usize) -> Result<usize, ResolveError> {
        let t = self.token(i)?;
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.malformed(format!("parameter '{t}' is not a whole number")));
        }
        t.parse().map_err(|_| self.malformed(format!("parameter '{t}' is too large")))
    }

    fn float(&self, i: usize) -> Result<f64, ResolveError> {
        let t = self.token(i)?;
        t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            .then(|| t.parse().ok())
            .flatten()
            .ok_or_else(|| self.malformed(format!("parameter '{t}' is not a number")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn round_trips(spec: FeatureSpec) {
        for (i, c) in spec.columns().iter().enumerate() {
            assert_eq!(resolve_column(c), Ok((spec, i)), "{c}");
        }
    }

    #[test]
    fn every_builtin_column_resolves_to_its_feature() {
        for set in [FeatureSetDef::talib_v1(), FeatureSetDef::default_v1()] {
            for c in set.columns() {
                let (spec, i) = resolve_column(&c).unwrap_or_else(|e| unreachable!("{e}"));
                assert_eq!(spec.columns()[i], c);
            }
            // Where the name carries every parameter, the very same feature.
            for f in &set.features {
                round_trips(*f);
            }
        }
    }

    #[test]
    fn the_examples_resolve() {
        use FeatureSpec as F;
        let cases = [
            ("sma_7", F::Sma { period: 7 }, 0),
            ("macd_signal_5_35_5", F::Macd { fast: 5, slow: 35, signal: 5 }, 1),
            ("stoch_d_14_3_3", F::Stoch { fast_k: 14, slow_k: 3, slow_d: 3 }, 1),
            ("adx_9", F::Adx { period: 9 }, 0),
            ("plus_di_9", F::Adx { period: 9 }, 1),
            ("q75_close_30", F::Quantiles { window: 30 }, 3),
            ("pacf_4_100", F::Autocorr { window: 100, max_lag: 10 }, 13),
            ("acf_3_8", F::Autocorr { window: 8, max_lag: 3 }, 2),
            ("trend_r2_50", F::Trend { window: 50 }, 1),
            ("vp_poc_100", F::VolumeProfile { window: 100, bins: 24, value_area: 0.7 }, 0),
            ("hurst_64", F::Hurst { window: 64, min_size: 8 }, 0),
            ("bb_upper_20_2", F::Bollinger { period: 20, k: 2.0 }, 0),
            ("bb_middle_20_2.5", F::Bollinger { period: 20, k: 2.5 }, 1),
            ("kc_upper_20_10_2", F::Keltner { ema: 20, atr: 10, mult: 2.0 }, 0),
            ("kc_lower_20_10_1.25", F::Keltner { ema: 20, atr: 10, mult: 1.25 }, 2),
            ("close", F::Close, 0),
            ("obv", F::Obv, 0),
            ("trange", F::TrueRange, 0),
            ("ret_1", F::Return, 0),
            ("drawdown", F::Drawdown, 0),
            ("vwap_session", F::SessionVwap, 0),
            ("vwap_20", F::Vwap { window: 20 }, 0),
            ("cvd_tick", F::TickCvd, 0),
        ];
        for (name, spec, i) in cases {
            assert_eq!(resolve_column(name), Ok((spec, i)), "{name}");
            assert_eq!(spec.columns()[i], name);
        }
    }

    #[test]
    fn garbage_is_refused() {
        for name in [
            "",
            "sma_",
            "sma_x",
            "sma_0",
            "foo_3",
            "sma_10_extra",
            "sma",
            "sma_-1",
            "sma_+7",
            "sma_007",
            "sma_1.5",
            "ret_2",
            "macd_12_26",
            "macd_26_12_9",
            "bb_upper_20_0",
            "bb_upper_20_-2",
            "bb_upper_20_2.50",
            "bb_upper_20_inf",
            "bb_upper_20_1e3",
            "acf_0_100",
            "acf_11_100",
            "acf_3_4",
            "hurst_10",
            "rv_1",
            "vp_poc_1",
            "garch11_var",
            "garch11_next_var",
            "sma_99999999999999999999999",
            "Sma_10",
            "sma_10_",
        ] {
            assert!(resolve_column(name).is_err(), "{name} resolved to {:?}", resolve_column(name));
        }
    }

    #[test]
    fn errors_name_the_column_and_the_problem() {
        let e = |n: &str| resolve_column(n).unwrap_err().to_string();
        assert_eq!(e("sma_0"), "feature column 'sma_0': invalid period");
        assert_eq!(e("foo_3"), "feature column 'foo_3': no feature produces a column of this name");
        assert_eq!(e(""), "feature column name is empty");
        assert!(e("sma_x").contains("'sma_x'") && e("sma_x").contains("sma_<period>"), "{}", e("sma_x"));
        assert!(e("sma_10_extra").contains("2 parameters"), "{}", e("sma_10_extra"));
        assert!(e("sma_").contains("missing"), "{}", e("sma_"));
        assert!(e("sma_007").contains("'sma_7'"), "{}", e("sma_007"));
        assert!(e("macd_26_12_9").contains("slow"), "{}", e("macd_26_12_9"));
        assert!(e("hurst_10").contains("min_size = 8"), "{}", e("hurst_10"));
        assert!(e("garch11_var").contains("GARCH") && e("garch11_var").contains("parameters"));
    }

    proptest! {
        #[test]
        fn single_parameter_families_round_trip(p in 0usize..100_000, big in any::<usize>()) {
            use FeatureSpec as F;
            let families: [fn(usize) -> FeatureSpec; 24] = [
                |period| F::Sma { period },
                |period| F::Ema { period },
                |period| F::Adx { period },
                |period| F::Rsi { period },
                |period| F::Roc { period },
                |period| F::WillR { period },
                |period| F::Mfi { period },
                |period| F::Cci { period },
                |period| F::Atr { period },
                |period| F::Natr { period },
                |window| F::ReturnStd { window },
                |window| F::ReturnSkew { window },
                |window| F::ReturnKurt { window },
                |window| F::ZScore { window },
                |window| F::Parkinson { window },
                |lookback| F::SwingLow { lookback },
                |lookback| F::SwingHigh { lookback },
                |window| F::PercentRank { window },
                |window| F::Quantiles { window },
                |window| F::RealizedVol { window },
                |window| F::GarmanKlass { window },
                |window| F::RollingSharpe { window },
                |window| F::Trend { window },
                |window| F::Vwap { window },
            ];
            for family in families {
                for spec in [family(p), family(big)] {
                    for (i, c) in spec.columns().iter().enumerate() {
                        let r = resolve_column(c);
                        if spec.invalid_parameter().is_none() {
                            prop_assert_eq!(r, Ok((spec, i)));
                        } else {
                            let is_invalid = matches!(r, Err(ResolveError::InvalidParameter { .. }));
                            prop_assert!(is_invalid, "{} gave {:?}", c, r);
                        }
                    }
                }
            }
        }

        #[test]
        fn multi_parameter_families_round_trip(a in 1usize..500, b in 1usize..500, c in 1usize..500, k in 1u32..4000) {
            use FeatureSpec as F;
            let x = f64::from(k) / 100.0;
            for spec in [
                F::Macd { fast: a, slow: a + b, signal: c },
                F::Stoch { fast_k: a, slow_k: b, slow_d: c },
                F::Bollinger { period: a, k: x },
                F::Keltner { ema: a, atr: b, mult: x },
            ] {
                for (i, col) in spec.columns().iter().enumerate() {
                    prop_assert_eq!(resolve_column(col), Ok((spec, i)));
                }
            }
            // Names without every parameter: the column still comes back.
            for spec in [
                F::Autocorr { window: a + 1, max_lag: c % 12 },
                F::Hurst { window: a, min_size: 8 },
                F::VolumeProfile { window: a, bins: 24, value_area: 0.7 },
            ] {
                for col in spec.columns() {
                    if let Ok((s, i)) = resolve_column(&col) {
                        prop_assert_eq!(&s.columns()[i], &col);
                    } else if spec.invalid_parameter().is_none() {
                        prop_assert!(false, "{} did not resolve: {:?}", col, resolve_column(&col));
                    }
                }
            }
        }
    }
}
