//! Maximum-likelihood estimation of a [`Garch11`].
//!
//! The optimiser works on an unconstrained vector `theta` that maps onto
//! parameters satisfying the constraints by construction:
//!
//! ```text
//! mu          = mean(r) + sd(r) * theta0
//! omega       = var(r) * exp(theta1)                      > 0
//! persistence = MAX_PERSISTENCE * logistic(theta2)        in (0, 1 - 1e-9]
//! alpha       = persistence * logistic(theta3)            >= 0
//! beta        = persistence * logistic(-theta3)           >= 0
//! ```
//!
//! The scaling by the sample moments makes the problem look the same for
//! every market and bar size, and the cost is the *mean* negative
//! log-likelihood, so the tolerances are scale-free too. When the likelihood
//! peaks on `alpha + beta = 1` (an integrated GARCH, as arch reports for
//! `UNITTEST_BTC-30m`), `theta2` just runs towards +inf, the gradient there
//! vanishes and the search stops a hair inside the boundary.

use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, State, TerminationReason, TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;
use serde::{Deserialize, Serialize};

use crate::error::GarchError;
use crate::model::{Garch11, backcast, mean};

/// Fewest returns [`fit`] accepts.
pub const MIN_RETURNS: usize = 100;

/// Largest `alpha + beta` a fit can return: the stationarity constraint
/// `alpha + beta < 1` with a margin, so the long-run variance stays finite.
pub const MAX_PERSISTENCE: f64 = 1.0 - 1e-9;

/// Starting points of the optimiser that are tried (the best of the grid).
const STARTS: usize = 3;
/// L-BFGS history length.
const LBFGS_MEMORY: usize = 10;
const MAX_ITERS: u64 = 1000;

/// A fitted GARCH(1,1). Serialises with the field names of
/// `tests/golden/arch/garch11.arch.json` (`n_returns`, `mu`, `omega`,
/// `alpha`, `beta`, `loglikelihood`, `next_variance`), then the optimiser's
/// `converged` and `iterations`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GarchFit {
    /// Number of returns fitted.
    pub n_returns: usize,
    /// The maximum-likelihood parameters.
    #[serde(flatten)]
    pub params: Garch11,
    /// Log-likelihood at `params`.
    pub loglikelihood: f64,
    /// One-step-ahead variance forecast after the last return.
    pub next_variance: f64,
    /// Whether the optimiser stopped on its convergence criterion (rather
    /// than on its iteration limit).
    #[serde(default)]
    pub converged: bool,
    /// Iterations of the optimiser run that produced `params`.
    #[serde(default)]
    pub iterations: u64,
}

/// Fits a constant-mean GARCH(1,1) with normal innovations to percent
/// `returns` by maximum likelihood (see the crate docs for the model and
/// [`backcast`] for how the recursion starts).
///
/// # Errors
///
/// [`GarchError::TooFewReturns`] below [`MIN_RETURNS`],
/// [`GarchError::NonFinite`] for a NaN or infinite return (naming the first),
/// [`GarchError::ZeroVariance`] for constant returns, and
/// [`GarchError::Optimiser`] if the optimisation failed from every start.
pub fn fit(returns: &[f64]) -> Result<GarchFit, GarchError> {
    if returns.len() < MIN_RETURNS {
        return Err(GarchError::TooFewReturns { got: returns.len(), min: MIN_RETURNS });
    }
    if let Some((index, &value)) = returns.iter().enumerate().find(|(_, r)| !r.is_finite()) {
        return Err(GarchError::NonFinite { index, value });
    }
    let m = mean(returns);
    let var = returns.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / returns.len() as f64;
    if !(var > 0.0 && var.is_finite()) {
        return Err(GarchError::ZeroVariance);
    }
    let problem = Objective::new(returns, m, var);

    let mut best: Option<Run> = None;
    let mut last_error = None;
    for start in problem.starts() {
        match problem.lbfgs(start.clone()).or_else(|_| problem.nelder_mead(start)) {
            Ok(run) => {
                if best.as_ref().is_none_or(|b| run.cost < b.cost) {
                    best = Some(run);
                }
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some(run) = best else {
        return Err(GarchError::Optimiser(
            last_error.map_or_else(|| "no starting point".to_owned(), |e| e.to_string()),
        ));
    };
    let params = problem.params(&run.theta);
    let pass = params.pass(returns, problem.backcast);
    if !pass.loglikelihood.is_finite() {
        return Err(GarchError::Optimiser("the optimum has a non-finite log-likelihood".to_owned()));
    }
    Ok(GarchFit {
        n_returns: returns.len(),
        params,
        loglikelihood: pass.loglikelihood,
        next_variance: pass.next_variance,
        converged: run.converged,
        iterations: run.iterations,
    })
}

/// The outcome of one optimiser run.
#[derive(Debug)]
struct Run {
    theta: Vec<f64>,
    cost: f64,
    converged: bool,
    iterations: u64,
}

/// Mean negative log-likelihood as a function of the unconstrained `theta`.
#[derive(Debug, Clone, Copy)]
struct Objective<'a> {
    returns: &'a [f64],
    backcast: f64,
    mean: f64,
    sd: f64,
    var: f64,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

impl<'a> Objective<'a> {
    /// `mean` and `var` (population) of `returns`, `var > 0`.
    fn new(returns: &'a [f64], mean: f64, var: f64) -> Self {
        Self { returns, backcast: backcast(returns), mean, sd: var.sqrt(), var }
    }

    fn params(&self, theta: &[f64]) -> Garch11 {
        let persistence = MAX_PERSISTENCE * logistic(theta[2]);
        Garch11 {
            mu: self.mean + self.sd * theta[0],
            omega: self.var * theta[1].exp(),
            alpha: persistence * logistic(theta[3]),
            beta: persistence * logistic(-theta[3]),
        }
    }

    /// `theta` for the mean `mu = mean(r)`, `omega = var(r) * (1 - p)`.
    fn theta(&self, alpha: f64, persistence: f64) -> Vec<f64> {
        vec![0.0, (1.0 - persistence).ln(), logit(persistence / MAX_PERSISTENCE), logit(alpha / persistence)]
    }

    fn mean_nll(&self, theta: &[f64]) -> f64 {
        let ll = self.params(theta).pass(self.returns, self.backcast).loglikelihood;
        if ll.is_finite() { -ll / self.returns.len() as f64 } else { f64::INFINITY }
    }

    /// arch's grid of starting values (alpha x persistence, omega from the
    /// long-run variance, mu the sample mean), best [`STARTS`] first.
    fn starts(&self) -> Vec<Vec<f64>> {
        let mut grid: Vec<(f64, Vec<f64>)> = [0.01, 0.05, 0.1, 0.2]
            .into_iter()
            .flat_map(|alpha| [0.5, 0.7, 0.9, 0.98].map(|p| self.theta(alpha, p)))
            .map(|theta| (self.mean_nll(&theta), theta))
            .collect();
        grid.sort_by(|a, b| a.0.total_cmp(&b.0));
        grid.into_iter().take(STARTS).map(|(_, theta)| theta).collect()
    }

    fn lbfgs(&self, start: Vec<f64>) -> Result<Run, ArgminError> {
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), LBFGS_MEMORY)
            .with_tolerance_grad(1e-9)?
            .with_tolerance_cost(1e-15)?;
        let res = Executor::new(*self, solver).configure(|s| s.param(start).max_iters(MAX_ITERS)).run()?;
        Self::run(res.state())
    }

    fn nelder_mead(&self, start: Vec<f64>) -> Result<Run, ArgminError> {
        let steps = [0.05, 0.5, 0.5, 0.5];
        let mut simplex = vec![start.clone()];
        for (i, step) in steps.iter().enumerate() {
            let mut vertex = start.clone();
            vertex[i] += step;
            simplex.push(vertex);
        }
        let solver = NelderMead::new(simplex).with_sd_tolerance(1e-13)?;
        let res = Executor::new(*self, solver).configure(|s| s.max_iters(10 * MAX_ITERS)).run()?;
        Self::run(res.state())
    }

    fn run<S: State<Param = Vec<f64>, Float = f64>>(state: &S) -> Result<Run, ArgminError> {
        let theta = state.get_best_param().cloned().ok_or_else(|| ArgminError::msg("no best parameter"))?;
        Ok(Run {
            theta,
            cost: state.get_best_cost(),
            converged: matches!(
                state.get_termination_status(),
                TerminationStatus::Terminated(TerminationReason::SolverConverged)
            ),
            iterations: state.get_iter(),
        })
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> Result<f64, ArgminError> {
        Ok(self.mean_nll(theta))
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    /// Central differences (4 parameters: 8 likelihood passes).
    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, ArgminError> {
        let mut x = theta.clone();
        let mut grad = Vec::with_capacity(theta.len());
        for i in 0..theta.len() {
            let h = 1e-6 * (1.0 + theta[i].abs());
            x[i] = theta[i] + h;
            let up = self.mean_nll(&x);
            x[i] = theta[i] - h;
            let down = self.mean_nll(&x);
            x[i] = theta[i];
            grad.push((up - down) / (2.0 * h));
        }
        Ok(grad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64* uniforms and Box-Muller normals: reproducible, no rand.
    struct Normals(u64);

    impl Normals {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn next(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
    }

    fn simulate(g: Garch11, n: usize, seed: u64) -> Vec<f64> {
        let mut z = Normals(seed);
        let mut s2 = g.unconditional_variance();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let e = s2.sqrt() * z.next();
            out.push(g.mu + e);
            s2 = g.omega + g.alpha * e * e + g.beta * s2;
        }
        out
    }

    #[test]
    fn recovers_simulated_parameters() {
        let truth = Garch11 { mu: 0.02, omega: 0.05, alpha: 0.1, beta: 0.85 };
        let r = simulate(truth, 5000, 0x9E37_79B9_7F4A_7C15);
        let fit = fit(&r).unwrap();
        let p = fit.params;
        assert!((p.alpha - 0.1).abs() < 0.03, "{fit:?}");
        assert!((p.beta - 0.85).abs() < 0.05, "{fit:?}");
        assert!((p.mu - 0.02).abs() < 0.03, "{fit:?}");
        assert!(fit.loglikelihood >= truth.loglikelihood(&r), "{fit:?}");
        assert!((fit.loglikelihood - p.loglikelihood(&r)).abs() < 1e-9);
        assert!((fit.next_variance - p.next_variance(&r)).abs() < 1e-12);
        assert_eq!(fit.n_returns, 5000);
    }

    #[test]
    fn constraints_hold_on_an_integrated_process() {
        // IGARCH data (alpha + beta = 1): the likelihood wants the boundary.
        let truth = Garch11 { mu: 0.0, omega: 0.01, alpha: 0.2, beta: 0.8 };
        let mut z = Normals(7);
        let (mut s2, mut r): (f64, Vec<f64>) = (1.0, Vec::new());
        for _ in 0..3000 {
            let e = s2.sqrt() * z.next();
            r.push(e);
            s2 = truth.omega + truth.alpha * e * e + truth.beta * s2;
        }
        let fit = fit(&r).unwrap();
        let p = fit.params;
        assert!(p.omega > 0.0 && p.alpha >= 0.0 && p.beta >= 0.0, "{fit:?}");
        assert!(p.persistence() < 1.0 && p.persistence() <= MAX_PERSISTENCE, "{fit:?}");
        assert!(p.persistence() > 0.95, "{fit:?}");
        assert!(fit.next_variance.is_finite() && fit.next_variance > 0.0);
    }

    #[test]
    fn nelder_mead_fallback_reaches_the_lbfgs_optimum() {
        let r = simulate(Garch11 { mu: -0.01, omega: 0.02, alpha: 0.05, beta: 0.9 }, 3000, 11);
        let m = mean(&r);
        let var = r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / r.len() as f64;
        let problem = Objective::new(&r, m, var);
        let start = problem.starts().swap_remove(0);
        let lbfgs = problem.lbfgs(start.clone()).unwrap();
        let nm = problem.nelder_mead(start).unwrap();
        assert!(lbfgs.converged && nm.converged, "{lbfgs:?} {nm:?}");
        assert!((lbfgs.cost - nm.cost).abs() < 1e-8, "{lbfgs:?} {nm:?}");
        let (a, b) = (problem.params(&lbfgs.theta), problem.params(&nm.theta));
        assert!((a.alpha - b.alpha).abs() < 1e-3 && (a.beta - b.beta).abs() < 1e-3, "{a:?} {b:?}");
    }

    #[test]
    fn rejects_short_non_finite_and_constant_input() {
        let short = vec![0.1; MIN_RETURNS - 1];
        assert!(matches!(fit(&short), Err(GarchError::TooFewReturns { got: 99, min: MIN_RETURNS })));
        assert!(matches!(fit(&[]), Err(GarchError::TooFewReturns { got: 0, .. })));

        let mut r = simulate(Garch11 { mu: 0.0, omega: 0.1, alpha: 0.1, beta: 0.8 }, 200, 3);
        r[150] = f64::NAN;
        r[170] = f64::INFINITY;
        match fit(&r) {
            Err(e @ GarchError::NonFinite { index: 150, .. }) => assert!(e.to_string().contains("150")),
            other => panic!("{other:?}"),
        }
        r[150] = 0.0;
        assert!(matches!(fit(&r), Err(GarchError::NonFinite { index: 170, .. })));

        assert!(matches!(fit(&[0.25; 300]), Err(GarchError::ZeroVariance)));
    }

    #[test]
    fn serialises_with_the_reference_field_names() {
        let fit = GarchFit {
            n_returns: 3,
            params: Garch11 { mu: 0.5, omega: 0.25, alpha: 0.125, beta: 0.75 },
            loglikelihood: -1.5,
            next_variance: 2.0,
            converged: true,
            iterations: 9,
        };
        let json = serde_json::to_string(&fit).unwrap();
        assert_eq!(
            json,
            r#"{"n_returns":3,"mu":0.5,"omega":0.25,"alpha":0.125,"beta":0.75,"loglikelihood":-1.5,"next_variance":2.0,"converged":true,"iterations":9}"#
        );
        let back: GarchFit = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fit);
    }
}
