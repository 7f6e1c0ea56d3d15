//! macie-guard: keeps Amazon Macie's paused classification jobs from expiring unnoticed, and
//! checks that Macie can store its sensitive data discovery results.
//!
//! The decisions over plain data live in `macie-guard-core`, and are used from there. This
//! crate holds the ports and their adapters over the AWS SDK clients ([`expiry::jobs`],
//! [`export::sources`], [`journal`], [`outbound`], built in [`aws`]), the orchestration the Lambda functions and
//! the CLI share ([`expiry::guard`], [`export::guard`]), and the Lambda adapters
//! ([`expiry::lambda`], [`export::lambda`]). The operator's own commands (status, the
//! organization view, recreate, dead letters) are a wing of their own: [`operator`].

pub mod aws;
pub mod error;
pub mod expiry;
pub mod export;
pub mod hub;
pub mod invocation;
pub mod journal;
pub mod logging;
pub mod operator;
pub mod outbound;
pub mod progress;
pub mod runlog;
pub mod signed;

pub use error::{Error, Result};
