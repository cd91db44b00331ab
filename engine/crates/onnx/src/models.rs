//! Model weights held in Rust, with plain-Rust reference forward passes.
//!
//! The forward passes are deliberately naive loops: they are the independent
//! "trainer's output" against which the exported ONNX graphs are checked.

use crate::OnnxError;

/// Number of classes of the LSTM and CNN classifier heads.
pub const CLASSES: usize = 3;

/// Activation applied after a dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`; exported as ONNX `Relu`.
    Relu,
    /// `tanh(x)`; exported as ONNX `Tanh`.
    Tanh,
    /// Identity: no node is exported.
    None,
}

impl Activation {
    fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
            Activation::None => x,
        }
    }
}

/// A fully connected layer `y = act(W x + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// `W`, `outputs × inputs`, row-major (the layout of PyTorch's, candle's
    /// and burn's `Linear` weight; exported with ONNX `Gemm` `transB = 1`).
    pub weights: Vec<f32>,
    /// `b`, one per output; its length is the layer's output width.
    pub bias: Vec<f32>,
    /// Applied element-wise after the affine map.
    pub activation: Activation,
}

/// A multi-layer perceptron over a feature vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// The layers, input side first.
    pub layers: Vec<Dense>,
    /// Whether a softmax over the last layer's outputs ends the model.
    pub softmax_output: bool,
}

impl Mlp {
    /// Checks that the layers chain from `input_features` inputs and returns
    /// the output width.
    pub fn validate(&self, input_features: usize) -> Result<usize, OnnxError> {
        let invalid = |reason: String| OnnxError::InvalidModel { model: "MLP", reason };
        if input_features == 0 {
            return Err(invalid("input_features is 0".into()));
        }
        if self.layers.is_empty() {
            return Err(invalid("no layers".into()));
        }
        let mut width = input_features;
        for (ix, layer) in self.layers.iter().enumerate() {
            let outputs = layer.bias.len();
            if outputs == 0 {
                return Err(invalid(format!("layer {ix} has an empty bias (0 outputs)")));
            }
            check_len("MLP", &format!("layer {ix} weights ({outputs} x {width})"), &layer.weights, outputs * width)?;
            width = outputs;
        }
        Ok(width)
    }

    /// Reference forward pass for one sample; `input.len()` is the number of
    /// input features.
    pub fn forward(&self, input: &[f32]) -> Result<Vec<f32>, OnnxError> {
        self.validate(input.len())?;
        let mut x = input.to_vec();
        for layer in &self.layers {
            let mut y = affine(&layer.weights, &layer.bias, &x);
            for v in &mut y {
                *v = layer.activation.apply(*v);
            }
            x = y;
        }
        if self.softmax_output {
            softmax_in_place(&mut x);
        }
        Ok(x)
    }
}

/// A one-layer, one-direction LSTM over a sequence, whose last hidden state
/// feeds a dense head to [`CLASSES`] classes and a softmax.
///
/// The recurrent weights use the **PyTorch / candle layout**: four gate blocks
/// of `hidden_size` rows stacked in the order input `i`, forget `f`, cell
/// candidate `g`, output `o` (candle's `LSTM` reads `weight_ih_l0`,
/// `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` exactly so; burn keeps one
/// `GateController` per gate, whose weights stack in the same order). The
/// exporter permutes the blocks into ONNX's order `i, o, f, c`
/// (see [`export_lstm_classifier`](crate::export_lstm_classifier)).
///
/// With `x_t` the input at step `t` and `h_0 = c_0 = 0`:
/// `i = σ(W_i x_t + b_ii + R_i h + b_hi)`, likewise `f` and `o` with `σ`,
/// `g = tanh(W_g x_t + b_ig + R_g h + b_hg)`, `c = f ⊙ c + i ⊙ g`,
/// `h = o ⊙ tanh(c)`; output `softmax(head_weights · h_T + head_bias)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lstm {
    /// Features per time step (`I`).
    pub input_size: usize,
    /// Hidden units (`H`).
    pub hidden_size: usize,
    /// Input weights, `4H × I` row-major, gate blocks `i, f, g, o`.
    pub weight_ih: Vec<f32>,
    /// Recurrent weights, `4H × H` row-major, gate blocks `i, f, g, o`.
    pub weight_hh: Vec<f32>,
    /// Input bias, `4H`, gate blocks `i, f, g, o`.
    pub bias_ih: Vec<f32>,
    /// Recurrent bias, `4H`, gate blocks `i, f, g, o`.
    pub bias_hh: Vec<f32>,
    /// Head weights, `CLASSES × H` row-major.
    pub head_weights: Vec<f32>,
    /// Head bias.
    pub head_bias: [f32; CLASSES],
}

impl Lstm {
    /// Checks every weight size against `input_size` and `hidden_size`.
    pub fn validate(&self) -> Result<(), OnnxError> {
        const M: &str = "LSTM classifier";
        let (i, h) = (self.input_size, self.hidden_size);
        if i == 0 || h == 0 {
            return Err(OnnxError::InvalidModel {
                model: M,
                reason: format!("input_size ({i}) and hidden_size ({h}) must be positive"),
            });
        }
        check_len(M, &format!("weight_ih (4*{h} x {i})"), &self.weight_ih, 4 * h * i)?;
        check_len(M, &format!("weight_hh (4*{h} x {h})"), &self.weight_hh, 4 * h * h)?;
        check_len(M, &format!("bias_ih (4*{h})"), &self.bias_ih, 4 * h)?;
        check_len(M, &format!("bias_hh (4*{h})"), &self.bias_hh, 4 * h)?;
        check_len(M, &format!("head_weights ({CLASSES} x {h})"), &self.head_weights, CLASSES * h)
    }

    /// Reference forward pass over a sequence given time-major, `steps ×
    /// input_size` values (the ONNX input `[steps, 1, input_size]` flattened).
    pub fn forward(&self, sequence: &[f32]) -> Result<[f32; CLASSES], OnnxError> {
        self.validate()?;
        let (ni, nh) = (self.input_size, self.hidden_size);
        if sequence.is_empty() || !sequence.len().is_multiple_of(ni) {
            return Err(OnnxError::ForwardInput {
                model: "LSTM classifier",
                expected: format!("a positive multiple of input_size {ni}"),
                got: sequence.len(),
            });
        }
        let mut h = vec![0.0f32; nh];
        let mut c = vec![0.0f32; nh];
        for x in sequence.chunks_exact(ni) {
            let from_x = affine(&self.weight_ih, &self.bias_ih, x);
            let from_h = affine(&self.weight_hh, &self.bias_hh, &h);
            for k in 0..nh {
                let gate = |block: usize| from_x[block * nh + k] + from_h[block * nh + k];
                let i = sigmoid(gate(0));
                let f = sigmoid(gate(1));
                let g = gate(2).tanh();
                let o = sigmoid(gate(3));
                c[k] = f * c[k] + i * g;
                h[k] = o * c[k].tanh();
            }
        }
        Ok(head(&self.head_weights, &self.head_bias, &h))
    }
}

/// A small convolutional classifier over one single-channel image:
/// `Conv(1 → channels, kernel × kernel, stride 1, no padding)` + `Relu` +
/// `MaxPool(pool × pool, stride pool)` + `GlobalAveragePool` + dense head to
/// [`CLASSES`] classes + softmax.
#[derive(Debug, Clone, PartialEq)]
pub struct Cnn {
    /// Output channels of the convolution (`C`).
    pub channels: usize,
    /// Side of the square convolution kernel (`k`).
    pub kernel_size: usize,
    /// Side and stride of the square max-pooling window.
    pub pool_size: usize,
    /// Convolution weights `C × 1 × k × k` row-major (ONNX / PyTorch `Conv` layout).
    pub conv_weights: Vec<f32>,
    /// Convolution bias, `C`.
    pub conv_bias: Vec<f32>,
    /// Head weights, `CLASSES × C` row-major.
    pub head_weights: Vec<f32>,
    /// Head bias.
    pub head_bias: [f32; CLASSES],
}

impl Cnn {
    /// Checks the weight sizes and that an `height × width` image survives the
    /// convolution and the pooling; returns the pooled `(height, width)`.
    pub fn validate(&self, height: usize, width: usize) -> Result<(usize, usize), OnnxError> {
        const M: &str = "CNN";
        let (c, k, p) = (self.channels, self.kernel_size, self.pool_size);
        let invalid = |reason: String| OnnxError::InvalidModel { model: M, reason };
        if c == 0 || k == 0 || p == 0 {
            return Err(invalid(format!("channels ({c}), kernel_size ({k}) and pool_size ({p}) must be positive")));
        }
        check_len(M, &format!("conv_weights ({c} x 1 x {k} x {k})"), &self.conv_weights, c * k * k)?;
        check_len(M, &format!("conv_bias ({c})"), &self.conv_bias, c)?;
        check_len(M, &format!("head_weights ({CLASSES} x {c})"), &self.head_weights, CLASSES * c)?;
        if height < k + p - 1 || width < k + p - 1 {
            return Err(invalid(format!(
                "a {height} x {width} image is too small for a {k} x {k} kernel and a {p} x {p} pool"
            )));
        }
        Ok(((height - k + 1 - p) / p + 1, (width - k + 1 - p) / p + 1))
    }

    /// Reference forward pass over one `height × width` image, row-major (the
    /// ONNX input `[1, 1, height, width]` flattened).
    pub fn forward(&self, image: &[f32], height: usize, width: usize) -> Result<[f32; CLASSES], OnnxError> {
        let (ph, pw) = self.validate(height, width)?;
        if image.len() != height * width {
            return Err(OnnxError::ForwardInput {
                model: "CNN",
                expected: format!("{height} x {width} = {}", height * width),
                got: image.len(),
            });
        }
        let (k, p) = (self.kernel_size, self.pool_size);
        let (ch, cw) = (height - k + 1, width - k + 1);
        let mut features = vec![0.0f32; self.channels];
        let mut conv = vec![0.0f32; ch * cw];
        for (channel, feature) in features.iter_mut().enumerate() {
            let kernel = &self.conv_weights[channel * k * k..(channel + 1) * k * k];
            for y in 0..ch {
                for x in 0..cw {
                    let mut acc = self.conv_bias[channel];
                    for ky in 0..k {
                        for kx in 0..k {
                            acc += kernel[ky * k + kx] * image[(y + ky) * width + x + kx];
                        }
                    }
                    conv[y * cw + x] = acc.max(0.0);
                }
            }
            let mut sum = 0.0f32;
            for py in 0..ph {
                for px in 0..pw {
                    let mut m = f32::NEG_INFINITY;
                    for dy in 0..p {
                        for dx in 0..p {
                            m = m.max(conv[(py * p + dy) * cw + px * p + dx]);
                        }
                    }
                    sum += m;
                }
            }
            *feature = sum / (ph * pw) as f32;
        }
        Ok(head(&self.head_weights, &self.head_bias, &features))
    }
}

pub(crate) fn check_len(model: &'static str, what: &str, values: &[f32], expected: usize) -> Result<(), OnnxError> {
    if values.len() == expected {
        Ok(())
    } else {
        Err(OnnxError::InvalidModel { model, reason: format!("{what} needs {expected} values, has {}", values.len()) })
    }
}

/// `W x + b` with `W` row-major `b.len() × x.len()`; sizes checked by the caller.
fn affine(weights: &[f32], bias: &[f32], x: &[f32]) -> Vec<f32> {
    bias.iter()
        .zip(weights.chunks_exact(x.len()))
        .map(|(b, row)| b + row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>())
        .collect()
}

fn head(weights: &[f32], bias: &[f32; CLASSES], x: &[f32]) -> [f32; CLASSES] {
    let mut out = [0.0f32; CLASSES];
    for (o, v) in out.iter_mut().zip(affine(weights, bias, x)) {
        *o = v;
    }
    softmax_in_place(&mut out);
    out
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn softmax_in_place(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}
