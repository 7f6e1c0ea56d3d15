//! `dead-letters list` and `dead-letters replay`.

use crate::args::*;
use crate::context::*;
use crate::exit;
use chrono::Utc;
use macie_guard::operator::deadletters::replay::{Handled, Handler, Select};
use macie_guard::operator::deadletters::{self, SqsQueue};
use macie_guard::{aws, Error};
use macie_guard_core::dispatch::Routed;
use macie_guard_core::operator::deadletter::{BusEntry, EventBus};
use macie_guard_core::tell::deadletters::{list_text, replay_text};
use macie_guard_core::tell::expiry::run_result_with_jobs;
use macie_guard_core::tell::export::run_result as export_result;
use serde_json::Value;
use std::process::ExitCode;

/// Replays a dead letter as it was meant to run: a function's event as the CLI handles any
/// event (the same guards, the stack's journal), a forwarding rule's event put on its bus.
pub(crate) struct CliHandler<'a> {
    cli: &'a Cli,
}

impl Handler for CliHandler<'_> {
    async fn handle(&self, event: Routed) -> Result<Handled, Error> {
        let e = env(self.cli).await?;
        match event {
            Routed::Expiry(ev) => {
                let guard = expiry_guard(self.cli, e, true)?;
                let summary = Box::pin(guard.handle(&ev, Utc::now())).await?;
                if let Some(f) = summary.failures() {
                    return Err(Error::from(f));
                }
                Ok(match summary.outcome.not_acted() {
                    Some(why) => Handled::NotActed(why),
                    None => Handled::Done(run_result_with_jobs(&summary)),
                })
            }
            Routed::Export(ev) => {
                let report = export_guard(self.cli, e, Default::default())?
                    .handle(&ev)
                    .await?;
                Ok(match (&report.ignored, report.not_ours) {
                    (Some(why), true) => Handled::NotActed(why.clone()),
                    _ => Handled::Done(export_result(&report)),
                })
            }
        }
    }

    async fn forward(&self, bus: &EventBus, entry: &BusEntry) -> Result<String, Error> {
        let sdk = sdk(self.cli, Some(&bus.region)).await?;
        deadletters::put_on_bus(&aws::eventbridge(&sdk), bus, entry).await?;
        Ok(format!("put on event bus {}", bus.arn))
    }
}

pub(crate) async fn run_dead_letters(
    cli: &Cli,
    action: &DeadLettersCommand,
    queue_url: Option<&str>,
) -> Result<ExitCode, Error> {
    let url = match queue_url {
        Some(u) => u.to_string(),
        None => cli_env().string("DEAD_LETTER_QUEUE_URL").ok_or_else(|| {
            Error::config(
                "--queue-url",
                "",
                "give the dead-letter queue's URL (the stack's output DeadLetterQueueUrl), or set DEAD_LETTER_QUEUE_URL",
            )
        })?,
    };
    let sdk = sdk(cli, cli.region.first().map(String::as_str)).await?;
    let queue = SqsQueue {
        client: aws::sqs(&sdk),
        url,
    };
    match action {
        DeadLettersCommand::List => {
            let listing = deadletters::replay::list(&queue).await?;
            if cli.json {
                print_json(&listing.letters);
                if !listing.unseen.none() {
                    eprintln!("macie-guard: not complete: {}", listing.unseen.describe());
                }
            } else {
                print!("{}", list_text(&listing.letters, &listing.unseen));
            }
            Ok(exit::attention(!listing.unseen.none()))
        }
        DeadLettersCommand::Replay { id, .. } => {
            let select = match id {
                Some(id) => Select::Id(id.clone()),
                None => Select::All,
            };
            let run =
                deadletters::replay::replay(&queue, &CliHandler { cli }, &select, cli.dry_run)
                    .await?;
            if cli.json {
                let rows: Vec<Value> = run
                    .results
                    .iter()
                    .map(|(d, r)| serde_json::json!({"deadLetter": d, "replay": r}))
                    .collect();
                print_json(&rows);
                if !run.unseen.none() {
                    eprintln!("macie-guard: not all: {}", run.unseen.describe());
                }
            } else {
                print!("{}", replay_text(&run.results, &run.unseen));
            }
            // A message that failed again is a call that failed: kept, and said.
            Ok(exit::failed_or(!run.ok(), exit::attention(false)))
        }
    }
}
