//! The wasmtime engine, the linker every plugin is checked against, and the
//! per-instance state: an empty WASI context (no files, no network, a frozen
//! clock, deterministic randomness), the memory limiter and the log.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::{self, Level};
use crate::error::PluginError;
use crate::limits::{Budget, PluginLimits};

/// The three worlds of `wit/tradebot.wit`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum World {
    Strategy,
    SizingPolicy,
    MetaAgent,
}

impl World {
    pub const fn as_str(self) -> &'static str {
        match self {
            World::Strategy => "strategy",
            World::SizingPolicy => "sizing-policy",
            World::MetaAgent => "meta-agent",
        }
    }

    /// The functions a component must export to target this world.
    pub const fn exports(self) -> &'static [&'static str] {
        match self {
            World::Strategy => &["init", "about", "features", "on-bar"],
            World::SizingPolicy => &["init", "about", "reasons", "size"],
            World::MetaAgent => &["init", "about", "combine"],
        }
    }
}

/// The WIT package every plugin must be built against.
pub const WIT_PACKAGE: &str = "tradebot:plugin@0.2.0";
/// The version part of [`WIT_PACKAGE`], as import names end.
const WIT_VERSION: &str = "@0.2.0";

/// The epoch ticks per second in deadline mode.
const TICK: Duration = Duration::from_micros(100);

/// One line a plugin logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub level: Level,
    pub message: String,
}

/// Longest log line kept, in bytes.
const MAX_LOG_LINE: usize = 512;
/// Log lines kept per instance until someone drains them.
const LOG_KEEP: usize = 256;

/// Memory limits that also remember a refusal, so a trap that follows a
/// refused `memory.grow` is reported as out-of-memory, not as a plain trap.
pub(crate) struct Limiter {
    inner: StoreLimits,
    pub(crate) denied: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let ok = self.inner.memory_growing(current, desired, maximum)?;
        self.denied |= !ok;
        Ok(ok)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// What a plugin instance's store holds.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) logs: VecDeque<LogLine>,
    /// Lines logged in the current call, and lines dropped by the limits.
    pub(crate) logged_this_call: u32,
    pub(crate) dropped_logs: u64,
    log_lines_per_call: u32,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState").field("logs", &self.logs.len()).finish_non_exhaustive()
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl bindings::strategy::tradebot::plugin::types::Host for HostState {}

impl bindings::strategy::tradebot::plugin::host::Host for HostState {
    fn log(&mut self, level: Level, message: String) {
        if self.logged_this_call >= self.log_lines_per_call {
            self.dropped_logs += 1;
            return;
        }
        self.logged_this_call += 1;
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut end = MAX_LOG_LINE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        if self.logs.len() == LOG_KEEP {
            self.logs.pop_front();
            self.dropped_logs += 1;
        }
        self.logs.push_back(LogLine { level, message });
    }
}

/// A clock stuck at the Unix epoch: plugins get no time but the candle's.
struct FrozenClock;

impl wasmtime_wasi::HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Fixed bytes for the guest's "random" numbers: a Rust guest seeds its
/// `HashMap`s from them, and a replay must not depend on that seed.
fn fixed_entropy() -> Vec<u8> {
    Sha256::digest(b"tradebot plugin entropy: fixed so replays repeat").to_vec()
}

/// Increments the engine's epoch for deadline-bound calls.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A compiled component and what it is.
#[derive(Clone)]
pub struct LoadedComponent {
    pub path: PathBuf,
    pub world: World,
    pub sha256: [u8; 32],
    pub bytes: usize,
    pub(crate) component: Component,
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("path", &self.path)
            .field("world", &self.world)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl LoadedComponent {
    /// `Err` naming both worlds unless the component targets `world`.
    pub(crate) fn expect_world(&self, world: World) -> Result<(), PluginError> {
        if self.world == world {
            Ok(())
        } else {
            Err(PluginError::World {
                path: self.path.clone(),
                message: format!("targets the {} world; this slot needs {}", self.world.as_str(), world.as_str()),
            })
        }
    }

    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}

struct Shared {
    engine: Engine,
    linker: Linker<HostState>,
    limits: PluginLimits,
    _ticker: Option<Ticker>,
}

/// The plugin host: one wasmtime engine and linker for every plugin of a run.
/// Cheap to clone (shared), and `Send + Sync`, so a reload thread can compile
/// with the same engine the hot thread calls into.
#[derive(Clone)]
pub struct PluginHost {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("limits", &self.shared.limits).finish_non_exhaustive()
    }
}

impl PluginHost {
    pub fn new(limits: PluginLimits) -> Result<Self, PluginError> {
        limits.validate().map_err(PluginError::Engine)?;
        let mut config = Config::new();
        match limits.budget {
            Budget::Fuel { .. } => {
                config.consume_fuel(true);
            }
            Budget::Deadline { .. } => {
                config.epoch_interruption(true);
            }
        }
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(e.to_string()))?;
        let mut linker = Linker::<HostState>::new(&engine);
        // Rust's wasip2 standard library imports WASI even when a plugin
        // does no I/O; the context behind it grants nothing (see `store`).
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| PluginError::Engine(e.to_string()))?;
        bindings::strategy::tradebot::plugin::types::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| PluginError::Engine(e.to_string()))?;
        bindings::strategy::tradebot::plugin::host::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| PluginError::Engine(e.to_string()))?;
        let ticker = matches!(limits.budget, Budget::Deadline { .. }).then(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let (e, s) = (engine.clone(), stop.clone());
            let thread = std::thread::Builder::new()
                .name("plugin-epoch".into())
                .spawn(move || {
                    while !s.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        e.increment_epoch();
                    }
                })
                .ok();
            Ticker { stop, thread }
        });
        Ok(PluginHost { shared: Arc::new(Shared { engine, linker, limits, _ticker: ticker }) })
    }

    pub fn limits(&self) -> &PluginLimits {
        &self.shared.limits
    }

    pub(crate) fn linker(&self) -> &Linker<HostState> {
        &self.shared.linker
    }

    /// Reads, hashes and compiles a component and finds its world.
    pub fn load(&self, path: &Path) -> Result<LoadedComponent, PluginError> {
        let bytes =
            std::fs::read(path).map_err(|e| PluginError::Io { path: path.to_owned(), message: e.to_string() })?;
        self.load_bytes(&bytes, path)
    }

    /// As [`load`](Self::load), from bytes already read (`path` names them).
    pub fn load_bytes(&self, bytes: &[u8], path: &Path) -> Result<LoadedComponent, PluginError> {
        let sha256: [u8; 32] = Sha256::digest(bytes).into();
        let component = Component::new(&self.shared.engine, bytes)
            .map_err(|e| PluginError::Compile { path: path.to_owned(), message: e.to_string() })?;
        let world = self.world_of(&component, path)?;
        Ok(LoadedComponent { path: path.to_owned(), world, sha256, bytes: bytes.len(), component })
    }

    fn world_of(&self, component: &Component, path: &Path) -> Result<World, PluginError> {
        let ty = component.component_type();
        let exports: Vec<&str> = ty.exports(&self.shared.engine).map(|(name, _)| name).collect();
        let imports: Vec<&str> = ty.imports(&self.shared.engine).map(|(name, _)| name).collect();
        if let Some(other) = imports.iter().find(|i| i.starts_with("tradebot:plugin/") && !i.ends_with(WIT_VERSION)) {
            let version = other.rsplit_once('@').map_or("no version", |(_, v)| v);
            return Err(PluginError::World {
                path: path.to_owned(),
                message: format!(
                    "built against tradebot:plugin@{version} (it imports {other}); this engine speaks {WIT_PACKAGE}: \
                     rebuild the plugin against wit/tradebot.wit"
                ),
            });
        }
        let worlds = [World::Strategy, World::SizingPolicy, World::MetaAgent];
        let matching: Vec<World> =
            worlds.into_iter().filter(|w| w.exports().iter().all(|e| exports.contains(e))).collect();
        match matching[..] {
            [w] => Ok(w),
            _ => Err(PluginError::World {
                path: path.to_owned(),
                message: format!(
                    "exports [{}] match no single world of {WIT_PACKAGE} (strategy: {:?}; sizing-policy: {:?}; \
                     meta-agent: {:?})",
                    exports.join(", "),
                    World::Strategy.exports(),
                    World::SizingPolicy.exports(),
                    World::MetaAgent.exports()
                ),
            }),
        }
    }

    /// A fresh store: no capabilities, the memory cap, an armed budget.
    pub(crate) fn store(&self) -> Store<HostState> {
        let limits = self.shared.limits;
        let entropy = fixed_entropy();
        let wasi = WasiCtxBuilder::new()
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(wasmtime_wasi::Deterministic::new(entropy.clone()))
            .insecure_random(wasmtime_wasi::Deterministic::new(entropy))
            .insecure_random_seed(0)
            .build();
        let limiter = Limiter {
            inner: StoreLimitsBuilder::new().memory_size(limits.memory_bytes).instances(64).build(),
            denied: false,
        };
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limiter,
            logs: VecDeque::new(),
            logged_this_call: 0,
            dropped_logs: 0,
            log_lines_per_call: limits.log_lines_per_call,
        };
        let mut store = Store::new(&self.shared.engine, state);
        store.limiter(|s| &mut s.limiter);
        store
    }

    /// Arms `store` for one call (`init`: the larger init budget).
    pub(crate) fn arm(&self, store: &mut Store<HostState>, init: bool) {
        let data = store.data_mut();
        data.limiter.denied = false;
        data.logged_this_call = 0;
        match self.shared.limits.budget {
            Budget::Fuel { per_call, init: init_fuel } => {
                // Fuel is enabled on this engine, so this cannot fail.
                let _ = store.set_fuel(if init { init_fuel } else { per_call });
            }
            Budget::Deadline { per_call_us, init_us } => {
                let us = if init { init_us } else { per_call_us };
                store.set_epoch_deadline(us.div_ceil(TICK.as_micros() as u64).max(1));
            }
        }
    }
}
