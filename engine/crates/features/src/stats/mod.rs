//! Rolling statistics of closes and returns (simple return, rolling skew and
//! excess kurtosis of returns, z-score of the close): distribution-shape
//! features for the agents. Each is computed bar by bar over a fixed ring
//! buffer, like every indicator in this crate.

mod autocorr;
mod drawdown;
mod garch;
mod hurst;
mod moments;
mod percentile;
mod realized;
mod returns;
mod sharpe;
mod trend;
mod zscore;

pub(crate) use moments::ReturnSkewKurt;
pub use moments::{ReturnKurt, ReturnSkew};
pub(crate) use moments::{WindowMoments, WindowVariance};
pub(crate) use percentile::RankQuantiles;
pub(crate) use realized::RealizedVolGroup;
pub use returns::SimpleReturn;
pub use zscore::ZScore;

pub use autocorr::Autocorr;
pub use drawdown::Drawdown;
pub use garch::{GARCH_BACKCAST, Garch11, Garch11Params, GarchValue};
pub use hurst::Hurst;
pub use percentile::{PercentRank, QuantileValues, RollingQuantiles};
pub use realized::{GarmanKlass, RealizedVol};
pub use sharpe::RollingSharpe;
pub use trend::{TrendFit, TrendValue};
