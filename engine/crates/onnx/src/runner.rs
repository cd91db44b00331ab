//! Serving ONNX models with tract.

use std::any::Any;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::OnnxError;

/// One ONNX model with one f32 input of a fixed shape, optimised and planned
/// by tract, ready to run again and again.
///
/// The runner keeps a single tract state (`plan.spawn()`) and reuses it for
/// every call (tract's `plan.run()` would build a fresh state each time), and
/// copies the first output into a buffer it keeps, so `run` returns a slice
/// without allocating a new output vector. Not `Sync`: give each thread its
/// own runner.
///
/// # Recurrent models
///
/// tract runs ONNX `LSTM` / `GRU` / `RNN` as a `Scan` op whose state keeps
/// the last hidden (and cell) state **across calls** of a reused tract state:
/// the second call on the same sequence would start from the first call's
/// final state, not from the zeros ONNX specifies (measured: 0.1 off on
/// softmax outputs after one step). So by default a runner whose plan has any
/// stateful op ([`is_stateful`](Self::is_stateful)) spawns a fresh tract
/// state before each call, and every `run` is the independent evaluation
/// the ONNX file describes. [`set_carry_state(true)`](Self::set_carry_state)
/// keeps the state instead, for streaming: feeding a sequence in chunks (e.g.
/// one step per candle with input shape `[1, 1, features]`) then gives the
/// same result as feeding it whole; [`reset_state`](Self::reset_state)
/// starts a new sequence. Stateless models (MLP, CNN) never respawn.
///
/// Panics inside tract while loading or running are caught and reported as
/// [`OnnxError`]; after a panic during `run` the state is rebuilt.
#[derive(Debug)]
pub struct OnnxRunner {
    origin: String,
    input_shape: Vec<usize>,
    input_len: usize,
    plan: Arc<TypedSimplePlan>,
    state: TypedSimpleState,
    output: Vec<f32>,
    output_shape: Vec<usize>,
    stateful: bool,
    carry_state: bool,
}

impl OnnxRunner {
    /// Loads a model from its serialized bytes, fixing its (only) input to an
    /// f32 tensor of `input_shape`.
    pub fn from_bytes(bytes: &[u8], input_shape: &[usize]) -> Result<Self, OnnxError> {
        let origin = format!("in-memory ONNX model ({} bytes)", bytes.len());
        let parsed = guarded(|| tract_onnx::onnx().model_for_read(&mut Cursor::new(bytes)));
        let model = parsed.map_err(|detail| OnnxError::Parse { origin: origin.clone(), detail })?;
        Self::prepare(origin, model, input_shape)
    }

    /// Loads a model from a file, fixing its (only) input to an f32 tensor of
    /// `input_shape`. External data files, if any, are resolved next to it.
    pub fn from_path(path: impl AsRef<Path>, input_shape: &[usize]) -> Result<Self, OnnxError> {
        let path = path.as_ref();
        let origin = format!("ONNX model file {}", path.display());
        // Opening first turns a missing or unreadable file into an I/O error
        // rather than a parse error.
        std::fs::File::open(path).map_err(|source| OnnxError::Io { origin: origin.clone(), source })?;
        let parsed = guarded(|| tract_onnx::onnx().model_for_path(path));
        let model = parsed.map_err(|detail| OnnxError::Parse { origin: origin.clone(), detail })?;
        Self::prepare(origin, model, input_shape)
    }

    fn prepare(origin: String, model: InferenceModel, input_shape: &[usize]) -> Result<Self, OnnxError> {
        let shape_error = |reason: &str| OnnxError::InputShape {
            origin: origin.clone(),
            shape: input_shape.to_vec(),
            reason: reason.to_string(),
        };
        if input_shape.is_empty() {
            return Err(shape_error("no dimensions"));
        }
        if input_shape.contains(&0) {
            return Err(shape_error("a dimension is 0"));
        }
        let inputs = model.input_outlets().map(<[_]>::len).unwrap_or(0);
        if inputs != 1 {
            return Err(OnnxError::Unsupported {
                origin,
                detail: format!("the model has {inputs} inputs; OnnxRunner feeds exactly one"),
            });
        }
        let outputs = model.output_outlets().map(<[_]>::len).unwrap_or(0);
        if outputs == 0 {
            return Err(OnnxError::Unsupported { origin, detail: "the model has no output".into() });
        }
        let planned = guarded(|| {
            let plan = model.with_input_fact(0, f32::fact(input_shape).into())?.into_optimized()?.into_runnable()?;
            let state = plan.spawn()?;
            let output_shape = plan.model().output_fact(0)?.shape.as_concrete().map(<[usize]>::to_vec);
            Ok((plan, state, output_shape))
        });
        let (plan, state, output_shape) = planned.map_err(|detail| OnnxError::Prepare {
            origin: origin.clone(),
            shape: input_shape.to_vec(),
            detail,
        })?;
        let output_shape = output_shape.unwrap_or_default();
        let stateful = state.op_states.iter().any(Option::is_some);
        Ok(OnnxRunner {
            origin,
            input_len: input_shape.iter().product(),
            input_shape: input_shape.to_vec(),
            plan,
            state,
            output: Vec::with_capacity(output_shape.iter().product()),
            output_shape,
            stateful,
            carry_state: false,
        })
    }

    /// Another runner of the same optimised plan with its own state: what
    /// each instrument of a run gets, so a model is parsed and optimised
    /// once however many instruments it serves.
    pub fn fork(&self) -> Result<Self, OnnxError> {
        let plan = self.plan.clone();
        let state = guarded(|| plan.spawn()).map_err(|detail| OnnxError::Prepare {
            origin: self.origin.clone(),
            shape: self.input_shape.clone(),
            detail,
        })?;
        Ok(OnnxRunner {
            origin: self.origin.clone(),
            input_shape: self.input_shape.clone(),
            input_len: self.input_len,
            plan: self.plan.clone(),
            state,
            output: Vec::with_capacity(self.output.capacity()),
            output_shape: self.output_shape.clone(),
            stateful: self.stateful,
            carry_state: self.carry_state,
        })
    }

    /// Runs the model on `input` (row-major, `input_shape` elements) and
    /// returns its first output, flattened row-major; see
    /// [`output_shape`](Self::output_shape).
    pub fn run(&mut self, input: &[f32]) -> Result<&[f32], OnnxError> {
        if input.len() != self.input_len {
            return Err(OnnxError::InputLength {
                origin: self.origin.clone(),
                shape: self.input_shape.clone(),
                expected: self.input_len,
                got: input.len(),
            });
        }
        if self.stateful && !self.carry_state {
            self.reset_state()?;
        }
        let state = &mut self.state;
        let output = &mut self.output;
        let output_shape = &mut self.output_shape;
        let shape = &self.input_shape;
        let ran = guarded(|| {
            let tensor = Tensor::from_shape(shape, input)?;
            let outputs = state.run(tvec!(tensor.into_tvalue()))?;
            let first = outputs.first().ok_or_else(|| TractError::msg("the model produced no output"))?;
            let view = first.to_plain_array_view::<f32>()?;
            output.clear();
            output.extend(view.iter().copied());
            if output_shape.as_slice() != view.shape() {
                *output_shape = view.shape().to_vec();
            }
            Ok(())
        });
        if let Err(detail) = ran {
            if detail.starts_with(PANIC_PREFIX) {
                // The state may be half-updated: start afresh for the next call.
                let _ = self.reset_state();
            }
            return Err(OnnxError::Run { origin: self.origin.clone(), detail });
        }
        Ok(&self.output)
    }

    /// Whether the planned model has ops that keep state between calls (the
    /// `Scan` of a recurrent layer); see the type's documentation.
    pub fn is_stateful(&self) -> bool {
        self.stateful
    }

    /// For a stateful model: `false` (the default) makes every `run`
    /// independent, starting from the model's initial state; `true` makes each
    /// `run` continue from where the previous one left off, until
    /// [`reset_state`](Self::reset_state). No effect on stateless models.
    pub fn set_carry_state(&mut self, carry: bool) {
        self.carry_state = carry;
    }

    /// Whether state is carried between calls (see [`set_carry_state`](Self::set_carry_state)).
    pub fn carries_state(&self) -> bool {
        self.carry_state
    }

    /// Drops whatever state the model carries, so the next `run` starts from
    /// the model's initial state (a fresh tract state is spawned).
    pub fn reset_state(&mut self) -> Result<(), OnnxError> {
        let plan = &self.plan;
        self.state =
            guarded(|| plan.spawn()).map_err(|detail| OnnxError::Run { origin: self.origin.clone(), detail })?;
        Ok(())
    }

    /// Where the model came from, as used in error messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The fixed input shape.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Number of input values `run` expects (the product of the input shape).
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// Shape of the first output: known after loading when tract could infer
    /// it, and in any case after a successful `run`.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
}

const PANIC_PREFIX: &str = "tract panicked: ";

/// Runs `f`, turning a tract error into its full cause chain and a panic into a message.
fn guarded<T>(f: impl FnOnce() -> TractResult<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(payload) => Err(format!("{PANIC_PREFIX}{}", panic_message(payload.as_ref()))),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}
