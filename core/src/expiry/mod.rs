//! Job expiry guard, the decisions: the events it handles, the policy per job, and what it
//! found and did (`outcome`).

pub mod event;
pub mod outcome;
pub mod policy;
pub mod recovery;
pub mod recreate;
