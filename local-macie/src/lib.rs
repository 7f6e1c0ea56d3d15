//! local-macie: a local stand-in for Amazon Macie's classification job and export
//! configuration API, speaking Macie2 REST-JSON as the AWS SDKs expect it. For tests and
//! demos only; it is never part of a Lambda artifact.

pub mod accounts;
pub mod error;
pub mod identifiers;
pub mod model;
pub mod scenario;
pub mod server;
pub mod state;

pub use scenario::Scenario;
pub use server::{router, Shared};
pub use state::State;
