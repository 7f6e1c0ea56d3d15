//! What a job's owner (its tag) or the stack (the default, the exclusions) asks for: the
//! policy of a job, and near misses of it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::job::JobSnapshot;

/// The tag a job owner sets to choose the policy for that job.
pub const POLICY_TAG: &str = "macie-guard:on-expiry";

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

/// An owner's intent that is visible but not exactly spelled. Its sentence is
/// `tell::reason`'s (the JSON says it too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Near {
    /// An `EXCLUDE_JOBS` entry (as written) that almost matches the job.
    Exclusion { entry: String },
    /// The tag's key is right and its value (as written) is not one it takes.
    Value { value: String },
    /// A tag key (as written) that is almost the tag's.
    Key { key: String },
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
        what: Near,
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
                what: Near::Exclusion { entry },
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
                    what: Near::Value { value: v.clone() },
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
                        what: Near::Key { key: k.clone() },
                    },
                ),
                None => (default, PolicySource::Default),
            }
        }
    }
}

#[cfg(test)]
mod tests;
