//! The training loop: mini-batch AdamW on cross-entropy, early stopping on a
//! validation split, the best epoch's weights kept, everything seeded.

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::network::{Model, Network, export, seed_parameters};

/// Optimiser and stopping settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitConfig {
    #[serde(default = "default_epochs")]
    pub max_epochs: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default = "default_lr")]
    pub learning_rate: f64,
    #[serde(default = "default_wd")]
    pub weight_decay: f64,
    /// Epochs without a better validation loss before stopping.
    #[serde(default = "default_patience")]
    pub patience: usize,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_epochs() -> usize {
    30
}
fn default_batch() -> usize {
    256
}
fn default_lr() -> f64 {
    1e-3
}
fn default_wd() -> f64 {
    1e-4
}
fn default_patience() -> usize {
    4
}
fn default_seed() -> u64 {
    7
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            max_epochs: default_epochs(),
            batch_size: default_batch(),
            learning_rate: default_lr(),
            weight_decay: default_wd(),
            patience: default_patience(),
            seed: default_seed(),
        }
    }
}

impl FitConfig {
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.max_epochs == 0 {
            return Err(TrainError::config("fit.max_epochs", 0, "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(TrainError::config("fit.batch_size", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(TrainError::config("fit.learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(TrainError::config("fit.weight_decay", self.weight_decay, "must be finite and >= 0"));
        }
        Ok(())
    }
}

/// Inputs (`n × input_len`, row-major) and labels (`n`, classes 0..3).
#[derive(Clone, Copy, Debug)]
pub struct Split<'a> {
    pub inputs: &'a [f32],
    pub labels: &'a [u8],
}

impl Split<'_> {
    fn len(&self) -> usize {
        self.labels.len()
    }
}

/// One epoch's record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
}

/// A trained network, its weights at the best validation epoch.
pub struct Trained {
    network: Network,
    window: usize,
    features: usize,
    varmap: VarMap,
    model: Model,
    device: Device,
    pub best_epoch: usize,
    pub history: Vec<EpochLog>,
}

impl std::fmt::Debug for Trained {
    // candle's VarMap has no Debug; the architecture and the run say enough.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trained")
            .field("network", &self.network)
            .field("window", &self.window)
            .field("features", &self.features)
            .field("best_epoch", &self.best_epoch)
            .field("epochs_run", &self.history.len())
            .finish()
    }
}

/// Trains `network` on `train`, stopping early on `validation`.
pub fn fit(
    network: &Network,
    window: usize,
    features: usize,
    config: &FitConfig,
    train: Split<'_>,
    validation: Split<'_>,
    progress: &ProgressBar,
) -> Result<Trained, TrainError> {
    network.validate()?;
    config.validate()?;
    let input_len = window * features;
    for (name, split) in [("train", &train), ("validation", &validation)] {
        if split.len() == 0 {
            return Err(TrainError::Empty(if name == "train" { "the training split" } else { "the validation split" }));
        }
        if split.inputs.len() != split.len() * input_len {
            return Err(TrainError::config(
                "inputs",
                format!("{} values for {} {name} samples", split.inputs.len(), split.len()),
                "each sample needs window × features values",
            ));
        }
        if let Some(bad) = split.labels.iter().find(|&&y| y > 2) {
            return Err(TrainError::config("labels", bad, "classes are 0, 1, 2"));
        }
    }
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let model = Model::build(network, window, features, &varmap, &device)?;
    seed_parameters(&varmap, config.seed, &device)?;
    let mut batch_inputs = Vec::with_capacity(config.batch_size * input_len);
    let mut batch_labels = Vec::with_capacity(config.batch_size);
    let (best_epoch, history) = run_epochs(
        &varmap,
        config,
        train.len(),
        progress,
        |chunk| {
            batch_inputs.clear();
            batch_labels.clear();
            for &i in chunk {
                batch_inputs.extend_from_slice(&train.inputs[i * input_len..(i + 1) * input_len]);
                batch_labels.push(u32::from(train.labels[i]));
            }
            let x = Tensor::from_slice(&batch_inputs, (chunk.len(), input_len), &device)?;
            let y = Tensor::from_slice(&batch_labels, chunk.len(), &device)?;
            Ok(candle_nn::loss::cross_entropy(&model.logits(&x)?, &y)?)
        },
        || mean_loss(&model, validation, input_len, config.batch_size, &device),
    )?;
    Ok(Trained { network: network.clone(), window, features, varmap, model, device, best_epoch, history })
}

/// The epoch loop every trainer shares: AdamW over the varmap's
/// parameters, a seeded batch order per epoch, one step per batch on
/// `batch_loss(batch indices)` (a mean over the batch), and early stopping
/// on `validation_loss` with the best epoch's weights restored. Returns the
/// best epoch (1-based) and every epoch's log.
pub(crate) fn run_epochs(
    varmap: &VarMap,
    config: &FitConfig,
    n_train: usize,
    progress: &ProgressBar,
    mut batch_loss: impl FnMut(&[usize]) -> Result<Tensor, TrainError>,
    mut validation_loss: impl FnMut() -> Result<f64, TrainError>,
) -> Result<(usize, Vec<EpochLog>), TrainError> {
    let params = ParamsAdamW { lr: config.learning_rate, weight_decay: config.weight_decay, ..ParamsAdamW::default() };
    let mut opt = AdamW::new(varmap.all_vars(), params)?;
    let mut rng = fastrand::Rng::with_seed(config.seed ^ 0x5eed_0fba_7c4e);
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut best: Option<(f64, usize, HashMap<String, Tensor>)> = None;
    let mut history = Vec::new();
    let batches = n_train.div_ceil(config.batch_size);
    progress.set_length((config.max_epochs * batches) as u64);
    for epoch in 0..config.max_epochs {
        rng.shuffle(&mut order);
        let mut loss_sum = 0.0;
        for chunk in order.chunks(config.batch_size) {
            let loss = batch_loss(chunk)?;
            opt.backward_step(&loss)?;
            loss_sum += f64::from(loss.to_scalar::<f32>()?) * chunk.len() as f64;
            progress.inc(1);
        }
        let train_loss = loss_sum / n_train as f64;
        let validation_loss = validation_loss()?;
        progress.set_message(format!("epoch {} val loss {validation_loss:.4}", epoch + 1));
        history.push(EpochLog { epoch: epoch + 1, train_loss, validation_loss });
        if !validation_loss.is_finite() {
            return Err(TrainError::Diverged { epoch: epoch + 1 });
        }
        let improved = best.as_ref().is_none_or(|(b, _, _)| validation_loss < *b);
        if improved {
            best = Some((validation_loss, epoch + 1, snapshot(varmap)?));
        } else if best.as_ref().is_some_and(|(_, e, _)| epoch + 1 - e >= config.patience) {
            break;
        }
    }
    let (_, best_epoch, weights) = best.ok_or(TrainError::Empty("an epoch"))?;
    restore(varmap, &weights)?;
    progress.set_position((config.max_epochs * batches) as u64);
    Ok((best_epoch, history))
}

fn mean_loss(
    model: &Model,
    split: Split<'_>,
    input_len: usize,
    batch: usize,
    device: &Device,
) -> Result<f64, TrainError> {
    let mut sum = 0.0;
    for (inputs, labels) in split.inputs.chunks(batch * input_len).zip(split.labels.chunks(batch)) {
        let x = Tensor::from_slice(inputs, (labels.len(), input_len), device)?;
        let y: Vec<u32> = labels.iter().map(|&l| u32::from(l)).collect();
        let y = Tensor::from_slice(&y, labels.len(), device)?;
        let loss = candle_nn::loss::cross_entropy(&model.logits(&x)?, &y)?;
        sum += f64::from(loss.to_scalar::<f32>()?) * labels.len() as f64;
    }
    Ok(sum / split.len() as f64)
}

fn snapshot(varmap: &VarMap) -> Result<HashMap<String, Tensor>, TrainError> {
    let data = varmap.data().lock().map_err(|_| TrainError::Poisoned)?;
    data.iter().map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?))).collect()
}

fn restore(varmap: &VarMap, weights: &HashMap<String, Tensor>) -> Result<(), TrainError> {
    let data = varmap.data().lock().map_err(|_| TrainError::Poisoned)?;
    for (k, v) in data.iter() {
        if let Some(w) = weights.get(k) {
            v.set(w)?;
        }
    }
    Ok(())
}

impl Trained {
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Class probabilities from the trained candle model (the trainer's own
    /// forward pass; the ONNX export must agree with it).
    pub fn predict(&self, inputs: &[f32]) -> Result<Vec<[f32; 3]>, TrainError> {
        let input_len = self.window * self.features;
        let n = inputs.len() / input_len.max(1);
        let mut out = Vec::with_capacity(n);
        for chunk in inputs.chunks(512 * input_len) {
            let rows = chunk.len() / input_len;
            let x = Tensor::from_slice(chunk, (rows, input_len), &self.device)?;
            for p in self.model.probabilities(&x)?.to_vec2::<f32>()? {
                out.push([p[0], p[1], p[2]]);
            }
        }
        Ok(out)
    }

    /// An MLP's dense layers (weights `outputs × inputs`, row-major), for
    /// consumers that run it without ONNX (the learned meta-agent plugin
    /// receives them as JSON). `None` for an LSTM.
    pub fn dense_layers(&self) -> Result<Option<Vec<tradebot_onnx::Dense>>, TrainError> {
        match &self.network {
            Network::Mlp { hidden } => Ok(Some(crate::network::dense_layers(hidden, &self.varmap)?)),
            Network::Lstm { .. } | Network::Cnn { .. } => Ok(None),
        }
    }

    /// The network as ONNX bytes (`tradebot-onnx` layouts; tract loads them).
    pub fn to_onnx(&self) -> Result<Vec<u8>, TrainError> {
        export(&self.network, self.window, self.features, &self.varmap)
    }
}
