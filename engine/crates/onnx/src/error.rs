//! The one error type of the crate.

/// Everything that can go wrong when exporting, loading or running a model.
///
/// `origin` names where a loaded model came from: `ONNX model file <path>` or
/// `in-memory ONNX model (<n> bytes)`. Errors coming from tract carry its whole
/// cause chain as text in `detail` (tract's errors are `anyhow` errors, which do
/// not implement `std::error::Error`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The weights handed to an exporter or a reference forward pass do not
    /// describe a consistent model (sizes that do not chain, an empty layer, ...).
    #[error("invalid {model}: {reason}")]
    InvalidModel {
        /// Which kind of model: `MLP`, `LSTM classifier`, `CNN`.
        model: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The input handed to a reference forward pass has the wrong size.
    #[error("{model} forward pass expects {expected} input values, got {got}")]
    ForwardInput {
        /// Which kind of model.
        model: &'static str,
        /// What size was expected (a number or a rule such as `a multiple of 8`).
        expected: String,
        /// How many values were given.
        got: usize,
    },
    /// The model file could not be opened or read.
    #[error("cannot read {origin}: {source}")]
    Io {
        /// Where the model was to come from.
        origin: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ONNX model tract can parse (corrupt, truncated, not
    /// protobuf, unknown operator, ...).
    #[error("{origin} is not a readable ONNX model: {detail}")]
    Parse {
        /// Where the model came from.
        origin: String,
        /// tract's explanation.
        detail: String,
    },
    /// The model parses but is of a form the runner does not serve (e.g. more
    /// than one input).
    #[error("{origin} is not supported by OnnxRunner: {detail}")]
    Unsupported {
        /// Where the model came from.
        origin: String,
        /// What is unsupported.
        detail: String,
    },
    /// The input shape given by the caller is unusable (empty or with a zero
    /// dimension).
    #[error("invalid input shape {shape:?} for {origin}: {reason}")]
    InputShape {
        /// Where the model came from.
        origin: String,
        /// The shape given.
        shape: Vec<usize>,
        /// What is wrong with it.
        reason: String,
    },
    /// tract could not type, optimise or plan the model for the given input
    /// shape; a shape that does not fit the model's weights ends up here.
    #[error("cannot prepare {origin} for input shape {shape:?}: {detail}")]
    Prepare {
        /// Where the model came from.
        origin: String,
        /// The input shape given.
        shape: Vec<usize>,
        /// tract's explanation.
        detail: String,
    },
    /// `run` was given a slice whose length is not the product of the input shape.
    #[error("{origin} expects {expected} input values (shape {shape:?}), got {got}")]
    InputLength {
        /// Where the model came from.
        origin: String,
        /// The fixed input shape.
        shape: Vec<usize>,
        /// The product of `shape`.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// Running the model failed, or its first output is not an `f32` tensor.
    #[error("running {origin} failed: {detail}")]
    Run {
        /// Where the model came from.
        origin: String,
        /// tract's explanation.
        detail: String,
    },
}
