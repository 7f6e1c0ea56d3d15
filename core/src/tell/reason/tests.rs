//! The sentence of every reason, in seconds: each said as people read it, each with a
//! documented code.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::expiry::job::JobStatus;
use crate::expiry::outcome::Outcome;
use crate::expiry::plan::Action;
use crate::expiry::reason::Refusal;

const ID: &str = "0123456789abcdef0123456789abcdef";

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

/// A one-time job paused on the 1st, expiring on the 31st, read on the 28th at noon.
fn report(reason: Reason) -> JobReport {
    let job = JobSnapshot {
        job_id: ID.into(),
        name: "customer-records".into(),
        status: JobStatus::UserPaused,
        job_type: JobType::OneTime,
        paused_at: Some(at(1, 12)),
        expires_at: Some(at(31, 12)),
        health_event_arn: None,
        tags: None,
    };
    JobReport::new(&job, at(28, 12), Step::Nothing, Outcome::Nothing, reason)
}

fn says(reason: Reason) -> String {
    report(reason).message()
}

const WHO: &str = "one-time job \"customer-records\" (0123456789abcdef0123456789abcdef)";

fn refusal() -> Refusal {
    Refusal {
        code: "ValidationException".into(),
        message: "job is RUNNING".into(),
    }
}

/// One of every reason (every variant, and where the sentence branches, each branch).
fn every_reason() -> Vec<Reason> {
    let k = Known::Watched {
        expires_at: Some(at(31, 12)),
        seen_paused_at: Some(at(31, 1)),
    };
    vec![
        Reason::Quiet(Quiet::NotPaused {
            status: JobStatus::Running,
        }),
        Reason::Quiet(Quiet::NeverExpires),
        Reason::Quiet(Quiet::OutsideWindow {
            expires_at: at(31, 12),
            window_days: 3.0,
        }),
        Reason::Excluded { asked: None },
        Reason::Excluded {
            asked: Some(Prompt::TaggedCancelled),
        },
        Reason::Excluded {
            asked: Some(Prompt::Lost(Known::HealthEvent)),
        },
        Reason::Excluded {
            asked: Some(Prompt::RecreateDecided),
        },
        Reason::Excluded {
            asked: Some(Prompt::PauseAgainLeft),
        },
        Reason::Excluded {
            asked: Some(Prompt::ChangeLeftOpen(Action::Cancel)),
        },
        Reason::PolicyIgnore,
        Reason::Warning {
            policy: Policy::Resume,
            act_at: Some(at(30, 12)),
            caveat: None,
        },
        Reason::Warning {
            policy: Policy::Notify,
            act_at: Some(at(30, 12)),
            caveat: Some(Caveat::NearMiss(Near::Value {
                value: "keep paused".into(),
            })),
        },
        Reason::WillExpire {
            caveat: Some(Caveat::Refused {
                asked: Policy::CancelJob,
            }),
        },
        Reason::WillExpire { caveat: None },
        Reason::RunLeftToExpire,
        Reason::WouldChange {
            action: Action::Resume,
            policy: Policy::Resume,
        },
        Reason::NotAttempted {
            action: Action::Cancel,
        },
        Reason::NotAChange,
        Reason::Changed {
            policy: Policy::Resume,
            from_tag: true,
        },
        Reason::Changed {
            policy: Policy::KeepPaused,
            from_tag: false,
        },
        Reason::Finished {
            policy: Policy::KeepPaused,
            interrupted: true,
        },
        Reason::RunEndedFirst { interrupted: false },
        Reason::AlreadyMade {
            action: Action::KeepPaused,
        },
        Reason::AlreadyThere,
        Reason::MovedAway { refusal: refusal() },
        Reason::Busy {
            action: Action::Resume,
            owner: "run-1".into(),
            until: Some(at(28, 13)),
        },
        Reason::Busy {
            action: Action::Resume,
            owner: "run-1".into(),
            until: None,
        },
        Reason::RecreationLeftOpen,
        Reason::NotFound,
        Reason::EventJobMissing,
        Reason::RecreateJobMissing,
        Reason::Disappeared,
        Reason::Unreadable {
            what: Unread::Job,
            error: "Macie DescribeClassificationJob: AccessDenied".into(),
        },
        Reason::Unreadable {
            what: Unread::LostJob,
            error: "e".into(),
        },
        Reason::Unreadable {
            what: Unread::Watched,
            error: "e".into(),
        },
        Reason::Unreadable {
            what: Unread::Watches,
            error: "e".into(),
        },
        Reason::LeaseFailed {
            error: "DynamoDB PutItem: throttled".into(),
            creating: false,
        },
        Reason::LeaseFailed {
            error: "e".into(),
            creating: true,
        },
        Reason::JournalFailed,
        Reason::RereadFailed {
            refusal: refusal(),
            error: "timeout".into(),
        },
        Reason::RefusedTwice {
            action: Action::Cancel,
            refusal: refusal(),
        },
        Reason::ChangeFailed {
            action: Action::Resume,
            error: "timeout".into(),
        },
        Reason::RepauseFailed {
            error: "ValidationException: x".into(),
            now: "RUNNING".into(),
        },
        Reason::Lost {
            loss: Loss::OneTime,
            declined: None,
        },
        Reason::Lost {
            loss: Loss::Run,
            declined: None,
        },
        Reason::Lost {
            loss: Loss::WatchedCancelled,
            declined: Some(NotRecreated::SeenTooEarly { hours: 30 }),
        },
        Reason::Lost {
            loss: Loss::Cancelled,
            declined: Some(NotRecreated::NotAllowed),
        },
        Reason::Lost {
            loss: Loss::Unrecreated(Known::RunDecided),
            declined: Some(NotRecreated::Missing {
                by: By::Decided,
                missing: vec!["bucket a".into(), "allow list b".into()],
            }),
        },
        Reason::LostUnidentified {
            loss: Loss::Run,
            event_arn: "arn:aws:health:eu-west-1::event/MACIE/x".into(),
            description: None,
        },
        Reason::TaggedCancelled,
        Reason::Recreated {
            known: Known::TagSet,
            by: By::TagSet,
            interrupted: false,
            created: true,
        },
        Reason::Recreated {
            known: k.clone(),
            by: By::Tag,
            interrupted: true,
            created: false,
        },
        Reason::WouldRecreate {
            known: Known::HealthEvent,
            by: By::Tag,
            name: "customer-records (recreated)".into(),
        },
        Reason::RecreatedThisRun,
        Reason::AlreadyRecreated,
        Reason::RecreateFailed {
            known: k,
            by: By::Tag,
            error: "InternalServerException".into(),
        },
    ]
}

/// Which variant a reason is: a new variant does not compile here until it has an example
/// above and a code.
fn variant(r: &Reason) -> usize {
    match r {
        Reason::Quiet(_) => 0,
        Reason::Excluded { .. } => 1,
        Reason::PolicyIgnore => 2,
        Reason::Warning { .. } => 3,
        Reason::WillExpire { .. } => 4,
        Reason::RunLeftToExpire => 5,
        Reason::WouldChange { .. } => 6,
        Reason::NotAttempted { .. } => 7,
        Reason::NotAChange => 8,
        Reason::Changed { .. } => 9,
        Reason::Finished { .. } => 10,
        Reason::RunEndedFirst { .. } => 11,
        Reason::AlreadyMade { .. } => 12,
        Reason::AlreadyThere => 13,
        Reason::MovedAway { .. } => 14,
        Reason::Busy { .. } => 15,
        Reason::RecreationLeftOpen => 16,
        Reason::NotFound => 17,
        Reason::EventJobMissing => 18,
        Reason::RecreateJobMissing => 19,
        Reason::Disappeared => 20,
        Reason::Unreadable { .. } => 21,
        Reason::LeaseFailed { .. } => 22,
        Reason::JournalFailed => 23,
        Reason::RereadFailed { .. } => 24,
        Reason::RefusedTwice { .. } => 25,
        Reason::ChangeFailed { .. } => 26,
        Reason::RepauseFailed { .. } => 27,
        Reason::Lost { .. } => 28,
        Reason::LostUnidentified { .. } => 29,
        Reason::TaggedCancelled => 30,
        Reason::Recreated { .. } => 31,
        Reason::WouldRecreate { .. } => 32,
        Reason::RecreatedThisRun => 33,
        Reason::AlreadyRecreated => 34,
        Reason::RecreateFailed { .. } => 35,
    }
}
const VARIANTS: usize = 36;

#[test]
fn every_variant_has_an_example_a_listed_code_and_a_sentence() {
    let all = every_reason();
    let mut seen = [false; VARIANTS];
    let mut codes = std::collections::BTreeSet::new();
    for r in &all {
        seen[variant(r)] = true;
        assert!(Reason::CODES.contains(&r.code()), "{r:?}: {}", r.code());
        codes.insert(r.code());
        let m = says(r.clone());
        assert!(m.len() > 20, "{r:?}: {m:?}");
        assert!(!m.contains("{") || m.contains("{}"), "{m}");
    }
    assert!(seen.iter().all(|s| *s), "a variant without an example");
    let listed: std::collections::BTreeSet<&str> = Reason::CODES.iter().copied().collect();
    assert_eq!(codes, listed, "every listed code is some reason's");
    assert_eq!(listed.len(), Reason::CODES.len(), "no code listed twice");
}

/// Integrators read the codes in docs/integrating.md: every one is there.
#[test]
fn every_reason_code_is_documented() {
    let doc = include_str!("../../../../docs/integrating.md");
    for code in Reason::CODES {
        assert!(
            doc.contains(&format!("`{code}`")),
            "reason code `{code}` is not in docs/integrating.md"
        );
    }
}

#[test]
fn the_json_carries_the_code_and_the_sentence() {
    let r = report(Reason::Changed {
        policy: Policy::Resume,
        from_tag: true,
    });
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["reason"], "changed");
    assert_eq!(v["message"], r.message());
    assert_eq!(v["job_id"], ID);
    assert!(v.get("held_by").is_none() && v.get("definition").is_none());
}

#[test]
fn the_sentences_of_the_ordinary_path() {
    assert_eq!(
        says(Reason::Changed {
            policy: Policy::Resume,
            from_tag: true
        }),
        format!("{WHO} was resumed: its scan continues where it stopped (policy resume, from its tag); it would have expired 2026-12-31 12:00 UTC")
    );
    assert_eq!(
        says(Reason::Changed {
            policy: Policy::KeepPaused,
            from_tag: false
        }),
        format!("{WHO} was resumed and paused again: it stays paused and its 30-day clock restarts (policy keep-paused, the default); it would have expired 2026-12-31 12:00 UTC")
    );
    assert_eq!(
        says(Reason::Warning {
            policy: Policy::Cancel,
            act_at: Some(at(30, 12)),
            caveat: None
        }),
        format!("{WHO} expires 2026-12-31 12:00 UTC (3.0 days left). On 2026-12-30 12:00 UTC it will be cancelled: its scan ends for good (its definition is in this report, to recreate it) (policy cancel), unless you resume it first or tag it macie-guard:on-expiry with another policy (resume, keep-paused, cancel, cancel-job, notify, ignore).")
    );
    assert_eq!(
        says(Reason::WillExpire {
            caveat: Some(Caveat::NearMiss(Near::Key {
                key: "Macie-Guard:On-Expiry".into()
            }))
        }),
        format!("{WHO} expires 2026-12-31 12:00 UTC (3.0 days left) and macie-guard will not change it: it will be left alone: at expiry Macie cancels it and its scan is lost. Resume it now, or tag it macie-guard:on-expiry=resume|keep-paused|cancel. Near miss: tag key \"Macie-Guard:On-Expiry\" is not the exact key \"macie-guard:on-expiry\" (tag keys are case-sensitive). macie-guard changes nothing on this job until it is spelled exactly: tag macie-guard:on-expiry=<resume|keep-paused|cancel|cancel-job|notify|ignore>.")
    );
    assert_eq!(
        says(Reason::WouldChange {
            action: Action::Cancel,
            policy: Policy::CancelJob
        }),
        format!("{WHO} expires 2026-12-31 12:00 UTC: would cancel it (policy cancel-job): it would be cancelled: its scan ends for good (its definition is in this report, to recreate it); DRY_RUN is on, nothing was changed")
    );
    assert_eq!(
        says(Reason::Quiet(Quiet::OutsideWindow {
            expires_at: at(31, 12),
            window_days: 3.0
        })),
        format!("{WHO}: expires 2026-12-31 12:00 UTC, outside the 3-day warning window")
    );
}

#[test]
fn a_job_known_only_by_its_id_is_named_by_it() {
    let r = JobReport::unknown(ID, Step::Resume, Outcome::NotFound, Reason::NotFound);
    assert_eq!(r.message(), format!("job {ID} does not exist (any more)"));
    let mut busy = JobReport::unknown(
        ID,
        Step::Resume,
        Outcome::Busy,
        Reason::Busy {
            action: Action::Resume,
            owner: "macie-guard-expiry:abc".into(),
            until: Some(at(28, 13)),
        },
    );
    busy.name = "n".into();
    assert_eq!(
        busy.message(),
        format!("job \"n\" ({ID}) is being changed (resume) by another run (macie-guard-expiry:abc), which holds it until 2026-12-28 13:00 UTC and renews that while it lives; left to it. If that run dies, the next run after then finishes the change and reports it")
    );
}

#[test]
fn the_sentences_of_recovery_say_an_interrupted_run_was_finished() {
    for (interrupted, note) in [
        (
            true,
            " (finished after an earlier invocation was interrupted)",
        ),
        (false, ""),
    ] {
        assert_eq!(
            says(Reason::Finished {
                policy: Policy::CancelJob,
                interrupted
            }),
            format!("{WHO} was cancelled: its scan ends for good (its definition is in this report, to recreate it){note}")
        );
        assert!(
            says(Reason::RunEndedFirst { interrupted }).ends_with(&format!(
                "its run finished (USER_PAUSED) before it could be paused{note}"
            ))
        );
    }
}

#[test]
fn the_sentences_of_lost_and_recreated_jobs() {
    assert_eq!(
        says(Reason::Lost {
            loss: Loss::OneTime,
            declined: Some(NotRecreated::NearMiss(Near::Value { value: "yes".into() }))
        }),
        format!("{WHO}: Macie cancelled this one-time job after it stayed paused for 30 days. Its scan is lost; recreate it once with `macie-guard recreate` (the command and the definition are in this report). Not recreated automatically: its tag macie-guard:on-lost has the value \"yes\", and the only value is \"recreate\".")
    );
    assert_eq!(
        says(Reason::Lost {
            loss: Loss::Unrecreated(Known::HealthEvent),
            declined: Some(NotRecreated::Invalid {
                error: "the definition of job x has no s3JobDefinition: it cannot be recreated as it was".into()
            })
        }),
        format!("{WHO}: It is lost (Macie cancelled it after it stayed paused for 30 days (its Health event says so)); recreate it once with `macie-guard recreate` (the command and the definition are in this report). Not recreated automatically: it cannot be recreated: the definition of job x has no s3JobDefinition: it cannot be recreated as it was.")
    );
    let mut r = report(Reason::Recreated {
        known: Known::Watched {
            expires_at: Some(at(31, 12)),
            seen_paused_at: Some(at(31, 1)),
        },
        by: By::Tag,
        interrupted: false,
        created: true,
    });
    r.recreated = Some(NewJob {
        job_id: "fedcba".into(),
        job_arn: "arn".into(),
        name: "customer-records (recreated)".into(),
    });
    assert_eq!(
        r.message(),
        format!("{WHO}: Macie cancelled it when its pause expired (2026-12-31 12:00 UTC; macie-guard saw it paused at 2026-12-31 01:00 UTC); it was recreated, once, as its tag macie-guard:on-lost=recreate asks: the new job is \"customer-records (recreated)\" (fedcba), and its scan starts over")
    );
    assert_eq!(
        says(Reason::LostUnidentified {
            loss: Loss::OneTime,
            event_arn: "arn:e".into(),
            description: Some("Macie cancelled job".into())
        }),
        "Macie cancelled this one-time job after it stayed paused for 30 days. Its scan is lost; recreate it once with `macie-guard recreate` (the command and the definition are in this report). The event did not identify the job (Health event arn:e): Macie cancelled job"
    );
}

#[test]
fn a_near_miss_says_what_almost_matched_in_the_json_too() {
    let source = PolicySource::NearMiss {
        what: Near::Exclusion {
            entry: "Legal-Hold-*".into(),
        },
    };
    let v = serde_json::to_value(&source).unwrap();
    assert_eq!(v["from"], "near-miss");
    assert_eq!(
        v["what"],
        "EXCLUDE_JOBS entry \"Legal-Hold-*\" almost matches this job but does not (letter case or separators differ; an exclusion must match exactly)"
    );
    assert_eq!(
        near_policy(&Near::Value { value: "".into() }),
        "tag macie-guard:on-expiry has the value \"\", which is not a policy (resume, keep-paused, cancel, cancel-job, notify, ignore)"
    );
}

/// Every warning says what happens to the job and its future runs.
#[test]
fn every_fate_is_said() {
    for p in Policy::ALL {
        assert!(fate(p, JobType::OneTime).len() > 8);
    }
    assert!(fate(Policy::Cancel, JobType::Scheduled).contains("keeps its schedule"));
    assert!(fate(Policy::CancelJob, JobType::Scheduled).contains("every future run"));
}
