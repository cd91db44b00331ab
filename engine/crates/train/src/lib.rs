//! Training of tradebot's direction models, in Rust, with candle.
//!
//! candle provides the tensors, reverse-mode autodiff, layers (`Linear`,
//! `LSTM`), AdamW and cross-entropy; nothing here differentiates by hand.
//! [`fit`] trains one [`Network`] on one walk-forward fold's training split
//! with early stopping on its validation split and returns the weights of
//! the best validation epoch; [`Trained::to_onnx`] exports them through
//! `tradebot-onnx`, and tract must reproduce [`Trained::predict`] within 1e-4
//! (tested). Every random choice (initial weights, batch order) comes from
//! the configured seed, so the same data and settings give the same bytes.
//!
//! [`fit_volatility`] trains the volatility agent's MLP, which corrects a
//! GARCH(1,1) variance forecast under a QLIKE loss, with the same loop
//! discipline; its export is checked against tract the same way.

mod error;
mod fit;
mod network;
mod volatility;

pub use error::TrainError;
pub use fit::{EpochLog, FitConfig, Split, Trained, fit};
pub use network::Network;
pub use volatility::{RatioSplit, TrainedVolatility, fit_volatility};
