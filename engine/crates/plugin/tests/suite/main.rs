//! The plugin host's tests, linked into one binary.
//!
//! Every test binary links wasmtime; one binary instead of five saves
//! minutes of linking and gigabytes of disk on a two-core CI machine.

mod determinism;
mod hostile;
mod loading;
mod meta;
mod sizing_parity;
