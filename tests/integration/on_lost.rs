//! The owner's choice, `macie-guard:on-lost=recreate`: a one-time job Macie cancelled after its
//! pause expired is created again, once, by the expiry guard, through the real SDK over HTTP
//! against the local Macie, with the DynamoDB journal and SNS in moto.
//!
//! - From the Health event, and from a sweep that finds a watched job cancelled.
//! - Once: the event again, three runs at once, and a run killed between any two calls whose
//!   work the next run finishes and reports.
//! - Near misses of the tag, a recurring job, a stack that does not allow it, a job cancelled
//!   by a person, a definition whose custom data identifier is gone: nothing is created, and
//!   the report says why.

use crate::journal::Rig;
use chrono::{DateTime, Duration, Utc};
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::journal::Journal;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::{Outcome, Summary};
use macie_guard_core::expiry::plan::Step;
use macie_guard_core::expiry::recreate::RECREATED_FROM_TAG;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::scope::Scope;
use serde_json::{json, Value};
use testkit::{event, sns_messages, ACCOUNT, REGION};

/// The job `health-paused-job-cancelled.json` names.
const LOST: &str = "0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f";

fn cancelled(tags: Value) -> Value {
    json!({"jobId": LOST, "name": "hr-archive-scan", "jobType": "ONE_TIME",
        "jobStatus": "CANCELLED", "tags": tags,
        "s3JobDefinition": {"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["hr-archive"]}]}})
}

fn allowed() -> ExpiryConfig {
    ExpiryConfig {
        recreate_lost: true,
        ..crate::journal::config()
    }
}

fn cancel_event() -> ExpiryEvent {
    ExpiryEvent::parse(&event("health-paused-job-cancelled.json")).unwrap()
}

async fn guard(
    rig: &Rig,
    config: ExpiryConfig,
    owner: &str,
) -> ExpiryGuard<aws_sdk_macie2::Client, SnsNotifier, macie_guard::journal::dynamo::DynamoJournal> {
    ExpiryGuard::new(
        rig.client.clone(),
        rig.notifier().await,
        config,
        Scope::new(ACCOUNT, REGION),
    )
    .with_journal(rig.journal().await)
    .with_owner(owner)
}

/// The jobs recreated from `original`: (id, name), read from Macie.
async fn recreated_from(rig: &Rig, original: &str) -> Vec<(String, String)> {
    let page = rig.client.list_classification_jobs().send().await.unwrap();
    let mut out = Vec::new();
    for j in page.items() {
        let id = j.job_id().unwrap();
        let d = rig
            .client
            .describe_classification_job()
            .job_id(id)
            .send()
            .await
            .unwrap();
        if d.tags()
            .and_then(|t| t.get(RECREATED_FROM_TAG))
            .map(String::as_str)
            == Some(original)
        {
            out.push((id.to_string(), d.name().unwrap_or_default().to_string()));
        }
    }
    out
}

/// How many notifications reported `job` recreated.
fn reported_recreated(rig: &Rig, job: &str) -> usize {
    sns_messages(&rig.topic)
        .iter()
        .map(|m| {
            let json = m
                .message
                .split("---- details (JSON) ----\n")
                .nth(1)
                .unwrap();
            let facts: Value = serde_json::from_str(json).unwrap();
            facts["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| {
                    j["job_id"] == job && j["action"] == "recreate" && j["outcome"] == "done"
                })
                .count()
        })
        .sum()
}

fn only_job(s: &Summary) -> &macie_guard_core::expiry::outcome::JobReport {
    assert_eq!(s.jobs.len(), 1, "{:?}", s.jobs);
    &s.jobs[0]
}

#[tokio::test]
async fn a_lost_job_whose_tag_asks_is_recreated_once_from_its_health_event() {
    let rig = Rig::new(json!([cancelled(
        json!({"macie-guard:on-lost": "recreate", "team": "hr"})
    )]))
    .await;
    let g = guard(&rig, allowed(), "first").await;
    let s = g.handle(&cancel_event(), Utc::now()).await.unwrap().outcome;
    let j = only_job(&s);
    assert_eq!(
        (j.action, j.outcome),
        (Step::Recreate, Outcome::Done),
        "{}",
        j.message()
    );
    let new = j.recreated.clone().expect("the new job");
    let stands = recreated_from(&rig, LOST).await;
    assert_eq!(
        stands,
        [(
            new.job_id.clone(),
            "hr-archive-scan (recreated)".to_string()
        )]
    );
    let d = rig
        .client
        .describe_classification_job()
        .job_id(&new.job_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.tags().unwrap()["team"],
        "hr",
        "the definition's tags come along"
    );
    assert_eq!(
        d.s3_job_definition().unwrap().bucket_definitions()[0].buckets(),
        ["hr-archive"]
    );
    let message = &sns_messages(&rig.topic)[0].message;
    assert!(message.contains(&new.job_id), "{message}");
    assert!(
        !message.contains("bring it back"),
        "no command for a job already back"
    );
    assert_eq!(reported_recreated(&rig, LOST), 1);

    // Health events come at least once: the same event again creates nothing.
    let again = guard(&rig, allowed(), "second").await;
    let s = again
        .handle(&cancel_event(), Utc::now())
        .await
        .unwrap()
        .outcome;
    assert_eq!(
        only_job(&s).outcome,
        Outcome::AlreadyDone,
        "{}",
        s.jobs[0].message()
    );
    assert_eq!(rig.macie.calls("CreateClassificationJob"), 1);
    assert_eq!(recreated_from(&rig, LOST).await.len(), 1);
    assert_eq!(reported_recreated(&rig, LOST), 1);
    assert!(rig.open_entries().await.is_empty());
}

/// Kills the first run before its k-th call, for every k; the event comes again after the
/// first run's lease ran out. One job is created, and it is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_any_two_calls_creates_one_job_and_reports_it_once() {
    let now0: DateTime<Utc> = Utc::now();
    for k in 1usize.. {
        let rig = Rig::new(json!([cancelled(
            json!({"macie-guard:on-lost": "recreate"})
        )]))
        .await;
        let crashed = crate::journal::run_until_crash(
            &rig,
            k,
            allowed(),
            rig.journal().await,
            &cancel_event(),
            now0,
        )
        .await;
        if !crashed {
            assert!(k > 6, "only {} crash points", k - 1);
            assert_eq!(reported_recreated(&rig, LOST), 1);
            break;
        }
        let at = format!("crash before call {k}");
        let second = guard(&rig, allowed(), "second").await;
        second
            .handle(&cancel_event(), now0 + Duration::minutes(20))
            .await
            .unwrap_or_else(|e| panic!("{at}: the next run failed: {e}"));
        assert_eq!(
            recreated_from(&rig, LOST).await.len(),
            1,
            "{at}: one job stands"
        );
        assert_eq!(
            rig.macie.calls("CreateClassificationJob"),
            1,
            "{at}: created once"
        );
        // The outbox reports at least once: a run killed after its message and before it
        // closed the entry is reported again by the next run, which creates nothing.
        assert!(reported_recreated(&rig, LOST) >= 1, "{at}: reported");
        assert!(
            rig.open_entries().await.is_empty(),
            "{at}: nothing left open"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_runs_of_the_event_at_once_create_one_job() {
    let rig = Rig::new(json!([cancelled(
        json!({"macie-guard:on-lost": "recreate"})
    )]))
    .await;
    let (a, b, c) = (
        guard(&rig, allowed(), "a").await,
        guard(&rig, allowed(), "b").await,
        guard(&rig, allowed(), "c").await,
    );
    let ev = cancel_event();
    let now = Utc::now();
    let (ra, rb, rc) = tokio::join!(a.handle(&ev, now), b.handle(&ev, now), c.handle(&ev, now));
    let done: usize = [ra, rb, rc]
        .into_iter()
        .map(|r| r.unwrap().count(Outcome::Done))
        .sum();
    assert_eq!(
        done, 1,
        "one run recreated it; the others left it or found it done"
    );
    assert_eq!(recreated_from(&rig, LOST).await.len(), 1);
    assert_eq!(rig.macie.calls("CreateClassificationJob"), 1);
    assert!(rig.open_entries().await.is_empty());
}

/// The sweep that finds a watched job cancelled: the Health event never came. A job a sweep
/// finds cancelled before its pause could expire was cancelled by a person: not recreated.
#[tokio::test]
async fn a_sweep_that_finds_a_watched_job_cancelled_at_expiry_recreates_it() {
    const EARLY: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee5";
    const UNSURE: &str = "fffffffffffffffffffffffffffffff6";
    let tags = json!({"macie-guard:on-lost": "recreate"});
    let rig = Rig::new(json!([
        {"jobId": LOST, "name": "expiring", "jobType": "ONE_TIME", "jobStatus": "USER_PAUSED",
         "pausedDaysAgo": 29.5, "tags": tags},
        {"jobId": EARLY, "name": "cancelled-by-hand", "jobType": "ONE_TIME",
         "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.0, "tags": tags},
        {"jobId": UNSURE, "name": "seen-too-early", "jobType": "ONE_TIME",
         "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.0, "tags": tags},
    ]))
    .await;
    let now = Utc::now();
    let g = guard(&rig, allowed(), "sweep-1").await;
    let s = g
        .handle(&crate::journal::sweep(), now)
        .await
        .unwrap()
        .outcome;
    assert_eq!(
        s.count(Outcome::Done),
        0,
        "nothing to recreate while paused"
    );
    let scope = format!("{ACCOUNT}#{REGION}");
    let watched: Vec<String> = rig
        .journal()
        .await
        .watches(&scope)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.job_id)
        .collect();
    assert_eq!(
        watched,
        [LOST, EARLY, UNSURE],
        "every tagged paused job is watched"
    );

    // A person cancels one a day before its pause would expire; 18 hours later Macie has
    // cancelled the other at its expiry.
    rig.macie.control(
        "POST",
        &format!("/_local/jobs/{EARLY}/status"),
        Some(&json!({"jobStatus": "CANCELLED"})),
    );
    rig.macie.advance_days(0.75);
    let later = now + Duration::hours(18);
    let s = guard(&rig, allowed(), "sweep-2")
        .await
        .handle(&crate::journal::sweep(), later)
        .await
        .unwrap()
        .outcome;
    let recreated: Vec<&str> = s
        .jobs
        .iter()
        .filter(|j| j.outcome == Outcome::Done)
        .map(|j| j.job_id.as_str())
        .collect();
    assert_eq!(recreated, [LOST], "{:?}", s.jobs);
    assert_eq!(recreated_from(&rig, LOST).await.len(), 1);
    assert!(
        recreated_from(&rig, EARLY).await.is_empty(),
        "a person's cancellation stands"
    );
    let left: Vec<String> = rig
        .journal()
        .await
        .watches(&scope)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.job_id)
        .collect();
    assert_eq!(left, [UNSURE], "only the job still paused is watched");

    // The sweeps stop for a day and a half; Macie cancels the last one at its expiry, 30
    // hours after the guard last saw it paused: too long to tell Macie from a person.
    rig.macie.advance_days(1.5);
    let s = guard(&rig, allowed(), "sweep-3")
        .await
        .handle(&crate::journal::sweep(), later + Duration::hours(36))
        .await
        .unwrap()
        .outcome;
    let j = s
        .jobs
        .iter()
        .find(|j| j.job_id == UNSURE)
        .expect("reported");
    assert_eq!(j.outcome, Outcome::Lost, "{}", j.message());
    assert!(
        j.message().contains("too long before") && j.message().contains("a person may have"),
        "{}",
        j.message()
    );
    assert!(
        !j.message().contains("Macie cancelled this"),
        "no claim it cannot make: {}",
        j.message()
    );
    assert_eq!(
        rig.macie.calls("CreateClassificationJob"),
        1,
        "nothing more created"
    );
    assert!(
        rig.journal()
            .await
            .watches(&scope)
            .await
            .unwrap()
            .is_empty(),
        "no watch left"
    );
}

/// Everything that stops short of recreating: the report says why, and nothing is created.
#[tokio::test]
async fn near_misses_recurring_jobs_a_stack_that_does_not_allow_it_and_missing_parts_create_nothing(
) {
    let cases: Vec<(&str, Value, ExpiryConfig, &str)> = vec![
        (
            "key of another case",
            cancelled(json!({"Macie-Guard:On-Lost": "recreate"})),
            allowed(),
            "not the exact key",
        ),
        (
            "key with a trailing space",
            cancelled(json!({"macie-guard:on-lost ": "recreate"})),
            allowed(),
            "not the exact key",
        ),
        (
            "another value",
            cancelled(json!({"macie-guard:on-lost": "re-create"})),
            allowed(),
            "the only value is",
        ),
        (
            "the stack's parameter off",
            cancelled(json!({"macie-guard:on-lost": "recreate"})),
            crate::journal::config(),
            "RecreateLostJobs is false",
        ),
        (
            "a custom data identifier gone",
            {
                let mut j = cancelled(json!({"macie-guard:on-lost": "recreate"}));
                j["customDataIdentifierIds"] = json!(["0000000000000000000000000000dead"]);
                j
            },
            allowed(),
            "no longer exist",
        ),
    ];
    for (case, job, config, says) in cases {
        let rig = Rig::new(json!([job])).await;
        let s = guard(&rig, config, "one")
            .await
            .handle(&cancel_event(), Utc::now())
            .await
            .unwrap()
            .outcome;
        let j = only_job(&s);
        assert_eq!(j.outcome, Outcome::Lost, "{case}: {}", j.message());
        assert!(j.message().contains(says), "{case}: {}", j.message());
        assert_eq!(rig.macie.calls("CreateClassificationJob"), 0, "{case}");
        let message = &sns_messages(&rig.topic)[0].message;
        assert!(
            message.contains("macie-guard --region us-east-1 recreate "),
            "{case}: the command is there for a person: {message}"
        );
        assert!(rig.open_entries().await.is_empty(), "{case}");
    }

    // A recurring job loses only its run: its tag changes nothing, and the report says so.
    let rig = Rig::new(
        json!([{"jobId": "5e8a1f0c3b2d4e6f7a8b9c0d1e2f3a4b", "name": "weekly",
        "jobType": "SCHEDULED", "jobStatus": "IDLE", "tags": {"macie-guard:on-lost": "recreate"}}]),
    )
    .await;
    let s = guard(&rig, allowed(), "one")
        .await
        .handle(
            &ExpiryEvent::parse(&event("health-paused-job-run-cancelled.json")).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap()
        .outcome;
    let j = only_job(&s);
    assert_eq!(j.outcome, Outcome::Lost, "{}", j.message());
    assert!(j.message().contains("for one-time jobs"), "{}", j.message());
    assert_eq!(rig.macie.calls("CreateClassificationJob"), 0);
    assert_eq!(rig.macie.calls("UpdateClassificationJob"), 0);
}

/// A `macie-guard:` tag set on a job (CloudTrail's TagResource record, through EventBridge;
/// the chat channel's buttons set them) has the job looked at at once: a lost job whose tag
/// now asks is recreated, once; a paused one in the action window is changed by its new
/// policy; another account's job is not touched.
#[tokio::test]
async fn a_tag_set_on_a_job_has_it_looked_at_at_once() {
    const PAUSED: &str = "abababababababababababababababab";
    let rig = Rig::new(json!([
        cancelled(json!({"team": "hr"})),
        {"jobId": PAUSED, "name": "keep me", "jobType": "ONE_TIME", "jobStatus": "USER_PAUSED",
         "pausedDaysAgo": 29.0},
    ]))
    .await;
    let arn = |id: &str| format!("arn:aws:macie2:{REGION}:{ACCOUNT}:classification-job/{id}");
    let tag = |id: &str, key: &str, value: &str| {
        let (client, arn) = (rig.client.clone(), arn(id));
        let (key, value) = (key.to_string(), value.to_string());
        async move {
            client
                .tag_resource()
                .resource_arn(arn)
                .tags(key, value)
                .send()
                .await
                .unwrap();
        }
    };
    let tagged = |resource: &str, key: &str, value: &str| {
        let mut ev = event("cloudtrail-macie2-tag-resource.json");
        ev["detail"]["requestParameters"] = json!({"resourceArn": resource, "tags": {key: value}});
        ExpiryEvent::parse(&ev).unwrap()
    };

    // Not allowed by the stack: said, nothing created.
    tag(LOST, "macie-guard:on-lost", "recreate").await;
    let ev = tagged(&arn(LOST), "macie-guard:on-lost", "recreate");
    let s = guard(&rig, crate::journal::config(), "off")
        .await
        .handle(&ev, Utc::now())
        .await
        .unwrap()
        .outcome;
    assert!(
        only_job(&s).message().contains("RecreateLostJobs is false"),
        "{}",
        s.jobs[0].message()
    );
    assert_eq!(rig.macie.calls("CreateClassificationJob"), 0);

    // Allowed: recreated, once, however often the record comes.
    for owner in ["on-1", "on-2"] {
        guard(&rig, allowed(), owner)
            .await
            .handle(&ev, Utc::now())
            .await
            .unwrap();
    }
    assert_eq!(recreated_from(&rig, LOST).await.len(), 1);
    assert_eq!(rig.macie.calls("CreateClassificationJob"), 1);
    assert_eq!(reported_recreated(&rig, LOST), 1);

    // A paused job in the action window tagged keep-paused: paused again now, not at the next
    // sweep.
    tag(PAUSED, "macie-guard:on-expiry", "keep-paused").await;
    let s = guard(&rig, allowed(), "keep")
        .await
        .handle(
            &tagged(&arn(PAUSED), "macie-guard:on-expiry", "keep-paused"),
            Utc::now(),
        )
        .await
        .unwrap()
        .outcome;
    let j = only_job(&s);
    assert_eq!(
        (j.action, j.outcome),
        (Step::KeepPaused, Outcome::Done),
        "{}",
        j.message()
    );
    let (status, left) = rig.status(PAUSED).await;
    assert_eq!(status, "USER_PAUSED");
    assert!(left.unwrap() >= 29, "its 30-day clock restarted");

    // Another account's job: not read, not touched.
    rig.macie.reset_calls();
    let foreign =
        "arn:aws:macie2:us-east-1:999999999999:classification-job/abababababababababababababababab";
    let s = guard(&rig, allowed(), "foreign")
        .await
        .handle(
            &tagged(foreign, "macie-guard:on-expiry", "cancel-job"),
            Utc::now(),
        )
        .await
        .unwrap()
        .outcome;
    assert!(s.jobs.is_empty() && s.ignored.len() == 1, "{:?}", s.ignored);
    assert_eq!(rig.macie.calls("DescribeClassificationJob"), 0);
    assert_eq!(rig.macie.calls("UpdateClassificationJob"), 0);
}
