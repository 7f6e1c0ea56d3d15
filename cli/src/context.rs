//! What every command is run with: the SDK configuration, the account and Region, the
//! outbound channels, the guards as the CLI builds them, Ctrl-C, and JSON output.

use crate::args::*;
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::{AwsSources, Counted};
use macie_guard::journal::AnyJournal;
use macie_guard::operator::session::session_account;
use macie_guard::outbound::securityhub::SecurityHub;
use macie_guard::outbound::{AnyNotifier, Channels};
use macie_guard::{aws, journal, outbound, Error};
use macie_guard_core::config::{distinct, expiry_config, export_config, outputs};
use macie_guard_core::scope::is_account;

/// The CLI's own settings in the environment, each read as `MACIE_GUARD_<NAME>`
/// (MACIE_GUARD_DEFAULT_POLICY, MACIE_GUARD_DRY_RUN, MACIE_GUARD_JOURNAL_TABLE, ...): a
/// variable left in the shell for something else (`DRY_RUN=1`) cannot change what it does.
/// The functions read the same settings unprefixed, from their stack.
pub(crate) fn cli_env() -> macie_guard_core::config::Env<impl Fn(&str) -> Option<String>> {
    macie_guard_core::config::Env(|k: &str| std::env::var(format!("{PREFIX}{k}")).ok())
}

/// What the CLI's own variables begin with.
pub(crate) const PREFIX: &str = "MACIE_GUARD_";

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

/// The SDK configuration the operator's commands run with: `--profile` (or AWS_PROFILE) and
/// `region` (else the profile's, or the Region chain's).
pub(crate) async fn sdk(cli: &Cli, region: Option<&str>) -> Result<aws_config::SdkConfig, Error> {
    let named = match &cli.profile {
        Some(p) => Some(("--profile", p.clone())),
        None => std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .map(|p| ("AWS_PROFILE", p)),
    };
    if let Some((how, name)) = &named {
        if !aws::profile_exists(name).await? {
            return Err(Error::config(
                how,
                name.clone(),
                "no profile of that name in the AWS config or credentials file (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials): check its name (aws configure list-profiles)",
            ));
        }
    }
    Ok(aws::load_profile(region, cli.profile.as_deref(), aws::Trust::Platform).await)
}

pub(crate) async fn env(cli: &Cli) -> Result<Env, Error> {
    let sdk = sdk(cli, cli.region.first().map(String::as_str)).await?;
    let region = aws::region_of(&sdk)?;
    let macie = aws::macie(&sdk);
    let account = match given_account(cli)? {
        Some(a) => a,
        None => session_account(&macie).await?,
    };
    let topic = match &cli.topic_arn {
        Some(t) => Some(t.clone()),
        None => cli_env().topic("NOTIFICATION_TOPIC_ARN")?,
    };
    let outputs = outputs(&cli_env())?;
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
    let mut config = expiry_config(&cli_env())?;
    if let Some(p) = cli.default_policy {
        config.default_policy = p;
    }
    config.dry_run |= cli.dry_run;
    let table = cli
        .journal_table
        .clone()
        .or_else(|| cli_env().string("JOURNAL_TABLE"));
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

/// The export guard as the CLI runs it: its sources count the Regions read (`tally`, for the
/// progress bar).
pub(crate) fn export_guard(
    cli: &Cli,
    e: Env,
    tally: std::sync::Arc<macie_guard::progress::Tally>,
) -> Result<ExportGuard<Counted<AwsSources>, Channels<AnyNotifier>>, Error> {
    let regions = distinct(std::iter::once(e.region.clone()).chain(cli.region.iter().cloned()));
    let grace = export_config(&cli_env())?.results_grace;
    tally.add_total(regions.len());
    Ok(ExportGuard {
        sources: Counted {
            inner: AwsSources::new(e.sdk),
            tally,
        },
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

/// An error as the operator should read it: a setting the CLI read from the environment is
/// named as the operator sets it (`MACIE_GUARD_DRY_RUN`, not `DRY_RUN`).
pub(crate) fn with_prefix(e: &Error) -> String {
    match e {
        Error::Input(macie_guard_core::Error::Config {
            name,
            value,
            reason,
        }) if is_setting(name) => {
            format!("configuration {PREFIX}{name}={value:?} is not valid: {reason}")
        }
        other => other.to_string(),
    }
}

/// A setting's name as the library reads it (`DRY_RUN`): capitals and underscores, not the
/// SDK's own (`AWS_...`) nor already the CLI's.
fn is_setting(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        && !name.starts_with("AWS_")
        && !name.starts_with(PREFIX)
}

/// What to do when the credentials themselves failed (the SDK says why, not what to run): an
/// IAM Identity Center sign-in that expired is renewed with `aws sso login`.
pub(crate) fn credentials_advice(said: &str, profile: Option<&str>) -> String {
    if said.contains("SSO token has expired")
        || said.contains("SSO session") && said.contains("expired")
    {
        let profile = profile
            .map(|p| format!(" --profile {p}"))
            .unwrap_or_default();
        return format!("; sign in again: aws sso login{profile}");
    }
    String::new()
}
