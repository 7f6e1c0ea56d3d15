//! One runner per command; [`run`] picks it.

mod dead_letters;
mod expiry;
mod export;
mod org_view;
mod recreate;
mod status;

use dead_letters::run_dead_letters;
use expiry::{jobs, run_expiry};
use export::run_export;
use org_view::run_org;
use recreate::run_recreate;
use status::run_status;

use crate::args::*;
use crate::context::*;
use macie_guard::Error;
use macie_guard_core::dispatch::{self, Routed};
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::export::event::ExportEvent;
use serde_json::Value;
use std::process::ExitCode;

pub(crate) async fn run(cli: Cli) -> Result<ExitCode, Error> {
    if let Command::DeadLetters { action, queue_url } = &cli.command {
        return run_dead_letters(&cli, action, queue_url.as_deref()).await;
    }
    if let Command::Recreate { job_id, from, name } = &cli.command {
        return run_recreate(&cli, job_id.as_deref(), from.as_deref(), name.as_deref()).await;
    }
    if let Command::Status { stack } = &cli.command {
        return run_status(&cli, stack.as_deref()).await;
    }
    if let Command::Org {
        view,
        accounts,
        role_name,
        concurrency,
    } = &cli.command
    {
        return run_org(&cli, view, accounts, role_name.as_deref(), *concurrency).await;
    }
    // Read the event before any AWS call: a bad file changes nothing and costs nothing.
    let routed = match &cli.command {
        Command::Jobs => None,
        Command::Org { .. }
        | Command::DeadLetters { .. }
        | Command::Status { .. }
        | Command::Recreate { .. } => {
            unreachable!("handled above")
        }
        Command::Sweep => Some(Routed::Expiry(ExpiryEvent::Sweep {
            trigger: "cli".into(),
        })),
        Command::CheckExport => Some(Routed::Export(ExportEvent::Check {
            trigger: "cli".into(),
        })),
        Command::Handle { file, function } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::malformed(format!("cannot read {}: {e}", file.display())))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| Error::malformed(format!("{} is not JSON: {e}", file.display())))?;
            let function = function.map(|f| match f {
                FunctionArg::Expiry => dispatch::Function::Expiry,
                FunctionArg::Export => dispatch::Function::Export,
            });
            Some(dispatch::route(&value, function)?)
        }
    };
    // A file's expiry event runs in one Region.
    if matches!(routed, Some(Routed::Expiry(_))) && cli.region.len() > 1 {
        eprintln!(
            "macie-guard: {} is an expiry event, which runs in one Region: give --region once; nothing was done",
            match &cli.command {
                Command::Handle { file, .. } => file.display().to_string(),
                _ => "this".into(),
            }
        );
        return Ok(crate::exit::Exit::Usage.into());
    }
    let e = env(&cli).await?;
    match routed {
        None => jobs(&cli, e).await,
        Some(Routed::Expiry(ev)) => run_expiry(&cli, e, ev).await,
        Some(Routed::Export(ev)) => run_export(&cli, e, ev).await,
    }
}
