//! The networks the trainer fits, as candle modules, and their export.
//!
//! Parameter names follow PyTorch (`l0.weight`, `weight_ih_l0`, ...), and so
//! do the layouts (`Linear` weights `out × in`, LSTM gates `i, f, g, o`),
//! which are what `tradebot-onnx` exports from.

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{LSTM, LSTMConfig, Linear, RNN, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};
use tradebot_onnx::{Activation, CLASSES, Dense, Lstm, Mlp};

use crate::TrainError;

/// A network architecture with its sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Network {
    /// Dense layers with ReLU over the flattened window, softmax head.
    Mlp { hidden: Vec<usize> },
    /// One LSTM layer over the window, the last hidden state into a dense head.
    Lstm { hidden: usize },
}

impl Network {
    /// e.g. `mlp(64,32)`, `lstm(32)`.
    pub fn describe(&self) -> String {
        match self {
            Network::Mlp { hidden } => {
                format!("mlp({})", hidden.iter().map(usize::to_string).collect::<Vec<_>>().join(","))
            }
            Network::Lstm { hidden } => format!("lstm({hidden})"),
        }
    }

    pub fn validate(&self) -> Result<(), TrainError> {
        match self {
            Network::Mlp { hidden } if hidden.contains(&0) => {
                Err(TrainError::config("network.hidden", format!("{hidden:?}"), "every layer needs at least 1 unit"))
            }
            Network::Lstm { hidden: 0 } => Err(TrainError::config("network.hidden", 0, "must be at least 1")),
            _ => Ok(()),
        }
    }
}

/// A network built on a [`VarMap`].
#[derive(Debug)]
pub(crate) enum Model {
    Mlp { layers: Vec<Linear> },
    Lstm { lstm: LSTM, head: Linear, window: usize, features: usize },
}

impl Model {
    pub(crate) fn build(
        network: &Network,
        window: usize,
        features: usize,
        varmap: &VarMap,
        device: &Device,
    ) -> Result<Model, TrainError> {
        let vb = VarBuilder::from_varmap(varmap, DType::F32, device);
        match network {
            Network::Mlp { hidden } => Ok(Model::Mlp { layers: mlp_layers(hidden, window * features, CLASSES, &vb)? }),
            Network::Lstm { hidden } => {
                let lstm = candle_nn::lstm(features, *hidden, LSTMConfig::default(), vb.clone())?;
                let head = candle_nn::linear(*hidden, CLASSES, vb.pp("head"))?;
                Ok(Model::Lstm { lstm, head, window, features })
            }
        }
    }

    /// Logits `[batch, 3]` for inputs `[batch, window * features]` (for the
    /// volatility MLP, its `[batch, 1]` output).
    pub(crate) fn logits(&self, x: &Tensor) -> Result<Tensor, TrainError> {
        match self {
            Model::Mlp { layers } => {
                let mut h = x.clone();
                for (i, layer) in layers.iter().enumerate() {
                    h = layer.forward(&h)?;
                    if i + 1 < layers.len() {
                        h = h.relu()?;
                    }
                }
                Ok(h)
            }
            Model::Lstm { lstm, head, window, features } => {
                let batch = x.dim(0)?;
                let seq = x.reshape((batch, *window, *features))?;
                let states = lstm.seq(&seq)?;
                let last = states.last().ok_or(TrainError::Empty("an LSTM window of length 0"))?;
                Ok(head.forward(last.h())?)
            }
        }
    }

    pub(crate) fn probabilities(&self, x: &Tensor) -> Result<Tensor, TrainError> {
        Ok(candle_nn::ops::softmax(&self.logits(x)?, D::Minus1)?)
    }
}

/// Dense layers `l0, l1, ...` from `inputs` through `hidden` to `outputs`.
pub(crate) fn mlp_layers(
    hidden: &[usize],
    inputs: usize,
    outputs: usize,
    vb: &VarBuilder<'_>,
) -> Result<Vec<Linear>, TrainError> {
    let mut layers = Vec::with_capacity(hidden.len() + 1);
    let mut width = inputs;
    for (i, &h) in hidden.iter().chain(std::iter::once(&outputs)).enumerate() {
        layers.push(candle_nn::linear(width, h, vb.pp(format!("l{i}")))?);
        width = h;
    }
    Ok(layers)
}

/// Seeded initialisation of every parameter, in name order: uniform in
/// `±1/sqrt(fan_in)` (PyTorch's default for `Linear` and `LSTM`). candle's
/// own initialisers draw from an unseeded generator, so they are replaced.
pub(crate) fn seed_parameters(varmap: &VarMap, seed: u64, device: &Device) -> Result<(), TrainError> {
    let data = varmap.data().lock().map_err(|_| TrainError::Poisoned)?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut rng = fastrand::Rng::with_seed(seed);
    for name in names {
        let Some(var) = data.get(name) else { continue };
        let dims = var.dims().to_vec();
        let fan_in = if name.contains("_l0") {
            // LSTM parameters: PyTorch uses 1/sqrt(hidden) for all of them.
            dims[0] / 4
        } else if dims.len() == 2 {
            dims[1]
        } else {
            let weight = name.replace("bias", "weight");
            data.get(&weight).and_then(|w| w.dims().get(1).copied()).unwrap_or(dims[0])
        };
        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
        let n: usize = dims.iter().product();
        let values: Vec<f32> = (0..n).map(|_| (rng.f32() * 2.0 - 1.0) * bound).collect();
        var.set(&Tensor::from_vec(values, dims.as_slice(), device)?)?;
    }
    Ok(())
}

pub(crate) fn tensor_values(varmap: &VarMap, name: &str) -> Result<Vec<f32>, TrainError> {
    let data = varmap.data().lock().map_err(|_| TrainError::Poisoned)?;
    let var = data.get(name).ok_or_else(|| TrainError::MissingParameter(name.to_owned()))?;
    Ok(var.as_tensor().flatten_all()?.to_vec1::<f32>()?)
}

/// An MLP's layers `l0, l1, ...` (ReLU between them, none after the last).
pub(crate) fn dense_layers(hidden: &[usize], varmap: &VarMap) -> Result<Vec<Dense>, TrainError> {
    let count = hidden.len() + 1;
    (0..count)
        .map(|i| {
            Ok(Dense {
                weights: tensor_values(varmap, &format!("l{i}.weight"))?,
                bias: tensor_values(varmap, &format!("l{i}.bias"))?,
                activation: if i + 1 < count { Activation::Relu } else { Activation::None },
            })
        })
        .collect()
}

/// The trained network as ONNX bytes.
pub(crate) fn export(
    network: &Network,
    window: usize,
    features: usize,
    varmap: &VarMap,
) -> Result<Vec<u8>, TrainError> {
    match network {
        Network::Mlp { hidden } => {
            let layers = dense_layers(hidden, varmap)?;
            Ok(tradebot_onnx::export_mlp(&Mlp { layers, softmax_output: true }, window * features)?)
        }
        Network::Lstm { hidden } => {
            let head_bias = tensor_values(varmap, "head.bias")?;
            let head_bias: [f32; CLASSES] =
                head_bias.try_into().map_err(|_| TrainError::MissingParameter("head.bias".into()))?;
            let lstm = Lstm {
                input_size: features,
                hidden_size: *hidden,
                weight_ih: tensor_values(varmap, "weight_ih_l0")?,
                weight_hh: tensor_values(varmap, "weight_hh_l0")?,
                bias_ih: tensor_values(varmap, "bias_ih_l0")?,
                bias_hh: tensor_values(varmap, "bias_hh_l0")?,
                head_weights: tensor_values(varmap, "head.weight")?,
                head_bias,
            };
            Ok(tradebot_onnx::export_lstm_classifier(&lstm)?)
        }
    }
}
