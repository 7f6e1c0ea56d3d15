//! Reports and log lines the guard's parts share: a job left to another run, an update's
//! error in words, the line written the moment a job changes.

use chrono::DateTime;

use crate::expiry::jobs::UpdateError;
use macie_guard_core::expiry::job::JobSnapshot;
use macie_guard_core::expiry::outcome::{JobReport, Outcome};
use macie_guard_core::expiry::plan::{Action, Step};
use macie_guard_core::expiry::reason::{Reason, Unread};

/// A job left to another run that holds its journal entry: named, with who holds it, until
/// when, and what happens if that run dies.
pub(super) fn busy(job_id: &str, name: &str, action: Action, owner: &str, until: i64) -> JobReport {
    let until = DateTime::from_timestamp(until, 0);
    let reason = Reason::Busy {
        action,
        owner: owner.to_string(),
        until,
    };
    let mut r = JobReport::unknown(job_id, Step::from(action), Outcome::Busy, reason);
    r.name = name.to_string();
    r.held_by = Some(owner.to_string());
    r.held_until = until;
    r
}

/// A job that could not be read: the error is the whole story.
pub(super) fn unread(e: impl std::fmt::Display) -> Reason {
    Reason::Unreadable {
        what: Unread::Job,
        error: e.to_string(),
    }
}

pub(super) fn update_error_text(e: &UpdateError) -> String {
    match e {
        UpdateError::Refused { code, message } => format!("{code}: {message}"),
        UpdateError::Failed(e) => e.to_string(),
    }
}

/// The log line written the moment a job is changed, before anything else can fail.
pub(super) fn changed_log(job: &JobSnapshot, from: &str, to: &str) {
    tracing::info!(
        job_id = %job.job_id,
        name = %job.name,
        from,
        to,
        "job changed"
    );
}
