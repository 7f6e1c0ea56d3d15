//! What a Lambda invocation's context says of the run: its deadline, and which attempt it is.

use chrono::{DateTime, Utc};

/// Lambda's deadline (milliseconds since the epoch in the context). A deadline already past
/// is no deadline (cargo-lambda's local runtime sends its timeout, 600000, in that field).
pub fn deadline_of(context: &lambda_runtime::Context, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    i64::try_from(context.deadline)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .filter(|d| *d > now)
}

/// Time kept back at the end of an invocation to finish the work in flight and report.
pub const RESERVE_SECS: i64 = 60;
