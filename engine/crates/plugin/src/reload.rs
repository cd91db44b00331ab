//! Hot reload of the signal stage's component while a run goes on: a
//! strategy plugin ([`watch_strategy`]) or the ensemble's meta-agent
//! ([`watch_ensemble`]).
//!
//! A watcher thread polls the component file (size, modification time and,
//! when those change, the SHA-256 of its bytes) and also answers explicit
//! requests ([`ReloadHandle::request`], the control command). A changed file
//! is compiled, checked against its world, self-tested (a strategy must also
//! read exactly the features the run computes; a meta-agent is initialised
//! with the run's agents and symbols), and instantiated once per symbol, all
//! on the watcher thread. Only a complete, working replacement is
//! handed to the signal stage, which swaps it in at the next time step, so
//! every symbol switches between the same two candles. On any failure the
//! old version keeps running and the failure is recorded.
//!
//! The hand-over is a lock-free single-slot queue each way (new bundle in,
//! retired bundle out, dropped here rather than on the hot thread).
//!
//! Polling, rather than inotify, because it also sees files replaced by
//! rename or on network filesystems, and 100 ms is far below any reason to
//! hot-swap a strategy.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_queue::ArrayQueue;
use sha2::{Digest, Sha256};
use tradebot_core::{PluginStamp, Symbol};
use tradebot_features::FeatureSpec;
use tradebot_kernel::StrategyReload;
use tradebot_strategy::{EnsembleConfig, Strategy};

use crate::ensemble::WasmEnsemble;
use crate::host::{LoadedComponent, PluginHost};
use crate::meta::self_test_meta;
use crate::strategy::{WasmStrategy, self_test_strategy};

const POLL: Duration = Duration::from_millis(100);

type Bundle = Vec<Box<dyn Strategy>>;

/// What happened to one reload attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadEvent {
    /// Compiled, tested and handed over; it trades from the next step.
    Staged(PluginStamp),
    /// Refused; the running version stays.
    Rejected { reason: String },
}

struct Shared {
    requested: AtomicBool,
    stop: AtomicBool,
    events: Mutex<Vec<ReloadEvent>>,
    attempts: AtomicU64,
}

/// The operator's side of a reloading strategy: request a reload, read what
/// happened. Cloneable; never touches the hot thread.
#[derive(Clone)]
pub struct ReloadHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ReloadHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadHandle").finish_non_exhaustive()
    }
}

impl ReloadHandle {
    /// Reload now, whether or not the file looks changed (the control command).
    pub fn request(&self) {
        self.shared.requested.store(true, Ordering::Release);
    }

    /// Every reload attempt so far, oldest first.
    pub fn events(&self) -> Vec<ReloadEvent> {
        self.shared.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Waits until `n` attempts have finished (or `timeout` passed).
    pub fn wait_for_attempts(&self, n: u64, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.shared.attempts.load(Ordering::Acquire) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }
}

/// The signal stage's side: implements the kernel's [`StrategyReload`].
pub struct StrategyReloader {
    ready: Arc<ArrayQueue<Bundle>>,
    retired: Arc<ArrayQueue<Bundle>>,
    handle: ReloadHandle,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StrategyReloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrategyReloader").finish_non_exhaustive()
    }
}

impl Drop for StrategyReloader {
    fn drop(&mut self) {
        self.handle.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl StrategyReload for StrategyReloader {
    #[inline]
    fn poll(&mut self) -> Option<Bundle> {
        self.ready.pop()
    }

    fn retire(&mut self, old: Bundle) {
        // Full only if the watcher stopped draining; then drop here.
        let _ = self.retired.push(old);
    }
}

/// Builds a complete replacement bundle from a component's bytes.
type Build = Box<dyn FnMut(&[u8]) -> Result<(Bundle, PluginStamp), String> + Send>;

struct Watch {
    path: PathBuf,
    build: Build,
    current: [u8; 32],
    seen: Option<(u64, SystemTime)>,
}

fn file_sig(path: &std::path::Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// A strategy bundle, one instance per symbol, reading `features`.
fn build_strategies(
    host: &PluginHost,
    path: &std::path::Path,
    bytes: &[u8],
    config: &str,
    symbols: &[Symbol],
    features: &[FeatureSpec],
) -> Result<(Bundle, PluginStamp), String> {
    let loaded = host.load_bytes(bytes, path).map_err(|e| e.to_string())?;
    self_test_strategy(host, &loaded, config).map_err(|e| e.to_string())?;
    let mut bundle: Bundle = Vec::with_capacity(symbols.len());
    let mut stamp = None;
    for _ in symbols {
        let s = WasmStrategy::new(host, &loaded, config).map_err(|e| e.to_string())?;
        if s.features() != features {
            return Err(format!(
                "{}: reads {:?}, the run computes {:?}; a reload cannot change the features (restart instead)",
                path.display(),
                s.columns(),
                features
            ));
        }
        stamp = Some(s.stamp());
        bundle.push(Box::new(s));
    }
    let stamp = stamp.ok_or_else(|| "no symbols".to_owned())?;
    Ok((bundle, stamp))
}

/// An ensemble bundle: the meta-agent `loaded`, self-tested with the run's
/// agents and symbols, one instance per symbol. The run's first load and
/// every reload build it the same way.
pub(crate) fn build_ensembles(
    host: &PluginHost,
    loaded: &LoadedComponent,
    config: &EnsembleConfig,
    symbols: &[Symbol],
    agents: &[String],
) -> Result<(Bundle, PluginStamp), String> {
    let names: Vec<String> = symbols.iter().map(|s| s.as_str().to_owned()).collect();
    self_test_meta(host, loaded, &config.meta.config, agents, &names).map_err(|e| e.to_string())?;
    let mut bundle: Bundle = Vec::with_capacity(symbols.len());
    let mut stamp = None;
    for symbol in 0..symbols.len() {
        let e = WasmEnsemble::new(host, loaded, config, symbols, symbol, agents).map_err(|e| e.to_string())?;
        stamp = Some(e.stamp());
        bundle.push(Box::new(e));
    }
    let stamp = stamp.ok_or_else(|| "no symbols".to_owned())?;
    Ok((bundle, stamp))
}

/// Starts watching a strategy component at `path`; `current` is the SHA-256
/// of the running version and `features` what the run computes for it.
pub fn watch_strategy(
    host: &PluginHost,
    path: PathBuf,
    config: String,
    symbols: Vec<Symbol>,
    features: Vec<FeatureSpec>,
    current: [u8; 32],
) -> (StrategyReloader, ReloadHandle) {
    let (host, at) = (host.clone(), path.clone());
    let build: Build = Box::new(move |bytes| build_strategies(&host, &at, bytes, &config, &symbols, &features));
    watch(path, current, build)
}

/// Starts watching the ensemble's meta-agent component (`config.meta.path`);
/// a replacement is initialised with the same config, agents and symbols.
pub fn watch_ensemble(
    host: &PluginHost,
    config: EnsembleConfig,
    symbols: Vec<Symbol>,
    agents: Vec<String>,
    current: [u8; 32],
) -> (StrategyReloader, ReloadHandle) {
    let (host, path) = (host.clone(), config.meta.path.clone());
    let at = path.clone();
    let build: Build = Box::new(move |bytes| {
        let loaded = host.load_bytes(bytes, &at).map_err(|e| e.to_string())?;
        build_ensembles(&host, &loaded, &config, &symbols, &agents)
    });
    watch(path, current, build)
}

fn watch(path: PathBuf, current: [u8; 32], build: Build) -> (StrategyReloader, ReloadHandle) {
    let shared = Arc::new(Shared {
        requested: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        events: Mutex::new(Vec::new()),
        attempts: AtomicU64::new(0),
    });
    let handle = ReloadHandle { shared: shared.clone() };
    let ready = Arc::new(ArrayQueue::new(1));
    let retired = Arc::new(ArrayQueue::new(4));
    let mut watch = Watch { seen: file_sig(&path), path, build, current };
    let (r, old) = (ready.clone(), retired.clone());
    let thread = std::thread::Builder::new()
        .name("plugin-reload".into())
        .spawn(move || {
            while !shared.stop.load(Ordering::Acquire) {
                std::thread::sleep(POLL);
                while old.pop().is_some() {}
                let forced = shared.requested.swap(false, Ordering::AcqRel);
                let sig = file_sig(&watch.path);
                if !forced && (sig == watch.seen || sig.is_none()) {
                    continue;
                }
                watch.seen = sig;
                let Ok(bytes) = std::fs::read(&watch.path) else { continue };
                let hash: [u8; 32] = Sha256::digest(&bytes).into();
                if hash == watch.current && !forced {
                    continue;
                }
                let event = match (watch.build)(&bytes) {
                    Ok((bundle, stamp)) => {
                        // A staged bundle nobody took yet is superseded.
                        drop(r.force_push(bundle));
                        watch.current = hash;
                        ReloadEvent::Staged(stamp)
                    }
                    Err(reason) => ReloadEvent::Rejected { reason },
                };
                if let Ok(mut events) = shared.events.lock() {
                    events.push(event);
                }
                shared.attempts.fetch_add(1, Ordering::AcqRel);
            }
        })
        .ok();
    (StrategyReloader { ready, retired, handle: handle.clone(), thread }, handle)
}
