//! The value types every other tradebot crate speaks: instants on the engine's
//! clock, symbols, bar intervals, exact fixed-point decimals and candles.
//!
//! They live in their own crate so the store, the importer, the pipeline and
//! the plugins agree on one definition without depending on each other.
//!
//! # How numbers are represented
//!
//! Prices and quantities are **decimal fixed-point**: an `i64` mantissa plus a
//! number of decimal places ([`Scale`]). A store file fixes one scale for its
//! price columns and one for its volume column, chosen at import as the largest
//! number of decimal places the data uses. This keeps every value a venue sent
//! exact (no binary rounding of `0.1`), makes import → export a byte-for-byte
//! round trip of the value, and means a venue's tick size (`0.01`) or lot size
//! (`0.001`) is an integer number of mantissa units at a fine enough scale, so
//! orders can later be rounded to ticks and lots with integer arithmetic.
//! Analytics (indicators, models) work in `f64`; [`Scale::to_f64`] converts by
//! a correctly rounded division, which yields exactly the `f64` that parsing
//! the decimal text would give whenever the mantissa is below 2^53.
//!
//! Time is [`Timestamp`]: signed nanoseconds since the Unix epoch, always UTC.

mod candle;
mod decimal;
mod error;
mod float;
mod interval;
mod plugin;
mod symbol;
mod time;
mod trading;

pub use candle::{Candle, RawCandle, SanityViolation, Trade};
pub use decimal::{Decimal, Scale, format_mantissa, parse_decimal};
pub use error::{DecimalError, IntervalError, SymbolError, TimeError};
pub use float::{finite, positive_finite};
pub use interval::Interval;
pub use plugin::{PluginFault, PluginRef, PluginSlot, PluginStamp};
pub use symbol::Symbol;
pub use time::Timestamp;
pub use trading::{
    ClientOrderId, Fill, OcoGroup, OrderEvent, OrderKind, OrderPurpose, OrderReason, OrderRequest, OrderStatus, Side,
    SymbolId,
};
