use super::*;
use crate::expiry::job::*;
use crate::expiry::plan::*;
use crate::expiry::settings::*;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

#[test]
fn a_tags_policy_the_stack_does_not_honour_is_refused_and_changes_nothing() {
    let now = Utc::now();
    let job = |tag: &str| JobSnapshot {
        job_id: "0123456789abcdef0123456789abcdef".into(),
        name: "n".into(),
        status: JobStatus::UserPaused,
        job_type: JobType::Scheduled,
        paused_at: Some(now - Duration::days(29)),
        expires_at: Some(now + Duration::days(1)),
        health_event_arn: None,
        tags: Some(BTreeMap::from([(POLICY_TAG.to_string(), tag.to_string())])),
    };
    let config = ExpiryConfig {
        honoured: vec![
            Policy::Resume,
            Policy::KeepPaused,
            Policy::Notify,
            Policy::Ignore,
        ],
        ..ExpiryConfig::default()
    };
    assert_eq!(
        config.policy_for(&job("cancel-job")),
        (
            Policy::Notify,
            PolicySource::Refused {
                asked: Policy::CancelJob
            }
        )
    );
    let (policy, _) = config.policy_for(&job("cancel-job"));
    assert!(
        !matches!(
            decide(&job("cancel-job"), policy, config.windows, now),
            Plan::Act { .. }
        ),
        "a refused tag changes nothing"
    );
    assert_eq!(
        config.policy_for(&job("resume")),
        (Policy::Resume, PolicySource::Tag)
    );
    // The default is the stack's own choice, not a tag's: never refused.
    let untagged = JobSnapshot {
        tags: Some(BTreeMap::new()),
        ..job("x")
    };
    let strict = ExpiryConfig {
        default_policy: Policy::Cancel,
        honoured: vec![Policy::Notify],
        ..ExpiryConfig::default()
    };
    assert_eq!(
        strict.policy_for(&untagged),
        (Policy::Cancel, PolicySource::Default)
    );
}

fn now() -> DateTime<Utc> {
    "2026-11-22T12:00:00Z".parse().unwrap()
}

fn job(status: JobStatus, job_type: JobType, paused_days_ago: Option<f64>) -> JobSnapshot {
    let paused_at = paused_days_ago.map(|d| now() - Duration::minutes((d * 1440.0) as i64));
    JobSnapshot {
        job_id: "0123456789abcdef0123456789abcdef".into(),
        name: "scan".into(),
        status,
        job_type,
        paused_at,
        expires_at: paused_at.map(|p| p + Duration::days(30)),
        health_event_arn: None,
        tags: None,
    }
}

#[test]
fn decision_table() {
    use JobStatus as S;
    let w = Windows::default();
    let warn = |p| Plan::Warn {
        policy: p,
        act_at: now() + Duration::days(5),
    };
    let act = |a| Plan::Act { action: a };
    // (status, type, paused days ago, policy, expected label)
    let rows: Vec<(JobStatus, JobType, Option<f64>, Policy, &str)> = vec![
        // Not paused by a user: never at risk, whatever the policy.
        (
            S::Running,
            JobType::OneTime,
            None,
            Policy::Resume,
            "nothing",
        ),
        (S::Paused, JobType::OneTime, None, Policy::Cancel, "nothing"),
        (S::Idle, JobType::Scheduled, None, Policy::Resume, "nothing"),
        (
            S::Complete,
            JobType::OneTime,
            None,
            Policy::Resume,
            "nothing",
        ),
        (
            S::Cancelled,
            JobType::OneTime,
            None,
            Policy::Resume,
            "nothing",
        ),
        (
            S::Other("NEW".into()),
            JobType::OneTime,
            None,
            Policy::Resume,
            "nothing",
        ),
        // Paused while idle: no expiry.
        (
            S::UserPaused,
            JobType::Scheduled,
            None,
            Policy::Resume,
            "nothing",
        ),
        // Outside the warning window (expires in 25 days, in 8 days).
        (
            S::UserPaused,
            JobType::OneTime,
            Some(5.0),
            Policy::Resume,
            "nothing",
        ),
        (
            S::UserPaused,
            JobType::OneTime,
            Some(22.0),
            Policy::Cancel,
            "nothing",
        ),
        // Warning window edge: exactly 7 days left warns.
        (
            S::UserPaused,
            JobType::OneTime,
            Some(23.0),
            Policy::Resume,
            "warn",
        ),
        (
            S::UserPaused,
            JobType::Scheduled,
            Some(24.0),
            Policy::KeepPaused,
            "warn",
        ),
        (
            S::UserPaused,
            JobType::OneTime,
            Some(27.9),
            Policy::Notify,
            "warn",
        ),
        (
            S::UserPaused,
            JobType::OneTime,
            Some(24.0),
            Policy::Ignore,
            "ignore",
        ),
        // Action window edge: exactly 2 days left acts.
        (
            S::UserPaused,
            JobType::OneTime,
            Some(28.0),
            Policy::Resume,
            "resume",
        ),
        (
            S::UserPaused,
            JobType::Scheduled,
            Some(29.0),
            Policy::KeepPaused,
            "keep-paused",
        ),
        (
            S::UserPaused,
            JobType::OneTime,
            Some(29.0),
            Policy::Cancel,
            "cancel",
        ),
        (
            S::UserPaused,
            JobType::OneTime,
            Some(29.0),
            Policy::Notify,
            "notify",
        ),
        (
            S::UserPaused,
            JobType::OneTime,
            Some(29.0),
            Policy::Ignore,
            "ignore",
        ),
        // Past expiry but still paused: act.
        (
            S::UserPaused,
            JobType::OneTime,
            Some(31.0),
            Policy::Resume,
            "resume",
        ),
    ];
    for (status, ty, paused, policy, want) in rows {
        let j = job(status.clone(), ty, paused);
        let plan = decide(&j, policy, w, now());
        assert_eq!(
            plan.label(),
            want,
            "{status:?} {ty:?} paused {paused:?} {policy:?}: {plan:?}"
        );
    }
    assert_eq!(
        decide(
            &job(S::UserPaused, JobType::OneTime, Some(23.0)),
            Policy::Resume,
            w,
            now()
        ),
        warn(Policy::Resume)
    );
    assert_eq!(
        decide(
            &job(S::UserPaused, JobType::OneTime, Some(28.0)),
            Policy::Cancel,
            w,
            now()
        ),
        act(Action::Cancel)
    );
}

#[test]
fn window_edges_are_inclusive_to_the_minute() {
    let w = Windows::default();
    let mut j = job(JobStatus::UserPaused, JobType::OneTime, Some(0.0));
    j.expires_at = Some(now() + Duration::days(7) + Duration::minutes(1));
    assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "nothing");
    j.expires_at = Some(now() + Duration::days(2) + Duration::minutes(1));
    assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "warn");
    j.expires_at = Some(now() + Duration::days(2));
    assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "resume");
    // Custom windows.
    let narrow = Windows {
        warning: Duration::hours(12),
        action: Duration::hours(1),
    };
    j.expires_at = Some(now() + Duration::hours(13));
    assert_eq!(decide(&j, Policy::Resume, narrow, now()).label(), "nothing");
    j.expires_at = Some(now() + Duration::hours(2));
    assert_eq!(decide(&j, Policy::Resume, narrow, now()).label(), "warn");
}

#[test]
fn policy_from_tag_default_and_exclusions() {
    let mut j = job(JobStatus::UserPaused, JobType::OneTime, Some(29.0));
    let none = Exclusions::default();
    assert_eq!(
        resolve_policy(&j, Policy::Notify, &none),
        (Policy::Notify, PolicySource::Default)
    );
    for (value, want) in [
        ("resume", Policy::Resume),
        ("keep-paused", Policy::KeepPaused),
        ("cancel", Policy::Cancel),
        ("cancel-job", Policy::CancelJob),
        ("notify", Policy::Notify),
        ("ignore", Policy::Ignore),
        (" Resume ", Policy::Resume),
        ("RESUME", Policy::Resume),
    ] {
        j.tags = Some(BTreeMap::from([(
            POLICY_TAG.to_string(),
            value.to_string(),
        )]));
        assert_eq!(
            resolve_policy(&j, Policy::Notify, &none),
            (want, PolicySource::Tag),
            "{value}"
        );
    }
    let ex = Exclusions::parse("ffff, legal-hold-* ,");
    assert_eq!(ex.ids, vec!["ffff"]);
    j.name = "legal-hold-2026".into();
    assert_eq!(
        resolve_policy(&j, Policy::Resume, &ex),
        (Policy::Ignore, PolicySource::Excluded)
    );
    j.name = "other".into();
    j.job_id = "ffff".into();
    assert_eq!(
        resolve_policy(&j, Policy::Resume, &ex).1,
        PolicySource::Excluded
    );
}

/// Where the owner's intent is visible but not exactly spelled, nothing destructive
/// happens: the policy is notify (no change) and the source names the near miss, whatever
/// the default.
#[test]
fn near_misses_never_act_and_say_why() {
    let base = job(JobStatus::UserPaused, JobType::OneTime, Some(29.0));
    let tagged = |k: &str, v: &str| {
        let mut j = base.clone();
        j.tags = Some(BTreeMap::from([(k.to_string(), v.to_string())]));
        j
    };
    let none = Exclusions::default();
    for (j, needle) in [
        (
            tagged("Macie-Guard:On-Expiry", "ignore"),
            "Macie-Guard:On-Expiry",
        ),
        (
            tagged("macie-guard:on-expiry ", "ignore"),
            "macie-guard:on-expiry ",
        ),
        (
            tagged(" macie-guard:on-expiry", "ignore"),
            " macie-guard:on-expiry",
        ),
        (tagged("macie-guard:on_expiry", "ignore"), "on_expiry"),
        (tagged("macieguard:onexpiry", "ignore"), "macieguard"),
        (tagged("macie-gaurd:on-expiry", "ignore"), "gaurd"),
        (tagged("macie-guard:on-expire", "ignore"), "on-expire"),
        (tagged(POLICY_TAG, "keep paused"), "keep paused"),
        (tagged(POLICY_TAG, "delete"), "delete"),
        (tagged(POLICY_TAG, ""), "Value { value: \"\" }"),
    ] {
        for default in Policy::DEFAULTS {
            let (policy, source) = resolve_policy(&j, default, &none);
            assert_eq!(policy, Policy::Notify, "{:?} default {default}", j.tags);
            match &source {
                PolicySource::NearMiss { what } => {
                    assert!(format!("{what:?}").contains(needle), "{what:?}")
                }
                other => panic!("{:?}: {other:?}", j.tags),
            }
            let plan = decide(&j, policy, Windows::default(), now());
            assert_eq!(plan, Plan::Notify, "{:?}", j.tags);
        }
    }
    // Unrelated tags are no near miss.
    let j = tagged("owner", "data-team");
    assert_eq!(
        resolve_policy(&j, Policy::Cancel, &none),
        (Policy::Cancel, PolicySource::Default)
    );
    // Exclusions: another letter case or separator is a near miss, not a silent mismatch.
    let mut j = base.clone();
    j.name = "legal-hold-2026".into();
    for entry in ["Legal-Hold-*", "legal_hold*", "LEGAL HOLD*", "legalhold-*"] {
        let ex = Exclusions::parse(entry);
        let (policy, source) = resolve_policy(&j, Policy::Cancel, &ex);
        assert_eq!(policy, Policy::Notify, "{entry}");
        assert!(
            matches!(&source, PolicySource::NearMiss { what: Near::Exclusion { entry: e } } if e.contains(entry.trim_end_matches('*'))),
            "{entry}: {source:?}"
        );
    }
    let ex = Exclusions::parse(&base.job_id.to_uppercase());
    assert!(matches!(
        resolve_policy(&base, Policy::Cancel, &ex).1,
        PolicySource::NearMiss { .. }
    ));
    // Excluded exactly, or another prefix: no near miss.
    assert_eq!(
        resolve_policy(&j, Policy::Cancel, &Exclusions::parse("legal-*")).1,
        PolicySource::Excluded
    );
    assert_eq!(
        resolve_policy(&j, Policy::Cancel, &Exclusions::parse("finance-*")).1,
        PolicySource::Default
    );
}

/// `cancel` never ends a recurring job; `cancel-job` does, for either type, and only from
/// a tag (the default cannot be cancel-job).
#[test]
fn a_recurring_job_is_ended_only_when_its_tag_says_cancel_job() {
    let w = Windows::default();
    let scheduled = job(JobStatus::UserPaused, JobType::Scheduled, Some(29.0));
    let one_time = job(JobStatus::UserPaused, JobType::OneTime, Some(29.0));
    let unknown = job(JobStatus::UserPaused, JobType::Unknown, Some(29.0));
    assert_eq!(
        decide(&scheduled, Policy::Cancel, w, now()),
        Plan::LetRunExpire
    );
    assert_eq!(
        decide(&unknown, Policy::Cancel, w, now()),
        Plan::LetRunExpire
    );
    assert_eq!(
        decide(&one_time, Policy::Cancel, w, now()),
        Plan::Act {
            action: Action::Cancel
        }
    );
    for j in [&scheduled, &one_time] {
        assert_eq!(
            decide(j, Policy::CancelJob, w, now()),
            Plan::Act {
                action: Action::Cancel
            }
        );
    }
    for p in Policy::DEFAULTS {
        assert_ne!(
            action_of(p, JobType::Scheduled),
            Some(Action::Cancel),
            "default {p} must not end a recurring job"
        );
        assert_eq!(Policy::parse_default(p.as_str()), Ok(p));
    }
    assert!(Policy::parse_default("cancel-job").is_err());
    assert!(Policy::parse_default("Resume").is_err());
}

#[test]
fn an_action_window_longer_than_the_warning_window_acts_without_a_warning() {
    let w = Windows {
        warning: Duration::days(7),
        action: Duration::days(9),
    };
    let mut j = job(JobStatus::UserPaused, JobType::OneTime, Some(0.0));
    j.expires_at = Some(now() + Duration::days(8));
    assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "resume");
    j.expires_at = Some(now() + Duration::days(10));
    assert_eq!(decide(&j, Policy::Resume, w, now()).label(), "nothing");
    assert!(w.covers(&j, now() + Duration::days(1)));
    assert!(!w.covers(&j, now()));
}

#[test]
fn policy_parse_rejects_unknown_values_with_the_list() {
    let err = "delete".parse::<Policy>().unwrap_err();
    assert!(
        err.contains("delete") && err.contains("keep-paused"),
        "{err}"
    );
}

#[test]
fn days_left_rounds_down_to_a_tenth() {
    assert_eq!(days_left(now() + Duration::hours(36), now()), 1.5);
    assert_eq!(days_left(now() + Duration::hours(35), now()), 1.4);
    assert_eq!(days_left(now() - Duration::hours(12), now()), -0.5);
}

/// A resume or keep-paused tag just set acts anywhere in the warning window; a cancel just
/// set, a tag set earlier, a default policy or another value set do not.
#[test]
fn a_resume_or_keep_paused_just_set_acts_at_once() {
    let w = Windows::default();
    let early = Windows {
        action: w.outer(),
        ..w
    };
    for p in [Policy::Resume, Policy::KeepPaused] {
        assert_eq!(windows_for(w, p, &PolicySource::Tag, Some(p)), early);
        assert_eq!(windows_for(w, p, &PolicySource::Tag, None), w);
        assert_eq!(windows_for(w, p, &PolicySource::Default, Some(p)), w);
    }
    for p in [
        Policy::Cancel,
        Policy::CancelJob,
        Policy::Notify,
        Policy::Ignore,
    ] {
        assert_eq!(windows_for(w, p, &PolicySource::Tag, Some(p)), w, "{p}");
    }
    assert_eq!(
        windows_for(
            w,
            Policy::Resume,
            &PolicySource::Tag,
            Some(Policy::KeepPaused)
        ),
        w,
        "the tag says otherwise now"
    );
    // The job 5 days from expiry: warned normally, resumed at once when just tagged.
    let job = job(JobStatus::UserPaused, JobType::OneTime, Some(25.0));
    assert!(matches!(
        decide(&job, Policy::Resume, w, now()),
        Plan::Warn { .. }
    ));
    assert_eq!(
        decide(&job, Policy::Resume, early, now()),
        Plan::Act {
            action: Action::Resume
        }
    );
}
