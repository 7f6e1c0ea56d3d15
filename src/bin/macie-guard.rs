//! macie-guard: the operator CLI. The same code paths as the Lambda functions, by hand.

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use macie_guard::cli::{caller_account, session_account};
use macie_guard::deadletters::replay::{Handled, Handler, Select};
use macie_guard::deadletters::{self, SqsQueue};
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::AwsSources;
use macie_guard::journal::AnyJournal;
use macie_guard::org::{self, OrgView, DEFAULT_ROLE_NAME};
use macie_guard::outbound::securityhub::SecurityHub;
use macie_guard::outbound::{AnyNotifier, Channels};
use macie_guard::recreate::{recreate, Recreated, Source};
use macie_guard::status::{StackRef, StatusReader, DEFAULT_STACK};
use macie_guard::{aws, journal, logging, outbound, Error};
use macie_guard_core::config::{distinct, expiry_config, export_config, outputs, process_env};
use macie_guard_core::deadletter::{BusEntry, EventBus};
use macie_guard_core::delivery::Told;
use macie_guard_core::dispatch::{self, Routed};
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::policy::Policy;
use macie_guard_core::expiry::recreate::{lost_in, RecreateError};
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::export::outcome::ExportReport;
use macie_guard_core::scope::is_account;
use macie_guard_core::severity::Severity;
use macie_guard_core::status::judge_status;
use macie_guard_core::tell::deadletters::{list_text, replay_text};
use macie_guard_core::tell::expiry::{jobs_table, run_result_with_jobs, summary_text};
use macie_guard_core::tell::export::{report_text, run_result as export_result};
use macie_guard_core::tell::org as org_tables;
use macie_guard_core::tell::status as status_text;
use macie_guard_core::text::safe;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;

/// Keeps Amazon Macie's paused discovery jobs from expiring unnoticed, and checks where Macie
/// stores its discovery results. Uses the standard AWS credential chain; the SDK's
/// AWS_ENDPOINT_URL_<SERVICE> variables point it at local stand-ins.
#[derive(Parser)]
#[command(name = "macie-guard", version)]
struct Cli {
    /// AWS Region (default: the SDK's Region chain, e.g. AWS_REGION). check-export takes it
    /// more than once.
    #[arg(long, global = true)]
    region: Vec<String>,
    /// Account the jobs belong to (default: read from GetMacieSession).
    #[arg(long, global = true)]
    account: Option<String>,
    /// Decide and report, change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Machine-readable JSON on standard output.
    #[arg(long, global = true)]
    json: bool,
    /// Policy for jobs without a macie-guard:on-expiry tag: resume, keep-paused, cancel,
    /// notify or ignore [env: DEFAULT_POLICY, default notify].
    #[arg(long, global = true, value_parser = Policy::parse_default)]
    default_policy: Option<Policy>,
    /// SNS topic for notifications [env: NOTIFICATION_TOPIC_ARN]; without one they are printed.
    #[arg(long, global = true)]
    topic_arn: Option<String>,
    /// The stack's journal table (leases and open changes shared with the functions)
    /// [env: JOURNAL_TABLE]; without one, this run's own.
    #[arg(long, global = true)]
    journal_table: Option<String>,
    /// Also keep Security Hub findings, as the functions do with SecurityHubFindings: each
    /// problem imported in the account and Region it concerns, archived when it is gone
    /// [env: SECURITY_HUB=true].
    #[arg(long, global = true)]
    security_hub: bool,
    /// Log what happens (RUST_LOG overrides).
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Paused jobs: pause date, expiry, days left, the policy that applies and the plan.
    Jobs,
    /// The expiry sweep, as the scheduled function runs it.
    Sweep,
    /// Check where Macie stores discovery results (exit 0 clean, 1 warnings, 2 critical).
    CheckExport,
    /// Route an event file through the same dispatcher as the Lambda functions.
    Handle {
        /// A JSON event (see events/).
        file: PathBuf,
        /// Which function's dispatcher (default: told by the event).
        #[arg(long, value_enum)]
        function: Option<FunctionArg>,
    },
    /// The stack's dead-letter queue: the events that failed after every retry, listed, and
    /// replayed once through the same code and journal as the functions.
    DeadLetters {
        #[command(subcommand)]
        action: DeadLettersCommand,
        /// The queue (the stack's output DeadLetterQueueUrl) [env: DEAD_LETTER_QUEUE_URL].
        #[arg(long, global = true)]
        queue_url: Option<String>,
    },
    /// Is macie-guard deployed, alive and healthy here? The stack and its version, both
    /// functions, the rules and schedules, each scheduled run's last success, the alarms, the
    /// dead letters waiting, the journal, the export verdict and Security Hub. Reads only (exit
    /// 1 when something needs attention).
    Status {
        /// The stack [env: MACIE_GUARD_STACK; default macie-guard, else the stack holding the
        /// organization view's read role].
        #[arg(long)]
        stack: Option<String>,
    },
    /// A job Macie cancelled, created again from its definition (once: a second run, or two at
    /// once, create one job). With --dry-run: the exact request, nothing created.
    Recreate {
        /// The cancelled job's id.
        #[arg(required_unless_present = "from", conflicts_with = "from")]
        job_id: Option<String>,
        /// Take the definition from a lost job's report or event (JSON, as macie-guard sends
        /// it) instead of reading the job.
        #[arg(long)]
        from: Option<PathBuf>,
        /// The new job's name [default: the original's, with " (recreated)"].
        #[arg(long)]
        name: Option<String>,
    },
    /// The organization view: every account (Organizations ListAccounts, or --accounts) and
    /// every --region, read through the read-only role each stack creates when its
    /// OperatorAccountId is this account. Reads only.
    Org {
        #[command(subcommand)]
        view: OrgCommand,
        /// Accounts to read, comma-separated [default: every account of the organization].
        #[arg(long, value_delimiter = ',', global = true)]
        accounts: Vec<String>,
        /// The role to assume in each account; {region} becomes the Region.
        #[arg(long, default_value = DEFAULT_ROLE_NAME, global = true)]
        role_name: String,
        /// Accounts-and-Regions read at once (1-64).
        #[arg(long, default_value_t = 8, global = true, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
    },
}

#[derive(Subcommand, Clone)]
enum OrgCommand {
    /// Paused jobs of every account and Region: days left, policy, plan (exit 1 if any
    /// account-Region could not be read).
    Jobs,
    /// The export check of every account and Region (exit 2 critical, 1 warning or any
    /// account-Region that could not be read, 0 clean).
    CheckExport,
    /// `status` in every account and Region, a line each (exit 1 when any needs attention or
    /// could not be read).
    Status {
        /// The stack's name in every account [default: the stack holding the read role].
        #[arg(long)]
        stack: Option<String>,
    },
}

#[derive(Subcommand, Clone)]
enum DeadLettersCommand {
    /// Each message: its id, when, who sent it (a function, a rule, a schedule), the event it
    /// was for and the error. Hides nothing from anyone; says what it could not see (exit 1)
    /// (--json: each message whole).
    List,
    /// Runs each again where it was going (its function, or the bus a rule forwards to),
    /// deletes it only once that was done; keeps and reports the ones that fail again, that no
    /// function acts on, and what --all could not see (exit 1). Give the stack's
    /// --journal-table. With --dry-run: says what would be replayed, handles and deletes
    /// nothing.
    Replay {
        /// One message (its id from `dead-letters list`).
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every message.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FunctionArg {
    Expiry,
    Export,
}

struct Env {
    sdk: aws_config::SdkConfig,
    macie: aws_sdk_macie2::Client,
    region: String,
    account: String,
    outbound: Channels<AnyNotifier>,
}

/// `--account`, when given: a 12-digit account id, or an error before any call.
fn given_account(cli: &Cli) -> Result<Option<String>, Error> {
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

async fn env(cli: &Cli) -> Result<Env, Error> {
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
fn expiry_guard(
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

fn export_guard(
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

fn export_exit(r: &Told<ExportReport>) -> ExitCode {
    match r.worst() {
        Some(Severity::Critical) => ExitCode::from(2),
        Some(Severity::Warning) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// SIGINT (Ctrl-C), as a stream: a second one is never lost between two listeners.
fn interrupts() -> Result<tokio::signal::unix::Signal, Error> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map_err(|e| {
        Error::config(
            "SIGINT",
            "",
            format!("cannot listen for Ctrl-C ({e}): nothing was changed"),
        )
    })
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

async fn run_expiry(cli: &Cli, e: Env, event: ExpiryEvent) -> Result<ExitCode, Error> {
    let guard = expiry_guard(cli, e, true)?;
    // Ctrl-C: take no new job, finish the ones in flight (a keep-paused job is paused again)
    // and report; a second Ctrl-C quits at once. Every change in flight is in the journal
    // before its first call, so the next run finishes it: the message says which run.
    let stop = guard.stop.clone();
    let after_quit = match &guard.journal {
        AnyJournal::Dynamo(_) => "the changes in flight are in the stack's journal: the journal watch (within minutes) or the next run finishes them once their leases end (about two minutes)".to_string(),
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
                std::process::exit(130);
            }
        }
    });
    let summary = Box::pin(guard.handle(&event, Utc::now())).await?;
    // Every job's report first, also when some failed; then the failure.
    if cli.json {
        print_json(&summary);
    } else {
        print!("{}", summary_text(&summary, &summary.delivery));
    }
    match summary.failures() {
        None => Ok(ExitCode::SUCCESS),
        Some(f) => {
            eprintln!("macie-guard: {}", safe(&Error::from(f).to_string()));
            Ok(ExitCode::from(1))
        }
    }
}

async fn run_export(cli: &Cli, e: Env, event: ExportEvent) -> Result<ExitCode, Error> {
    let report = export_guard(cli, e)?.handle(&event).await?;
    if cli.json {
        print_json(&report);
    } else {
        print!("{}", report_text(&report, &report.delivery));
    }
    Ok(export_exit(&report))
}

async fn jobs(cli: &Cli, e: Env) -> Result<ExitCode, Error> {
    let jobs = expiry_guard(cli, e, false)?.paused_jobs(Utc::now()).await?;
    if cli.json {
        print_json(&jobs);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", jobs_table(&jobs));
    Ok(ExitCode::SUCCESS)
}

async fn run_org(
    cli: &Cli,
    view: &OrgCommand,
    accounts: &[String],
    role_name: &str,
    concurrency: u16,
) -> Result<ExitCode, Error> {
    let mut config = expiry_config(&process_env())?;
    if let Some(p) = cli.default_policy {
        config.default_policy = p;
    }
    let grace = export_config(&process_env())?.results_grace;
    // Bad arguments change nothing and cost nothing: checked before any call.
    let given = org::given_accounts(accounts)?;
    let sdk = aws::load(cli.region.first().map(String::as_str), aws::Trust::Platform).await;
    let regions = if cli.region.is_empty() {
        vec![aws::region_of(&sdk)?]
    } else {
        distinct(cli.region.iter().cloned())
    };
    let accounts = org::distinct(if given.is_empty() {
        org::list_accounts(&sdk).await?
    } else {
        given
    });
    let management = org::management_account(&sdk).await;
    let view_of = OrgView {
        sdk,
        role_name: role_name.to_string(),
        concurrency: usize::from(concurrency),
        progress: true,
        management,
    };
    match view {
        OrgCommand::Jobs => {
            let rows = view_of.jobs(&accounts, &regions, &config, Utc::now()).await;
            let settings = macie_guard_core::org::PlanSettings::of_operator(&config);
            if cli.json {
                print_json(&serde_json::json!({"plans_under": settings, "rows": rows}));
            } else {
                print!("{}", org_tables::jobs_table(&rows, &settings));
            }
            Ok(if macie_guard_core::org::unreachable(&rows) > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        OrgCommand::CheckExport => {
            let rows = view_of.check_export(&accounts, &regions, grace).await;
            if cli.json {
                print_json(&rows);
            } else {
                print!("{}", org_tables::export_table(&rows));
            }
            Ok(match macie_guard_core::org::worst(&rows) {
                Some(Severity::Critical) => ExitCode::from(2),
                Some(Severity::Warning) => ExitCode::from(1),
                _ if macie_guard_core::org::unreachable(&rows) > 0 => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            })
        }
        OrgCommand::Status { stack } => {
            let rows = view_of
                .status(&accounts, &regions, stack.as_deref(), Utc::now())
                .await;
            if cli.json {
                print_json(&rows);
            } else {
                print!("{}", status_text::org_status_table(&rows));
            }
            let attention = rows.iter().any(|r| match &r.reach {
                macie_guard_core::org::Reach::Read { result } => result.attention > 0,
                macie_guard_core::org::Reach::Skipped { .. } => false,
                macie_guard_core::org::Reach::Unreachable { .. } => true,
            });
            Ok(if attention {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// `recreate`: the definition read from the job or the file (a bad file changes nothing and
/// costs nothing), then the job created once.
async fn run_recreate(
    cli: &Cli,
    job_id: Option<&str>,
    from: Option<&std::path::Path>,
    name: Option<&str>,
) -> Result<ExitCode, Error> {
    let source = match (job_id, from) {
        (Some(id), _) => Source::Job(id.to_string()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::malformed(format!("cannot read {}: {e}", file.display())))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| Error::malformed(format!("{} is not JSON: {e}", file.display())))?;
            let (job_id, definition) =
                lost_in(&value).ok_or_else(|| RecreateError::NoDefinition {
                    what: file.display().to_string(),
                })?;
            Source::Report { job_id, definition }
        }
        (None, None) => unreachable!("clap requires a job id or --from"),
    };
    let sdk = aws::load(cli.region.first().map(String::as_str), aws::Trust::Platform).await;
    // Macie's jobs are Regional: without a Region there is nothing to recreate in.
    aws::region_of(&sdk)?;
    let outcome = recreate(&sdk, source, name, cli.dry_run).await?;
    if cli.json {
        print_json(&outcome);
        return Ok(ExitCode::SUCCESS);
    }
    match &outcome {
        Recreated::DryRun { original, request } => {
            println!(
                "would recreate job {} with CreateClassificationJob (nothing created):",
                safe(original)
            );
            print_json(request);
        }
        Recreated::Created {
            original,
            job_id,
            name,
            ..
        } => println!(
            "recreated job {} as job {} ({})",
            safe(original),
            safe(job_id),
            safe(name)
        ),
        Recreated::AlreadyStood {
            original,
            job_id,
            name,
        } => println!(
            "job {} ({}) already stands for job {}: nothing was created",
            safe(job_id),
            safe(name),
            safe(original)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `status`: the stack given (or MACIE_GUARD_STACK), else `macie-guard`, else the one holding
/// the read role of this Region.
async fn run_status(cli: &Cli, stack: Option<&str>) -> Result<ExitCode, Error> {
    let sdk = aws::load(cli.region.first().map(String::as_str), aws::Trust::Platform).await;
    let region = aws::region_of(&sdk)?;
    let account = match given_account(cli)? {
        Some(a) => a,
        None => caller_account(&sdk).await?,
    };
    let given = stack
        .map(str::to_string)
        .or_else(|| process_env().string("MACIE_GUARD_STACK"));
    let reader = StatusReader {
        sdk,
        region: region.clone(),
        account: account.clone(),
    };
    let facts = match given {
        Some(name) => reader.facts(&StackRef::Name(name)).await?,
        None => match reader.facts(&StackRef::Name(DEFAULT_STACK.into())).await {
            Err(Error::NoStack { .. }) => reader
                .facts(&StackRef::Holding(
                    DEFAULT_ROLE_NAME.replace("{region}", &region),
                ))
                .await
                .map_err(|e| match e {
                    Error::NoStack {
                        region, message, ..
                    } => Error::NoStack {
                        looked: format!("named {DEFAULT_STACK} nor holding the read role"),
                        region,
                        message,
                    },
                    e => e,
                })?,
            other => other?,
        },
    };
    let status = judge_status(&facts, Utc::now());
    if cli.json {
        print_json(&serde_json::json!({"account": account, "region": region, "status": status}));
    } else {
        print!("{}", status_text::status_text(&status, &account, &region));
    }
    Ok(if status.attention > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Replays a dead letter as it was meant to run: a function's event as the CLI handles any
/// event (the same guards, the stack's journal), a forwarding rule's event put on its bus.
struct CliHandler<'a> {
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
                let report = export_guard(self.cli, e)?.handle(&ev).await?;
                Ok(match (&report.ignored, report.not_ours) {
                    (Some(why), true) => Handled::NotActed(why.clone()),
                    _ => Handled::Done(export_result(&report)),
                })
            }
        }
    }

    async fn forward(&self, bus: &EventBus, entry: &BusEntry) -> Result<String, Error> {
        let sdk = aws::load(Some(&bus.region), aws::Trust::Platform).await;
        deadletters::put_on_bus(&aws::eventbridge(&sdk), bus, entry).await?;
        Ok(format!("put on event bus {}", bus.arn))
    }
}

async fn run_dead_letters(
    cli: &Cli,
    action: &DeadLettersCommand,
    queue_url: Option<&str>,
) -> Result<ExitCode, Error> {
    let url = match queue_url {
        Some(u) => u.to_string(),
        None => process_env().string("DEAD_LETTER_QUEUE_URL").ok_or_else(|| {
            Error::config(
                "--queue-url",
                "",
                "give the dead-letter queue's URL (the stack's output DeadLetterQueueUrl), or set DEAD_LETTER_QUEUE_URL",
            )
        })?,
    };
    let sdk = aws::load(cli.region.first().map(String::as_str), aws::Trust::Platform).await;
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
            Ok(if listing.unseen.none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
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
            Ok(if run.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
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
        return run_org(&cli, view, accounts, role_name, *concurrency).await;
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
    let e = env(&cli).await?;
    match routed {
        None => jobs(&cli, e).await,
        Some(Routed::Expiry(ev)) => run_expiry(&cli, e, ev).await,
        Some(Routed::Export(ev)) => run_export(&cli, e, ev).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init_cli(cli.verbose);
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("macie-guard: {e}");
            ExitCode::from(1)
        }
    }
}
