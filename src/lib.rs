//! macie-guard: keeps Amazon Macie's paused classification jobs from expiring unnoticed, and
//! checks that Macie can store its sensitive data discovery results.
//!
//! Pure decisions over plain data ([`expiry::policy`]), thin adapters over the AWS SDK
//! clients ([`macie`], [`notify`]), and the orchestration the Lambda functions and the CLI
//! share ([`expiry::guard`]).

pub mod aws;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod expiry;
pub mod export;
pub mod journal;
pub mod logging;
pub mod macie;
pub mod metrics;
pub mod notify;
pub mod scope;
pub mod text;

pub use error::{Error, Result};
