//! What a change that a run left open already made: the decision table a run applies to an
//! open journal entry (the intent) and the job as it is now, before deciding anything anew.

use chrono::{DateTime, Utc};

use super::job::{JobSnapshot, JobStatus};
use super::plan::Action;
use super::policy::Policy;
use super::reason::Reason;

/// What an open change left.
#[derive(Debug, Clone, PartialEq)]
pub enum Left {
    /// Nothing was changed yet (or nothing that can be told apart): decide again.
    Nothing,
    /// keep-paused resumed the job and did not pause it again: pause it now.
    PauseAgain,
    /// The change was made; why the report says so.
    Made {
        reason: Reason,
        with_definition: bool,
    },
}

/// The table: the intended `action` (for the pause at `intended_pause`), the job as it is
/// now, and whether the run that wrote the intent was another one (`interrupted`: it died).
pub fn left_by(
    action: Action,
    intended_pause: Option<DateTime<Utc>>,
    job: &JobSnapshot,
    interrupted: bool,
) -> Left {
    let newer_pause =
        matches!((job.paused_at, intended_pause), (Some(now), Some(then)) if now > then);
    let made = |reason: Reason| Left::Made {
        reason,
        with_definition: action == Action::Cancel,
    };
    let finished = |policy| {
        made(Reason::Finished {
            policy,
            interrupted,
        })
    };
    match (action, &job.status) {
        (Action::KeepPaused, JobStatus::Running | JobStatus::Paused) => Left::PauseAgain,
        (Action::KeepPaused, JobStatus::UserPaused) if newer_pause => finished(Policy::KeepPaused),
        (Action::KeepPaused, JobStatus::Idle | JobStatus::Complete) if interrupted => {
            made(Reason::RunEndedFirst { interrupted })
        }
        (Action::Resume, JobStatus::Running | JobStatus::Idle | JobStatus::Complete)
            if interrupted =>
        {
            finished(Policy::Resume)
        }
        (Action::Cancel, JobStatus::Cancelled) if interrupted => finished(Policy::CancelJob),
        _ => Left::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expiry::job::JobType;
    use chrono::Duration;

    fn job(status: JobStatus, paused_at: Option<DateTime<Utc>>) -> JobSnapshot {
        JobSnapshot {
            job_id: "0123456789abcdef0123456789abcdef".into(),
            name: "n".into(),
            status,
            job_type: JobType::OneTime,
            paused_at,
            expires_at: None,
            health_event_arn: None,
            tags: None,
        }
    }

    /// Every row of the table that makes something, and the rows that do not.
    #[test]
    fn an_open_change_is_finished_reported_or_decided_again() {
        let then = Utc::now() - Duration::days(29);
        let later = then + Duration::days(29);
        use JobStatus::*;
        for (action, status, paused, interrupted, want) in [
            (Action::KeepPaused, Running, Some(then), true, "pause"),
            (Action::KeepPaused, Paused, Some(then), false, "pause"),
            (Action::KeepPaused, UserPaused, Some(later), true, "made"),
            (Action::KeepPaused, UserPaused, Some(then), true, "nothing"),
            (Action::KeepPaused, Idle, Some(then), true, "made"),
            (Action::KeepPaused, Idle, Some(then), false, "nothing"),
            (Action::Resume, Running, Some(then), true, "made"),
            (Action::Resume, Running, Some(then), false, "nothing"),
            (Action::Resume, UserPaused, Some(then), true, "nothing"),
            (Action::Cancel, Cancelled, Some(then), true, "made"),
            (Action::Cancel, UserPaused, Some(then), true, "nothing"),
        ] {
            let got = left_by(
                action,
                Some(then),
                &job(status.clone(), paused),
                interrupted,
            );
            let kind = match &got {
                Left::Nothing => "nothing",
                Left::PauseAgain => "pause",
                Left::Made { .. } => "made",
            };
            assert_eq!(
                kind, want,
                "{action:?} {status:?} interrupted {interrupted}: {got:?}"
            );
            if let Left::Made {
                reason,
                with_definition,
            } = got
            {
                let said = match reason {
                    Reason::Finished { interrupted, .. }
                    | Reason::RunEndedFirst { interrupted } => interrupted,
                    other => panic!("{other:?}"),
                };
                assert_eq!(said, interrupted, "{action:?} {status:?}");
                assert_eq!(with_definition, action == Action::Cancel);
            }
        }
    }
}
