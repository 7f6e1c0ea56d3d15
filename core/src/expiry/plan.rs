//! What to do about a paused job, and when: the windows, the plan and the change it makes.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::job::{JobSnapshot, JobStatus, JobType};
use super::policy::{Policy, PolicySource};

/// When to warn and when to act, measured back from `jobExpiresAt`. An action window longer
/// than the warning window means no separate warning: the guard acts as soon as the job
/// enters the action window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    pub warning: Duration,
    pub action: Duration,
}

impl Windows {
    /// How far before expiry a job is looked at at all.
    pub fn outer(&self) -> Duration {
        self.warning.max(self.action)
    }

    /// Whether a job with this snapshot is inside the outer window at `now`.
    pub fn covers(&self, job: &JobSnapshot, now: DateTime<Utc>) -> bool {
        job.status == JobStatus::UserPaused
            && job.expires_at.is_some_and(|e| e - now <= self.outer())
    }

    /// Whether a job is inside the action window at `now`.
    pub fn acting(&self, job: &JobSnapshot, now: DateTime<Utc>) -> bool {
        job.status == JobStatus::UserPaused
            && job.expires_at.is_some_and(|e| e - now <= self.action)
    }
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            warning: Duration::days(7),
            action: Duration::days(2),
        }
    }
}

/// A change to make to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Resume,
    KeepPaused,
    /// Cancel the job (UpdateClassificationJob → CANCELLED): it and its future runs end.
    Cancel,
    /// Create a lost one-time job again from its definition (CreateClassificationJob), as its
    /// tag `macie-guard:on-lost=recreate` asks (`expiry::recreate::on_lost`).
    Recreate,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Resume => "resume",
            Action::KeepPaused => "keep-paused",
            Action::Cancel => "cancel",
            Action::Recreate => "recreate",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Resume,
            Action::KeepPaused,
            Action::Cancel,
            Action::Recreate,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Why a job is not at risk now (a plan of nothing).
#[derive(Debug, Clone, PartialEq)]
pub enum Quiet {
    /// Not USER_PAUSED: nothing of it can expire.
    NotPaused { status: JobStatus },
    /// Paused while no run was in progress: the pause never expires.
    NeverExpires,
    /// Paused, and its expiry is beyond the warning window (`window_days`).
    OutsideWindow {
        expires_at: DateTime<Utc>,
        window_days: f64,
    },
}

/// What to do about a job now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "plan", rename_all = "kebab-case")]
pub enum Plan {
    /// Nothing to do or say: the job is not at risk now.
    Nothing { reason: Quiet },
    /// The owner asked for nothing (policy `ignore`, or an excluded job).
    Ignore,
    /// In the warning window: say what will happen and when.
    Warn {
        policy: Policy,
        act_at: DateTime<Utc>,
    },
    /// In the action window with policy `notify` (or a near miss): tell people, change nothing.
    Notify,
    /// In the action window, policy `cancel` on a recurring job: let Macie cancel the paused
    /// run at expiry (the job keeps its schedule); tell people, change nothing.
    LetRunExpire,
    /// In the action window: change the job.
    Act { action: Action },
}

impl Plan {
    pub fn label(&self) -> &'static str {
        self.step().as_str()
    }

    /// The step the plan takes now.
    pub fn step(&self) -> Step {
        match self {
            Plan::Nothing { .. } => Step::Nothing,
            Plan::Ignore => Step::Ignore,
            Plan::Warn { .. } => Step::Warn,
            Plan::Notify => Step::Notify,
            Plan::LetRunExpire => Step::LetRunExpire,
            Plan::Act { action } => Step::from(*action),
        }
    }
}

/// What was done, or planned, for a job: a report's `action` (and the metric's `Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Nothing,
    Ignore,
    Warn,
    Notify,
    LetRunExpire,
    Resume,
    KeepPaused,
    Cancel,
    /// Macie cancelled the job (or its run): it is reported lost.
    Lost,
    /// The lost job was created again from its definition (its owner's tag asked).
    Recreate,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Nothing => "nothing",
            Step::Ignore => "ignore",
            Step::Warn => "warn",
            Step::Notify => "notify",
            Step::LetRunExpire => "let-run-expire",
            Step::Resume => "resume",
            Step::KeepPaused => "keep-paused",
            Step::Cancel => "cancel",
            Step::Lost => "lost",
            Step::Recreate => "recreate",
        }
    }
}

impl From<Action> for Step {
    fn from(a: Action) -> Step {
        match a {
            Action::Resume => Step::Resume,
            Action::KeepPaused => Step::KeepPaused,
            Action::Cancel => Step::Cancel,
            Action::Recreate => Step::Recreate,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The change a policy asks for on a job of this type, if any.
pub(crate) fn action_of(policy: Policy, job_type: JobType) -> Option<Action> {
    match (policy, job_type) {
        (Policy::Resume, _) => Some(Action::Resume),
        (Policy::KeepPaused, _) => Some(Action::KeepPaused),
        (Policy::CancelJob, _) => Some(Action::Cancel),
        (Policy::Cancel, JobType::OneTime) => Some(Action::Cancel),
        // A recurring job (or one of unknown type) is never ended for good by `cancel`.
        (Policy::Cancel, _) => None,
        (Policy::Notify | Policy::Ignore, _) => None,
    }
}

/// Decides what to do about `job` at `now` under `policy`.
///
/// Only a job paused by a user while a run was in progress (USER_PAUSED with a
/// `jobExpiresAt`) is at risk. A job already past its expiry but still reported as
/// USER_PAUSED is treated as in the action window: Macie has not cancelled it yet.
pub fn decide(job: &JobSnapshot, policy: Policy, windows: Windows, now: DateTime<Utc>) -> Plan {
    if job.status != JobStatus::UserPaused {
        return Plan::Nothing {
            reason: Quiet::NotPaused {
                status: job.status.clone(),
            },
        };
    }
    let Some(expires_at) = job.expires_at else {
        return Plan::Nothing {
            reason: Quiet::NeverExpires,
        };
    };
    let left = expires_at - now;
    if left > windows.outer() {
        return Plan::Nothing {
            reason: Quiet::OutsideWindow {
                expires_at,
                window_days: windows.outer().num_hours() as f64 / 24.0,
            },
        };
    }
    if policy == Policy::Ignore {
        return Plan::Ignore;
    }
    if left > windows.action {
        return Plan::Warn {
            policy,
            act_at: expires_at - windows.action,
        };
    }
    match (action_of(policy, job.job_type), policy) {
        (Some(action), _) => Plan::Act { action },
        (None, Policy::Cancel) => Plan::LetRunExpire,
        (None, _) => Plan::Notify,
    }
}

/// The windows a job is decided in. A `resume` or `keep-paused` tag just set on the job (a tag
/// record: what a chat channel's buttons do) is acted on at once anywhere in the warning
/// window, when it is the policy the job's tag gives now; everything else waits for the
/// action window. Neither ends a job: a `cancel` or `cancel-job` just set still waits.
pub fn windows_for(
    windows: Windows,
    policy: Policy,
    source: &PolicySource,
    just_set: Option<Policy>,
) -> Windows {
    let at_once = *source == PolicySource::Tag
        && just_set == Some(policy)
        && matches!(policy, Policy::Resume | Policy::KeepPaused);
    if at_once {
        Windows {
            action: windows.outer(),
            ..windows
        }
    } else {
        windows
    }
}

/// Whole days left before expiry, rounded down (negative once expired).
pub fn days_left(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let hours = (expires_at - now).num_minutes() as f64 / 60.0;
    (hours / 24.0 * 10.0).floor() / 10.0
}

/// Whether `job` is already where `action` leads.
pub fn wanted(action: Action, job: &JobSnapshot) -> bool {
    match action {
        Action::Resume => matches!(job.status, JobStatus::Running | JobStatus::Idle),
        Action::Cancel => job.status == JobStatus::Cancelled,
        Action::KeepPaused | Action::Recreate => false,
    }
}
