//! Guest-side helpers for tradebot plugins, so a new plugin is a few dozen
//! lines: the bindings of the three worlds of `wit/tradebot.wit`, their
//! `export_*!` macros, JSON config parsing with the position of an error,
//! the seed's formulas that more than one bundled plugin needs, and a
//! global allocator suited to the per-call allocations of the component
//! boundary ([`alloc`]).
//!
//! A plugin crate is a `cdylib` that implements one world's `Guest` trait and
//! calls that world's macro:
//!
//! ```ignore
//! use tradebot_plugin_sdk::strategy::{Guest, Candle, Signal};
//! struct MyStrategy;
//! impl Guest for MyStrategy { /* init, about, features, on_bar */ }
//! tradebot_plugin_sdk::strategy::export_strategy!(MyStrategy);
//! ```
//!
//! and builds with `cargo build --release --target wasm32-wasip2`.

pub mod alloc;
pub mod config;
pub mod formulas;

/// Every plugin built with the SDK's default `allocator` feature allocates
/// through [`alloc::PluginAllocator`] (why: see that module).
#[cfg(all(feature = "allocator", target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: alloc::PluginAllocator = alloc::PluginAllocator::new();

/// Bindings of the `strategy` world.
pub mod strategy {
    wit_bindgen::generate!({
        world: "strategy",
        path: "../../wit",
        default_bindings_module: "tradebot_plugin_sdk::strategy",
        pub_export_macro: true,
        export_macro_name: "export_strategy",
    });
    pub use self::tradebot::plugin::host::{Level, log};
    pub use self::tradebot::plugin::types::Direction;
}

/// Bindings of the `sizing-policy` world.
pub mod sizing {
    wit_bindgen::generate!({
        world: "sizing-policy",
        path: "../../wit",
        default_bindings_module: "tradebot_plugin_sdk::sizing",
        pub_export_macro: true,
        export_macro_name: "export_sizing_policy",
    });
    pub use self::tradebot::plugin::host::{Level, log};
    pub use self::tradebot::plugin::types::{Direction, TradeStats};

    impl SizingDecision {
        /// "Do not enter", with the reason.
        pub fn none(reason: impl Into<String>) -> Self {
            SizingDecision { target_position: 0.0, stop: None, take_profit: None, reason: reason.into() }
        }

        /// `quantity` units in the request's direction, with the engine's
        /// stop and take-profit.
        pub fn enter(request: &SizingRequest, quantity: f64, reason: impl Into<String>) -> Self {
            let signed = match request.direction {
                Direction::Short => -quantity,
                _ => quantity,
            };
            SizingDecision { target_position: signed, stop: None, take_profit: None, reason: reason.into() }
        }
    }
}

/// Bindings of the `meta-agent` world.
pub mod meta {
    wit_bindgen::generate!({
        world: "meta-agent",
        path: "../../wit",
        default_bindings_module: "tradebot_plugin_sdk::meta",
        pub_export_macro: true,
        export_macro_name: "export_meta_agent",
    });
    pub use self::tradebot::plugin::host::{Level, log};
    pub use self::tradebot::plugin::types::{Note, Probabilities, Regime};

    impl Probabilities {
        pub fn as_array(&self) -> [f64; 3] {
            [self.down, self.neutral, self.up]
        }

        pub fn from_array(p: [f64; 3]) -> Self {
            Probabilities { down: p[0], neutral: p[1], up: p[2] }
        }
    }

    /// The seed's disagreement: one minus the share of agents whose most
    /// probable class is the most common one (0 when all agree; 0 without
    /// agents).
    pub fn disagreement(predictions: &[AgentPrediction]) -> f64 {
        if predictions.is_empty() {
            return 0.0;
        }
        let mut counts = [0usize; 3];
        for p in predictions {
            counts[crate::formulas::argmax(&p.probabilities.as_array())] += 1;
        }
        let majority = counts.iter().copied().max().unwrap_or(0);
        1.0 - majority as f64 / predictions.len() as f64
    }

    /// The seed's should-trade rule.
    pub fn should_trade(confidence: f64, disagreement: f64, min_confidence: f64, max_disagreement: f64) -> bool {
        confidence >= min_confidence && disagreement <= max_disagreement
    }

    /// A decision that never trades, for empty input.
    pub fn abstain(reason: &str) -> MetaDecision {
        MetaDecision {
            probabilities: Probabilities { down: 0.0, neutral: 1.0, up: 0.0 },
            confidence: 0.0,
            disagreement: 0.0,
            should_trade: false,
            notes: vec![Note { key: "abstain".into(), value: reason.into() }],
        }
    }
}

/// `About` from the calling crate's Cargo name and version.
#[macro_export]
macro_rules! about {
    ($world:ident) => {
        $crate::$world::About { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() }
    };
}
