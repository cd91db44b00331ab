//! Import errors name the file, the line and the column.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;
use tradebot_store::StoreError;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input itself is bad at a given place.
    #[error("{}", Located { file, line: *line, column: column.as_deref(), message })]
    Data { file: PathBuf, line: u64, column: Option<String>, message: String },
    #[error("{path}: {op}: {source}")]
    Io { path: PathBuf, op: &'static str, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
}

struct Located<'a> {
    file: &'a PathBuf,
    line: u64,
    column: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(c) = self.column {
            write!(f, "column '{c}': ")?;
        }
        f.write_str(self.message)
    }
}

impl ImportError {
    pub(crate) fn data(file: &std::path::Path, line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        ImportError::Data { file: file.to_path_buf(), line, column: column.map(str::to_owned), message: message.into() }
    }

    pub(crate) fn io(path: &std::path::Path, op: &'static str) -> impl FnOnce(std::io::Error) -> ImportError {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, op, source }
    }

    /// Whether the input (file, store, arguments) was at fault, as opposed to
    /// the environment (disk, permissions). The CLI exits 2 for the former.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ImportError::Data { .. } | ImportError::Usage(_) => true,
            ImportError::Io { .. } => false,
            ImportError::Store(e) => !matches!(e, StoreError::Io { .. }),
        }
    }
}
