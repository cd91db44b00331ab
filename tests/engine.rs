//! The engine's end-to-end tests, linked into one binary.
//!
//! Each module is a specification of one user-facing capability, driven
//! through the real `tradebot` binary or the public library. They share one
//! test binary on purpose: every binary links the whole engine (wasmtime,
//! tract), and six copies of that cost minutes of linking and gigabytes of
//! disk on a two-core CI machine.

mod common;

mod bundled_data;
mod cli_features;
mod cli_fit;
mod cli_import;
mod ensemble;
mod plugins;
mod replay;
mod train;
