//! The headless `tradebot` command. Parses arguments, runs one command, maps
//! its outcome to an exit status: 0 success, 2 rejected input (bad file,
//! store, config or arguments), 1 a failure of the environment (disk, I/O).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.error);
            ExitCode::from(if failure.bad_input { 2 } else { 1 })
        }
    }
}
