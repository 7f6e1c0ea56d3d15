//! Export configuration guard: proves Macie can store its discovery results, and says how
//! to fix what is broken.
//!
//! The decisions are the core's (`macie_guard_core::export`); `sources` is the port that
//! reads the facts and its SDK adapter, `gather` the reading plan over it, `guard` the
//! orchestration, `lambda` the handler.

pub mod gather;
pub mod guard;
pub mod lambda;
pub mod sources;
