//! What to do about a paused job: pure functions over plain data, no I/O.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Resume the job (UpdateClassificationJob → RUNNING).
    Resume,
    /// Resume, then pause again: the 30-day clock restarts.
    KeepPaused,
    /// Cancel the job.
    Cancel,
    /// Tell people, change nothing.
    Notify,
    /// Do nothing, say nothing.
    Ignore,
}

impl Policy {
    pub const VALUES: &'static str = "resume, keep-paused, cancel, notify, ignore";

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Resume => "resume",
            Policy::KeepPaused => "keep-paused",
            Policy::Cancel => "cancel",
            Policy::Notify => "notify",
            Policy::Ignore => "ignore",
        }
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "resume" => Ok(Policy::Resume),
            "keep-paused" => Ok(Policy::KeepPaused),
            "cancel" => Ok(Policy::Cancel),
            "notify" => Ok(Policy::Notify),
            "ignore" => Ok(Policy::Ignore),
            _ => Err(format!(
                "unknown policy {s:?}; use one of {}",
                Policy::VALUES
            )),
        }
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

/// When to warn and when to act, measured back from `jobExpiresAt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    pub warning: Duration,
    pub action: Duration,
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
}

/// Where the policy of a job came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicySource {
    Tag,
    Default,
    /// The tag holds a value that is not a policy: the default applies.
    DefaultUnknownTag(String),
    Excluded,
}

/// The policy for a job: excluded jobs are ignored; else the tag; else the default.
pub fn resolve_policy(
    job: &JobSnapshot,
    default: Policy,
    exclusions: &Exclusions,
) -> (Policy, PolicySource) {
    if exclusions.matches(&job.job_id, &job.name) {
        return (Policy::Ignore, PolicySource::Excluded);
    }
    match job.tags.as_ref().and_then(|t| t.get(POLICY_TAG)) {
        None => (default, PolicySource::Default),
        Some(v) => match v.parse() {
            Ok(p) => (p, PolicySource::Tag),
            Err(_) => (default, PolicySource::DefaultUnknownTag(v.clone())),
        },
    }
}

/// A change to make to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Resume,
    KeepPaused,
    Cancel,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Resume => "resume",
            Action::KeepPaused => "keep-paused",
            Action::Cancel => "cancel",
        }
    }

    fn of(policy: Policy) -> Option<Action> {
        match policy {
            Policy::Resume => Some(Action::Resume),
            Policy::KeepPaused => Some(Action::KeepPaused),
            Policy::Cancel => Some(Action::Cancel),
            Policy::Notify | Policy::Ignore => None,
        }
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
    /// In the action window with policy `notify`: tell people, change nothing.
    Notify,
    /// In the action window: change the job.
    Act { action: Action },
}

impl Plan {
    pub fn label(&self) -> &'static str {
        match self {
            Plan::Nothing { .. } => "nothing",
            Plan::Ignore => "ignore",
            Plan::Warn { .. } => "warn",
            Plan::Notify => "notify",
            Plan::Act { action } => action.as_str(),
        }
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
    if left > windows.warning {
        return Plan::Nothing {
            reason: format!(
                "expires {}, outside the {}-day warning window",
                expires_at.format("%Y-%m-%d %H:%M UTC"),
                windows.warning.num_hours() as f64 / 24.0
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
    match Action::of(policy) {
        Some(action) => Plan::Act { action },
        None => Plan::Notify,
    }
}

/// Whole days left before expiry, rounded down (negative once expired).
pub fn days_left(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let hours = (expires_at - now).num_minutes() as f64 / 60.0;
    (hours / 24.0 * 10.0).floor() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T12:00:00Z".parse().unwrap()
    }

    fn job(status: JobStatus, job_type: JobType, paused_days_ago: Option<f64>) -> JobSnapshot {
        let paused_at = paused_days_ago.map(|d| now() - Duration::minutes((d * 1440.0) as i64));
        JobSnapshot {
            job_id: "0123456789abcdef0123456789abcdef".into(),
            name: "scan".into(),
            status,
            job_type,
            paused_at,
            expires_at: paused_at.map(|p| p + Duration::days(30)),
            health_event_arn: None,
            tags: None,
        }
    }

    #[test]
    fn decision_table() {
        use JobStatus as S;
        let w = Windows::default();
        let warn = |p| Plan::Warn {
            policy: p,
            act_at: now() + Duration::days(5),
        };
        let act = |a| Plan::Act { action: a };
        // (status, type, paused days ago, policy, expected label)
        let rows: Vec<(JobStatus, JobType, Option<f64>, Policy, &str)> = vec![
            // Not paused by a user: never at risk, whatever the policy.
            (
                S::Running,
                JobType::OneTime,
                None,
                Policy::Resume,
                "nothing",
            ),
            (S::Paused, JobType::OneTime, None, Policy::Cancel, "nothing"),
            (S::Idle, JobType::Scheduled, None, Policy::Resume, "nothing"),
            (
                S::Complete,
                JobType::OneTime,
                None,
                Policy::Resume,
                "nothing",
            ),
            (
                S::Cancelled,
                JobType::OneTime,
                None,
                Policy::Resume,
                "nothing",
            ),
            (
                S::Other("NEW".into()),
                JobType::OneTime,
                None,
                Policy::Resume,
                "nothing",
            ),
            // Paused while idle: no expiry.
            (
                S::UserPaused,
                JobType::Scheduled,
                None,
                Policy::Resume,
                "nothing",
            ),
            // Outside the warning window (expires in 25 days, in 8 days).
            (
                S::UserPaused,
                JobType::OneTime,
                Some(5.0),
                Policy::Resume,
                "nothing",
            ),
            (
                S::UserPaused,
                JobType::OneTime,
                Some(22.0),
                Policy::Cancel,
                "nothing",
            ),
            // Warning window edge: exactly 7 days left warns.
            (
                S::UserPaused,
                JobType::OneTime,
                Some(23.0),
                Policy::Resume,
                "warn",
            ),
            (
                S::UserPaused,
                JobType::Scheduled,
                Some(24.0),
                Policy::KeepPaused,
                "warn",
            ),
            (
                S::UserPaused,
                JobType::OneTime,
                Some(27.9),
                Policy::Notify,
                "warn",
            ),
            (
                S::UserPaused,
                JobType::OneTime,
                Some(24.0),
                Policy::Ignore,
                "ignore",
            ),
            // Action window edge: exactly 2 days left acts.
            (
                S::UserPaused,
                JobType::OneTime,
                Some(28.0),
                Policy::Resume,
                "resume",
            ),
            (
                S::UserPaused,
                JobType::Scheduled,
                Some(29.0),
                Policy::KeepPaused,
                "keep-paused",
            ),
            (
                S::UserPaused,
                JobType::OneTime,
                Some(29.0),
                Policy::Cancel,
                "cancel",
            ),
            (
                S::UserPaused,
                JobType::OneTime,
                Some(29.0),
                Policy::Notify,
                "notify",
            ),
            (
                S::UserPaused,
                JobType::OneTime,
                Some(29.0),
                Policy::Ignore,
                "ignore",
            ),
            // Past expiry but still paused: act.
            (
                S::UserPaused,
                JobType::OneTime,
                Some(31.0),
                Policy::Resume,
                "resume",
            ),
        ];
        for (status, ty, paused, policy, want) in rows {
            let j = job(status.clone(), ty, paused);
            let plan = decide(&j, policy, w, now());
            assert_eq!(
                plan.label(),
                want,
                "{status:?} {ty:?} paused {paused:?} {policy:?}: {plan:?}"
            );
        }
        assert_eq!(
            decide(
                &job(S::UserPaused, JobType::OneTime, Some(23.0)),
                Policy::Resume,
                w,
                now()
            ),
            warn(Policy::Resume)
        );
        assert_eq!(
            decide(
                &job(S::UserPaused, JobType::OneTime, Some(28.0)),
                Policy::Cancel,
                w,
                now()
            ),
            act(Action::Cancel)
        );
    }

    #[test]
    fn window_edges_are_inclusive_to_the_minute() {
        let w = Windows::default();
        let mut j = job(JobStatus::UserPaused, JobType::OneTime, Some(0.0));
        j.expires_at = Some(now() + Duration::days(7) + Duration::minutes(1));
        assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "nothing");
        j.expires_at = Some(now() + Duration::days(2) + Duration::minutes(1));
        assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "warn");
        j.expires_at = Some(now() + Duration::days(2));
        assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "resume");
        // Custom windows.
        let narrow = Windows {
            warning: Duration::hours(12),
            action: Duration::hours(1),
        };
        j.expires_at = Some(now() + Duration::hours(13));
        assert_eq!(decide(&j, Policy::Resume, narrow, now()).label(), "nothing");
        j.expires_at = Some(now() + Duration::hours(2));
        assert_eq!(decide(&j, Policy::Resume, narrow, now()).label(), "warn");
    }

    #[test]
    fn policy_from_tag_default_unknown_and_exclusions() {
        let mut j = job(JobStatus::UserPaused, JobType::OneTime, Some(29.0));
        let none = Exclusions::default();
        assert_eq!(
            resolve_policy(&j, Policy::Notify, &none),
            (Policy::Notify, PolicySource::Default)
        );
        for (value, want) in [
            ("resume", Policy::Resume),
            ("keep-paused", Policy::KeepPaused),
            ("cancel", Policy::Cancel),
            ("notify", Policy::Notify),
            ("ignore", Policy::Ignore),
            (" Resume ", Policy::Resume),
        ] {
            j.tags = Some(BTreeMap::from([(
                POLICY_TAG.to_string(),
                value.to_string(),
            )]));
            assert_eq!(
                resolve_policy(&j, Policy::Notify, &none),
                (want, PolicySource::Tag),
                "{value}"
            );
        }
        j.tags = Some(BTreeMap::from([(
            POLICY_TAG.to_string(),
            "delete".to_string(),
        )]));
        assert_eq!(
            resolve_policy(&j, Policy::Cancel, &none),
            (
                Policy::Cancel,
                PolicySource::DefaultUnknownTag("delete".into())
            )
        );
        let ex = Exclusions::parse("ffff, legal-hold-* ,");
        assert_eq!(ex.ids, vec!["ffff"]);
        j.name = "legal-hold-2026".into();
        assert_eq!(
            resolve_policy(&j, Policy::Resume, &ex),
            (Policy::Ignore, PolicySource::Excluded)
        );
        j.name = "other".into();
        j.job_id = "ffff".into();
        assert_eq!(
            resolve_policy(&j, Policy::Resume, &ex).1,
            PolicySource::Excluded
        );
    }

    #[test]
    fn policy_parse_rejects_unknown_values_with_the_list() {
        let err = "delete".parse::<Policy>().unwrap_err();
        assert!(
            err.contains("delete") && err.contains("keep-paused"),
            "{err}"
        );
    }

    #[test]
    fn days_left_rounds_down_to_a_tenth() {
        assert_eq!(days_left(now() + Duration::hours(36), now()), 1.5);
        assert_eq!(days_left(now() + Duration::hours(35), now()), 1.4);
        assert_eq!(days_left(now() - Duration::hours(12), now()), -0.5);
    }
}
