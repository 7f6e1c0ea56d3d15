//! Excluded jobs are excluded everywhere: a job in `EXCLUDE_JOBS`, by id and by name prefix, is
//! never resumed, paused again, cancelled or recreated, whatever asks (a Health event, a sweep,
//! the sweep's watch, a tag record, a change an earlier run left open, a dead letter replayed;
//! the chat buttons only set tags), and the report says it is excluded. Through the real SDK
//! over HTTP against the local Macie, the journal in moto's DynamoDB.

use crate::journal::Rig;
use chrono::{Duration, Utc};
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::journal::{Claim, Entry, Journal};
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::{JobReport, Outcome, Summary};
use macie_guard_core::expiry::plan::Action;
use macie_guard_core::expiry::policy::{Exclusions, Policy};
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::scope::Scope;
use serde_json::{json, Value};
use testkit::{event, ACCOUNT, REGION};

/// The job `health-paused-job-cancelled.json` names.
const LOST: &str = "0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f";
/// The job `health-paused-job-expiration.json` names.
const EXPIRING: &str = "3ce05dbb7ec5505def334104bf4fc3b4";
const EXCLUDED_SAYS: &str = "is excluded from macie-guard (EXCLUDE_JOBS)";

fn lost_job(name: &str) -> Value {
    json!({"jobId": LOST, "name": name, "jobType": "ONE_TIME", "jobStatus": "CANCELLED",
        "tags": {"macie-guard:on-lost": "recreate"},
        "s3JobDefinition": {"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["hr-archive"]}]}})
}

fn paused_job(id: &str, name: &str, policy: &str, days: f64) -> Value {
    json!({"jobId": id, "name": name, "jobType": "ONE_TIME", "jobStatus": "USER_PAUSED",
        "pausedDaysAgo": days, "tags": {"macie-guard:on-expiry": policy, "macie-guard:on-lost": "recreate"}})
}

/// The stack that would act on everything, but for `exclude` (`EXCLUDE_JOBS`'s syntax).
fn config(exclude: &str) -> ExpiryConfig {
    ExpiryConfig {
        recreate_lost: true,
        exclusions: Exclusions::parse(exclude),
        ..crate::journal::config()
    }
}

async fn guard(
    rig: &Rig,
    exclude: &str,
    owner: &str,
) -> ExpiryGuard<
    aws_sdk_macie2::Client,
    macie_guard::outbound::sns::SnsNotifier,
    macie_guard::journal::dynamo::DynamoJournal,
> {
    ExpiryGuard::new(
        rig.client.clone(),
        rig.notifier().await,
        config(exclude),
        Scope::new(ACCOUNT, REGION),
    )
    .with_journal(rig.journal().await)
    .with_owner(owner)
}

fn report<'a>(s: &'a Summary, id: &str) -> &'a JobReport {
    s.jobs
        .iter()
        .find(|j| j.job_id == id)
        .unwrap_or_else(|| panic!("{id} not reported: {:?}", s.jobs))
}

fn says_excluded(j: &JobReport) {
    assert_eq!(j.outcome, Outcome::Ignored, "{}", j.message());
    assert!(j.message().contains(EXCLUDED_SAYS), "{}", j.message());
}

fn changes(rig: &Rig) -> (u64, u64) {
    (
        rig.macie.calls("UpdateClassificationJob"),
        rig.macie.calls("CreateClassificationJob"),
    )
}

/// Macie's cancellation event for a lost job whose tag asks for it to be recreated, in a stack
/// that recreates: excluded by id, or by name prefix, nothing is created.
#[tokio::test]
async fn a_health_event_never_recreates_an_excluded_job() {
    for exclude in [LOST, "hr-*"] {
        let rig = Rig::new(json!([lost_job("hr-archive-scan")])).await;
        let ev = ExpiryEvent::parse(&event("health-paused-job-cancelled.json")).unwrap();
        let s = guard(&rig, exclude, "health")
            .await
            .handle(&ev, Utc::now())
            .await
            .unwrap()
            .outcome;
        says_excluded(report(&s, LOST));
        assert_eq!(changes(&rig), (0, 0), "EXCLUDE_JOBS={exclude}");
    }
}

/// Macie's expiration event for a paused job tagged keep-paused, in its action window.
#[tokio::test]
async fn a_health_event_never_pauses_again_an_excluded_job() {
    let rig = Rig::new(json!([paused_job(
        EXPIRING,
        "legal-hold",
        "keep-paused",
        29.5
    )]))
    .await;
    let ev = ExpiryEvent::parse(&event("health-paused-job-expiration.json")).unwrap();
    let s = guard(&rig, "legal-*", "health")
        .await
        .handle(&ev, Utc::now())
        .await
        .unwrap()
        .outcome;
    says_excluded(report(&s, EXPIRING));
    assert_eq!(changes(&rig), (0, 0));
}

/// The sweep: excluded jobs in the action window (resume, cancel) are left alone, and a
/// job tagged to be recreated once lost is not even watched.
#[tokio::test]
async fn a_sweep_never_changes_nor_watches_an_excluded_job() {
    const RESUME: &str = "ccccccccccccccccccccccccccccccc3";
    const CANCEL: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";
    let rig = Rig::new(json!([
        paused_job(RESUME, "legal-1", "resume", 29.5),
        paused_job(CANCEL, "other", "cancel", 29.5),
    ]))
    .await;
    let s = guard(&rig, &format!("legal-*,{CANCEL}"), "sweep")
        .await
        .handle(&crate::journal::sweep(), Utc::now())
        .await
        .unwrap()
        .outcome;
    says_excluded(report(&s, RESUME));
    says_excluded(report(&s, CANCEL));
    assert_eq!(changes(&rig), (0, 0));
    let watches = rig
        .journal()
        .await
        .watches(&format!("{ACCOUNT}#{REGION}"))
        .await
        .unwrap();
    assert!(watches.is_empty(), "{watches:?}");
}

/// A job watched before it was excluded, then found cancelled at its expiry by a sweep: not
/// recreated, the watch removed, the report says it is excluded.
#[tokio::test]
async fn the_sweeps_watch_never_recreates_an_excluded_job() {
    let rig = Rig::new(json!([paused_job(LOST, "hr-expiring", "notify", 29.5)])).await;
    let now = Utc::now();
    guard(&rig, "", "sweep-1")
        .await
        .handle(&crate::journal::sweep(), now)
        .await
        .unwrap();
    let scope = format!("{ACCOUNT}#{REGION}");
    assert_eq!(rig.journal().await.watches(&scope).await.unwrap().len(), 1);
    rig.macie.advance_days(0.75);
    let s = guard(&rig, "hr-*", "sweep-2")
        .await
        .handle(&crate::journal::sweep(), now + Duration::hours(18))
        .await
        .unwrap()
        .outcome;
    says_excluded(report(&s, LOST));
    assert_eq!(changes(&rig), (0, 0));
    assert!(rig
        .journal()
        .await
        .watches(&scope)
        .await
        .unwrap()
        .is_empty());
}

/// CloudTrail's TagResource record (what the chat channel's buttons cause): a cancelled job
/// tagged to be recreated, and a paused one tagged keep-paused, both excluded.
#[tokio::test]
async fn a_tag_record_never_acts_on_an_excluded_job() {
    const PAUSED: &str = "abababababababababababababababab";
    let rig = Rig::new(json!([
        lost_job("hr-archive-scan"),
        paused_job(PAUSED, "hr-payroll", "keep-paused", 29.5),
    ]))
    .await;
    let tagged = |id: &str, key: &str, value: &str| {
        let mut ev = event("cloudtrail-macie2-tag-resource.json");
        ev["detail"]["requestParameters"] = json!({
            "resourceArn": format!("arn:aws:macie2:{REGION}:{ACCOUNT}:classification-job/{id}"),
            "tags": {key: value}});
        ExpiryEvent::parse(&ev).unwrap()
    };
    for (id, key, value) in [
        (LOST, "macie-guard:on-lost", "recreate"),
        (PAUSED, "macie-guard:on-expiry", "keep-paused"),
    ] {
        let s = guard(&rig, "hr-*", "tagged")
            .await
            .handle(&tagged(id, key, value), Utc::now())
            .await
            .unwrap()
            .outcome;
        says_excluded(report(&s, id));
    }
    assert_eq!(changes(&rig), (0, 0));
}

/// Changes an earlier run left open (it died between two calls) for jobs excluded since: the
/// next run makes no call for them, closes their entries, and says they are excluded.
#[tokio::test]
async fn journal_recovery_never_finishes_a_change_for_an_excluded_job() {
    let rig = Rig::new(json!([
        paused_job(EXPIRING, "legal-hold", "resume", 29.5),
        lost_job("legal-archive"),
    ]))
    .await;
    let journal = rig.journal().await;
    let scope = format!("{ACCOUNT}#{REGION}");
    let long_ago = Utc::now() - Duration::hours(1);
    for (id, action) in [(EXPIRING, Action::Resume), (LOST, Action::Recreate)] {
        let entry = Entry {
            job_id: id.into(),
            owner: "dead-run".into(),
            lease_until: long_ago.timestamp(),
            action,
            policy: Policy::Resume,
            paused_at: String::new(),
            name: "legal".into(),
            decided_at: long_ago.to_rfc3339(),
        };
        let claimed = journal
            .claim(&scope, &entry, long_ago.timestamp() - 60)
            .await
            .unwrap();
        assert!(matches!(claimed, Claim::Granted { .. }), "{claimed:?}");
    }
    let s = guard(&rig, "legal-*", "next-run")
        .await
        .handle(
            &ExpiryEvent::Recover {
                trigger: "recover".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .outcome;
    says_excluded(report(&s, EXPIRING));
    says_excluded(report(&s, LOST));
    assert_eq!(changes(&rig), (0, 0));
    assert!(rig.open_entries().await.is_empty(), "entries closed");
}

/// A dead letter replayed by the CLI (the Health event of a lost job whose tag asks for it
/// to be recreated), with the stack's EXCLUDE_JOBS: nothing created, the replay says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_replay_never_recreates_an_excluded_job() {
    let rig = Rig::new(json!([lost_job("hr-archive-scan")])).await;
    let sqs = {
        let conf = aws_sdk_sqs::config::Builder::from(&testkit::sdk_config().await)
            .endpoint_url(&testkit::moto().url)
            .build();
        aws_sdk_sqs::Client::from_conf(conf)
    };
    let url = sqs
        .create_queue()
        .queue_name(format!("dlq-excluded-{}", std::process::id()))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    sqs.send_message()
        .queue_url(&url)
        .message_body(event("health-paused-job-cancelled.json").to_string())
        .send()
        .await
        .unwrap();
    let out = std::process::Command::new(testkit::cli_bin())
        .args([
            "dead-letters",
            "replay",
            "--all",
            "--json",
            "--queue-url",
            &url,
            "--journal-table",
            &rig.table,
            "--account",
            ACCOUNT,
        ])
        .env_remove("AWS_PROFILE")
        .env_remove("NOTIFICATION_TOPIC_ARN")
        .envs(testkit::endpoint_env(rig.macie.url(), &testkit::moto().url))
        .env("MACIE_GUARD_EXCLUDE_JOBS", "hr-*")
        .env("MACIE_GUARD_RECREATE_LOST_JOBS", "true")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(changes(&rig), (0, 0), "{text}");
    assert!(
        text.contains("excluded from macie-guard (EXCLUDE_JOBS)"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
