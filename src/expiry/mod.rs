//! Job expiry guard: keeps paused classification jobs from expiring unnoticed.

pub mod event;
pub mod guard;
pub mod lambda;
pub mod policy;

pub use event::{ExpiryEvent, HealthEvent, HealthKind};
pub use guard::{ExpiryConfig, ExpiryGuard, JobReport, Outcome, PausedJob, Summary};
pub use policy::{
    Action, Exclusions, JobSnapshot, JobStatus, JobType, Plan, Policy, Windows, POLICY_TAG,
};
