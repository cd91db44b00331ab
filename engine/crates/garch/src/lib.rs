//! GARCH(1,1) volatility model, fitted by maximum likelihood.
//!
//! Why this crate exists: the streaming GARCH filter in `tradebot-features`
//! needs parameters, and those have to be estimated from history. This crate
//! does the estimation offline (it is not a per-bar hot path) and reproduces
//! what Python's `arch` 8.0 does for `arch_model(r, mean="Constant",
//! vol="GARCH", p=1, q=1, dist="normal")`, so a fit here can be checked
//! against, and swapped for, one made there (`tests/golden/arch/`).
//!
//! The model, on percent returns `r_t` ([`returns_from_closes`]):
//!
//! ```text
//! e_t   = r_t - mu
//! s_t^2 = omega + alpha * e_{t-1}^2 + beta * s_{t-1}^2
//! ll    = -1/2 * sum_t ( ln(2 pi) + ln s_t^2 + e_t^2 / s_t^2 )
//! ```
//!
//! with `omega > 0`, `alpha, beta >= 0` and `alpha + beta < 1`. The recursion
//! starts from arch's *backcast* ([`backcast`]): `e_{-1}^2` and `s_{-1}^2` are
//! both replaced by an exponentially weighted mean (decay 0.94) of the first
//! 75 squared demeaned returns.
//!
//! [`fit`] maximises `ll` with `argmin`'s L-BFGS on an unconstrained
//! reparametrisation (so the constraints hold by construction, also for data
//! whose likelihood peaks on the `alpha + beta = 1` boundary), from the best
//! few points of a grid of starting values, like arch.
//!
//! [`RollingGarch`] is the streaming form the volatility agent uses: it
//! refits on a trailing window at a fixed cadence and filters forward in
//! between, from past bars only, so the same code makes the agent's
//! training inputs and its served forecasts.

mod error;
mod fit;
mod model;
mod rolling;

pub use error::GarchError;
pub use fit::{GarchFit, MAX_PERSISTENCE, MIN_RETURNS, fit};
pub use model::{BACKCAST_DECAY, BACKCAST_WINDOW, Garch11, backcast, returns_from_closes};
pub use rolling::{RollingGarch, RollingGarchConfig};
