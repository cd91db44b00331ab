//! [`SimBrokerConfig`], the `[broker]` table: what the simulated venue charges
//! and how much it lets through.
//!
//! Every field has a default, so a partial table (or none) is a valid config;
//! [`SimBrokerConfig::validate`] rejects values that would make prices, fees
//! or quantities meaningless before the broker is built.

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// Commission charged on every fill: `max(minimum, fraction * notional + per_unit * quantity)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommissionConfig {
    /// Share of the fill's notional (`0.001` = 10 bps).
    pub fraction: f64,
    /// Quote currency per unit filled.
    pub per_unit: f64,
    /// Lowest fee of one fill (the floor applies to each fill, partial fills included).
    pub minimum: f64,
}

impl Default for CommissionConfig {
    fn default() -> Self {
        CommissionConfig { fraction: 0.001, per_unit: 0.0, minimum: 0.0 }
    }
}

/// Adverse price move charged on market and stop fills, on top of the half-spread.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Slippage {
    None,
    /// `reference * bps / 10_000`.
    Bps {
        bps: f64,
    },
    /// `fraction * ATR`, the ATR the engine passes with each bar.
    AtrFraction {
        fraction: f64,
    },
}

impl Default for Slippage {
    fn default() -> Self {
        Slippage::Bps { bps: 5.0 }
    }
}

/// Which price of the fill bar a market order takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketFill {
    #[default]
    NextOpen,
    NextClose,
}

/// The simulated venue's rules.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimBrokerConfig {
    pub commission: CommissionConfig,
    /// Half the bid-ask spread in basis points: buys pay `reference * (1 + hs)`,
    /// sells receive `reference * (1 - hs)` on market and stop fills.
    pub half_spread_bps: f64,
    pub slippage: Slippage,
    /// At most this share of a bar's volume is filled per symbol per bar,
    /// across all orders; `None` = unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_volume_participation: Option<f64>,
    pub market_fill: MarketFill,
    /// Order quantities are rounded down to a multiple of this; `0` = any quantity.
    pub lot_size: f64,
    /// Working orders the broker holds at once; storage for them is allocated
    /// up front so matching never allocates. Submits beyond it are rejected.
    pub max_working_orders: usize,
}

impl Default for SimBrokerConfig {
    fn default() -> Self {
        SimBrokerConfig {
            commission: CommissionConfig::default(),
            half_spread_bps: 2.5,
            slippage: Slippage::default(),
            max_volume_participation: None,
            market_fill: MarketFill::NextOpen,
            lot_size: 0.0,
            max_working_orders: 1024,
        }
    }
}

/// Upper bound of `max_working_orders`: far above any real strategy, low
/// enough that a typo cannot ask for gigabytes of preallocated storage.
const MAX_WORKING_ORDERS_LIMIT: usize = 1 << 20;

impl SimBrokerConfig {
    /// Checks every field's range; the error names the field and its value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.commission;
        check("broker.commission.fraction", c.fraction, "in [0, 1)", (0.0..1.0).contains(&c.fraction))?;
        check("broker.commission.per_unit", c.per_unit, "finite and >= 0", finite_non_negative(c.per_unit))?;
        check("broker.commission.minimum", c.minimum, "finite and >= 0", finite_non_negative(c.minimum))?;
        let hs = self.half_spread_bps;
        check("broker.half_spread_bps", hs, "in [0, 10000)", (0.0..10_000.0).contains(&hs))?;
        match self.slippage {
            Slippage::None => {}
            Slippage::Bps { bps } => {
                check("broker.slippage.bps", bps, "in [0, 10000)", (0.0..10_000.0).contains(&bps))?
            }
            Slippage::AtrFraction { fraction } => {
                check("broker.slippage.fraction", fraction, "finite and >= 0", finite_non_negative(fraction))?;
            }
        }
        if let Some(p) = self.max_volume_participation {
            check("broker.max_volume_participation", p, "in (0, 1]", p > 0.0 && p <= 1.0)?;
        }
        check("broker.lot_size", self.lot_size, "finite and >= 0", finite_non_negative(self.lot_size))?;
        let n = self.max_working_orders;
        if n == 0 || n > MAX_WORKING_ORDERS_LIMIT {
            return Err(ConfigError::OutOfRange {
                field: "broker.max_working_orders",
                value: n as f64,
                expected: "in [1, 1048576]",
            });
        }
        Ok(())
    }

    /// `quantity` rounded down to a whole number of lots (unchanged when
    /// `lot_size` is 0). A quantity within 1e-9 lots below a whole number
    /// counts as that number, so `0.3` is three lots of `0.1` despite binary
    /// floating point.
    pub fn round_to_lot(&self, quantity: f64) -> f64 {
        if self.lot_size > 0.0 && quantity.is_finite() {
            let lots = (quantity / self.lot_size + 1e-9).floor();
            (lots * self.lot_size).min(quantity)
        } else {
            quantity
        }
    }
}

fn finite_non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

fn check(field: &'static str, value: f64, expected: &'static str, ok: bool) -> Result<(), ConfigError> {
    if ok { Ok(()) } else { Err(ConfigError::OutOfRange { field, value, expected }) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    #[test]
    fn an_empty_table_gives_the_documented_defaults() {
        let c: SimBrokerConfig = toml::from_str("").unwrap();
        assert_eq!(c, SimBrokerConfig::default());
        assert_eq!(c.commission, CommissionConfig { fraction: 0.001, per_unit: 0.0, minimum: 0.0 });
        assert_eq!(c.half_spread_bps, 2.5);
        assert_eq!(c.slippage, Slippage::Bps { bps: 5.0 });
        assert_eq!(c.max_volume_participation, None);
        assert_eq!(c.market_fill, MarketFill::NextOpen);
        assert_eq!(c.lot_size, 0.0);
        assert_eq!(c.max_working_orders, 1024);
        c.validate().unwrap();
    }

    #[test]
    fn a_partial_table_keeps_the_defaults_of_the_fields_it_omits() {
        let c: SimBrokerConfig = toml::from_str(
            "market_fill = \"next_close\"\nmax_volume_participation = 0.1\n\
             slippage = { kind = \"atr_fraction\", fraction = 0.2 }\n[commission]\nminimum = 1.0\n",
        )
        .unwrap();
        assert_eq!(c.market_fill, MarketFill::NextClose);
        assert_eq!(c.max_volume_participation, Some(0.1));
        assert_eq!(c.slippage, Slippage::AtrFraction { fraction: 0.2 });
        assert_eq!(c.commission, CommissionConfig { fraction: 0.001, per_unit: 0.0, minimum: 1.0 });
        assert_eq!(c.half_spread_bps, 2.5);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(toml::from_str::<SimBrokerConfig>("half_spread = 1.0").is_err());
        assert!(toml::from_str::<SimBrokerConfig>("[commission]\nrate = 0.1").is_err());
        assert!(toml::from_str::<SimBrokerConfig>("slippage = { kind = \"bps\", bps = 1.0, extra = 2 }").is_err());
        assert!(toml::from_str::<SimBrokerConfig>("slippage = { kind = \"random\" }").is_err());
    }

    #[test]
    fn the_config_round_trips_through_toml() {
        let c =
            SimBrokerConfig { max_volume_participation: Some(0.25), slippage: Slippage::None, ..Default::default() };
        let text = toml::to_string(&c).unwrap();
        assert_eq!(toml::from_str::<SimBrokerConfig>(&text).unwrap(), c);
        let d = SimBrokerConfig::default();
        assert_eq!(toml::from_str::<SimBrokerConfig>(&toml::to_string(&d).unwrap()).unwrap(), d);
    }

    #[test]
    fn validation_names_the_field_and_the_value() {
        let bad = SimBrokerConfig { max_volume_participation: Some(1.5), ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "broker.max_volume_participation: 1.5 is not in (0, 1]");
        let bad = SimBrokerConfig {
            commission: CommissionConfig { fraction: -0.1, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().to_string(), "broker.commission.fraction: -0.1 is not in [0, 1)");
        let bad = SimBrokerConfig { lot_size: f64::NAN, ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "broker.lot_size: NaN is not finite and >= 0");
        let bad = SimBrokerConfig { slippage: Slippage::Bps { bps: 10_000.0 }, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().starts_with("broker.slippage.bps: 10000"));
        let bad = SimBrokerConfig { max_working_orders: 0, ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "broker.max_working_orders: 0 is not in [1, 1048576]");
        let bad = SimBrokerConfig { slippage: Slippage::AtrFraction { fraction: f64::INFINITY }, ..Default::default() };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn quantities_round_down_to_whole_lots() {
        let c = SimBrokerConfig { lot_size: 0.1, ..Default::default() };
        assert!((c.round_to_lot(0.3) - 0.3).abs() < 1e-15);
        assert!((c.round_to_lot(0.39) - 0.3).abs() < 1e-15);
        assert_eq!(c.round_to_lot(0.09), 0.0);
        assert!(c.round_to_lot(0.3) <= 0.3);
        let any = SimBrokerConfig::default();
        assert_eq!(any.round_to_lot(0.123_456), 0.123_456);
    }
}
