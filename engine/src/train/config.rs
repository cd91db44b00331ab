//! The `tradebot train` configuration: which data, which feature set and
//! label, which folds, which models. Frozen and strict like every config:
//! an unknown key is an error with its line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tradebot_agents::{AgentRole, LabelSpec, WalkForwardConfig};
use tradebot_chart::ChartConfig;
use tradebot_garch::RollingGarchConfig;
use tradebot_train::{FitConfig, Network};

use crate::replay::DataConfig;
use crate::replay::config::{relative_to, toml_error};

use super::TrainRunError;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    #[serde(default)]
    pub data: DataConfig,
    /// A built-in feature set (`agents_v1`, `default_v1`, `talib_v1`).
    #[serde(default = "default_feature_set")]
    pub feature_set: String,
    #[serde(default)]
    pub label: LabelSpec,
    pub walk_forward: WalkForwardConfig,
    #[serde(rename = "model", default)]
    pub models: Vec<ModelConfig>,
    /// The learned meta-agent's weights (`meta-learned` plugin), fitted on
    /// the out-of-fold outputs of direction models in the output directory.
    #[serde(default)]
    pub meta: Option<super::MetaConfig>,
    #[serde(default)]
    pub output: TrainOutput,
}

fn default_feature_set() -> String {
    "agents_v1".into()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Folder name under the output directory and the cards' `name`.
    pub name: String,
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default = "default_role")]
    pub role: AgentRole,
    /// Bars in the input window.
    pub window: usize,
    /// Feature-set columns to read; empty means all of them.
    #[serde(default)]
    pub columns: Vec<String>,
    pub network: Network,
    #[serde(default)]
    pub fit: FitConfig,
    /// Z-score clip of the normalised inputs.
    #[serde(default = "default_clip")]
    pub clip: f64,
    /// For `role = "volatility"`: the schedule of the [`RollingGarch`] whose
    /// forecast the network corrects (default
    /// [`RollingGarchConfig::default`]); refused for direction models.
    ///
    /// [`RollingGarch`]: tradebot_garch::RollingGarch
    #[serde(default)]
    pub garch: Option<RollingGarchConfig>,
    /// For a CNN (`role = "pattern"`): the chart image geometry (default
    /// [`ChartConfig::default`]: 64 × 64, 21 candles with volume and moving
    /// average); `window` must equal its `candles`.
    #[serde(default)]
    pub chart: Option<ChartConfig>,
}

impl ModelConfig {
    /// The GARCH schedule of a volatility model.
    pub fn garch_config(&self) -> RollingGarchConfig {
        self.garch.unwrap_or_default()
    }
}

fn default_version() -> String {
    "1".into()
}
fn default_role() -> AgentRole {
    AgentRole::Trend
}
fn default_clip() -> f64 {
    5.0
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainOutput {
    /// Where model folders are written (default `models`).
    pub dir: Option<PathBuf>,
}

impl TrainConfig {
    pub fn load(path: &Path) -> Result<Self, TrainRunError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainRunError::Config {
            file: path.into(),
            at: None,
            message: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, TrainRunError> {
        let mut config: TrainConfig = toml::from_str(text).map_err(|e| {
            let (at, message) = toml_error(text, &e);
            TrainRunError::Config { file: path.into(), at, message }
        })?;
        let invalid = |message: String| TrainRunError::Config { file: path.into(), at: None, message };
        config.label.validate().map_err(|e| invalid(e.to_string()))?;
        config.walk_forward.validate(config.label.horizon).map_err(|e| invalid(e.to_string()))?;
        if config.models.is_empty() && config.meta.is_none() {
            return Err(invalid("no [[model]] or [meta] to train".into()));
        }
        if let Some(meta) = &config.meta {
            meta.validate().map_err(|e| invalid(format!("meta: {e}")))?;
        }
        for (i, m) in config.models.iter().enumerate() {
            let bad = |field: &str, why: &str| invalid(format!("model[{i}] ({}): {field}: {why}", m.name));
            if m.name.is_empty() || !m.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(bad("name", "use letters, digits, `-` and `_` (it names a folder)"));
            }
            if m.window == 0 {
                return Err(bad("window", "must be at least 1"));
            }
            if !(m.clip.is_finite() && m.clip > 0.0) {
                return Err(bad("clip", "must be finite and > 0"));
            }
            let cnn = matches!(m.network, Network::Cnn { .. });
            if cnn {
                if m.role != AgentRole::Pattern {
                    return Err(bad("network", "a CNN reads chart images: give it role = \"pattern\""));
                }
                let chart = m.chart.unwrap_or_default();
                chart.validate().map_err(|e| bad("chart", &e.to_string()))?;
                if m.window != chart.candles {
                    return Err(bad(
                        "window",
                        &format!("{} bars, but the chart shows {} candles (they must agree)", m.window, chart.candles),
                    ));
                }
            } else if m.chart.is_some() {
                return Err(bad("chart", "only a CNN (kind = \"cnn\") reads chart images"));
            }
            match m.role {
                AgentRole::Trend | AgentRole::Pattern => {
                    if m.garch.is_some() {
                        return Err(bad("garch", "only a volatility model reads a GARCH forecast"));
                    }
                }
                AgentRole::Volatility => {
                    if !matches!(m.network, Network::Mlp { .. }) {
                        return Err(bad("network", "a volatility model is an MLP (kind = \"mlp\")"));
                    }
                    m.garch_config().validate().map_err(|e| bad("garch", &e.to_string()))?;
                }
                AgentRole::Regime | AgentRole::Sentiment => {
                    return Err(bad("role", "only trend, pattern and volatility agents are trained here"));
                }
            }
            m.network.validate().map_err(|e| bad("network", &e.to_string()))?;
            m.fit.validate().map_err(|e| bad("fit", &e.to_string()))?;
            if config.models[..i].iter().any(|o| o.name == m.name) {
                return Err(bad("name", "appears twice"));
            }
        }
        for f in &mut config.data.feeds {
            f.csv = f.csv.as_deref().map(|p| relative_to(path, p));
            f.store = f.store.as_deref().map(|p| relative_to(path, p));
        }
        config.data.dir = config.data.dir.as_deref().map(|p| relative_to(path, p));
        config.output.dir = config.output.dir.as_deref().map(|p| relative_to(path, p));
        Ok(config)
    }
}
