//! ONNX export and serving for tradebot's learned models.
//!
//! Two halves:
//! - **Writing** ONNX from weights held in Rust: [`export_mlp`],
//!   [`export_lstm_classifier`] and [`export_cnn`] turn [`Mlp`], [`Lstm`] and
//!   [`Cnn`] into ONNX model bytes (opset [`OPSET_VERSION`], weights as
//!   initializers, one f32 input `"input"`, one output `"output"`). A model
//!   trained later in Rust (candle, burn) is exported by copying its tensors
//!   into these structs; their layouts follow PyTorch / candle (`Linear`
//!   weights `out × in`, LSTM gates `i, f, g, o`), and the exporters do the
//!   ONNX-specific reordering.
//! - **Running** ONNX with tract: [`OnnxRunner`] loads bytes or a file, fixes
//!   the input shape, optimises, plans, and keeps one state to reuse per call.
//!
//! Each model type has a plain-Rust reference forward pass (`Mlp::forward`,
//! `Lstm::forward`, `Cnn::forward`); the round-trip tests check export → tract
//! against it.
//!
//! # Protobuf types: `tract_onnx::pb` + `prost`
//!
//! There is no hand-written protobuf encoder here. tract-onnx exposes, as the
//! public module [`tract_onnx::pb`], the prost-generated types of the ONNX
//! schema (`ModelProto`, `GraphProto`, `NodeProto`, `TensorProto`, ...), all
//! deriving `prost::Message`. The exporters build a `ModelProto` from those and
//! call `prost::Message::encode_to_vec`; `prost` is a direct dependency only for
//! that trait, pinned to the major tract-onnx itself uses (0.14), so there is a
//! single prost in the build. This was chosen over a separate ONNX protobuf
//! crate (`onnx-protobuf`, `onnx-pb`, ...) because tract-onnx is needed anyway
//! for serving, and the reader and the writer then share one schema
//! definition: what we write is, by construction, what tract parses.
//!
//! # Errors
//!
//! Every failure is an [`OnnxError`] naming the model (file path or in-memory
//! size) and the problem; nothing here panics on bad input, and panics inside
//! tract are caught and reported as errors.

mod error;
mod export;
mod models;
mod runner;

pub use error::OnnxError;
pub use export::{INPUT_NAME, IR_VERSION, OPSET_VERSION, OUTPUT_NAME, export_cnn, export_lstm_classifier, export_mlp};
pub use models::{Activation, CLASSES, Cnn, Dense, Lstm, Mlp};
pub use runner::OnnxRunner;
