//! Job expiry guard: keeps paused classification jobs from expiring unnoticed.
//!
//! The decisions are the core's (`macie_guard_core::expiry`); `jobs` is the Macie port and its
//! SDK adapter, `guard` the orchestration, `lambda` the handler.

pub mod guard;
pub mod jobs;
pub mod lambda;
