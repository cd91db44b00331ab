//! The `[risk]` and `[sizing]` TOML tables: defaults, partial tables, unknown
//! keys and range validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use serde::Deserialize;
use tradebot_core::Symbol;
use tradebot_risk::{
    AtrStop, ConfigError, DrawdownAction, FixedStop, KellySizing, RiskConfig, RiskEngine, RiskMultipleTarget,
    SizingConfig, StopLossConfig, SwingStop, TakeProfitConfig,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    risk: RiskConfig,
    #[serde(default)]
    sizing: SizingConfig,
}

fn parse(text: &str) -> Result<File, toml::de::Error> {
    toml::from_str(text)
}

#[test]
fn defaults_are_the_product_seeds() {
    let c = RiskConfig::default();
    assert_eq!(
        (c.max_risk_per_trade, c.max_position, c.max_total_exposure, c.max_correlated_exposure),
        (0.02, 0.10, 0.50, 0.30)
    );
    assert_eq!((c.correlation_window, c.correlation_threshold, c.correlation_min_samples), (100, 0.7, 20));
    assert_eq!((c.max_sector_exposure, c.max_daily_loss, c.max_daily_trades), (0.25, 0.05, 20));
    assert_eq!(
        (c.max_drawdown, c.max_drawdown_action, c.drawdown_reduction_threshold),
        (0.15, DrawdownAction::Halt, 0.10)
    );
    assert!(c.sectors.is_empty());
    assert_eq!(c.stop_loss, StopLossConfig::Fixed(FixedStop { fraction: 0.02, trailing: None }));
    assert_eq!(c.take_profit, TakeProfitConfig::None);
    assert_eq!(
        SizingConfig::default(),
        SizingConfig::FixedFractional(tradebot_risk::FixedFractionalSizing { risk_fraction: 0.02 })
    );
    c.validate().unwrap();
    SizingConfig::default().validate().unwrap();
}

#[test]
fn an_empty_file_gives_the_defaults() {
    let f = parse("").unwrap();
    assert_eq!(f.risk, RiskConfig::default());
    assert_eq!(f.sizing, SizingConfig::default());
}

#[test]
fn a_partial_table_keeps_the_other_defaults() {
    let f = parse(
        r#"
        [risk]
        max_position = 0.2
        max_drawdown_action = "flatten"

        [risk.sectors]
        BTC_USDT = "majors"
        ETH_USDT = "majors"

        [risk.stop_loss]
        kind = "atr"
        trailing = 0.03

        [risk.take_profit]
        kind = "risk_multiple"

        [sizing]
        kind = "kelly"
        cap = 0.2
        "#,
    )
    .unwrap();
    assert_eq!(f.risk.max_position, 0.2);
    assert_eq!(f.risk.max_total_exposure, 0.50);
    assert_eq!(f.risk.max_drawdown_action, DrawdownAction::Flatten);
    assert_eq!(f.risk.sectors["ETH_USDT"], "majors");
    assert_eq!(f.risk.stop_loss, StopLossConfig::Atr(AtrStop { multiplier: 2.0, trailing: Some(0.03) }));
    assert_eq!(f.risk.take_profit, TakeProfitConfig::RiskMultiple(RiskMultipleTarget { multiple: 2.0 }));
    assert_eq!(f.sizing, SizingConfig::Kelly(KellySizing { cap: 0.2, ..KellySizing::default() }));
}

#[test]
fn every_stop_and_sizing_kind_parses_by_name() {
    let f = parse("[risk.stop_loss]\nkind = \"swing\"\nlookback = 5\n").unwrap();
    assert_eq!(f.risk.stop_loss, StopLossConfig::Swing(SwingStop { lookback: 5, buffer: 0.001, trailing: None }));
    assert_eq!(parse("[risk.stop_loss]\nkind = \"none\"\n").unwrap().risk.stop_loss, StopLossConfig::None);
    for kind in ["fixed_fractional", "kelly", "volatility_adjusted", "equity_fraction"] {
        parse(&format!("[sizing]\nkind = \"{kind}\"\n")).unwrap().sizing.validate().unwrap();
    }
}

#[test]
fn unknown_keys_are_refused_at_every_level() {
    for text in [
        "[risk]\nmax_positon = 0.2\n",
        "[risk.stop_loss]\nkind = \"fixed\"\nmultiplier = 2.0\n",
        "[risk.stop_loss]\nkind = \"trailing\"\n",
        "[risk.take_profit]\nkind = \"fixed\"\nmultiple = 2.0\n",
        "[sizing]\nkind = \"kelly\"\nrisk_fraction = 0.1\n",
    ] {
        assert!(parse(text).is_err(), "accepted {text:?}");
    }
}

#[test]
fn a_serialised_config_reads_back_the_same() {
    let mut risk = RiskConfig::default();
    risk.sectors.insert("A".into(), "x".into());
    risk.stop_loss = StopLossConfig::Fixed(FixedStop { fraction: 0.03, trailing: Some(0.01) });
    let text = toml::to_string(&risk).unwrap();
    assert_eq!(toml::from_str::<RiskConfig>(&text).unwrap(), risk);
}

#[test]
fn validation_names_the_field_and_the_value() {
    let c = RiskConfig { max_position: 1.5, ..RiskConfig::default() };
    assert_eq!(c.validate().unwrap_err().to_string(), "risk.max_position: 1.5 is not in (0, 1]");
    let c = RiskConfig { max_risk_per_trade: 0.0, ..RiskConfig::default() };
    assert_eq!(c.validate().unwrap_err().to_string(), "risk.max_risk_per_trade: 0 is not in (0, 1]");
    let c = RiskConfig { max_daily_loss: f64::NAN, ..RiskConfig::default() };
    assert!(matches!(c.validate(), Err(ConfigError::OutOfRange { field: "risk.max_daily_loss", .. })));
}

#[test]
fn exposure_limits_may_exceed_equity_up_to_ten_times() {
    let c = RiskConfig { max_total_exposure: 3.0, max_correlated_exposure: 10.0, ..RiskConfig::default() };
    c.validate().unwrap();
    let c = RiskConfig { max_sector_exposure: 11.0, ..RiskConfig::default() };
    assert_eq!(c.validate().unwrap_err().to_string(), "risk.max_sector_exposure: 11 is not in (0, 10]");
}

#[test]
fn the_reduction_threshold_must_not_pass_the_max_drawdown() {
    let c = RiskConfig { drawdown_reduction_threshold: 0.2, ..RiskConfig::default() };
    assert_eq!(c.validate().unwrap_err().to_string(), "risk.drawdown_reduction_threshold: 0.2 is not in (0, 0.15]");
}

#[test]
fn counts_and_windows_are_checked() {
    for (c, field) in [
        (RiskConfig { max_daily_trades: 0, ..RiskConfig::default() }, "risk.max_daily_trades"),
        (RiskConfig { correlation_window: 1, ..RiskConfig::default() }, "risk.correlation_window"),
        (RiskConfig { correlation_min_samples: 101, ..RiskConfig::default() }, "risk.correlation_min_samples"),
        (RiskConfig { correlation_threshold: 0.0, ..RiskConfig::default() }, "risk.correlation_threshold"),
    ] {
        assert!(matches!(c.validate(), Err(ConfigError::OutOfRange { field: f, .. }) if f == field), "{field}");
    }
}

#[test]
fn stop_and_sizing_parameters_are_checked() {
    let c = RiskConfig {
        stop_loss: StopLossConfig::Fixed(FixedStop { fraction: 0.02, trailing: Some(1.0) }),
        ..RiskConfig::default()
    };
    assert_eq!(c.validate().unwrap_err().to_string(), "risk.stop_loss.trailing: 1 is not in (0, 1)");
    let s = SizingConfig::Kelly(KellySizing { cap: 2.0, ..KellySizing::default() });
    assert_eq!(s.validate().unwrap_err().to_string(), "sizing.cap: 2 is not in (0, 1]");
}

#[test]
fn the_engine_refuses_an_invalid_config_or_equity() {
    let symbols = [Symbol::new("A").unwrap()];
    let bad = RiskConfig { max_position: 2.0, ..RiskConfig::default() };
    assert!(RiskEngine::new(bad, &symbols, 1000.0).is_err());
    let err = RiskEngine::new(RiskConfig::default(), &symbols, 0.0).unwrap_err();
    assert_eq!(err.to_string(), "initial_equity: 0 is not in (0, inf)");
    assert!(RiskEngine::new(RiskConfig::default(), &symbols, f64::NAN).is_err());
    assert!(RiskEngine::new(RiskConfig::default(), &symbols, 1000.0).is_ok());
}
