//! The expiry guard through the real SDK clients over HTTP: the local Macie for jobs, moto
//! for SNS. Assertions are on job states, on the local Macie's call counters, and on what
//! SNS received.
//!
//! Why one file this long: one test per policy and trigger against the same seeded account,
//! so the set of promises reads as one list.

use crate::common;

use chrono::{Duration, Utc};
use lambda_runtime::{Context, LambdaEvent};
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::expiry::lambda::ExpiryFunction;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard::Error;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::{Outcome, Summary};
use macie_guard_core::expiry::policy::Policy;
use macie_guard_core::expiry::settings::ExpiryConfig;
use serde_json::{json, Value};
use testkit::{
    event, macie_client, moto, sns_client, sns_messages, topic, LocalMacie, ACCOUNT, REGION,
};

const JOB_A: &str = "3ce05dbb7ec5505def334104bf4fc3b4";
const JOB_B: &str = "7d41a0d1c5e6f7a8b9c0d1e2f3a4b5c6";
const JOB_C: &str = "0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f";
const JOB_D: &str = "5e8a1f0c3b2d4e6f7a8b9c0d1e2f3a4b";
const JOB_E: &str = "9a8b7c6d5e4f30211203948576abcdef";

struct Rig {
    macie: LocalMacie,
    client: aws_sdk_macie2::Client,
    topic: String,
}

impl Rig {
    async fn new(jobs: Value) -> Rig {
        let macie = LocalMacie::start(Some(&json!({ "jobs": jobs })));
        let client = macie_client(macie.url()).await;
        Rig {
            macie,
            client,
            topic: topic("expiry").await,
        }
    }

    async fn guard(
        &self,
        config: ExpiryConfig,
    ) -> ExpiryGuard<aws_sdk_macie2::Client, SnsNotifier> {
        common::guard(self.client.clone(), common::sns(&self.topic).await, config)
    }

    async fn status(&self, id: &str) -> String {
        let out = self
            .client
            .describe_classification_job()
            .job_id(id)
            .send()
            .await
            .unwrap();
        out.job_status().unwrap().as_str().to_string()
    }

    async fn expires_in_days(&self, id: &str) -> Option<i64> {
        let out = self
            .client
            .describe_classification_job()
            .job_id(id)
            .send()
            .await
            .unwrap();
        let e = out.user_paused_details()?.job_expires_at()?.secs();
        Some((e - Utc::now().timestamp()) / 86_400)
    }

    fn calls(&self) -> Value {
        common::calls(&self.macie)
    }
}

fn paused(name: &str, days: f64, tag: Option<&str>) -> Value {
    let mut v = json!({"name": name, "jobStatus": "USER_PAUSED", "pausedDaysAgo": days});
    if let Some(t) = tag {
        v["tags"] = json!({"macie-guard:on-expiry": t});
    }
    v
}

fn with_id(mut v: Value, id: &str) -> Value {
    v["jobId"] = json!(id);
    v
}

fn outcome(s: &Summary, name: &str) -> Outcome {
    s.jobs
        .iter()
        .find(|j| j.name == name)
        .unwrap_or_else(|| {
            panic!(
                "{name} not in {:?}",
                s.jobs.iter().map(|j| &j.name).collect::<Vec<_>>()
            )
        })
        .outcome
}

use common::sweep;

#[tokio::test]
async fn sweep_applies_each_policy_in_its_window() {
    let rig = Rig::new(json!([
        paused("p5-resume", 5.0, Some("resume")),
        paused("p24-resume", 24.0, Some("resume")),
        paused("p29-resume", 29.0, Some("resume")),
        paused("p29-keep", 29.0, Some("keep-paused")),
        paused("p29-cancel", 29.0, Some("cancel")),
        paused("p29-notify", 29.0, Some("notify")),
        paused("p29-ignore", 29.0, Some("ignore")),
        paused("p29-default", 29.0, None),
        paused("p29-unknown", 29.0, Some("delete")),
        paused("p31-one-time", 31.0, Some("resume")),
        {"name": "p31-scheduled", "jobType": "SCHEDULED", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 31.0},
        {"name": "idle-paused", "jobType": "SCHEDULED", "jobStatus": "USER_PAUSED", "pausedFrom": "IDLE", "pausedDaysAgo": 40.0},
        {"name": "running", "jobStatus": "RUNNING"},
    ]))
    .await;
    let ids: Vec<String> = {
        let out = rig
            .client
            .list_classification_jobs()
            .max_results(200)
            .send()
            .await
            .unwrap();
        let mut v: Vec<(String, String)> = out
            .items()
            .iter()
            .map(|j| {
                (
                    j.name().unwrap().to_string(),
                    j.job_id().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(n, i)| format!("{n}={i}")).collect()
    };
    let id = |name: &str| {
        ids.iter()
            .find_map(|s| s.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    rig.macie.reset_calls();

    let g = rig.guard(ExpiryConfig::default()).await;
    let s = sweep(&g).await.expect("sweep");
    assert_eq!(
        s.scanned, 10,
        "every USER_PAUSED job is listed (expired ones are not)"
    );
    assert_eq!(
        s.jobs.len(),
        8,
        "only jobs in the warning window are examined"
    );
    assert_eq!(outcome(&s, "p24-resume"), Outcome::Warned);
    for n in ["p29-resume", "p29-keep", "p29-cancel"] {
        assert_eq!(outcome(&s, n), Outcome::Done, "{n}");
    }
    for n in ["p29-notify", "p29-default", "p29-unknown"] {
        assert_eq!(outcome(&s, n), Outcome::Notified, "{n}");
    }
    assert_eq!(outcome(&s, "p29-ignore"), Outcome::Ignored);

    assert_eq!(rig.status(&id("p29-resume")).await, "RUNNING");
    assert_eq!(rig.status(&id("p29-keep")).await, "USER_PAUSED");
    let left = rig.expires_in_days(&id("p29-keep")).await.unwrap();
    assert!(
        (29..=30).contains(&left),
        "keep-paused restarts the 30-day clock: {left} days left"
    );
    assert_eq!(rig.status(&id("p29-cancel")).await, "CANCELLED");
    for n in [
        "p29-notify",
        "p29-ignore",
        "p29-default",
        "p29-unknown",
        "p24-resume",
        "p5-resume",
    ] {
        assert_eq!(rig.status(&id(n)).await, "USER_PAUSED", "{n} is untouched");
    }
    assert_eq!(rig.status(&id("p31-one-time")).await, "CANCELLED");

    let calls = rig.calls();
    assert_eq!(calls["ListClassificationJobs"], 1);
    // 8 re-reads during the sweep, 11 by this test's own status checks.
    assert_eq!(calls["DescribeClassificationJob"], 8 + 11);
    assert_eq!(
        calls["UpdateClassificationJob"], 4,
        "resume 1 + keep-paused 2 + cancel 1"
    );

    let unknown = s.jobs.iter().find(|j| j.name == "p29-unknown").unwrap();
    assert!(
        unknown
            .message()
            .contains("\"delete\", which is not a policy")
            && unknown.message().contains("Near miss"),
        "{}",
        unknown.message()
    );
    let warned = s.jobs.iter().find(|j| j.name == "p24-resume").unwrap();
    assert!(
        warned.message().contains("it will be resumed"),
        "{}",
        warned.message()
    );

    let msgs = sns_messages(&rig.topic);
    assert_eq!(msgs.len(), 1, "one notification per invocation");
    let subject = msgs[0].subject.clone().unwrap();
    assert!(
        subject.contains("3 changed")
            && subject.contains("3 expiring, no action")
            && subject.contains("1 warning"),
        "{subject}"
    );
    assert!(
        msgs[0].message.contains("p24-resume")
            && msgs[0].message.contains("---- details (JSON) ----")
    );
    assert!(
        !msgs[0].message.contains("p29-ignore"),
        "ignored jobs are not announced"
    );
    assert_eq!(msgs[0].attributes["severity"]["Value"], "critical");
    assert_eq!(msgs[0].attributes["kind"]["Value"], "expiry");

    // A second sweep changes nothing more.
    rig.macie.reset_calls();
    let again = sweep(&g).await.unwrap();
    assert_eq!(
        rig.calls()["UpdateClassificationJob"],
        Value::Null,
        "no update the second time"
    );
    assert_eq!(outcome(&again, "p24-resume"), Outcome::Warned);
    assert!(again.jobs.iter().all(|j| j.outcome != Outcome::Done));
}

#[tokio::test]
async fn health_event_naming_the_job_costs_one_describe_one_update_one_publish() {
    let rig = Rig::new(json!([with_id(
        paused("nightly-pii", 28.5, Some("resume")),
        JOB_A
    )]))
    .await;
    rig.macie.reset_calls();
    let g = rig.guard(ExpiryConfig::default()).await;
    let ev = ExpiryEvent::parse(&event("health-paused-job-expiration.json")).unwrap();
    let s = g.handle(&ev, Utc::now()).await.unwrap();
    assert_eq!(s.jobs.len(), 1);
    assert_eq!(s.jobs[0].outcome, Outcome::Done);
    let calls = rig.calls();
    assert_eq!(
        calls["ListClassificationJobs"],
        Value::Null,
        "no list when the event names the job"
    );
    assert_eq!(calls["DescribeClassificationJob"], 1);
    assert_eq!(calls["UpdateClassificationJob"], 1);
    assert_eq!(sns_messages(&rig.topic).len(), 1);

    // The same event delivered again changes nothing and tells nobody.
    let s = g.handle(&ev, Utc::now()).await.unwrap();
    assert_eq!(s.jobs[0].outcome, Outcome::Nothing);
    let calls = rig.calls();
    assert_eq!(calls["UpdateClassificationJob"], 1);
    assert_eq!(calls["DescribeClassificationJob"], 2);
    assert_eq!(sns_messages(&rig.topic).len(), 1);
    assert_eq!(rig.status(JOB_A).await, "RUNNING");
}

#[tokio::test]
async fn keep_paused_costs_two_updates_and_restarts_the_clock() {
    let rig = Rig::new(json!([with_id(
        json!({"name": "weekly", "jobType": "SCHEDULED", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.5, "tags": {"macie-guard:on-expiry": "keep-paused"}}),
        JOB_B
    )]))
    .await;
    rig.macie.reset_calls();
    let g = rig.guard(ExpiryConfig::default()).await;
    let ev = ExpiryEvent::parse(&event("health-paused-job-run-expiration.json")).unwrap();
    let s = g.handle(&ev, Utc::now()).await.unwrap();
    assert_eq!(s.jobs[0].outcome, Outcome::Done);
    assert_eq!(
        s.jobs[0].action,
        macie_guard_core::expiry::plan::Step::KeepPaused
    );
    let calls = rig.calls();
    assert_eq!(
        (
            calls["DescribeClassificationJob"].clone(),
            calls["UpdateClassificationJob"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(rig.status(JOB_B).await, "USER_PAUSED");
    let left = rig.expires_in_days(JOB_B).await.unwrap();
    assert!((29..=30).contains(&left), "{left} days left");
}

#[tokio::test]
async fn health_event_without_entities_finds_the_job_by_its_health_event_arn() {
    let rig = Rig::new(json!([
        with_id(paused("found-by-arn", 28.5, Some("cancel")), JOB_E),
        paused("other-in-window", 29.0, Some("resume")),
    ]))
    .await;
    rig.macie.reset_calls();
    let g = rig.guard(ExpiryConfig::default()).await;
    let ev = ExpiryEvent::parse(&event("health-paused-job-expiration-no-entity.json")).unwrap();
    let s = g.handle(&ev, Utc::now()).await.unwrap();
    assert_eq!(
        s.jobs.len(),
        1,
        "only the job the event is about: {:?}",
        s.jobs
    );
    assert_eq!(s.jobs[0].job_id, JOB_E);
    assert_eq!(s.jobs[0].outcome, Outcome::Done);
    let calls = rig.calls();
    assert_eq!(calls["ListClassificationJobs"], 1);
    assert_eq!(calls["DescribeClassificationJob"], 1);
    assert_eq!(calls["UpdateClassificationJob"], 1);
    assert_eq!(rig.status(JOB_E).await, "CANCELLED");
}

#[tokio::test]
async fn health_event_matching_nothing_falls_back_to_the_window_sweep() {
    let rig = Rig::new(json!([
        paused("in-window", 29.0, Some("resume")),
        paused("far-away", 10.0, Some("resume")),
    ]))
    .await;
    rig.macie.reset_calls();
    let g = rig.guard(ExpiryConfig::default()).await;
    let ev = ExpiryEvent::parse(&event("health-paused-job-expiration-no-entity.json")).unwrap();
    let s = g.handle(&ev, Utc::now()).await.unwrap();
    assert!(s.trigger.ends_with(":sweep"), "{}", s.trigger);
    assert_eq!(s.jobs.len(), 1);
    assert_eq!(outcome(&s, "in-window"), Outcome::Done);
    assert_eq!(
        rig.calls()["ListClassificationJobs"],
        1,
        "the job list is read once"
    );
}

#[tokio::test]
async fn cancelled_events_report_the_lost_job_with_its_definition() {
    let rig = Rig::new(json!([
        with_id(
            json!({"name": "hr-archive-scan", "jobStatus": "CANCELLED",
                   "s3JobDefinition": {"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["hr-archive"]}]}}),
            JOB_C
        ),
        with_id(json!({"name": "weekly-logs", "jobType": "SCHEDULED", "jobStatus": "IDLE"}), JOB_D),
    ]))
    .await;
    rig.macie.reset_calls();
    let g = rig.guard(ExpiryConfig::default()).await;
    let s = g
        .handle(
            &ExpiryEvent::parse(&event("health-paused-job-cancelled.json")).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(s.jobs[0].outcome, Outcome::Lost);
    let def = s.jobs[0].definition.as_ref().expect("definition");
    assert_eq!(
        def["s3JobDefinition"]["bucketDefinitions"][0]["buckets"][0],
        "hr-archive"
    );
    assert_eq!(def["jobType"], "ONE_TIME");
    let msgs = sns_messages(&rig.topic);
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].message.contains("hr-archive")
            && msgs[0]
                .message
                .contains("macie-guard --region us-east-1 recreate ")
    );

    let s = g
        .handle(
            &ExpiryEvent::parse(&event("health-paused-job-run-cancelled.json")).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(s.jobs[0].outcome, Outcome::Lost);
    assert!(
        s.jobs[0].message().contains("recurring job"),
        "{}",
        s.jobs[0].message()
    );
    assert_eq!(
        rig.calls()["UpdateClassificationJob"],
        Value::Null,
        "a lost job is reported, never changed"
    );
}

#[tokio::test]
async fn other_accounts_and_regions_are_ignored_without_a_call() {
    let rig = Rig::new(json!([with_id(paused("x", 29.0, Some("cancel")), JOB_A)])).await;
    rig.macie.reset_calls();
    let g = rig.guard(ExpiryConfig::default()).await;
    let mut foreign_arn = event("health-paused-job-expiration.json");
    foreign_arn["detail"]["affectedEntities"][0]["entityValue"] = json!(format!(
        "arn:aws:macie2:us-east-1:999999999999:classification-job/{JOB_A}"
    ));
    let mut other_account = event("health-paused-job-expiration.json");
    other_account["account"] = json!("999999999999");
    let mut other_region = event("health-paused-job-expiration.json");
    other_region["region"] = json!("eu-west-1");
    other_region["detail"]["eventRegion"] = json!("eu-west-1");
    for ev in [foreign_arn, other_account, other_region] {
        let s = g
            .handle(&ExpiryEvent::parse(&ev).unwrap(), Utc::now())
            .await
            .unwrap();
        assert!(s.jobs.is_empty(), "{:?}", s.jobs);
        assert!(!s.ignored.is_empty() || s.elsewhere.is_some(), "{s:?}");
    }
    assert_eq!(rig.calls(), json!({}), "not a single Macie call");
    assert_eq!(rig.status(JOB_A).await, "USER_PAUSED");
}

#[tokio::test]
async fn dry_run_reports_and_changes_nothing() {
    let rig = Rig::new(json!([
        paused("would-resume", 29.0, Some("resume")),
        paused("would-cancel", 29.0, Some("cancel"))
    ]))
    .await;
    let g = rig
        .guard(ExpiryConfig {
            dry_run: true,
            ..ExpiryConfig::default()
        })
        .await;
    let s = sweep(&g).await.unwrap();
    assert!(
        s.jobs.iter().all(|j| j.outcome == Outcome::DryRun),
        "{:?}",
        s.jobs
    );
    assert_eq!(rig.calls()["UpdateClassificationJob"], Value::Null);
    let msgs = sns_messages(&rig.topic);
    assert!(msgs[0].message.contains("DRY RUN"), "{}", msgs[0].message);
}

#[tokio::test]
async fn throttling_and_5xx_are_retried_and_the_job_ends_right() {
    let rig = Rig::new(json!([with_id(
        paused("flaky", 29.0, Some("resume")),
        JOB_A
    )]))
    .await;
    rig.macie.reset_calls();
    rig.macie.faults(
        json!({"operation": "DescribeClassificationJob", "sequence": ["ThrottlingException"]}),
    );
    rig.macie.faults(json!({"operation": "UpdateClassificationJob", "sequence": ["ThrottlingException", "InternalServerException"]}));
    let g = rig.guard(ExpiryConfig::default()).await;
    let s = g
        .handle(
            &ExpiryEvent::parse(&event("health-paused-job-expiration.json")).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(s.jobs[0].outcome, Outcome::Done);
    let calls = rig.calls();
    assert_eq!(calls["DescribeClassificationJob"], 2);
    assert_eq!(calls["UpdateClassificationJob"], 3);
    assert_eq!(rig.status(JOB_A).await, "RUNNING");
}

#[tokio::test]
async fn a_refused_update_is_re_read_and_tried_once_more() {
    let rig = Rig::new(json!([with_id(
        paused("moved", 29.0, Some("resume")),
        JOB_A
    )]))
    .await;
    rig.macie.reset_calls();
    rig.macie
        .faults(json!({"operation": "UpdateClassificationJob", "sequence": ["ConflictException"]}));
    let g = rig.guard(ExpiryConfig::default()).await;
    let s = g
        .handle(
            &ExpiryEvent::parse(&event("health-paused-job-expiration.json")).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(s.jobs[0].outcome, Outcome::Done);
    let calls = rig.calls();
    assert_eq!(
        calls["DescribeClassificationJob"], 2,
        "re-read after the refusal"
    );
    assert_eq!(calls["UpdateClassificationJob"], 2);
}

#[tokio::test]
async fn one_failing_job_fails_the_invocation_and_the_retry_finishes_without_redoing() {
    let rig = Rig::new(json!([
        paused("first", 29.0, Some("resume")),
        paused("second", 29.5, Some("resume"))
    ]))
    .await;
    rig.macie.faults(json!({"operation": "UpdateClassificationJob",
        "sequence": ["InternalServerException", "InternalServerException", "InternalServerException"]}));
    let g = rig
        .guard(ExpiryConfig {
            concurrency: 1,
            ..ExpiryConfig::default()
        })
        .await;
    let summary = sweep(&g)
        .await
        .expect("the other job was handled and reported");
    let failures = summary.failures().expect("one job failed");
    assert_eq!((failures.failed, failures.total), (1, 2));
    // What the Lambda adapter answers: a failed invocation, so Lambda retries.
    let err = Error::from(failures);
    assert!(
        matches!(
            err,
            Error::Partial {
                failed: 1,
                total: 2,
                ..
            }
        ),
        "{err}"
    );
    let outcomes: Vec<&str> = summary.jobs.iter().map(|j| j.outcome.as_str()).collect();
    assert!(
        outcomes.contains(&"done") && outcomes.contains(&"failed"),
        "{outcomes:?}"
    );
    let msgs = sns_messages(&rig.topic);
    assert_eq!(msgs.len(), 1, "people hear about the failure");
    assert!(msgs[0].subject.as_deref().unwrap().contains("1 failed"));

    rig.macie.reset_calls();
    let s = sweep(&g).await.expect("the retry succeeds");
    assert_eq!(
        rig.calls()["UpdateClassificationJob"],
        1,
        "only the failed job is changed on retry"
    );
    assert_eq!(s.count(Outcome::Done), 1);
    assert_eq!(
        s.count(Outcome::Nothing),
        0,
        "the resumed job is no longer listed as paused"
    );
}

#[tokio::test]
async fn the_lambda_handler_rejects_malformed_events_before_any_call() {
    let rig = Rig::new(json!([with_id(paused("x", 29.0, Some("resume")), JOB_A)])).await;
    rig.macie.reset_calls();
    let function = ExpiryFunction {
        macie: rig.client.clone(),
        outbound: SnsNotifier {
            client: sns_client(&moto().url).await,
            topic_arn: rig.topic.clone(),
            chat: false,
        },
        config: ExpiryConfig {
            default_policy: Policy::Resume,
            ..ExpiryConfig::default()
        },
        journal: macie_guard::journal::memory::MemoryJournal::new(),
        region: REGION.into(),
        fallback_account: None,
        schedules: None,
        runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
    };
    let ctx = || {
        let mut c = Context::default();
        c.invoked_function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:expiry-guard");
        c
    };
    let mut truncated = event("health-paused-job-expiration.json");
    truncated["detail"]
        .as_object_mut()
        .unwrap()
        .remove("eventTypeCode");
    for bad in [
        json!([]),
        json!({"action": 1}),
        json!({"foo": "bar"}),
        truncated,
    ] {
        let err = function
            .handle(LambdaEvent::new(bad.clone(), ctx()))
            .await
            .expect_err(&bad.to_string());
        assert_eq!(err.kind(), "MalformedEvent", "{err}");
    }
    assert_eq!(rig.calls(), json!({}));

    let ignored = function
        .handle(LambdaEvent::new(
            json!({"detail-type": "Macie Finding", "source": "aws.macie", "detail": {}}),
            ctx(),
        ))
        .await
        .unwrap();
    assert_eq!(ignored["trigger"], "ignored");

    let out = function
        .handle(LambdaEvent::new(event("schedule-sweep.json"), ctx()))
        .await
        .unwrap();
    assert_eq!(out["trigger"], "schedule");
    assert_eq!(out["jobs"][0]["outcome"], "done");
    assert_eq!(out["account"], ACCOUNT);
    assert_eq!(rig.status(JOB_A).await, "RUNNING");
    // The expiry dates the summary carries are real times.
    let expires: chrono::DateTime<Utc> = out["jobs"][0]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires < Utc::now() + Duration::days(2));
}

#[tokio::test]
async fn a_large_sweep_sends_one_message_that_fits_sns() {
    let rig = Rig::new(
        json!([{"name": "bulk", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.0, "count": 120,
        "tags": {"macie-guard:on-expiry": "resume"}}]),
    )
    .await;
    let g = rig
        .guard(ExpiryConfig {
            concurrency: 16,
            ..ExpiryConfig::default()
        })
        .await;
    let s = sweep(&g).await.expect("sweep");
    assert_eq!(s.count(Outcome::Done), 120);
    let msgs = sns_messages(&rig.topic);
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert!(m.subject.as_deref().unwrap().contains("120 changed"));
    assert_eq!(
        m.message.matches("\n- [done]").count(),
        50,
        "50 jobs listed one by one"
    );
    assert!(m.message.contains("... and 70 more job(s)"));
    let facts: Value = serde_json::from_str(
        m.message
            .split("---- details (JSON) ----")
            .nth(1)
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(facts["counts"]["done"], 120);
    assert_eq!(facts["jobsNotListed"], 70);
}
