//! macie-guard: the operator CLI. The same code paths as the Lambda functions, by hand.
//!
//! [`args`] holds the arguments, [`run`] one runner per command, [`context`] what they are
//! run with, [`exit`] the one mapping to exit statuses.

mod args;
mod context;
mod exit;
mod run;

use clap::Parser;
use exit::Exit;
use macie_guard::logging;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print to standard output and succeed; anything else about the
        // command line is a usage error, on a code of its own.
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Ok.into()
            };
        }
    };
    if let Err(why) = args::unused(&cli) {
        eprintln!(
            "macie-guard: {why}; nothing was done (macie-guard {} --help)",
            cli.command.name()
        );
        return Exit::Usage.into();
    }
    logging::init_cli(cli.verbose);
    if cli.verbose {
        // Each request's method, URL and status (never a header or a body).
        macie_guard::aws::log_requests();
    }
    let profile = cli
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok());
    match run::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            let said = context::with_prefix(&e);
            eprintln!(
                "macie-guard: {said}{}",
                context::credentials_advice(&said, profile.as_deref())
            );
            Exit::Failed.into()
        }
    }
}
