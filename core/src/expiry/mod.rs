//! Job expiry guard, the decisions: the events it handles, the policy per job, and its reports.

pub mod event;
pub mod policy;
pub mod report;

pub use event::{ExpiryEvent, HealthEvent, HealthKind, JobRef};
pub use policy::{
    Action, Exclusions, ExpiryConfig, JobSnapshot, JobStatus, JobType, Plan, Policy, Windows,
    POLICY_TAG,
};
pub use report::{JobReport, Outcome, PausedJob, Summary};
