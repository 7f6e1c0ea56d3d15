//! macie-guard's functional core: every decision over plain data, no AWS SDK and no I/O.
//!
//! The `macie-guard` crate wraps these in adapters (the Macie, S3, KMS, SNS and DynamoDB
//! clients), the orchestration the Lambda functions and the CLI share, and the binaries.
//! Each guard has the same shape: `event` (what arrives), the decision (`expiry::policy`,
//! `export::checks` over `export::facts`, with `policy_eval` and `regions`), and `outcome`
//! (what was found and done); `schedule` judges whether scheduled runs are overdue. `tell`
//! says it (text, message, chat, events, metrics, Security Hub, tables) and `delivery` holds
//! what became of the telling; nothing else reads `tell`. `operator` holds the decisions of
//! the operator's own commands (status, the organization view, dead letters).

pub mod config;
pub mod delivery;
pub mod dispatch;
pub mod envelope;
pub mod error;
pub mod expiry;
pub mod export;
pub mod hub;
pub mod operator;
pub mod schedule;
pub mod scope;
pub mod severity;
pub mod tell;
pub mod text;

pub use error::Error;
