//! Export configuration guard, the decisions: the events it handles, the checks of a
//! configuration and its bucket and key (with the IAM policy evaluator and the Region rules),
//! and its reports.

pub mod checks;
pub mod event;
pub mod evidence;
pub mod policy_eval;
pub mod regions;
pub mod report;

pub use checks::{Finding, Severity};
pub use event::ExportEvent;
pub use report::{ExportReport, RegionReport};
