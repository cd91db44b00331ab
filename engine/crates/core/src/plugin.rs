//! What the pipeline records about plugins: which one made a decision
//! ([`PluginStamp`]) and how a call failed ([`PluginFault`]).
//!
//! Both are small `Copy` values so they travel inside pipeline events and
//! decision records without allocating; the WASM host lives in
//! `tradebot-plugin`, which the rest of the engine does not need to know.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A plugin named in a run's config: `kind = "plugin"`, the component file
/// (relative paths are taken from the config file's directory) and the
/// string its `init` receives (the bundled plugins read JSON), given inline
/// or as a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginRef {
    pub path: PathBuf,
    #[serde(default)]
    pub config: String,
    /// A file whose contents are the config string (e.g. the weights
    /// `tradebot train` writes for the learned meta-agent). Loading a run's
    /// config reads it into `config` and clears this, so the config a run
    /// writes back carries the very string the plugin received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<PathBuf>,
}

/// Which slot a plugin fills.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PluginSlot {
    Strategy,
    Sizing,
    MetaAgent,
}

impl PluginSlot {
    pub const fn as_str(self) -> &'static str {
        match self {
            PluginSlot::Strategy => "strategy",
            PluginSlot::Sizing => "sizing",
            PluginSlot::MetaAgent => "meta_agent",
        }
    }
}

/// Why a plugin call did not produce a usable answer. The engine then uses
/// the slot's safe default (no new exposure) for that call.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PluginFault {
    /// The guest trapped (a panic, an unreachable, a bad memory access).
    Trap,
    /// The call used up its fuel (replay's deterministic bound).
    OutOfFuel,
    /// The call ran past its deadline (live's wall-clock bound).
    Timeout,
    /// The guest asked for more memory than its cap.
    OutOfMemory,
    /// The answer broke the contract (NaN, infinity, probabilities that do
    /// not sum to 1, a negative size, an oversized list or string).
    InvalidOutput,
    /// An earlier fault left no working instance and re-instantiating failed.
    Unavailable,
    /// The engine's request did not fit what the plugin was told at `init`
    /// (a symbol or agent it was not given); the plugin was not called.
    BadRequest,
}

impl PluginFault {
    pub const ALL: [PluginFault; 7] = [
        PluginFault::Trap,
        PluginFault::OutOfFuel,
        PluginFault::Timeout,
        PluginFault::OutOfMemory,
        PluginFault::InvalidOutput,
        PluginFault::Unavailable,
        PluginFault::BadRequest,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PluginFault::Trap => "trap",
            PluginFault::OutOfFuel => "out_of_fuel",
            PluginFault::Timeout => "timeout",
            PluginFault::OutOfMemory => "out_of_memory",
            PluginFault::InvalidOutput => "invalid_output",
            PluginFault::Unavailable => "unavailable",
            PluginFault::BadRequest => "bad_request",
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PluginFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const NAME: usize = 32;
const VERSION: usize = 16;

/// A plugin's identity as the decision log prints it:
/// `name@version#hash`, with the first 8 bytes of the SHA-256 of the
/// component's bytes (16 hex digits).
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct PluginStamp {
    name: [u8; NAME],
    name_len: u8,
    version: [u8; VERSION],
    version_len: u8,
    hash: [u8; 8],
}

/// The longest prefix of `s` that fits in `max` bytes on a char boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl PluginStamp {
    /// Name and version are clipped to 32 and 16 bytes.
    pub fn new(name: &str, version: &str, sha256: &[u8; 32]) -> Self {
        let (n, v) = (clip(name, NAME), clip(version, VERSION));
        let mut stamp = PluginStamp {
            name: [0; NAME],
            name_len: n.len() as u8,
            version: [0; VERSION],
            version_len: v.len() as u8,
            hash: [0; 8],
        };
        stamp.name[..n.len()].copy_from_slice(n.as_bytes());
        stamp.version[..v.len()].copy_from_slice(v.as_bytes());
        stamp.hash.copy_from_slice(&sha256[..8]);
        stamp
    }

    pub fn name(&self) -> &str {
        std::str::from_utf8(&self.name[..self.name_len as usize]).unwrap_or("?")
    }

    pub fn version(&self) -> &str {
        std::str::from_utf8(&self.version[..self.version_len as usize]).unwrap_or("?")
    }

    /// The first 8 bytes of the component's SHA-256.
    pub fn hash_prefix(&self) -> [u8; 8] {
        self.hash
    }
}

impl fmt::Display for PluginStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#", self.name(), self.version())?;
        self.hash.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for PluginStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PluginStamp({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_prints_name_version_and_hash_prefix() {
        let mut h = [0u8; 32];
        h[0] = 0xab;
        h[7] = 0x01;
        h[8] = 0xff;
        let s = PluginStamp::new("sma-cross", "0.1.0", &h);
        assert_eq!(s.to_string(), "sma-cross@0.1.0#ab00000000000001");
    }

    #[test]
    fn long_names_are_clipped_on_a_char_boundary() {
        let s = PluginStamp::new(&"é".repeat(40), "1.2.3-very-long-prerelease", &[0; 32]);
        assert_eq!(s.name(), "é".repeat(16));
        assert_eq!(s.version(), "1.2.3-very-long-");
    }
}
