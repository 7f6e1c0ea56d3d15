//! macie-guard: the operator CLI. The same code paths as the Lambda functions, by hand.

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use macie_guard::config::{expiry_config, process_env};
use macie_guard::expiry::{ExpiryConfig, ExpiryEvent, ExpiryGuard, Plan, Policy, Summary};
use macie_guard::notify::AnyNotifier;
use macie_guard::scope::{is_account, Scope};
use macie_guard::{aws, logging, macie, Error};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;

/// Keeps Amazon Macie's paused discovery jobs from expiring unnoticed, and checks where Macie
/// stores its discovery results. Uses the standard AWS credential chain; the SDK's
/// AWS_ENDPOINT_URL_<SERVICE> variables point it at local stand-ins.
#[derive(Parser)]
#[command(name = "macie-guard", version)]
struct Cli {
    /// AWS Region (default: the SDK's Region chain, e.g. AWS_REGION).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Account the jobs belong to (default: read from GetMacieSession).
    #[arg(long, global = true)]
    account: Option<String>,
    /// Decide and report, change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Machine-readable JSON on standard output.
    #[arg(long, global = true)]
    json: bool,
    /// Policy for jobs without a macie-guard:on-expiry tag [env: DEFAULT_POLICY, default notify].
    #[arg(long, global = true)]
    default_policy: Option<Policy>,
    /// SNS topic for notifications [env: NOTIFICATION_TOPIC_ARN]; without one they are printed.
    #[arg(long, global = true)]
    topic_arn: Option<String>,
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
    /// Route an event file through the same dispatcher as the Lambda functions.
    Handle {
        /// A JSON event (see events/).
        file: PathBuf,
        /// Which function's dispatcher (default: told by the event).
        #[arg(long, value_enum)]
        function: Option<Function>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Function {
    Expiry,
}

fn config(cli: &Cli) -> Result<ExpiryConfig, Error> {
    let mut c = expiry_config(&process_env())?;
    if let Some(p) = cli.default_policy {
        c.default_policy = p;
    }
    c.dry_run |= cli.dry_run;
    Ok(c)
}

async fn scope(
    cli: &Cli,
    sdk: &aws_config::SdkConfig,
    client: &aws_sdk_macie2::Client,
) -> Result<Scope, Error> {
    let region = aws::region_of(sdk)?;
    let account = match &cli.account {
        Some(a) if is_account(a) => a.clone(),
        Some(a) => {
            return Err(Error::Config {
                name: "--account",
                value: a.clone(),
                reason: "use a 12-digit account id".into(),
            })
        }
        None => macie::session_account(client).await?,
    };
    Ok(Scope::new(account, region))
}

fn print_summary(s: &Summary, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    println!(
        "{} in {} {}: {} paused job(s) scanned, {} handled{}",
        s.trigger,
        s.account,
        s.region,
        s.scanned,
        s.jobs.len(),
        if s.dry_run { " (dry run)" } else { "" }
    );
    for j in &s.jobs {
        println!("  [{:<12}] {}", j.outcome.as_str(), j.message);
    }
    for i in &s.ignored {
        println!("  [ignored     ] {i}");
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    let sdk = aws::load(cli.region.as_deref()).await;
    let client = aws::macie(&sdk);
    let env = process_env();
    let topic = match &cli.topic_arn {
        Some(t) => Some(t.clone()),
        None => env.topic("NOTIFICATION_TOPIC_ARN")?,
    };
    let guard = ExpiryGuard {
        macie: client.clone(),
        notifier: AnyNotifier::new(topic.as_ref().map(|_| aws::sns(&sdk)), topic),
        config: config(&cli)?,
        scope: scope(&cli, &sdk, &client).await?,
    };
    let now = Utc::now();
    let summary = match &cli.command {
        Command::Jobs => {
            let jobs = guard.paused_jobs(now).await?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&jobs).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<32}  {:<28}  {:<16}  {:<16}  {:>9}  {:<11}  PLAN",
                    "JOB ID", "NAME", "PAUSED", "EXPIRES", "DAYS LEFT", "POLICY"
                );
                let t = |d: Option<chrono::DateTime<Utc>>| {
                    d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "-".into())
                };
                for j in &jobs {
                    let plan = match &j.plan {
                        Plan::Warn { act_at, .. } => {
                            format!("warn; act {}", act_at.format("%Y-%m-%d %H:%M"))
                        }
                        p => p.label().to_string(),
                    };
                    let name: String = j.job.name.chars().take(28).collect();
                    println!(
                        "{:<32}  {:<28}  {:<16}  {:<16}  {:>9}  {:<11}  {}",
                        j.job.job_id,
                        name,
                        t(j.job.paused_at),
                        t(j.job.expires_at),
                        j.days_left
                            .map(|d| format!("{d:.1}"))
                            .unwrap_or_else(|| "-".into()),
                        j.policy.as_str(),
                        plan
                    );
                }
                println!("{} paused job(s)", jobs.len());
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Sweep => {
            guard
                .handle(
                    &ExpiryEvent::Sweep {
                        trigger: "cli".into(),
                    },
                    now,
                )
                .await
        }
        Command::Handle { file, function } => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                Error::MalformedEvent(format!("cannot read {}: {e}", file.display()))
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                Error::MalformedEvent(format!("{} is not JSON: {e}", file.display()))
            })?;
            let _ = function;
            let event = ExpiryEvent::parse(&value)?;
            guard.handle(&event, now).await
        }
    };
    match summary {
        Ok(s) => {
            print_summary(&s, cli.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Partial { summary, .. }) if cli.json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&summary).unwrap_or_default()
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e),
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
