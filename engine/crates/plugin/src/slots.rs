//! [`WasmSlots`]: the kernel's [`SlotProvider`] backed by this host.

use std::sync::Mutex;

use tradebot_core::{PluginRef, Symbol};
use tradebot_kernel::{SlotProvider, StrategyBundle, StrategyReload};
use tradebot_risk::SizingPolicy;
use tradebot_strategy::{EnsembleConfig, Strategy};

use crate::host::PluginHost;
use crate::reload::{ReloadHandle, StrategyReloader, build_ensembles, watch_ensemble, watch_strategy};
use crate::sizing::{WasmSizing, self_test_sizing};
use crate::strategy::{WasmStrategy, self_test_strategy};

/// Loads, self-tests and instantiates the plugins a run configures.
#[derive(Debug)]
pub struct WasmSlots {
    host: PluginHost,
    /// Watch strategy and meta-agent files for new versions (paper/live, or
    /// a replay that asks for it).
    hot_reload: bool,
    handles: Mutex<Vec<ReloadHandle>>,
}

impl WasmSlots {
    pub fn new(host: PluginHost, hot_reload: bool) -> Self {
        WasmSlots { host, hot_reload, handles: Mutex::new(Vec::new()) }
    }

    /// Keeps the operator's handle of a new watcher and gives the kernel its side.
    fn keep(&self, (reloader, handle): (StrategyReloader, ReloadHandle)) -> Box<dyn StrategyReload> {
        if let Ok(mut h) = self.handles.lock() {
            h.push(handle);
        }
        Box::new(reloader)
    }

    /// The reload handles of the strategies and ensembles built so far.
    pub fn reload_handles(&self) -> Vec<ReloadHandle> {
        self.handles.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

impl SlotProvider for WasmSlots {
    fn strategies(&self, plugin: &PluginRef, symbols: &[Symbol]) -> Result<StrategyBundle, String> {
        let loaded = self.host.load(&plugin.path).map_err(|e| e.to_string())?;
        self_test_strategy(&self.host, &loaded, &plugin.config).map_err(|e| e.to_string())?;
        let mut strategies: Vec<Box<dyn Strategy>> = Vec::with_capacity(symbols.len());
        for _ in symbols {
            strategies
                .push(Box::new(WasmStrategy::new(&self.host, &loaded, &plugin.config).map_err(|e| e.to_string())?));
        }
        let reload = if self.hot_reload {
            let features = strategies.first().map(|s| s.features().to_vec()).unwrap_or_default();
            Some(self.keep(watch_strategy(
                &self.host,
                plugin.path.clone(),
                plugin.config.clone(),
                symbols.to_vec(),
                features,
                loaded.sha256,
            )))
        } else {
            None
        };
        Ok(StrategyBundle { strategies, reload })
    }

    fn ensemble(
        &self,
        config: &EnsembleConfig,
        symbols: &[Symbol],
        agents: &[String],
    ) -> Result<StrategyBundle, String> {
        let loaded = self.host.load(&config.meta.path).map_err(|e| e.to_string())?;
        let (strategies, _) = build_ensembles(&self.host, &loaded, config, symbols, agents)?;
        let reload = self.hot_reload.then(|| {
            self.keep(watch_ensemble(&self.host, config.clone(), symbols.to_vec(), agents.to_vec(), loaded.sha256))
        });
        Ok(StrategyBundle { strategies, reload })
    }

    fn sizing(&self, plugin: &PluginRef, symbols: &[Symbol]) -> Result<Box<dyn SizingPolicy>, String> {
        let loaded = self.host.load(&plugin.path).map_err(|e| e.to_string())?;
        self_test_sizing(&self.host, &loaded, &plugin.config).map_err(|e| e.to_string())?;
        Ok(Box::new(WasmSizing::new(&self.host, &loaded, &plugin.config, symbols).map_err(|e| e.to_string())?))
    }
}
