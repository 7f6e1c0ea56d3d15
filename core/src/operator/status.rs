//! `macie-guard status`: is the guard deployed, alive and healthy in an account and Region?
//! The facts read from AWS (plain data, each one read or the reason it could not be), judged
//! here into checks: each is fine or needs attention, with what was seen and what to do.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::schedule::liveness::{judge, Liveness, RunKind, RunRecord, Schedules};
use crate::severity::Severity;

/// A fact read, or why it could not be.
pub type Read<T> = Result<T, String>;

/// The stack (CloudFormation DescribeStacks).
#[derive(Debug, Clone, PartialEq)]
pub struct StackFacts {
    pub name: String,
    /// `CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, ...
    pub status: String,
    pub reason: Option<String>,
    /// The stack's output `Version`: the release it runs (none before 0.2.0's stacks had it).
    pub version: Option<String>,
    pub created: Option<DateTime<Utc>>,
}

/// A function of the stack (Lambda GetFunction, GetFunctionConcurrency).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionFacts {
    pub logical_id: String,
    pub name: String,
    /// Its ARN, what a rule or schedule must target.
    pub arn: String,
    pub state: Read<FunctionState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionState {
    /// `Active`, `Pending`, `Inactive`, `Failed`.
    pub state: String,
    pub state_reason: Option<String>,
    /// `Successful`, `InProgress`, `Failed` (of the last update).
    pub last_update: Option<String>,
    /// Reserved concurrency; `Some(0)` is a function throttled to zero.
    pub reserved_concurrency: Option<i64>,
}

/// What invokes the functions: an EventBridge rule or an EventBridge Scheduler schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerKind {
    Rule,
    Schedule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TriggerFacts {
    pub kind: TriggerKind,
    pub logical_id: String,
    pub name: String,
    /// `ENABLED` or `DISABLED`.
    pub state: Read<String>,
    /// Where it delivers (a rule's ListTargetsByRule; a schedule's one target).
    pub targets: Read<Vec<TargetFacts>>,
}

/// One target of a rule or a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFacts {
    pub arn: String,
    /// The role it delivers with (a schedule's, a rule's to another bus).
    pub role_arn: Option<String>,
    /// Its dead-letter queue.
    pub dead_letter_arn: Option<String>,
}

/// What the stack's wiring must point at, from its resources, outputs and parameters (`None`:
/// the stack does not say, and that link is not judged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wiring {
    /// The stack's dead-letter queue: every target's.
    pub dead_letter_arn: Option<String>,
    /// The topic every alarm tells.
    pub topic_arn: Option<String>,
    /// The role every schedule invokes with.
    pub scheduler_role_arn: Option<String>,
    /// The central bus the forwarding rule targets (parameter CentralEventBusArn).
    pub central_bus_arn: Option<String>,
}

/// The topic's subscriptions (SNS ListSubscriptionsByTopic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicFacts {
    pub arn: String,
    pub confirmed: u64,
    /// Waiting for their confirmation (an e-mail's link not yet followed).
    pub pending: u64,
}

/// An alarm of the stack (CloudWatch DescribeAlarms).
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmFacts {
    pub name: String,
    /// `OK`, `ALARM`, `INSUFFICIENT_DATA`.
    pub state: String,
    pub reason: String,
    /// Whether its actions run when its state changes (DisableAlarmActions turns them off:
    /// the alarm still changes state, and nobody is told).
    pub actions_enabled: bool,
    /// What it does on ALARM.
    pub actions: Vec<String>,
}

/// One open journal entry, as far as status cares: whose lease, until when.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenEntry {
    pub job_id: String,
    pub lease_until: DateTime<Utc>,
}

/// What the run log holds: each scheduled run's last success, and the watch's first look.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLogFacts {
    pub records: Vec<RunRecord>,
    pub watched_since: Option<DateTime<Utc>>,
    /// A hub's: what its last sweep and export check saw of the members (none elsewhere).
    pub members: Vec<crate::hub::MembersSeen>,
}

/// Security Hub, as the stack is configured for it (`SecurityHubFindings`).
#[derive(Debug, Clone, PartialEq)]
pub enum HubFacts {
    Off,
    /// On; enabled in this Region (DescribeHub), or not, or unreadable.
    On(Read<bool>),
}

/// Everything `status` reads in one account and Region.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub stack: StackFacts,
    /// This CLI's version, to compare with the stack's.
    pub cli_version: String,
    pub functions: Vec<FunctionFacts>,
    pub triggers: Vec<TriggerFacts>,
    pub alarms: Read<Vec<AlarmFacts>>,
    /// Messages waiting in the dead-letter queue (visible and in flight).
    pub dead_letters: Read<u64>,
    pub journal: Read<Vec<OpenEntry>>,
    pub runs: Read<RunLogFacts>,
    /// The schedules the stack runs (its SweepSchedule and ExportCheckSchedule parameters).
    pub schedules: Schedules,
    pub security_hub: HubFacts,
    /// A hub's PerAccountStacks: account-Regions (or accounts) still left to a per-account
    /// stack.
    pub per_account_stacks: Vec<String>,
    /// A hub's MemberRegions (empty: a single-account stack).
    pub member_regions: Vec<String>,
    /// What the triggers, alarms and topic must point at.
    pub wiring: Wiring,
    /// Who the topic tells.
    pub topic: Read<TopicFacts>,
}

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Stack,
    Function,
    Rule,
    Schedule,
    Run,
    Alarm,
    Topic,
    DeadLetters,
    Journal,
    Export,
    SecurityHub,
    /// A hub's members: the account-Regions its last runs could not reach.
    Members,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Stack => "stack",
            Area::Function => "function",
            Area::Rule => "rule",
            Area::Schedule => "schedule",
            Area::Run => "run",
            Area::Alarm => "alarm",
            Area::Topic => "topic",
            Area::DeadLetters => "dead-letters",
            Area::Journal => "journal",
            Area::Export => "export",
            Area::SecurityHub => "security-hub",
            Area::Members => "members",
        }
    }
}

/// One check: what, whether it needs attention, what was seen (and, when it needs attention,
/// what to do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub area: Area,
    pub name: String,
    pub attention: bool,
    pub detail: String,
}

/// The verdict on one account and Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub stack: String,
    pub stack_status: String,
    pub version: Option<String>,
    pub cli_version: String,
    /// How many checks need attention (the CLI exits 1 when any does).
    pub attention: usize,
    pub checks: Vec<Check>,
}

/// The functions of a macie-guard stack, by logical id.
pub const FUNCTIONS: [&str; 2] = ["ExpiryGuardFunction", "ExportGuardFunction"];

/// A lease that ended this long ago and is still open: its run died and the journal watch
/// (every 1 to 5 minutes) has not finished it.
pub const STALE_LEASE: Duration = Duration::minutes(10);

fn check(area: Area, name: &str, attention: bool, detail: String) -> Check {
    Check {
        area,
        name: name.to_string(),
        attention,
        detail,
    }
}

fn unreadable(area: Area, name: &str, why: &str) -> Check {
    check(area, name, true, format!("could not be read: {why}"))
}

/// Stack statuses in which the stack is as its last template says.
fn settled(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

fn stack_check(f: &Facts) -> Check {
    let s = &f.stack;
    let version = match &s.version {
        Some(v) if *v == f.cli_version => format!("version {v}"),
        Some(v) => format!("version {v} (this CLI is {})", f.cli_version),
        None => "version unknown (the stack has no Version output: older than 0.2.0)".into(),
    };
    if settled(&s.status) {
        return check(
            Area::Stack,
            &s.name,
            false,
            format!("{}, {version}", s.status),
        );
    }
    let reason = s
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let advice = if s.status.ends_with("_IN_PROGRESS") {
        "an operation is under way: run status again when it ends"
    } else if s.status.contains("ROLLBACK") {
        "the last create or update failed and was rolled back: see the stack's events"
    } else {
        "see the stack's events"
    };
    check(
        Area::Stack,
        &s.name,
        true,
        format!("{}{reason}, {version}: {advice}", s.status),
    )
}

fn function_check(f: &FunctionFacts) -> Check {
    let state = match &f.state {
        Err(why) => return unreadable(Area::Function, &f.name, why),
        Ok(s) => s,
    };
    let mut problems = Vec::new();
    if state.state != "Active" {
        problems.push(format!(
            "state {}{}",
            state.state,
            state
                .state_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    if state.last_update.as_deref() == Some("Failed") {
        problems.push("its last update failed".into());
    }
    if state.reserved_concurrency == Some(0) {
        problems.push(
            "reserved concurrency 0: every invocation is throttled (aws lambda delete-function-concurrency)"
                .into(),
        );
    }
    if problems.is_empty() {
        let concurrency = state
            .reserved_concurrency
            .map(|c| format!(", reserved concurrency {c}"))
            .unwrap_or_default();
        check(
            Area::Function,
            &f.name,
            false,
            format!("Active{concurrency} ({})", f.logical_id),
        )
    } else {
        check(
            Area::Function,
            &f.name,
            true,
            format!("{} ({})", problems.join("; "), f.logical_id),
        )
    }
}

fn run_checks(f: &Facts, now: DateTime<Utc>) -> Vec<Check> {
    let log = match &f.runs {
        Err(why) => {
            return RunKind::ALL
                .iter()
                .map(|k| unreadable(Area::Run, k.as_str(), why))
                .collect()
        }
        Ok(l) => l,
    };
    // Before the watch's first look, the stack's creation is when runs began to be owed.
    let since = log.watched_since.or(f.stack.created).unwrap_or(now);
    RunKind::ALL
        .iter()
        .map(|&kind| {
            let record = log.records.iter().find(|r| r.kind == kind);
            let expression = f.schedules.expression(kind);
            let verdict = judge(
                &expression.parse(),
                record.map(|r| r.started_at),
                since,
                now,
            );
            let last = match record {
                Some(r) => format!(
                    "last success {} ({}, version {})",
                    r.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.result,
                    r.version
                ),
                None => "no successful run recorded".into(),
            };
            match verdict {
                Liveness::OnTime { .. } => {
                    check(Area::Run, kind.as_str(), false, format!("on time ({expression}); {last}"))
                }
                Liveness::Overdue { due, .. } => check(
                    Area::Run,
                    kind.as_str(),
                    true,
                    format!(
                        "overdue: the schedule ({expression}) fired at {} and no run since succeeded; {last}. See the function's logs and the schedule",
                        due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                ),
                Liveness::Unreadable { error } => check(
                    Area::Run,
                    kind.as_str(),
                    true,
                    format!("the schedule cannot be judged: {error}; {last}"),
                ),
            }
        })
        .collect()
}

fn dead_letters_check(f: &Facts) -> Check {
    match &f.dead_letters {
        Err(why) => unreadable(Area::DeadLetters, "dead-letter queue", why),
        Ok(0) => check(
            Area::DeadLetters,
            "dead-letter queue",
            false,
            "empty".into(),
        ),
        Ok(n) => check(
            Area::DeadLetters,
            "dead-letter queue",
            true,
            format!("{n} waiting: macie-guard dead-letters list, then dead-letters replay"),
        ),
    }
}

fn journal_check(f: &Facts, now: DateTime<Utc>) -> Check {
    let entries = match &f.journal {
        Err(why) => return unreadable(Area::Journal, "journal", why),
        Ok(e) => e,
    };
    let stale: Vec<&OpenEntry> = entries
        .iter()
        .filter(|e| e.lease_until + STALE_LEASE < now)
        .collect();
    if !stale.is_empty() {
        let jobs: Vec<&str> = stale.iter().map(|e| e.job_id.as_str()).collect();
        return check(
            Area::Journal,
            "journal",
            true,
            format!(
                "{} open, {} with a lease that ended over {} minutes ago (jobs {}): the journal watch has not finished them; see the expiry guard's logs and the JournalWatch schedule",
                entries.len(),
                stale.len(),
                STALE_LEASE.num_minutes(),
                jobs.join(", ")
            ),
        );
    }
    check(
        Area::Journal,
        "journal",
        false,
        match entries.len() {
            0 => "no change open".into(),
            n => format!("{n} change(s) in flight, leases current"),
        },
    )
}

fn export_check(f: &Facts) -> Check {
    let record = match &f.runs {
        Err(why) => return unreadable(Area::Export, "export verdict", why),
        Ok(l) => l.records.iter().find(|r| r.kind == RunKind::ExportCheck),
    };
    match record {
        None => check(
            Area::Export,
            "export verdict",
            false,
            "no export check recorded yet".into(),
        ),
        Some(r) => match r.worst {
            Some(w) if w >= Severity::Warning => check(
                Area::Export,
                "export verdict",
                true,
                format!(
                    "{}: {} (macie-guard check-export says what to fix)",
                    w.as_str(),
                    r.result
                ),
            ),
            _ => check(
                Area::Export,
                "export verdict",
                false,
                format!("clean: {}", r.result),
            ),
        },
    }
}

fn hub_check(f: &Facts) -> Check {
    match &f.security_hub {
        HubFacts::Off => check(
            Area::SecurityHub,
            "Security Hub",
            false,
            "off (SecurityHubFindings false)".into(),
        ),
        HubFacts::On(Ok(true)) => check(
            Area::SecurityHub,
            "Security Hub",
            false,
            "enabled; findings imported".into(),
        ),
        HubFacts::On(Ok(false)) => check(
            Area::SecurityHub,
            "Security Hub",
            true,
            "not enabled in this Region, so no finding can be imported: enable Security Hub, or set SecurityHubFindings false".into(),
        ),
        HubFacts::On(Err(why)) => unreadable(Area::SecurityHub, "Security Hub", why),
    }
}

/// A hub's members, as its last sweep and export check saw them: one line per run when every
/// member account-Region was reached, else one per account-Region it could not reach (what
/// the role's refusal said), and how many more.
fn member_checks(f: &Facts) -> Vec<Check> {
    // Never two guards on one job: what the hub leaves, until its stack is removed.
    let mut out: Vec<Check> = f
        .per_account_stacks
        .iter()
        .map(|entry| {
            check(
                Area::Members,
                entry,
                false,
                format!(
                    "left to its per-account stack (PerAccountStacks): the hub acts there once the stack is removed and {} with it from PerAccountStacks",
                    crate::text::safe(entry)
                ),
            )
        })
        .collect();
    let Ok(log) = &f.runs else {
        return out;
    };
    for seen in &log.members {
        let at = seen.at.format("%Y-%m-%d %H:%M UTC");
        let not_done = seen.not_done.len() + seen.more_not_done;
        if seen.unreached.is_empty() && not_done == 0 {
            out.push(check(
                Area::Members,
                &seen.run,
                false,
                format!(
                    "the {} at {at} reached every member account-Region ({})",
                    seen.run, seen.units
                ),
            ));
            continue;
        }
        if not_done > 0 {
            // Handed to the work queue, out of time or failed: not done by this run, and not a
            // fault of the members (the queue's alarm and the run's own record tell the rest).
            out.push(check(
                Area::Members,
                &seen.run,
                false,
                format!(
                    "the {} at {at} did not finish {not_done} of {} member account-Region(s) itself (queued, deferred or failed; org status --hub names them)",
                    seen.run, seen.units
                ),
            ));
        }
        for u in &seen.unreached {
            out.push(check(
                Area::Members,
                &format!("{} {}", u.account, u.region),
                true,
                crate::hub::unreached_sentence(seen, u),
            ));
        }
        if seen.more > 0 {
            out.push(check(
                Area::Members,
                &seen.run,
                true,
                format!(
                    "and {} more account-Region(s) the {} at {at} could not reach (its answer and logs name them)",
                    seen.more, seen.run
                ),
            ));
        }
    }
    out
}

/// Judges everything read, as of `now`.
pub fn judge_status(f: &Facts, now: DateTime<Utc>) -> Status {
    let mut checks = vec![stack_check(f)];
    for logical in FUNCTIONS {
        if !f.functions.iter().any(|x| x.logical_id == logical) {
            checks.push(check(
                Area::Function,
                logical,
                true,
                format!(
                    "the stack has no {logical}: is {} macie-guard's stack? (--stack)",
                    f.stack.name
                ),
            ));
        }
    }
    checks.extend(f.functions.iter().map(function_check));
    checks.extend(f.triggers.iter().map(|t| trigger_check(t, f)));
    checks.extend(run_checks(f, now));
    checks.extend(alarm_checks(f));
    checks.push(topic_check(f));
    checks.push(dead_letters_check(f));
    checks.push(journal_check(f, now));
    checks.push(export_check(f));
    checks.push(hub_check(f));
    checks.extend(member_checks(f));
    Status {
        stack: f.stack.name.clone(),
        stack_status: f.stack.status.clone(),
        version: f.stack.version.clone(),
        cli_version: f.cli_version.clone(),
        attention: checks.iter().filter(|c| c.attention).count(),
        checks,
    }
}

mod links;

use links::{alarm_checks, topic_check, trigger_check};

#[cfg(test)]
mod tests;
