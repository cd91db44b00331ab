//! [`RiskConfig`] (`[risk]`): every limit of the risk engine with the product's
//! defaults, and their validation.
//!
//! There is no on/off switch per limit: a limit is lifted by setting it to
//! 1.0 (a large number for the exposure limits and `max_daily_trades`), which
//! keeps one code path and makes "no limit" visible in the config.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Bounds, ConfigError};
use crate::stops::{StopLossConfig, TakeProfitConfig};

/// What happens when the drawdown reaches `max_drawdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawdownAction {
    /// Refuse new entries for the rest of the run; open positions keep their stops.
    #[default]
    Halt,
    /// Halt, and ask the engine to close every position.
    Flatten,
}

/// The risk limits (`[risk]`). Fractions are of current equity.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// Most an entry may lose if its stop is hit: `qty * |entry - stop| / equity`
    /// (the whole notional without a stop). Default 0.02.
    pub max_risk_per_trade: f64,
    /// Largest position in one instrument: `|position| * price / equity`. Default 0.10.
    pub max_position: f64,
    /// Largest gross exposure: `sum |value| / equity`. Default 0.50.
    pub max_total_exposure: f64,
    /// Largest exposure of an instrument plus every instrument whose return
    /// correlation with it is at least `correlation_threshold`. Default 0.30.
    pub max_correlated_exposure: f64,
    /// Time steps of returns the correlation is measured over. Default 100.
    pub correlation_window: usize,
    /// Correlation at or above which two instruments count as one bet. Default 0.7.
    pub correlation_threshold: f64,
    /// Fewer joint return samples than this: not correlated. Default 20.
    pub correlation_min_samples: usize,
    /// Largest exposure of one sector. Default 0.25.
    pub max_sector_exposure: f64,
    /// Largest loss since the start of the UTC day; reached: no entries until
    /// the next UTC day. Default 0.05.
    pub max_daily_loss: f64,
    /// Entries approved per UTC day. Default 20.
    pub max_daily_trades: u32,
    /// Drawdown from the equity high-water mark that halts new entries for the
    /// rest of the run. Default 0.15.
    pub max_drawdown: f64,
    /// Default `halt`.
    pub max_drawdown_action: DrawdownAction,
    /// Drawdown where entry sizes start shrinking, linearly to 0 at
    /// `max_drawdown`. Default 0.10.
    pub drawdown_reduction_threshold: f64,
    /// Symbol → sector name. Symbols without an entry are each their own
    /// sector (so the sector limit then caps them like `max_position`);
    /// symbols not in the run are ignored.
    pub sectors: BTreeMap<String, String>,
    /// `[risk.stop_loss]`. Default: fixed 2 %.
    pub stop_loss: StopLossConfig,
    /// `[risk.take_profit]`. Default: none.
    pub take_profit: TakeProfitConfig,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            max_risk_per_trade: 0.02,
            max_position: 0.10,
            max_total_exposure: 0.50,
            max_correlated_exposure: 0.30,
            correlation_window: 100,
            correlation_threshold: 0.7,
            correlation_min_samples: 20,
            max_sector_exposure: 0.25,
            max_daily_loss: 0.05,
            max_daily_trades: 20,
            max_drawdown: 0.15,
            max_drawdown_action: DrawdownAction::Halt,
            drawdown_reduction_threshold: 0.10,
            sectors: BTreeMap::new(),
            stop_loss: StopLossConfig::default(),
            take_profit: TakeProfitConfig::default(),
        }
    }
}

/// Fractions of equity that cannot sensibly exceed all of it.
const FRACTION: Bounds = Bounds::open_closed(0.0, 1.0);
/// Exposure limits may exceed equity (for a future leveraged account).
const EXPOSURE: Bounds = Bounds::open_closed(0.0, 10.0);
/// Bounds the preallocated return windows (symbols × window `f64`s).
const MAX_CORRELATION_WINDOW: usize = 10_000;

impl RiskConfig {
    /// Every limit at the widest value validation accepts, keeping the stop
    /// and take-profit rules: for baselines and reference runs that must not
    /// be capped (an all-in buy-and-hold, a backtesting.py cross-check).
    pub fn lifted() -> Self {
        RiskConfig {
            max_risk_per_trade: 1.0,
            max_position: 1.0,
            max_total_exposure: 10.0,
            max_correlated_exposure: 10.0,
            max_sector_exposure: 10.0,
            max_daily_loss: 1.0,
            max_daily_trades: u32::MAX,
            max_drawdown: 1.0,
            drawdown_reduction_threshold: 1.0,
            ..RiskConfig::default()
        }
    }

    /// Checks every limit; the error names the TOML key and the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        FRACTION.check("risk.max_risk_per_trade", self.max_risk_per_trade)?;
        FRACTION.check("risk.max_position", self.max_position)?;
        EXPOSURE.check("risk.max_total_exposure", self.max_total_exposure)?;
        EXPOSURE.check("risk.max_correlated_exposure", self.max_correlated_exposure)?;
        Bounds::closed(2.0, MAX_CORRELATION_WINDOW as f64)
            .check("risk.correlation_window", self.correlation_window as f64)?;
        FRACTION.check("risk.correlation_threshold", self.correlation_threshold)?;
        Bounds::closed(2.0, self.correlation_window as f64)
            .check("risk.correlation_min_samples", self.correlation_min_samples as f64)?;
        EXPOSURE.check("risk.max_sector_exposure", self.max_sector_exposure)?;
        FRACTION.check("risk.max_daily_loss", self.max_daily_loss)?;
        Bounds::closed(1.0, f64::from(u32::MAX)).check("risk.max_daily_trades", f64::from(self.max_daily_trades))?;
        FRACTION.check("risk.max_drawdown", self.max_drawdown)?;
        Bounds::open_closed(0.0, self.max_drawdown)
            .check("risk.drawdown_reduction_threshold", self.drawdown_reduction_threshold)?;
        self.stop_loss.validate()?;
        self.take_profit.validate()
    }
}
