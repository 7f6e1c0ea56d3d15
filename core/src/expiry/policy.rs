//! What to do about a paused job: pure functions over plain data, no I/O.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The tag a job owner sets to choose the policy for that job.
pub const POLICY_TAG: &str = "macie-guard:on-expiry";

/// A classification job's status, as the Macie API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum JobStatus {
    Running,
    Paused,
    UserPaused,
    Idle,
    Complete,
    Cancelled,
    Other(String),
}

impl JobStatus {
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Running => "RUNNING",
            JobStatus::Paused => "PAUSED",
            JobStatus::UserPaused => "USER_PAUSED",
            JobStatus::Idle => "IDLE",
            JobStatus::Complete => "COMPLETE",
            JobStatus::Cancelled => "CANCELLED",
            JobStatus::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> JobStatus {
        match s {
            "RUNNING" => JobStatus::Running,
            "PAUSED" => JobStatus::Paused,
            "USER_PAUSED" => JobStatus::UserPaused,
            "IDLE" => JobStatus::Idle,
            "COMPLETE" => JobStatus::Complete,
            "CANCELLED" => JobStatus::Cancelled,
            other => JobStatus::Other(other.to_string()),
        }
    }
}

impl From<JobStatus> for String {
    fn from(s: JobStatus) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JobType {
    #[serde(rename = "ONE_TIME")]
    OneTime,
    #[serde(rename = "SCHEDULED")]
    Scheduled,
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl JobType {
    pub fn parse(s: &str) -> JobType {
        match s {
            "ONE_TIME" => JobType::OneTime,
            "SCHEDULED" => JobType::Scheduled,
            _ => JobType::Unknown,
        }
    }
}

/// What a job owner (tag) or the stack (default) asks for when a paused job nears expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Resume the job (UpdateClassificationJob → RUNNING).
    Resume,
    /// Resume, then pause again: the 30-day clock restarts.
    KeepPaused,
    /// Give up the paused work. A one-time job is cancelled (what its expiry would do, now,
    /// and reported with its definition); a recurring job loses only its paused run, which
    /// Macie cancels at expiry, and keeps its schedule: macie-guard changes nothing.
    Cancel,
    /// End the job for good, recurring or not. Only from the job's own tag: the stack's
    /// default can never end a recurring job.
    CancelJob,
    /// Tell people, change nothing.
    Notify,
    /// Do nothing, say nothing.
    Ignore,
}

impl Policy {
    /// Every policy a job's tag may name.
    pub const VALUES: &'static str = "resume, keep-paused, cancel, cancel-job, notify, ignore";
    /// The policies the stack's default may be (DEFAULT_POLICY, the template's DefaultPolicy).
    pub const DEFAULTS: [Policy; 5] = [
        Policy::Resume,
        Policy::KeepPaused,
        Policy::Cancel,
        Policy::Notify,
        Policy::Ignore,
    ];
    pub const ALL: [Policy; 6] = [
        Policy::Resume,
        Policy::KeepPaused,
        Policy::Cancel,
        Policy::CancelJob,
        Policy::Notify,
        Policy::Ignore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Resume => "resume",
            Policy::KeepPaused => "keep-paused",
            Policy::Cancel => "cancel",
            Policy::CancelJob => "cancel-job",
            Policy::Notify => "notify",
            Policy::Ignore => "ignore",
        }
    }

    /// A default policy, spelled exactly as the template's AllowedValues spell it.
    pub fn parse_default(s: &str) -> Result<Policy, String> {
        if s == Policy::CancelJob.as_str() {
            return Err(format!(
                "{s:?} cannot be the default: a recurring job is ended for good only when its own tag {POLICY_TAG} asks for it; use one of {}",
                Policy::DEFAULTS.map(Policy::as_str).join(", ")
            ));
        }
        Policy::DEFAULTS
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown default policy {s:?}; use one of {}",
                    Policy::DEFAULTS.map(Policy::as_str).join(", ")
                )
            })
    }
}

impl FromStr for Policy {
    type Err = String;
    /// A tag value: surrounding spaces and letter case do not matter.
    fn from_str(s: &str) -> Result<Self, String> {
        let v = s.trim().to_ascii_lowercase();
        Policy::ALL
            .into_iter()
            .find(|p| p.as_str() == v)
            .ok_or_else(|| format!("unknown policy {s:?}; use one of {}", Policy::VALUES))
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the decision needs to know about one job, read from Macie.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSnapshot {
    pub job_id: String,
    pub name: String,
    pub status: JobStatus,
    pub job_type: JobType,
    pub paused_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub health_event_arn: Option<String>,
    /// None when the source (ListClassificationJobs) carries no tags.
    pub tags: Option<BTreeMap<String, String>>,
}

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

/// Jobs the stack never acts on, by id or name prefix (`prefix*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exclusions {
    pub ids: Vec<String>,
    pub name_prefixes: Vec<String>,
}

/// Letters and digits only, lower case: how two spellings of one intent compare.
pub(crate) fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance (insertions, deletions, substitutions), for near-miss tag keys.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Exclusions {
    /// Parses a comma-separated list: job ids, and name prefixes ending in `*`.
    pub fn parse(s: &str) -> Exclusions {
        let mut out = Exclusions::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.strip_suffix('*') {
                Some(prefix) => out.name_prefixes.push(prefix.to_string()),
                None => out.ids.push(item.to_string()),
            }
        }
        out
    }

    pub fn matches(&self, job_id: &str, name: &str) -> bool {
        self.ids.iter().any(|i| i == job_id)
            || self
                .name_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }

    /// The exclusion that almost matches: same letters and digits, other case, spaces or
    /// separators. Returns the entry as written.
    pub(crate) fn near_miss(&self, job_id: &str, name: &str) -> Option<String> {
        if let Some(id) = self.ids.iter().find(|i| folded(i) == folded(job_id)) {
            return Some(id.clone());
        }
        let name = folded(name);
        self.name_prefixes
            .iter()
            .find(|p| !folded(p).is_empty() && name.starts_with(&folded(p)))
            .map(|p| format!("{p}*"))
    }
}

/// Where the policy of a job came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum PolicySource {
    Tag,
    Default,
    Excluded,
    /// The owner's intent is visible but not exactly spelled (a tag key or value, or an
    /// exclusion, that almost matches): nothing is changed, people are told.
    NearMiss {
        what: String,
    },
    /// The job's tag asks for a policy this stack does not honour from tags
    /// (`HONOURED_TAG_POLICIES`): nothing is changed, people are told.
    Refused {
        asked: Policy,
    },
}

/// The policy for a job: excluded jobs are ignored; else the tag; else the default. Where an
/// owner's intent is visible but misspelled, `notify`: no change, and the report says why.
pub fn resolve_policy(
    job: &JobSnapshot,
    default: Policy,
    exclusions: &Exclusions,
) -> (Policy, PolicySource) {
    if exclusions.matches(&job.job_id, &job.name) {
        return (Policy::Ignore, PolicySource::Excluded);
    }
    if let Some(entry) = exclusions.near_miss(&job.job_id, &job.name) {
        return (
            Policy::Notify,
            PolicySource::NearMiss {
                what: format!(
                    "EXCLUDE_JOBS entry {entry:?} almost matches this job but does not (letter case or separators differ; an exclusion must match exactly)"
                ),
            },
        );
    }
    let tags = job.tags.as_ref();
    match tags.and_then(|t| t.get(POLICY_TAG)) {
        Some(v) => match v.parse() {
            Ok(p) => (p, PolicySource::Tag),
            Err(_) => (
                Policy::Notify,
                PolicySource::NearMiss {
                    what: format!(
                        "tag {POLICY_TAG} has the value {v:?}, which is not a policy ({})",
                        Policy::VALUES
                    ),
                },
            ),
        },
        None => {
            let near = tags.and_then(|t| {
                let want = folded(POLICY_TAG);
                t.keys().find(|k| {
                    let f = folded(k);
                    f == want || distance(&f, &want) <= 3
                })
            });
            match near {
                Some(k) => (
                    Policy::Notify,
                    PolicySource::NearMiss {
                        what: format!(
                            "tag key {k:?} is not the exact key {POLICY_TAG:?} (tag keys are case-sensitive)"
                        ),
                    },
                ),
                None => (default, PolicySource::Default),
            }
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

/// What to do about a job now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "plan", rename_all = "kebab-case")]
pub enum Plan {
    /// Nothing to do or say: the job is not at risk now.
    Nothing { reason: String },
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
fn action_of(policy: Policy, job_type: JobType) -> Option<Action> {
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

/// What will happen to a job, and to its future runs, under `policy`: one sentence part.
pub fn fate(policy: Policy, job_type: JobType) -> &'static str {
    let recurring = job_type != JobType::OneTime;
    match (policy, recurring) {
        (Policy::Resume, false) => "resumed: its scan continues where it stopped",
        (Policy::Resume, true) => "resumed: its paused run continues, and its schedule stays",
        (Policy::KeepPaused, false) => {
            "resumed and paused again: it stays paused and its 30-day clock restarts"
        }
        (Policy::KeepPaused, true) => {
            "resumed and paused again: its run stays paused, its 30-day clock restarts, and its schedule stays"
        }
        (Policy::Cancel | Policy::CancelJob, false) => {
            "cancelled: its scan ends for good (its definition is in this report, to recreate it)"
        }
        (Policy::Cancel, true) => {
            "left alone: at expiry Macie cancels only the paused run; the job keeps its schedule and its next runs"
        }
        (Policy::CancelJob, true) => {
            "cancelled for good: the paused run and every future run end (its definition is in this report, to recreate it)"
        }
        (Policy::Notify, false) => "left alone: at expiry Macie cancels it and its scan is lost",
        (Policy::Notify, true) => {
            "left alone: at expiry Macie cancels its paused run; the job keeps its schedule"
        }
        (Policy::Ignore, _) => "left alone",
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
            reason: format!("job is {}, not USER_PAUSED", job.status),
        };
    }
    let Some(expires_at) = job.expires_at else {
        return Plan::Nothing {
            reason: "paused while no run was in progress; the pause never expires".into(),
        };
    };
    let left = expires_at - now;
    if left > windows.outer() {
        return Plan::Nothing {
            reason: format!(
                "expires {}, outside the {}-day warning window",
                expires_at.format("%Y-%m-%d %H:%M UTC"),
                windows.outer().num_hours() as f64 / 24.0
            ),
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

/// The expiry guard's settings (environment variables of the function, flags of the CLI).
#[derive(Debug, Clone)]
pub struct ExpiryConfig {
    pub default_policy: Policy,
    pub windows: Windows,
    pub dry_run: bool,
    /// Jobs handled at once during a sweep.
    pub concurrency: usize,
    pub exclusions: Exclusions,
    /// The policies a job's tag may ask for (`HONOURED_TAG_POLICIES`); a tag asking for
    /// another one is refused: nothing changes, and the report says so.
    pub honoured: Vec<Policy>,
    /// Whether a lost one-time job whose tag `macie-guard:on-lost=recreate` asks for it is
    /// created again (`RECREATE_LOST_JOBS`, the template's RecreateLostJobs; off by default).
    pub recreate_lost: bool,
}

impl Default for ExpiryConfig {
    fn default() -> Self {
        ExpiryConfig {
            default_policy: Policy::Notify,
            windows: Windows::default(),
            dry_run: false,
            concurrency: 8,
            exclusions: Exclusions::default(),
            honoured: Policy::ALL.to_vec(),
            recreate_lost: false,
        }
    }
}

impl ExpiryConfig {
    /// The policy for `job` under these settings: [`resolve_policy`], then a tag's policy
    /// that is not honoured is refused (`notify`, with the reason).
    /// Whether the stack never acts on `job` (`EXCLUDE_JOBS`, by id or name prefix).
    pub fn excluded(&self, job: &JobSnapshot) -> bool {
        self.exclusions.matches(&job.job_id, &job.name)
    }

    pub fn policy_for(&self, job: &JobSnapshot) -> (Policy, PolicySource) {
        match resolve_policy(job, self.default_policy, &self.exclusions) {
            (asked, PolicySource::Tag) if !self.honoured.contains(&asked) => {
                (Policy::Notify, PolicySource::Refused { asked })
            }
            other => other,
        }
    }
}

/// Whether `job` is already where `action` leads.
pub fn wanted(action: Action, job: &JobSnapshot) -> bool {
    match action {
        Action::Resume => matches!(job.status, JobStatus::Running | JobStatus::Idle),
        Action::Cancel => job.status == JobStatus::Cancelled,
        Action::KeepPaused | Action::Recreate => false,
    }
}

#[cfg(test)]
mod tests;
