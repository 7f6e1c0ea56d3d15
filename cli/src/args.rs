//! The CLI's arguments (clap): every command and option, and nothing that runs.

use clap::{Parser, Subcommand, ValueEnum};
use macie_guard_core::expiry::policy::Policy;
use std::path::PathBuf;

/// Keeps Amazon Macie's paused discovery jobs from expiring unnoticed, and checks where Macie
/// stores its discovery results. Takes credentials as the AWS CLI does (environment, --profile
/// or AWS_PROFILE with keys, IAM Identity Center, credential_process or a role; container and
/// instance roles); the SDK's AWS_ENDPOINT_URL_<SERVICE> variables point it at local
/// stand-ins.
#[derive(Parser)]
#[command(
    name = "macie-guard",
    version,
    after_help = "Exit codes: 0 done, 1 attention (warnings), 2 critical, 3 failed, 64 usage, 130 interrupted (docs/operate.md, \"Exit codes\")."
)]
pub(crate) struct Cli {
    /// AWS Region (default: the SDK's Region chain, e.g. AWS_REGION). check-export takes it
    /// more than once.
    #[arg(long, global = true)]
    pub(crate) region: Vec<String>,
    /// The named profile of the AWS config and credentials files, as the AWS CLI takes it:
    /// keys, IAM Identity Center (SSO; sign in with `aws sso login` first), credential_process,
    /// or a role to assume [env: AWS_PROFILE].
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
    /// Account the jobs belong to (default: read from GetMacieSession).
    #[arg(long, global = true)]
    pub(crate) account: Option<String>,
    /// Decide and report, change nothing.
    #[arg(long, global = true)]
    pub(crate) dry_run: bool,
    /// Machine-readable JSON on standard output.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Policy for jobs without a macie-guard:on-expiry tag: resume, keep-paused, cancel,
    /// notify or ignore [env: MACIE_GUARD_DEFAULT_POLICY, default notify].
    #[arg(long, global = true, value_parser = Policy::parse_default)]
    pub(crate) default_policy: Option<Policy>,
    /// SNS topic for notifications [env: MACIE_GUARD_NOTIFICATION_TOPIC_ARN]; without one they are printed.
    #[arg(long, global = true)]
    pub(crate) topic_arn: Option<String>,
    /// The stack's journal table (leases and open changes shared with the functions)
    /// [env: MACIE_GUARD_JOURNAL_TABLE]; without one, this run's own.
    #[arg(long, global = true)]
    pub(crate) journal_table: Option<String>,
    /// Also keep Security Hub findings, as the functions do with SecurityHubFindings: each
    /// problem imported in the account and Region it concerns, archived when it is gone
    /// [env: MACIE_GUARD_SECURITY_HUB=true].
    #[arg(long, global = true)]
    pub(crate) security_hub: bool,
    /// Log what happens, and each AWS request's method, URL and status (RUST_LOG overrides).
    #[arg(long, short, global = true)]
    pub(crate) verbose: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Paused jobs: pause date, expiry, days left, the policy that applies and the plan.
    Jobs,
    /// The expiry sweep, as the scheduled function runs it.
    Sweep,
    /// Check where Macie stores discovery results (exit 0 clean, 1 warnings, 2 critical, 3
    /// failed).
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
        /// The queue (the stack's output DeadLetterQueueUrl) [env: MACIE_GUARD_DEAD_LETTER_QUEUE_URL].
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
    /// every --region, read through each member's read-only role (the member stack's, with
    /// OperatorPrincipalArn naming you). Reads only.
    Org {
        #[command(subcommand)]
        view: OrgCommand,
        /// Accounts to read, comma-separated [default: every account of the organization].
        #[arg(long, value_delimiter = ',', global = true)]
        accounts: Vec<String>,
        /// The role to assume in each account; {region} becomes the Region [default:
        /// macie-guard-member-read; for `org status`, a per-account stack's
        /// macie-guard-read-{region}].
        #[arg(long, global = true)]
        role_name: Option<String>,
        /// Accounts-and-Regions read at once (1-64).
        #[arg(long, default_value_t = 8, global = true, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
    },
}

#[derive(Subcommand, Clone)]
pub(crate) enum OrgCommand {
    /// Paused jobs of every account and Region: days left, policy, plan (exit 3 if any
    /// account-Region could not be read).
    Jobs,
    /// The export check of every account and Region (exit 3 if any account-Region could not
    /// be read, else 2 critical, 1 warning, 0 clean).
    CheckExport,
    /// `status` in every account and Region, a line each (exit 1 when any needs attention, 3
    /// when one could not be read).
    Status {
        /// The stack's name in every account [default: the stack holding the read role].
        #[arg(long, conflicts_with = "hub")]
        stack: Option<String>,
        /// Read the organization as this hub stack (in this account and Region) last saw it:
        /// a line per member account-Region (guarded, unreachable and why, or not guarded and
        /// why), no member role assumed.
        #[arg(long, value_name = "STACK")]
        hub: Option<String>,
    },
}

#[derive(Subcommand, Clone)]
pub(crate) enum DeadLettersCommand {
    /// Each message: its id, when, who sent it (a function, a rule, a schedule), the event it
    /// was for and the error. Hides nothing from anyone; says what it could not see (exit 1)
    /// (--json: each message whole).
    List,
    /// Runs each again where it was going (its function, or the bus a rule forwards to),
    /// deletes it only once that was done; keeps and reports the ones that fail again, that no
    /// function acts on, and what --all could not see (exit 3). Give the stack's
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
pub(crate) enum FunctionArg {
    Expiry,
    Export,
}

impl Command {
    /// The command's name, as typed.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Jobs => "jobs",
            Command::Sweep => "sweep",
            Command::CheckExport => "check-export",
            Command::Handle { .. } => "handle",
            Command::DeadLetters { .. } => "dead-letters",
            Command::Status { .. } => "status",
            Command::Recreate { .. } => "recreate",
            Command::Org { .. } => "org",
        }
    }
}

/// No option is silently ignored: an option the command does not use, or a second --region
/// where it reads one Region, is a usage error (what was given, and what to do instead).
pub(crate) fn unused(cli: &Cli) -> Result<(), String> {
    use DeadLettersCommand as D;
    let given = [
        ("--account", cli.account.is_some()),
        ("--dry-run", cli.dry_run),
        ("--default-policy", cli.default_policy.is_some()),
        ("--topic-arn", cli.topic_arn.is_some()),
        ("--journal-table", cli.journal_table.is_some()),
        ("--security-hub", cli.security_hub),
    ];
    // What each command reads (besides --region, --profile, --json and --verbose, which all
    // take).
    let (uses, regions): (&[&str], Regions) = match &cli.command {
        Command::Jobs => (&["--account", "--default-policy"], Regions::One),
        Command::Sweep => (
            &[
                "--account",
                "--dry-run",
                "--default-policy",
                "--topic-arn",
                "--journal-table",
                "--security-hub",
            ],
            Regions::One,
        ),
        Command::CheckExport => (
            &["--account", "--topic-arn", "--security-hub"],
            Regions::Many,
        ),
        // The event decides which guard runs: run::run checks the Regions once it is read.
        Command::Handle { .. } => (
            &[
                "--account",
                "--dry-run",
                "--default-policy",
                "--topic-arn",
                "--journal-table",
                "--security-hub",
            ],
            Regions::Many,
        ),
        Command::DeadLetters {
            action: D::List, ..
        } => (&[], Regions::One),
        Command::DeadLetters { .. } => (
            &[
                "--account",
                "--dry-run",
                "--default-policy",
                "--topic-arn",
                "--journal-table",
                "--security-hub",
            ],
            Regions::One,
        ),
        Command::Status { .. } => (&["--account"], Regions::One),
        Command::Recreate { .. } => (&["--dry-run"], Regions::One),
        Command::Org { view, .. } => (
            match view {
                OrgCommand::Jobs => &["--default-policy"],
                _ => &[],
            },
            Regions::Many,
        ),
    };
    let name = cli.command.name();
    for (option, is_given) in given {
        if is_given && !uses.contains(&option) {
            let hint = match (option, &cli.command) {
                ("--account", Command::Org { .. }) => {
                    " (the organization view takes --accounts, comma-separated)"
                }
                ("--dry-run", _) => " (it changes nothing anyway)",
                _ => "",
            };
            return Err(format!("{option} does nothing with `{name}`{hint}"));
        }
    }
    if regions == Regions::One && cli.region.len() > 1 {
        return Err(format!(
            "`{name}` reads one Region and was given {} (--region {}); give --region once (check-export and org read several)",
            cli.region.len(),
            cli.region.join(" --region ")
        ));
    }
    Ok(())
}

/// How many Regions a command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regions {
    One,
    Many,
}
