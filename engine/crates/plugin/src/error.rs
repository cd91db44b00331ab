//! Why a plugin could not be loaded.

use std::path::PathBuf;

use thiserror::Error;

/// A plugin was refused. Every variant names the file; none of them leaves
/// anything half-loaded behind (a reload keeps the old plugin running).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PluginError {
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}: not a WebAssembly component this engine can compile: {message}", path.display())]
    Compile { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    World { path: PathBuf, message: String },
    #[error("{}: init refused the config: {message}", path.display())]
    Init { path: PathBuf, message: String },
    #[error("{}: self-test failed: {message}", path.display())]
    SelfTest { path: PathBuf, message: String },
    #[error("plugin engine: {0}")]
    Engine(String),
}

impl PluginError {
    /// The user's file or config is at fault (exit status 2), not the machine.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, PluginError::Io { .. } | PluginError::Engine(_))
    }
}
