//! The expiry guard's settings (environment variables of the function, flags of the CLI).

use super::job::JobSnapshot;
use super::plan::Windows;
use super::policy::{resolve_policy, Exclusions, Policy, PolicySource};

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
    /// Whether the stack never acts on `job` (`EXCLUDE_JOBS`, by id or name prefix).
    pub fn excluded(&self, job: &JobSnapshot) -> bool {
        self.exclusions.matches(&job.job_id, &job.name)
    }

    /// The policy for `job` under these settings: [`resolve_policy`], then a tag's policy
    /// that is not honoured is refused (`notify`, with the reason).
    pub fn policy_for(&self, job: &JobSnapshot) -> (Policy, PolicySource) {
        match resolve_policy(job, self.default_policy, &self.exclusions) {
            (asked, PolicySource::Tag) if !self.honoured.contains(&asked) => {
                (Policy::Notify, PolicySource::Refused { asked })
            }
            other => other,
        }
    }
}
