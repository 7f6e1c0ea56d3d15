//! macie-guard's functional core: every decision over plain data, no AWS SDK and no I/O.
//!
//! The `macie-guard` crate wraps these in adapters (the Macie, S3, KMS, SNS and DynamoDB
//! clients), the orchestration the Lambda functions and the CLI share, and the binaries.
//! Each guard has the same shape: `event` (what arrives), the decision (`expiry::policy`,
//! `export::checks` with `policy_eval` and `regions`), and `report` (what people read).

pub mod asff;
pub mod chat;
pub mod config;
pub mod dispatch;
pub mod envelope;
pub mod error;
pub mod events;
pub mod expiry;
pub mod export;
pub mod metrics;
pub mod notification;
pub mod org;
pub mod scope;
pub mod text;

pub use error::Error;
