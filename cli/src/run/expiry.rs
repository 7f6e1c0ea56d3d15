//! `sweep`, `handle` with an expiry event, and `jobs`.

use crate::args::*;
use crate::context::*;
use crate::exit;
use chrono::Utc;
use macie_guard::journal::AnyJournal;
use macie_guard::Error;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::tell::expiry::{jobs_table, summary_text};
use macie_guard_core::text::safe;
use std::process::ExitCode;

pub(crate) async fn run_expiry(cli: &Cli, e: Env, event: ExpiryEvent) -> Result<ExitCode, Error> {
    let guard = expiry_guard(cli, e, true)?;
    // Ctrl-C: take no new job, finish the ones in flight (a keep-paused job is paused again)
    // and report; a second Ctrl-C quits at once. Every change in flight is in the journal
    // before its first call, so the next run finishes it: the message says which run.
    let stop = guard.stop.clone();
    let interrupted = guard.stop.clone();
    let after_quit = match guard.journal() {
        AnyJournal::Dynamo(_) => "the changes in flight are in the stack's journal: the journal watch (within minutes) or the next run finishes them once their leases end (within a minute)".to_string(),
        AnyJournal::File(f) => format!(
            "the changes in flight are in {}: the next macie-guard run that changes jobs in this account and Region (sweep, handle) finishes them first",
            f.path().display()
        ),
        AnyJournal::Memory(_) => "nothing was changed (dry run)".to_string(),
    };
    let mut interrupts = interrupts()?;
    tokio::spawn(async move {
        if interrupts.recv().await.is_some() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            eprintln!("macie-guard: stopping: finishing the jobs in flight, taking no new one (Ctrl-C again to quit at once)");
            if interrupts.recv().await.is_some() {
                eprintln!("macie-guard: quit; {after_quit}");
                std::process::exit(exit::Exit::Interrupted as i32);
            }
        }
    });
    let bar = macie_guard::operator::progress::draw(guard.progress.clone(), "jobs");
    let summary = Box::pin(guard.handle(&event, Utc::now())).await;
    bar.done().await;
    let summary = summary?;
    // Every job's report first, also when some failed; then the failure.
    if cli.json {
        print_json(&summary);
    } else {
        print!("{}", summary_text(&summary, &summary.delivery));
    }
    if let Some(f) = summary.failures() {
        eprintln!("macie-guard: {}", safe(&Error::from(f).to_string()));
    }
    if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(exit::Exit::Interrupted.into());
    }
    Ok(exit::failed_or(
        summary.failures().is_some(),
        exit::attention(false),
    ))
}

pub(crate) async fn jobs(cli: &Cli, e: Env) -> Result<ExitCode, Error> {
    let jobs = expiry_guard(cli, e, false)?.paused_jobs(Utc::now()).await?;
    if cli.json {
        print_json(&jobs);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", jobs_table(&jobs));
    Ok(ExitCode::SUCCESS)
}
