//! macie-guard: the operator CLI. The same code paths as the Lambda functions, by hand.

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use macie_guard::config::{expiry_config, process_env};
use macie_guard::dispatch::{self, Routed};
use macie_guard::expiry::{ExpiryEvent, ExpiryGuard, Plan, Policy};
use macie_guard::export::checks::ConfigFact;
use macie_guard::export::sources::AwsSources;
use macie_guard::export::{ExportEvent, ExportGuard, ExportReport, Severity};
use macie_guard::journal::AnyJournal;
use macie_guard::notify::AnyNotifier;
use macie_guard::scope::is_account;
use macie_guard::text::{quoted, safe, safe_short};
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
    notifier: AnyNotifier,
}

async fn env(cli: &Cli) -> Result<Env, Error> {
    let sdk = aws::load(cli.region.first().map(String::as_str)).await;
    let region = aws::region_of(&sdk)?;
    let macie = aws::macie(&sdk);
    let account = match &cli.account {
        Some(a) if is_account(a) => a.clone(),
        Some(a) => {
            return Err(Error::Config {
                name: "--account",
                value: a.clone(),
                reason: "use a 12-digit account id".into(),
            })
        }
        None => macie::session_account(&macie).await?,
    };
    let topic = match &cli.topic_arn {
        Some(t) => Some(t.clone()),
        None => process_env().topic("NOTIFICATION_TOPIC_ARN")?,
    };
    let notifier = AnyNotifier::new(topic.as_ref().map(|_| aws::sns(&sdk)), topic);
    Ok(Env {
        sdk,
        macie,
        region,
        account,
        notifier,
    })
}

fn expiry_guard(
    cli: &Cli,
    e: Env,
) -> Result<ExpiryGuard<aws_sdk_macie2::Client, AnyNotifier, AnyJournal>, Error> {
    let mut config = expiry_config(&process_env())?;
    if let Some(p) = cli.default_policy {
        config.default_policy = p;
    }
    config.dry_run |= cli.dry_run;
    let table = cli
        .journal_table
        .clone()
        .or_else(|| process_env().string("JOURNAL_TABLE"));
    Ok(ExpiryGuard::new(
        e.macie,
        e.notifier,
        config,
        macie_guard::scope::Scope::new(e.account, e.region),
    )
    .with_journal(aws::journal(&e.sdk, table)))
}

fn export_guard(cli: &Cli, e: Env) -> ExportGuard<AwsSources, AnyNotifier> {
    let mut regions = vec![e.region.clone()];
    for r in &cli.region {
        if !regions.contains(r) {
            regions.push(r.clone());
        }
    }
    ExportGuard {
        sources: AwsSources::new(e.sdk),
        notifier: e.notifier,
        account: e.account,
        regions,
    }
}

/// The readable report of a run, from its JSON form (also what a partial failure carries).
fn print_summary(s: &Value) {
    let text = |k: &str| safe(s.get(k).and_then(Value::as_str).unwrap_or_default());
    let num = |k: &str| s.get(k).and_then(Value::as_u64).unwrap_or_default();
    let jobs = s
        .get("jobs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    println!(
        "{} in {} {}: {} paused job(s) scanned, {} handled{}",
        text("trigger"),
        text("account"),
        text("region"),
        num("scanned"),
        jobs.len(),
        if s.get("dry_run").and_then(Value::as_bool) == Some(true) {
            " (dry run)"
        } else {
            ""
        }
    );
    for j in &jobs {
        let field = |k: &str| j.get(k).and_then(Value::as_str).unwrap_or_default();
        println!("  [{:<12}] {}", field("outcome"), safe(field("message")));
    }
    for i in s
        .get("ignored")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        println!("  [ignored     ] {}", safe(i.as_str().unwrap_or_default()));
    }
    if num("deferred") > 0 {
        println!(
            "  {} job(s) left for the next sweep (time budget)",
            num("deferred")
        );
    }
}

fn print_export(r: &ExportReport) {
    if let Some(why) = &r.ignored {
        println!("{}: ignored: {why}", r.trigger);
    }
    for region in &r.regions {
        match &region.configuration {
            ConfigFact::Set(d) => println!(
                "Export configuration in {}: bucket {} (prefix {}), key {}",
                region.region,
                safe(d.bucket_name.as_deref().unwrap_or("-")),
                quoted(d.key_prefix.as_deref().unwrap_or("")),
                safe(d.kms_key_arn.as_deref().unwrap_or("-"))
            ),
            ConfigFact::NotSet => println!("Export configuration in {}: not set", region.region),
            ConfigFact::Unreadable { reason } => println!(
                "Export configuration in {}: unreadable ({})",
                region.region,
                safe(reason)
            ),
        }
        if region.findings.is_empty() {
            println!("  OK: Macie can store its discovery results here.");
        }
        for f in &region.findings {
            println!(
                "  [{}] {}  {}",
                f.severity.as_str(),
                f.code,
                safe(&f.resource)
            );
            println!("      {}", safe(&f.message));
            println!("      Fix: {}", safe(&f.fix));
            if let Some(st) = &f.statement {
                let text = serde_json::to_string_pretty(st).unwrap_or_default();
                println!("      Statement to add:");
                // JSON escapes every control character inside its strings.
                for line in text.lines() {
                    println!("        {line}");
                }
            }
        }
    }
}

fn export_exit(r: &ExportReport) -> ExitCode {
    match r.worst() {
        Some(Severity::Critical) => ExitCode::from(2),
        Some(Severity::Warning) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

async fn run_expiry(cli: &Cli, e: Env, event: ExpiryEvent) -> Result<ExitCode, Error> {
    let guard = expiry_guard(cli, e)?;
    match guard.handle(&event, Utc::now()).await {
        Ok(s) if cli.json => print_json(&s),
        Ok(s) => print_summary(&serde_json::to_value(&s).unwrap_or_default()),
        Err(Error::Partial { summary, .. }) if cli.json => {
            print_json(&summary);
            return Ok(ExitCode::from(1));
        }
        Err(Error::Partial {
            summary,
            failed,
            total,
            first,
        }) => {
            // Every job's report, then the failure.
            print_summary(&summary);
            eprintln!("macie-guard: {failed} of {total} failed: {}", safe(&first));
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e),
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_export(cli: &Cli, e: Env, event: ExportEvent) -> Result<ExitCode, Error> {
    let report = export_guard(cli, e).handle(&event).await?;
    if cli.json {
        print_json(&report);
    } else {
        print_export(&report);
    }
    Ok(export_exit(&report))
}

async fn jobs(cli: &Cli, e: Env) -> Result<ExitCode, Error> {
    let jobs = expiry_guard(cli, e)?.paused_jobs(Utc::now()).await?;
    if cli.json {
        print_json(&jobs);
        return Ok(ExitCode::SUCCESS);
    }
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
            Plan::Warn { act_at, .. } => format!("warn; act {}", act_at.format("%Y-%m-%d %H:%M")),
            p => p.label().to_string(),
        };
        let name = safe_short(&j.job.name, 28);
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
    Ok(ExitCode::SUCCESS)
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    // Read the event before any AWS call: a bad file changes nothing and costs nothing.
    let routed = match &cli.command {
        Command::Jobs => None,
        Command::Sweep => Some(Routed::Expiry(ExpiryEvent::Sweep {
            trigger: "cli".into(),
        })),
        Command::CheckExport => Some(Routed::Export(ExportEvent::Check {
            trigger: "cli".into(),
        })),
        Command::Handle { file, function } => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                Error::MalformedEvent(format!("cannot read {}: {e}", file.display()))
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                Error::MalformedEvent(format!("{} is not JSON: {e}", file.display()))
            })?;
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
