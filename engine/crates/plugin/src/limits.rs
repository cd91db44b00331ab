//! How much a plugin call may use: fuel or a deadline, and memory.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How calls are bounded.
///
/// Replay bounds calls by **fuel** (a count of executed WebAssembly
/// instructions): the same call on the same input always stops at the same
/// point, so a run stays deterministic even when a plugin runs away. Live
/// trading bounds them by a **deadline** (wasmtime's epoch interruption): a
/// wall-clock limit that says nothing about determinism but everything about
/// latency.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Budget {
    Fuel { per_call: u64, init: u64 },
    Deadline { per_call_us: u64, init_us: u64 },
}

impl Default for Budget {
    fn default() -> Self {
        // A sizing call uses ~1,000 fuel and a meta-agent call with six
        // agents a few thousand: 10 M is three to four orders of magnitude
        // of headroom and still stops a runaway loop within a few ms.
        Budget::Fuel { per_call: 10_000_000, init: 1_000_000_000 }
    }
}

/// Resource limits of every plugin instance (`[plugins]` in a run config).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginLimits {
    pub budget: Budget,
    /// Linear memory cap per instance. A Rust guest needs ~1.1 MiB to start.
    pub memory_bytes: usize,
    /// Log lines a plugin may emit per call; the rest are counted, not kept.
    pub log_lines_per_call: u32,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits { budget: Budget::default(), memory_bytes: 32 << 20, log_lines_per_call: 4 }
    }
}

impl PluginLimits {
    /// The live-trading flavour: deadlines instead of fuel.
    pub fn live(per_call: Duration) -> Self {
        PluginLimits {
            budget: Budget::Deadline {
                per_call_us: per_call.as_micros().max(1) as u64,
                init_us: Duration::from_secs(1).as_micros() as u64,
            },
            ..PluginLimits::default()
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        match self.budget {
            Budget::Fuel { per_call, init } if per_call == 0 || init == 0 => {
                return Err("plugins.budget: fuel must be positive".into());
            }
            Budget::Deadline { per_call_us, init_us } if per_call_us == 0 || init_us == 0 => {
                return Err("plugins.budget: deadlines must be positive".into());
            }
            _ => {}
        }
        if self.memory_bytes < 2 << 20 {
            return Err(format!(
                "plugins.memory_bytes: {} is below the 2 MiB a Rust guest needs to start",
                self.memory_bytes
            ));
        }
        Ok(())
    }
}
