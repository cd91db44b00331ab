//! `tradebot fit garch|hmm --data FILE.csv`: fit the volatility and regime
//! models of the agents to one candle file and print the parameters,
//! log-likelihood and one-step forecast / last-bar state probabilities, with
//! the field names of the golden reference files (`tests/golden/arch/`,
//! `tests/golden/hmmlearn/`) under `--json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use tradebot::core::Scale;
use tradebot::{Interval, parse_candle_file_name, read_candles_csv};

use super::Failure;

#[derive(Debug, clap::Subcommand)]
pub enum FitCommand {
    /// GARCH(1,1) with a constant mean and normal innovations, by maximum
    /// likelihood, on percent returns `100 * (close_t / close_{t-1} - 1)`.
    Garch {
        #[command(flatten)]
        data: FitData,
    },
    /// Gaussian hidden Markov model by Baum-Welch from several seeded random
    /// starts, on percent log returns `100 * ln(close_t / close_{t-1})`;
    /// states sorted by mean.
    Hmm {
        #[command(flatten)]
        data: FitData,
        /// Number of hidden states.
        #[arg(long, default_value_t = 2)]
        states: usize,
        /// Random starts (the best log-likelihood wins).
        #[arg(long, default_value_t = 10)]
        starts: usize,
        /// Seed of the random starts.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

#[derive(Debug, clap::Args)]
pub struct FitData {
    /// A candle CSV (optionally gzip), read with the importer's validation.
    #[arg(long)]
    data: PathBuf,
    /// Bar interval; defaults to what the file name says (`ETH_BTC-5m.csv`).
    #[arg(long)]
    interval: Option<Interval>,
    /// Print JSON with the golden files' field names.
    #[arg(long)]
    json: bool,
}

fn closes(path: &Path, interval: Option<Interval>) -> Result<Vec<f64>, Failure> {
    let interval = interval.or_else(|| parse_candle_file_name(path).map(|n| n.interval)).ok_or_else(|| {
        Failure::input(anyhow!("{}: cannot tell the interval from the file name; pass --interval", path.display()))
    })?;
    let file = std::fs::File::open(path)
        .map_err(|e| Failure { error: anyhow!("{}: {e}", path.display()), bad_input: false })?;
    let parsed = read_candles_csv(file, path, interval, false)?;
    Ok(parsed
        .rows
        .iter()
        .map(|r| Scale::new(r.values[3].decimals).unwrap_or_default().to_f64(r.values[3].mantissa))
        .collect())
}

pub fn fit(cmd: FitCommand) -> Result<ExitCode, Failure> {
    match cmd {
        FitCommand::Garch { data } => {
            let returns = tradebot_garch::returns_from_closes(&closes(&data.data, data.interval)?);
            let fit =
                tradebot_garch::fit(&returns).map_err(|e| Failure::input(anyhow!("{}: {e}", data.data.display())))?;
            if data.json {
                println!("{}", serde_json::to_string_pretty(&fit).map_err(Failure::input)?);
            } else {
                let p = fit.params;
                println!("GARCH(1,1) on {} returns of {}", fit.n_returns, data.data.display());
                println!("  mu {:.6e}  omega {:.6e}  alpha {:.6}  beta {:.6}", p.mu, p.omega, p.alpha, p.beta);
                println!("  log-likelihood {:.4}", fit.loglikelihood);
                println!("  next variance {:.6} (%²), next sigma {:.4} %", fit.next_variance, fit.next_variance.sqrt());
            }
        }
        FitCommand::Hmm { data, states, starts, seed } => {
            let x = tradebot_hmm::log_returns_pct(&closes(&data.data, data.interval)?);
            let options = tradebot_hmm::FitOptions { starts: starts.max(1), seed, ..Default::default() };
            let bad = |e: tradebot_hmm::HmmError| Failure::input(anyhow!("{}: {e}", data.data.display()));
            let fit = tradebot_hmm::fit(&x, states, options).map_err(bad)?;
            let report = tradebot_hmm::HmmReport::new(&fit, &x).map_err(bad)?;
            if data.json {
                println!("{}", serde_json::to_string_pretty(&report).map_err(Failure::input)?);
            } else {
                println!(
                    "{}-state Gaussian HMM on {} returns of {}",
                    report.n_states,
                    report.n_obs,
                    data.data.display()
                );
                for k in 0..report.n_states {
                    println!(
                        "  state {k}: mean {:+.6}  variance {:.6}  stays {:.4}  stationary {:.4}  now {:.4}",
                        report.means[k],
                        report.variances[k],
                        report.transmat[k][k],
                        report.stationary[k],
                        report.last_state_prob[k]
                    );
                }
                println!("  log-likelihood {:.4}", report.loglikelihood);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
