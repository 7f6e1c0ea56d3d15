//! Export configuration guard: proves Macie can store its discovery results, and says how
//! to fix what is broken.
//!
//! `event`, `checks` (with `policy_eval`, `regions` and `evidence`) and `report` are the pure decisions
//! (from `macie-guard-core`); `sources` is the port that gathers the facts and its SDK
//! adapter, `guard` the orchestration, `lambda` the handler.

pub use macie_guard_core::export::{checks, event, evidence, policy_eval, regions, report};

pub mod guard;
pub mod lambda;
pub mod sources;

pub use checks::{Finding, Severity};
pub use event::ExportEvent;
pub use guard::ExportGuard;
pub use report::{ExportReport, RegionReport};
