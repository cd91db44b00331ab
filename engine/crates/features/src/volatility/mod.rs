//! Volatility indicators (Bollinger bands, true range, normalised ATR,
//! Parkinson high-low volatility): inputs for the agents' features and for
//! volatility-aware risk.

mod bollinger;
mod natr;
mod parkinson;
mod trange;

pub use bollinger::{Bollinger, BollingerBands};
pub use natr::Natr;
pub use parkinson::Parkinson;
pub use trange::TrueRange;
