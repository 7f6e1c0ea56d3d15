//! What every command is run with: the SDK configuration, the account and Region, the
//! outbound channels, the guards as the CLI builds them, Ctrl-C, and JSON output.

use crate::args::*;
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::AwsSources;
use macie_guard::journal::AnyJournal;
use macie_guard::operator::session::session_account;
use macie_guard::outbound::securityhub::SecurityHub;
use macie_guard::outbound::{AnyNotifier, Channels};
use macie_guard::{aws, journal, outbound, Error};
use macie_guard_core::config::{distinct, expiry_config, export_config, outputs, process_env};
use macie_guard_core::scope::is_account;

pub(crate) struct Env {
    pub(crate) sdk: aws_config::SdkConfig,
    pub(crate) macie: aws_sdk_macie2::Client,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) outbound: Channels<AnyNotifier>,
}

/// `--account`, when given: a 12-digit account id, or an error before any call.
pub(crate) fn given_account(cli: &Cli) -> Result<Option<String>, Error> {
    match &cli.account {
        Some(a) if is_account(a) => Ok(Some(a.clone())),
        Some(a) => Err(Error::config(
            "--account",
            a.clone(),
            "use a 12-digit account id",
        )),
        None => Ok(None),
    }
}

pub(crate) async fn env(cli: &Cli) -> Result<Env, Error> {
    let sdk = aws::load(cli.region.first().map(String::as_str), aws::Trust::Platform).await;
    let region = aws::region_of(&sdk)?;
    let macie = aws::macie(&sdk);
    let account = match given_account(cli)? {
        Some(a) => a,
        None => session_account(&macie).await?,
    };
    let topic = match &cli.topic_arn {
        Some(t) => Some(t.clone()),
        None => process_env().topic("NOTIFICATION_TOPIC_ARN")?,
    };
    let outputs = outputs(&process_env())?;
    let outbound = Channels {
        notifier: outbound::for_topic(&sdk, topic, outputs.chat),
        bus: None,
        hub: (cli.security_hub || outputs.security_hub).then(|| SecurityHub::new(&sdk)),
    };
    Ok(Env {
        sdk,
        macie,
        region,
        account,
        outbound,
    })
}

/// The expiry guard as the CLI runs it. Its journal: the stack's table when given; else, for
/// a run that may change jobs (`changes`, and not a dry run), the CLI's own journal file, so
/// that a run killed between two calls leaves a record the next run finishes; else the
/// process's own (a read changes nothing).
pub(crate) fn expiry_guard(
    cli: &Cli,
    e: Env,
    changes: bool,
) -> Result<ExpiryGuard<aws_sdk_macie2::Client, Channels<AnyNotifier>, AnyJournal>, Error> {
    let mut config = expiry_config(&process_env())?;
    if let Some(p) = cli.default_policy {
        config.default_policy = p;
    }
    config.dry_run |= cli.dry_run;
    let table = cli
        .journal_table
        .clone()
        .or_else(|| process_env().string("JOURNAL_TABLE"));
    let journal = match table {
        Some(t) => journal::open(&e.sdk, Some(t)),
        None if changes && !config.dry_run => {
            let dir = journal::file::state_dir(|k| std::env::var(k).ok()).ok_or_else(|| {
                Error::config(
                    "MACIE_GUARD_STATE_DIR",
                    "",
                    "no directory for the CLI's journal (no HOME either): set MACIE_GUARD_STATE_DIR, or give the stack's --journal-table",
                )
            })?;
            AnyJournal::File(journal::file::FileJournal::open(
                &dir, &e.account, &e.region,
            )?)
        }
        None => AnyJournal::Memory(journal::memory::MemoryJournal::new()),
    };
    Ok(ExpiryGuard::new(
        e.macie,
        e.outbound,
        config,
        macie_guard_core::scope::Scope::new(e.account, e.region),
    )
    .with_journal(journal))
}

pub(crate) fn export_guard(
    cli: &Cli,
    e: Env,
) -> Result<ExportGuard<AwsSources, Channels<AnyNotifier>>, Error> {
    let regions = distinct(std::iter::once(e.region.clone()).chain(cli.region.iter().cloned()));
    let grace = export_config(&process_env())?.results_grace;
    Ok(ExportGuard {
        sources: AwsSources::new(e.sdk),
        outbound: e.outbound,
        account: e.account,
        regions,
        results_grace: grace,
        deadline: None,
    })
}

/// SIGINT (Ctrl-C), as a stream: a second one is never lost between two listeners.
pub(crate) fn interrupts() -> Result<tokio::signal::unix::Signal, Error> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map_err(|e| {
        Error::config(
            "SIGINT",
            "",
            format!("cannot listen for Ctrl-C ({e}): nothing was changed"),
        )
    })
}

pub(crate) fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}
