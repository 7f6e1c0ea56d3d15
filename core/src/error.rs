//! The core's errors: input that cannot be understood. Each message says what was wrong, with
//! which value, and what to do.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The event cannot be understood; nothing was touched.
    #[error("malformed event: {0}; nothing was changed (check the rule or schedule that sent it)")]
    MalformedEvent(String),

    #[error("configuration {name}={value:?} is not valid: {reason}")]
    Config {
        name: &'static str,
        value: String,
        reason: String,
    },
}
