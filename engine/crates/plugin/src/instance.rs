//! One sandboxed instance of a component, whatever its world: instantiation,
//! `init`, the bounded call, and recovery after a fault.
//!
//! After a trap wasmtime poisons the instance, so the only safe recovery is a
//! fresh store and instance, re-initialised with the same config. That loses
//! whatever state the plugin kept: a stateful strategy starts over.

use std::path::PathBuf;

use tradebot_core::{PluginFault, PluginStamp};
use wasmtime::component::Component;
use wasmtime::{Store, Trap};

use crate::bindings::{About, meta, sizing, strategy};
use crate::error::PluginError;
use crate::host::{HostState, LoadedComponent, LogLine, PluginHost};

/// What `init` gets: the config string for every world, and the names the
/// per-call records index (the meta-agent's agents, the meta-agent's and
/// sizing policy's symbols). Kept, so recovery re-initialises the same way.
#[derive(Clone, Debug, Default)]
pub(crate) struct InitArgs {
    pub(crate) config: String,
    pub(crate) agents: Vec<String>,
    pub(crate) symbols: Vec<String>,
}

impl InitArgs {
    pub(crate) fn config(config: &str) -> Self {
        InitArgs { config: config.to_owned(), ..InitArgs::default() }
    }
}

/// What every world's generated bindings can do.
pub(crate) trait WorldBindings: Sized {
    type Pre: Clone + Send + Sync;
    fn pre(host: &PluginHost, component: &Component) -> wasmtime::Result<Self::Pre>;
    fn instantiate(pre: &Self::Pre, store: &mut Store<HostState>) -> wasmtime::Result<Self>;
    fn init(&self, store: &mut Store<HostState>, args: &InitArgs) -> wasmtime::Result<Result<(), String>>;
    fn about(&self, store: &mut Store<HostState>) -> wasmtime::Result<About>;
}

macro_rules! world_bindings {
    ($bindings:ty, $pre:ty, |$b:ident, $s:ident, $a:ident| $init:expr) => {
        impl WorldBindings for $bindings {
            type Pre = $pre;
            fn pre(host: &PluginHost, component: &Component) -> wasmtime::Result<Self::Pre> {
                <$pre>::new(host.linker().instantiate_pre(component)?)
            }
            fn instantiate(pre: &Self::Pre, store: &mut Store<HostState>) -> wasmtime::Result<Self> {
                pre.instantiate(store)
            }
            fn init(&self, $s: &mut Store<HostState>, $a: &InitArgs) -> wasmtime::Result<Result<(), String>> {
                let $b = self;
                $init
            }
            fn about(&self, store: &mut Store<HostState>) -> wasmtime::Result<About> {
                self.call_about(store)
            }
        }
    };
}

world_bindings!(strategy::Strategy, strategy::StrategyPre<HostState>, |b, s, a| b.call_init(s, &a.config));
world_bindings!(sizing::SizingPolicy, sizing::SizingPolicyPre<HostState>, |b, s, a| b
    .call_init(s, &a.config, &a.symbols));
world_bindings!(meta::MetaAgent, meta::MetaAgentPre<HostState>, |b, s, a| b
    .call_init(s, &a.config, &a.agents, &a.symbols));

/// What a failed call was, from wasmtime's error and the limiter's memory.
fn classify(err: &wasmtime::Error, memory_denied: bool) -> PluginFault {
    if memory_denied {
        return PluginFault::OutOfMemory;
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PluginFault::OutOfFuel,
        Some(Trap::Interrupt) => PluginFault::Timeout,
        _ => PluginFault::Trap,
    }
}

/// `about` must name the plugin with characters that print safely in logs
/// and file names.
fn check_about(about: &About) -> Result<(), String> {
    let name_ok = !about.name.is_empty()
        && about.name.len() <= 32
        && about.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !name_ok {
        return Err(format!("about.name {:?}: need 1-32 of [A-Za-z0-9._-]", about.name));
    }
    let version_ok = !about.version.is_empty()
        && about.version.len() <= 16
        && about.version.bytes().all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b));
    if !version_ok {
        return Err(format!("about.version {:?}: need 1-16 of [A-Za-z0-9.+-]", about.version));
    }
    Ok(())
}

/// A live instance of one component.
pub(crate) struct Instance<B: WorldBindings> {
    host: PluginHost,
    pre: B::Pre,
    store: Store<HostState>,
    /// `None` once recovery failed: every call is then `Unavailable`.
    bindings: Option<B>,
    init: InitArgs,
    pub(crate) path: PathBuf,
    pub(crate) about: About,
    pub(crate) stamp: PluginStamp,
    /// Faults by kind, and recoveries made.
    pub(crate) faults: [u64; PluginFault::ALL.len()],
    pub(crate) recoveries: u64,
}

impl<B: WorldBindings> std::fmt::Debug for Instance<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").field("stamp", &self.stamp).field("faults", &self.faults).finish_non_exhaustive()
    }
}

impl<B: WorldBindings> Instance<B> {
    pub(crate) fn new(host: &PluginHost, loaded: &LoadedComponent, init: InitArgs) -> Result<Self, PluginError> {
        let path = loaded.path.clone();
        let world_err = |e: wasmtime::Error| PluginError::World { path: path.clone(), message: format!("{e:#}") };
        let pre = B::pre(host, &loaded.component).map_err(world_err)?;
        let (store, bindings) = Self::start(host, &pre, &init, &path)?;
        let mut instance = Instance {
            host: host.clone(),
            pre,
            store,
            bindings: Some(bindings),
            init,
            path: path.clone(),
            about: About { name: String::new(), version: String::new() },
            stamp: PluginStamp::new("", "", &loaded.sha256),
            faults: [0; PluginFault::ALL.len()],
            recoveries: 0,
        };
        let about = instance
            .call(|b, s| b.about(s))
            .map_err(|fault| PluginError::SelfTest { path: path.clone(), message: format!("about: {fault}") })?;
        check_about(&about).map_err(|message| PluginError::SelfTest { path: path.clone(), message })?;
        instance.stamp = PluginStamp::new(&about.name, &about.version, &loaded.sha256);
        instance.about = about;
        Ok(instance)
    }

    /// A fresh store and instance, initialised with `init`.
    fn start(
        host: &PluginHost,
        pre: &B::Pre,
        init: &InitArgs,
        path: &std::path::Path,
    ) -> Result<(Store<HostState>, B), PluginError> {
        let mut store = host.store();
        host.arm(&mut store, true);
        let bindings = B::instantiate(pre, &mut store)
            .map_err(|e| PluginError::World { path: path.to_owned(), message: format!("instantiate: {e:#}") })?;
        host.arm(&mut store, true);
        match bindings.init(&mut store, init) {
            Ok(Ok(())) => Ok((store, bindings)),
            Ok(Err(message)) => Err(PluginError::Init { path: path.to_owned(), message }),
            Err(e) => {
                let fault = classify(&e, store.data().limiter.denied);
                Err(PluginError::Init { path: path.to_owned(), message: format!("init failed: {fault}: {e:#}") })
            }
        }
    }

    /// One bounded call. On a fault the instance is replaced by a fresh one
    /// (so the next call can succeed) and the fault is returned.
    #[inline]
    pub(crate) fn call<R>(
        &mut self,
        f: impl FnOnce(&B, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFault> {
        self.call_armed(false, f)
    }

    /// As [`call`](Self::call) with the init budget: for the calls that are
    /// part of loading a plugin (`about`, `reasons`), not of trading.
    pub(crate) fn call_at_load<R>(
        &mut self,
        f: impl FnOnce(&B, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFault> {
        self.call_armed(true, f)
    }

    #[inline]
    fn call_armed<R>(
        &mut self,
        init: bool,
        f: impl FnOnce(&B, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFault> {
        let Some(bindings) = self.bindings.as_ref() else {
            return Err(self.count(PluginFault::Unavailable));
        };
        self.host.arm(&mut self.store, init);
        match f(bindings, &mut self.store) {
            Ok(r) => Ok(r),
            Err(e) => {
                let fault = classify(&e, self.store.data().limiter.denied);
                self.recover();
                Err(self.count(fault))
            }
        }
    }

    pub(crate) fn count(&mut self, fault: PluginFault) -> PluginFault {
        self.faults[fault.index()] += 1;
        fault
    }

    /// An answer that broke the contract: counted, and the instance is
    /// replaced like after any other fault, so a plugin whose state went bad
    /// (a NaN in a running average, say) starts over rather than repeating it.
    #[cold]
    pub(crate) fn invalid_output(&mut self) -> PluginFault {
        self.recover();
        self.count(PluginFault::InvalidOutput)
    }

    #[cold]
    fn recover(&mut self) {
        let logs = std::mem::take(&mut self.store.data_mut().logs);
        match Self::start(&self.host, &self.pre, &self.init, &self.path) {
            Ok((store, bindings)) => {
                self.store = store;
                self.store.data_mut().logs = logs;
                self.bindings = Some(bindings);
                self.recoveries += 1;
            }
            Err(_) => self.bindings = None,
        }
    }

    /// Lines the plugin logged since the last drain.
    pub(crate) fn drain_logs(&mut self) -> Vec<LogLine> {
        self.store.data_mut().logs.drain(..).collect()
    }
}
