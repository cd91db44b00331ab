//! Training of the volatility agent's network: a small MLP that corrects a
//! GARCH(1,1) variance forecast.
//!
//! Why a separate loop: the direction models minimise cross-entropy over
//! three classes; this network outputs one number `c`, the log of the
//! factor by which the GARCH variance `g` is to be scaled, and minimises
//!
//! ```text
//! loss(c) = q * exp(-c) + c,      q = realised / g
//! ```
//!
//! which is QLIKE, `r/v - ln(r/v) - 1` with `v = g exp(c)`, up to the term
//! `-ln(q) - 1` that does not depend on the network. QLIKE is what
//! `tradebot evaluate` scores variance forecasts with, it is minimised by
//! `exp(c) = E[q | inputs]` (the forecast is unbiased for the realised
//! variance, not for its logarithm, as an MSE on `ln q` would be), and,
//! unlike `ln q`, it is defined when the realised proxy is 0.
//!
//! Everything else is the direction trainer's: AdamW, seeded initial
//! weights and batch order, early stopping on the validation loss with the
//! best epoch's weights kept. One change of start: the output bias starts
//! at `ln(mean q)` over the training split, the best constant correction,
//! so the first epoch begins from a calibrated GARCH rather than from an
//! arbitrary scale.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use indicatif::ProgressBar;
use tradebot_onnx::Mlp;

use crate::TrainError;
use crate::fit::{EpochLog, FitConfig, run_epochs};
use crate::network::{Model, dense_layers, mlp_layers, seed_parameters};

/// Inputs (`n × input_len`, row-major) and `q = realised / garch` (`n`).
#[derive(Clone, Copy, Debug)]
pub struct RatioSplit<'a> {
    pub inputs: &'a [f32],
    pub ratios: &'a [f32],
}

impl RatioSplit<'_> {
    fn len(&self) -> usize {
        self.ratios.len()
    }
}

/// A trained volatility MLP, its weights at the best validation epoch.
pub struct TrainedVolatility {
    hidden: Vec<usize>,
    input_len: usize,
    varmap: VarMap,
    model: Model,
    device: Device,
    pub best_epoch: usize,
    /// Per epoch, the mean of `q exp(-c) + c` (see the module docs).
    pub history: Vec<EpochLog>,
}

impl std::fmt::Debug for TrainedVolatility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainedVolatility")
            .field("hidden", &self.hidden)
            .field("input_len", &self.input_len)
            .field("best_epoch", &self.best_epoch)
            .field("epochs_run", &self.history.len())
            .finish()
    }
}

/// `mean(q exp(-c) + c)` of a batch.
fn qlike_loss(c: &Tensor, q: &Tensor) -> Result<Tensor, TrainError> {
    Ok((q * c.neg()?.exp()?)?.add(c)?.mean_all()?)
}

/// Trains an MLP with `hidden` ReLU layers and one linear output on
/// `train`, stopping early on `validation`.
///
/// # Errors
///
/// A zero-width layer, bad fit settings, empty splits, inputs that are not
/// `input_len` per sample, a ratio that is negative or not finite, or a
/// diverging validation loss.
pub fn fit_volatility(
    hidden: &[usize],
    input_len: usize,
    config: &FitConfig,
    train: RatioSplit<'_>,
    validation: RatioSplit<'_>,
    progress: &ProgressBar,
) -> Result<TrainedVolatility, TrainError> {
    if hidden.contains(&0) {
        return Err(TrainError::config("network.hidden", format!("{hidden:?}"), "every layer needs at least 1 unit"));
    }
    config.validate()?;
    if input_len == 0 {
        return Err(TrainError::config("input_len", 0, "must be at least 1"));
    }
    for (name, split) in [("train", &train), ("validation", &validation)] {
        if split.len() == 0 {
            return Err(TrainError::Empty(if name == "train" { "the training split" } else { "the validation split" }));
        }
        if split.inputs.len() != split.len() * input_len {
            return Err(TrainError::config(
                "inputs",
                format!("{} values for {} {name} samples", split.inputs.len(), split.len()),
                "each sample needs input_len values",
            ));
        }
        if let Some(bad) = split.ratios.iter().find(|q| !(q.is_finite() && **q >= 0.0)) {
            return Err(TrainError::config("ratios", bad, "realised / garch must be finite and >= 0"));
        }
    }
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let model = Model::Mlp { layers: mlp_layers(hidden, input_len, 1, &vb)? };
    seed_parameters(&varmap, config.seed, &device)?;
    let mean_q = train.ratios.iter().map(|&q| f64::from(q)).sum::<f64>() / train.len() as f64;
    if mean_q > 0.0 {
        set_output_bias(&varmap, hidden.len(), mean_q.ln() as f32, &device)?;
    }
    let mut batch_inputs = Vec::with_capacity(config.batch_size * input_len);
    let mut batch_ratios = Vec::with_capacity(config.batch_size);
    let (best_epoch, history) = run_epochs(
        &varmap,
        config,
        train.len(),
        progress,
        |chunk| {
            batch_inputs.clear();
            batch_ratios.clear();
            for &i in chunk {
                batch_inputs.extend_from_slice(&train.inputs[i * input_len..(i + 1) * input_len]);
                batch_ratios.push(train.ratios[i]);
            }
            let x = Tensor::from_slice(&batch_inputs, (chunk.len(), input_len), &device)?;
            let q = Tensor::from_slice(&batch_ratios, (chunk.len(), 1), &device)?;
            qlike_loss(&model.logits(&x)?, &q)
        },
        || mean_loss(&model, validation, input_len, config.batch_size, &device),
    )?;
    Ok(TrainedVolatility { hidden: hidden.to_vec(), input_len, varmap, model, device, best_epoch, history })
}

fn set_output_bias(varmap: &VarMap, last: usize, value: f32, device: &Device) -> Result<(), TrainError> {
    let data = varmap.data().lock().map_err(|_| TrainError::Poisoned)?;
    let name = format!("l{last}.bias");
    let var = data.get(&name).ok_or(TrainError::MissingParameter(name))?;
    var.set(&Tensor::from_slice(&[value], 1, device)?)?;
    Ok(())
}

fn mean_loss(
    model: &Model,
    split: RatioSplit<'_>,
    input_len: usize,
    batch: usize,
    device: &Device,
) -> Result<f64, TrainError> {
    let mut sum = 0.0;
    for (inputs, ratios) in split.inputs.chunks(batch * input_len).zip(split.ratios.chunks(batch)) {
        let x = Tensor::from_slice(inputs, (ratios.len(), input_len), device)?;
        let q = Tensor::from_slice(ratios, (ratios.len(), 1), device)?;
        let loss = qlike_loss(&model.logits(&x)?, &q)?;
        sum += f64::from(loss.to_scalar::<f32>()?) * ratios.len() as f64;
    }
    Ok(sum / split.len() as f64)
}

impl TrainedVolatility {
    /// e.g. `mlp(32,16)->log_variance_correction`.
    pub fn describe(&self) -> String {
        let sizes: Vec<String> = self.hidden.iter().map(usize::to_string).collect();
        format!("mlp({})->log_variance_correction", sizes.join(","))
    }

    /// Values in one input.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// The log corrections `c`, one per sample, from the trainer's own
    /// forward pass (the ONNX export must agree with it).
    ///
    /// # Errors
    ///
    /// A tensor error.
    pub fn predict(&self, inputs: &[f32]) -> Result<Vec<f32>, TrainError> {
        let mut out = Vec::with_capacity(inputs.len() / self.input_len.max(1));
        for chunk in inputs.chunks(512 * self.input_len) {
            let rows = chunk.len() / self.input_len;
            let x = Tensor::from_slice(chunk, (rows, self.input_len), &self.device)?;
            out.extend(self.model.logits(&x)?.flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    /// The network as ONNX bytes: input `[batch, input_len]`, output
    /// `[batch, 1]`, no softmax.
    ///
    /// # Errors
    ///
    /// A missing parameter or an export error.
    pub fn to_onnx(&self) -> Result<Vec<u8>, TrainError> {
        let layers = dense_layers(&self.hidden, &self.varmap)?;
        Ok(tradebot_onnx::export_mlp(&Mlp { layers, softmax_output: false }, self.input_len)?)
    }
}
