//! macie-guard: the operator CLI. The same code paths as the Lambda functions, by hand.
//!
//! [`args`] holds the arguments, [`run`] one runner per command, [`context`] what they are
//! run with, [`exit`] the one mapping to exit statuses.

mod args;
mod context;
mod exit;
mod run;

use clap::Parser;
use macie_guard::logging;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = args::Cli::parse();
    logging::init_cli(cli.verbose);
    match run::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("macie-guard: {e}");
            ExitCode::from(1)
        }
    }
}
