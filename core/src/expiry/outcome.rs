//! What the expiry guard found and did: per job and per invocation, in plain data. Each job's
//! result carries its [`Reason`]; the sentence that says it is `tell::reason`'s, and how it is
//! told (the message, events, metrics, the CLI's text) `tell::expiry`'s.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::job::{JobSnapshot, JobStatus, JobType};
use super::plan::{days_left, Plan, Step};
use super::policy::{Policy, PolicySource};
use super::reason::{Caveat, Prompt, Reason};
use crate::severity::Severity;

/// How one job's handling ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The change was made.
    Done,
    /// The job was already in the wanted state when we got there.
    AlreadyDone,
    /// DRY_RUN: the change was not made.
    DryRun,
    /// A warning before the action window.
    Warned,
    /// In the action window with policy `notify`: people were told, nothing changed.
    Notified,
    /// Not at risk now.
    Nothing,
    /// Policy `ignore`, or excluded.
    Ignored,
    /// The job expired: reported with its definition.
    Lost,
    /// The job does not exist (any more).
    NotFound,
    /// Another invocation holds the job's lease and is changing it: left to that one.
    Busy,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone => "already-done",
            Outcome::DryRun => "dry-run",
            Outcome::Warned => "warned",
            Outcome::Notified => "notified",
            Outcome::Nothing => "nothing",
            Outcome::Ignored => "ignored",
            Outcome::Lost => "lost",
            Outcome::NotFound => "not-found",
            Outcome::Busy => "busy",
            Outcome::Failed => "failed",
        }
    }

    /// Whether a person should hear about it. A job left to another run is named too: who
    /// holds it, until when, and what happens if that run dies.
    pub fn tells_people(self) -> bool {
        !matches!(
            self,
            Outcome::Nothing | Outcome::Ignored | Outcome::AlreadyDone
        )
    }
}

/// A job created again from a lost one's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewJob {
    pub job_id: String,
    pub job_arn: String,
    pub name: String,
}

/// What happened to one job. Its sentence is [`JobReport::message`] and its JSON form (with
/// the reason's code and the sentence) is made beside it, in `tell::reason`.
#[derive(Debug, Clone)]
pub struct JobReport {
    pub job_id: String,
    pub name: String,
    pub status: String,
    pub job_type: JobType,
    pub paused_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub days_left: Option<f64>,
    pub policy: Option<Policy>,
    pub policy_source: Option<PolicySource>,
    /// The step: nothing, ignore, warn, notify, let-run-expire, resume, keep-paused, cancel,
    /// lost, recreate.
    pub action: Step,
    pub outcome: Outcome,
    /// Why it ended so.
    pub reason: Reason,
    pub definition: Option<Value>,
    /// `busy`: the run that holds the job, and until when its lease runs (it is renewed while
    /// that run lives).
    pub held_by: Option<String>,
    pub held_until: Option<DateTime<Utc>>,
    /// `recreate`: the job that now stands for this lost one.
    pub recreated: Option<NewJob>,
    /// This invocation holds the job's journal entry until the report is out.
    pub held: bool,
}

impl JobReport {
    pub fn new(
        job: &JobSnapshot,
        now: DateTime<Utc>,
        action: Step,
        outcome: Outcome,
        reason: Reason,
    ) -> Self {
        JobReport {
            job_id: job.job_id.clone(),
            name: job.name.clone(),
            status: job.status.to_string(),
            job_type: job.job_type,
            paused_at: job.paused_at,
            expires_at: job.expires_at,
            days_left: job.expires_at.map(|e| days_left(e, now)),
            policy: None,
            policy_source: None,
            action,
            outcome,
            reason,
            definition: None,
            held_by: None,
            held_until: None,
            recreated: None,
            held: false,
        }
    }

    pub fn unknown(job_id: &str, action: Step, outcome: Outcome, reason: Reason) -> Self {
        let job = JobSnapshot {
            job_id: job_id.to_string(),
            name: String::new(),
            status: JobStatus::Other("UNKNOWN".into()),
            job_type: JobType::Unknown,
            paused_at: None,
            expires_at: None,
            health_event_arn: None,
            tags: None,
        };
        let mut r = JobReport::new(&job, DateTime::<Utc>::MIN_UTC, action, outcome, reason);
        r.days_left = None;
        r
    }

    pub fn with_policy(mut self, policy: Policy, source: PolicySource) -> Self {
        self.policy = Some(policy);
        self.policy_source = Some(source);
        self
    }
}

/// What one invocation did: the handler's return value.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub trigger: String,
    pub account: String,
    pub region: String,
    pub dry_run: bool,
    pub jobs: Vec<JobReport>,
    /// Events or references that were not for this function, and why.
    pub ignored: Vec<String>,
    /// Why the event, about another account or Region, was left alone without a word (one
    /// DEBUG line, no notification, no call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elsewhere: Option<String>,
    /// Paused jobs looked at (listed) during a sweep.
    pub scanned: usize,
    /// Jobs in the window left for the next sweep: the invocation's time budget ran out, or
    /// the run was stopped (`stopped`).
    pub deferred: usize,
    /// The run was told to stop (the CLI's Ctrl-C): it took no new job.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// Changes left open by an earlier invocation that died, finished (or reported) by this one.
    pub recovered: usize,
    /// The run looked at every paused job (a sweep): what it did not find at risk is not.
    #[serde(skip)]
    pub swept: bool,
}

impl Summary {
    /// An empty summary of an invocation.
    pub fn new(trigger: &str, account: &str, region: &str, dry_run: bool) -> Summary {
        Summary {
            trigger: trigger.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            dry_run,
            jobs: Vec::new(),
            ignored: Vec::new(),
            elsewhere: None,
            scanned: 0,
            deferred: 0,
            stopped: false,
            recovered: 0,
            swept: false,
        }
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.jobs.iter().filter(|j| j.outcome == outcome).count()
    }

    /// Why this function did not act on the event, if it did not: another kind of event,
    /// another account or Region, or only references to jobs that are not its own. A dead
    /// letter whose replay comes to this is kept.
    pub fn not_acted(&self) -> Option<String> {
        if let Some(why) = &self.elsewhere {
            return Some(why.clone());
        }
        (self.jobs.is_empty() && !self.ignored.is_empty()).then(|| self.ignored.join("; "))
    }

    /// Jobs that failed: how many, and the first one. The Lambda adapter turns this
    /// into a failed invocation (so Lambda retries); the CLI into exit status 3.
    pub fn failures(&self) -> Option<Failures> {
        let failed: Vec<&JobReport> = self
            .jobs
            .iter()
            .filter(|j| j.outcome == Outcome::Failed)
            .collect();
        failed.first().map(|first| Failures {
            failed: failed.len(),
            total: self.jobs.len(),
            first: (*first).clone(),
        })
    }
}

/// Some jobs of an invocation failed; the others were handled and reported.
#[derive(Debug, Clone)]
pub struct Failures {
    pub failed: usize,
    pub total: usize,
    /// The first failed job.
    pub first: JobReport,
}

/// A paused job with the policy and plan that apply now: the CLI's `jobs` listing.
#[derive(Debug, Clone, Serialize)]
pub struct PausedJob {
    #[serde(flatten)]
    pub job: JobSnapshot,
    /// The job's ARN (what `aws macie2 tag-resource --resource-arn` takes).
    pub arn: String,
    pub days_left: Option<f64>,
    pub policy: Policy,
    pub policy_source: PolicySource,
    pub plan: Plan,
}

/// The report of a job excluded from macie-guard (`EXCLUDE_JOBS`) that something asked the
/// guard to act on (`asked`: a Health event, a tag, a watch, a change left open): nothing was
/// done, and the report says the job is excluded and how it is now.
pub fn excluded_report(job: &JobSnapshot, now: DateTime<Utc>, asked: Prompt) -> JobReport {
    JobReport::new(
        job,
        now,
        Step::Nothing,
        Outcome::Ignored,
        Reason::Excluded { asked: Some(asked) },
    )
    .with_policy(Policy::Ignore, PolicySource::Excluded)
}

/// The report of a plan that changes nothing now (or would, in a dry run): what happens to
/// the job, when, and what its owner can do.
pub fn plan_report(
    job: &JobSnapshot,
    plan: &Plan,
    policy: Policy,
    source: &PolicySource,
    dry_run: bool,
    now: DateTime<Utc>,
) -> JobReport {
    let caveat = match source {
        PolicySource::NearMiss { what } => Some(Caveat::NearMiss(what.clone())),
        PolicySource::Refused { asked } => Some(Caveat::Refused { asked: *asked }),
        _ => None,
    };
    let (outcome, reason) = match plan {
        Plan::Nothing { reason } => (Outcome::Nothing, Reason::Quiet(reason.clone())),
        Plan::Ignore => (
            Outcome::Ignored,
            match source {
                PolicySource::Excluded => Reason::Excluded { asked: None },
                _ => Reason::PolicyIgnore,
            },
        ),
        Plan::Warn { policy, act_at } => (
            Outcome::Warned,
            Reason::Warning {
                policy: *policy,
                act_at: Some(*act_at),
                caveat,
            },
        ),
        Plan::Notify => (Outcome::Notified, Reason::WillExpire { caveat }),
        Plan::LetRunExpire => (Outcome::Notified, Reason::RunLeftToExpire),
        Plan::Act { action } if dry_run => (
            Outcome::DryRun,
            Reason::WouldChange {
                action: *action,
                policy,
            },
        ),
        Plan::Act { action } => (Outcome::Failed, Reason::NotAttempted { action: *action }),
    };
    JobReport::new(job, now, plan.step(), outcome, reason)
}

impl Outcome {
    /// How much a job's outcome matters to people: `critical` (failed, lost, expiring with no
    /// action), `warning` (a warning, a job not found) or `info`.
    pub fn severity(self) -> Severity {
        match self {
            Outcome::Failed | Outcome::Lost | Outcome::Notified => Severity::Critical,
            Outcome::Warned | Outcome::NotFound => Severity::Warning,
            _ => Severity::Info,
        }
    }
}
