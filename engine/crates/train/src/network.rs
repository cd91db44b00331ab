//! The networks the trainer fits, as candle modules, and their export.
//!
//! Parameter names follow PyTorch (`l0.weight`, `weight_ih_l0`, ...), and so
//! do the layouts (`Linear` weights `out × in`, LSTM gates `i, f, g, o`),
//! which are what `tradebot-onnx` exports from.

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, LSTM, LSTMConfig, Linear, RNN, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};
use tradebot_onnx::{Activation, CLASSES, Cnn, Dense, Lstm, Mlp};

use crate::TrainError;

/// A network architecture with its sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Network {
    /// Dense layers with ReLU over the flattened window, softmax head.
    Mlp { hidden: Vec<usize> },
    /// One LSTM layer over the window, the last hidden state into a dense head.
    Lstm { hidden: usize },
    /// A convolutional classifier over a single-channel image (`window` =
    /// rows, `features` = columns): `Conv(1 → channels, kernel × kernel)`,
    /// ReLU, `MaxPool(pool × pool, stride pool)`, the global average of each
    /// channel, a dense head (`tradebot_onnx::Cnn`, which exports it).
    Cnn { channels: usize, kernel: usize, pool: usize },
}

impl Network {
    /// e.g. `mlp(64,32)`, `lstm(32)`.
    pub fn describe(&self) -> String {
        match self {
            Network::Mlp { hidden } => {
                format!("mlp({})", hidden.iter().map(usize::to_string).collect::<Vec<_>>().join(","))
            }
            Network::Lstm { hidden } => format!("lstm({hidden})"),
            Network::Cnn { channels, kernel, pool } => format!("cnn({channels},k{kernel},p{pool})"),
        }
    }

    pub fn validate(&self) -> Result<(), TrainError> {
        match self {
            Network::Mlp { hidden } if hidden.contains(&0) => {
                Err(TrainError::config("network.hidden", format!("{hidden:?}"), "every layer needs at least 1 unit"))
            }
            Network::Lstm { hidden: 0 } => Err(TrainError::config("network.hidden", 0, "must be at least 1")),
            Network::Cnn { channels, kernel, pool } => {
                for (field, v) in [("network.channels", channels), ("network.kernel", kernel), ("network.pool", pool)] {
                    if *v == 0 {
                        return Err(TrainError::config(field, 0, "must be at least 1"));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// A network built on a [`VarMap`].
#[derive(Debug)]
pub(crate) enum Model {
    Mlp { layers: Vec<Linear> },
    Lstm { lstm: LSTM, head: Linear, window: usize, features: usize },
    Cnn { conv: Conv2d, head: Linear, height: usize, width: usize, pool: usize },
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
            Network::Cnn { channels, kernel, pool } => {
                if window < kernel + pool - 1 || features < kernel + pool - 1 {
                    return Err(TrainError::config(
                        "network.kernel",
                        kernel,
                        "the image is too small for the kernel and the pooling",
                    ));
                }
                let conv = candle_nn::conv2d(1, *channels, *kernel, Conv2dConfig::default(), vb.pp("conv"))?;
                let head = candle_nn::linear(*channels, CLASSES, vb.pp("head"))?;
                Ok(Model::Cnn { conv, head, height: window, width: features, pool: *pool })
            }
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
            Model::Cnn { conv, head, height, width, pool } => {
                let batch = x.dim(0)?;
                let image = x.reshape((batch, 1, *height, *width))?;
                let pooled = convolve(conv, &image)?.relu()?.max_pool2d(*pool)?;
                // Global average pooling: [batch, C, h, w] -> [batch, C].
                let features = pooled.mean(3)?.mean(2)?;
                Ok(head.forward(&features)?)
            }
        }
    }

    pub(crate) fn probabilities(&self, x: &Tensor) -> Result<Tensor, TrainError> {
        Ok(candle_nn::ops::softmax(&self.logits(x)?, D::Minus1)?)
    }
}

/// `conv` (one input channel, stride 1, no padding) applied to `image`
/// `[batch, 1, h, w]` as one matrix product over the image's `k × k` shifted
/// views (im2col).
///
/// Why not `Conv2d::forward`: candle's CPU convolution (and above all its
/// gradient) ran ~14 s per 1,000 64 × 64 images and epoch here, which put a
/// walk-forward CNN on the bundled data at hours; the shifted views and one
/// batched matrix product compute the same function with gradients through
/// `narrow`, `cat` and `matmul`, and tract reproduces the exported `Conv`
/// within 1e-4 (tested).
fn convolve(conv: &Conv2d, image: &Tensor) -> Result<Tensor, TrainError> {
    let (batch, _, h, w) = image.dims4()?;
    let (channels, _, k, _) = conv.weight().dims4()?;
    let (oh, ow) = (h + 1 - k, w + 1 - k);
    let mut views = Vec::with_capacity(k * k);
    for di in 0..k {
        for dj in 0..k {
            views.push(image.narrow(2, di, oh)?.narrow(3, dj, ow)?);
        }
    }
    // [batch, k*k, oh*ow]: row `di * k + dj`, the layout of the weight's `[C, 1, k, k]`.
    let patches = Tensor::cat(&views, 1)?.reshape((batch, k * k, oh * ow))?;
    let weights = conv.weight().reshape((channels, k * k))?;
    let mut out = weights.broadcast_matmul(&patches)?;
    if let Some(bias) = conv.bias() {
        out = out.broadcast_add(&bias.reshape((1, channels, 1))?)?;
    }
    Ok(out.reshape((batch, channels, oh, ow))?)
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
        // A weight's fan-in is the product of its dimensions after the
        // first (inputs × kernel for a convolution); a bias takes its weight's.
        let fan_in_of = |d: &[usize]| d.iter().skip(1).product::<usize>();
        let fan_in = if name.contains("_l0") {
            // LSTM parameters: PyTorch uses 1/sqrt(hidden) for all of them.
            dims[0] / 4
        } else if dims.len() >= 2 {
            fan_in_of(&dims)
        } else {
            let weight = name.replace("bias", "weight");
            data.get(&weight).map_or(dims[0], |w| fan_in_of(w.dims()))
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
        Network::Cnn { channels, kernel, pool } => {
            let head_bias = tensor_values(varmap, "head.bias")?;
            let head_bias: [f32; CLASSES] =
                head_bias.try_into().map_err(|_| TrainError::MissingParameter("head.bias".into()))?;
            let cnn = Cnn {
                channels: *channels,
                kernel_size: *kernel,
                pool_size: *pool,
                conv_weights: tensor_values(varmap, "conv.weight")?,
                conv_bias: tensor_values(varmap, "conv.bias")?,
                head_weights: tensor_values(varmap, "head.weight")?,
                head_bias,
            };
            Ok(tradebot_onnx::export_cnn(&cnn, window, features)?)
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
