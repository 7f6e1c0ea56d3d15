//! Job expiry guard: keeps paused classification jobs from expiring unnoticed.
//!
//! `event`, `policy` and `report` are the pure decisions (from `macie-guard-core`); `jobs` is
//! the Macie port and its SDK adapter, `guard` the orchestration, `lambda` the handler.

pub use macie_guard_core::expiry::{event, policy, report};

pub mod guard;
pub mod jobs;
pub mod lambda;

pub use event::{ExpiryEvent, HealthEvent, HealthKind};
pub use guard::ExpiryGuard;
pub use policy::{
    Action, Exclusions, ExpiryConfig, JobSnapshot, JobStatus, JobType, Plan, Policy, Windows,
    POLICY_TAG,
};
pub use report::{JobReport, Outcome, PausedJob, Summary};
