//! Job expiry guard, the decisions: the events it handles (`event`), the job as read (`job`),
//! the policy per job (`policy`), the plan (`plan`), the settings (`settings`), recovery and
//! recreation, and what it found and did (`outcome`).

pub mod event;
pub mod job;
pub mod outcome;
pub mod plan;
pub mod policy;
pub mod reason;
pub mod recovery;
pub mod recreate;
pub mod settings;
