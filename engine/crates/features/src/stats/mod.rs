//! Rolling statistics of closes and returns (simple return, rolling skew and
//! excess kurtosis of returns, z-score of the close): distribution-shape
//! features for the agents. Each is computed bar by bar over a fixed ring
//! buffer, like every indicator in this crate.

mod moments;
mod returns;
mod zscore;

pub(crate) use moments::WindowMoments;
pub use moments::{ReturnKurt, ReturnSkew};
pub use returns::SimpleReturn;
pub use zscore::ZScore;
