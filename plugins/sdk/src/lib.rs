//! Guest-side helpers for tradebot plugins, so a new plugin is a few dozen
//! lines: the bindings of the three worlds of `wit/tradebot.wit`, their
//! `export_*!` macros, JSON config parsing with the position of an error,
//! the seed's formulas that more than one bundled plugin needs, and a
//! global allocator suited to the per-call allocations of the component
//! boundary ([`alloc`]).
//!
//! Contract `tradebot:plugin@0.2.0` passes names once, at `init`, and only
//! numbers on every call; [`meta::predictions`] unpacks the meta-agent's
//! packed predictions and [`reasons!`] declares a sizing plugin's reason
//! codes.
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
// The generated export glue flattens records into many arguments.
#[allow(clippy::too_many_arguments)]
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
// The generated export glue flattens records into many arguments.
#[allow(clippy::too_many_arguments)]
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
        /// "Do not enter", with the reason's code (see [`reasons!`](crate::reasons)).
        pub fn none(reason: u32) -> Self {
            SizingDecision { target_position: 0.0, stop: None, take_profit: None, reason }
        }

        /// `quantity` units in the request's direction, with the engine's
        /// stop and take-profit.
        pub fn enter(request: &SizingRequest, quantity: f64, reason: u32) -> Self {
            let signed = match request.direction {
                Direction::Short => -quantity,
                _ => quantity,
            };
            SizingDecision { target_position: signed, stop: None, take_profit: None, reason }
        }
    }
}

/// Bindings of the `meta-agent` world.
// The generated export glue flattens records into many arguments.
#[allow(clippy::too_many_arguments)]
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

    /// Numbers per agent in `combine`'s packed predictions.
    pub const FIELDS: usize = 5;

    /// One agent's prediction, unpacked from `combine`'s `list<f64>`.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Prediction {
        /// The agent's position in the `agents` list `init` got.
        pub agent: usize,
        /// Down, neutral, up.
        pub probabilities: [f64; 3],
        pub confidence: f64,
        pub latency_us: f64,
    }

    /// The predictions of the agents that spoke this bar, in `init` order;
    /// an agent whose numbers are NaN (it had nothing to say) is skipped.
    /// A trailing partial group of fewer than [`FIELDS`] numbers is ignored.
    pub fn predictions(packed: &[f64]) -> impl Iterator<Item = Prediction> + Clone + '_ {
        packed.chunks_exact(FIELDS).enumerate().filter_map(|(agent, v)| {
            if v[..4].iter().any(|x| x.is_nan()) {
                return None;
            }
            Some(Prediction { agent, probabilities: [v[0], v[1], v[2]], confidence: v[3], latency_us: v[4] })
        })
    }

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
    pub fn disagreement(predictions: impl Iterator<Item = Prediction>) -> f64 {
        let mut counts = [0usize; 3];
        let mut n = 0usize;
        for p in predictions {
            counts[crate::formulas::argmax(&p.probabilities)] += 1;
            n += 1;
        }
        if n == 0 {
            return 0.0;
        }
        let majority = counts.iter().copied().max().unwrap_or(0);
        1.0 - majority as f64 / n as f64
    }

    /// The seed's should-trade rule.
    pub fn should_trade(confidence: f64, disagreement: f64, min_confidence: f64, max_disagreement: f64) -> bool {
        confidence >= min_confidence && disagreement <= max_disagreement
    }

    /// A decision that never trades, with a note saying why (abstaining is
    /// worth a line in the decision log).
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

/// Declares a sizing plugin's reasons: an enum whose variants are the codes
/// a `sizing-decision` gives, and the list `reasons()` returns, kept in step
/// by construction.
///
/// ```ignore
/// tradebot_plugin_sdk::reasons! {
///     enum Reason {
///         NoPrice = "no equity or no price",
///         Sized = "fixed fractional",
///     }
/// }
/// // in `Guest`: fn reasons() -> Vec<String> { Reason::list() }
/// //             SizingDecision::none(Reason::NoPrice.code())
/// ```
#[macro_export]
macro_rules! reasons {
    ($vis:vis enum $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        $vis enum $name { $($variant),+ }

        impl $name {
            /// The texts, in code order.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            /// What `reasons()` returns.
            pub fn list() -> ::std::vec::Vec<::std::string::String> {
                Self::TEXTS.iter().map(|t| (*t).to_owned()).collect()
            }

            pub const fn code(self) -> u32 {
                self as u32
            }
        }
    };
}

/// `About` from the calling crate's Cargo name and version.
#[macro_export]
macro_rules! about {
    ($world:ident) => {
        $crate::$world::About { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() }
    };
}

#[cfg(test)]
mod tests {
    use super::meta::{FIELDS, Prediction, disagreement, predictions};

    const NAN5: [f64; FIELDS] = [f64::NAN; FIELDS];

    fn packed(rows: &[[f64; FIELDS]]) -> Vec<f64> {
        rows.iter().flatten().copied().collect()
    }

    #[test]
    fn predictions_unpack_in_init_order_and_skip_agents_that_said_nothing() {
        let v = packed(&[[0.2, 0.3, 0.5, 0.9, 12.0], NAN5, [0.6, 0.3, 0.1, 0.4, 3.0]]);
        let got: Vec<Prediction> = predictions(&v).collect();
        assert_eq!(
            got,
            [
                Prediction { agent: 0, probabilities: [0.2, 0.3, 0.5], confidence: 0.9, latency_us: 12.0 },
                Prediction { agent: 2, probabilities: [0.6, 0.3, 0.1], confidence: 0.4, latency_us: 3.0 },
            ]
        );
    }

    #[test]
    fn a_prediction_with_any_nan_probability_or_confidence_counts_as_absent() {
        let v = packed(&[[0.2, f64::NAN, 0.5, 0.9, 1.0], [0.2, 0.3, 0.5, f64::NAN, 1.0]]);
        assert_eq!(predictions(&v).count(), 0);
    }

    #[test]
    fn a_trailing_partial_group_is_ignored() {
        let mut v = packed(&[[0.2, 0.3, 0.5, 0.9, 1.0]]);
        v.extend([0.1, 0.2]);
        assert_eq!(predictions(&v).count(), 1);
    }

    #[test]
    fn disagreement_is_one_minus_the_majority_share() {
        let v = packed(&[
            [0.1, 0.1, 0.8, 1.0, 0.0],
            [0.1, 0.2, 0.7, 1.0, 0.0],
            [0.7, 0.2, 0.1, 1.0, 0.0],
            NAN5,
            [0.2, 0.6, 0.2, 1.0, 0.0],
        ]);
        assert!((disagreement(predictions(&v)) - (1.0 - 2.0 / 4.0)).abs() < 1e-15);
        assert_eq!(disagreement(predictions(&[])), 0.0);
    }

    crate::reasons! {
        enum Reason {
            First = "first",
            Second = "second reason",
        }
    }

    #[test]
    fn reasons_codes_index_the_list() {
        assert_eq!(Reason::list(), ["first", "second reason"]);
        assert_eq!(Reason::First.code(), 0);
        assert_eq!(Reason::Second.code(), 1);
        assert_eq!(Reason::TEXTS[Reason::Second.code() as usize], "second reason");
    }
}
