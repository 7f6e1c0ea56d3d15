//! Export configuration guard, the decisions: the events it handles, the facts it reads, the
//! checks that judge them (with the IAM policy evaluator, the Region rules and the evidence),
//! and what it found (`outcome`).

pub mod checks;
pub mod event;
pub mod evidence;
pub mod facts;
pub mod outcome;
pub mod policy_eval;
pub mod regions;
