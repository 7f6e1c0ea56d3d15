//! Export configuration guard: proves Macie can store its discovery results, and says how
//! to fix what is broken.

pub mod checks;
pub mod event;
pub mod guard;
pub mod lambda;
pub mod policy_eval;
pub mod regions;
pub mod sources;

pub use checks::{Finding, Severity};
pub use event::ExportEvent;
pub use guard::{ExportGuard, ExportReport};
