//! Faults: throttling and 5xx on every operation, dependencies that are down, and a sweep cut
//! off half way. Jobs must end in the right state, retries stay bounded, nothing is done twice
//! and no partial action is reported as success.

use crate::common;

use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::AwsSources;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard_core::expiry::outcome::Outcome;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::export::event::ExportEvent;
use serde_json::json;
use testkit::{
    macie_client, moto, sns_client, sns_messages, stand_in_config, topic, LocalMacie, ACCOUNT,
    REGION,
};

fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

async fn guard(
    macie: &str,
    sns: &str,
    topic_arn: &str,
    config: ExpiryConfig,
) -> ExpiryGuard<aws_sdk_macie2::Client, SnsNotifier> {
    let notifier = SnsNotifier {
        client: sns_client(sns).await,
        topic_arn: topic_arn.into(),
        chat: false,
    };
    common::guard(macie_client(macie).await, notifier, config)
}

// A sweep as Lambda sees it: an error when the run failed or any job in it failed.
use common::sweep_as_lambda as sweep;

fn counters(m: &LocalMacie, op: &str) -> (u64, u64) {
    let v = m.control("GET", "/_local/calls", None);
    (
        v["calls"][op].as_u64().unwrap_or(0),
        v["faults"][op].as_u64().unwrap_or(0),
    )
}

async fn statuses(m: &LocalMacie) -> Vec<(String, String)> {
    let c = macie_client(m.url()).await;
    let out = c
        .list_classification_jobs()
        .max_results(200)
        .send()
        .await
        .unwrap();
    let mut v: Vec<_> = out
        .items()
        .iter()
        .map(|j| {
            (
                j.name().unwrap().to_string(),
                j.job_status().unwrap().as_str().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn thirty_percent_faults_on_every_operation_still_end_right_and_never_act_twice() {
    let macie = LocalMacie::start(Some(&json!({"jobs": [
        {"name": "r", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "count": 15, "tags": {"macie-guard:on-expiry": "resume"}},
        {"name": "c", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "count": 15, "tags": {"macie-guard:on-expiry": "cancel"}}
    ]})));
    for (op, error, seed) in [
        ("ListClassificationJobs", "ThrottlingException", 11),
        ("DescribeClassificationJob", "InternalServerException", 12),
        ("UpdateClassificationJob", "ThrottlingException", 13),
    ] {
        macie.faults(json!({"operation": op, "rate": 0.3, "error": error, "seed": seed}));
    }
    let t = topic("faults").await;
    let g = guard(macie.url(), &moto().url, &t, ExpiryConfig::default()).await;
    // Lambda retries a failed invocation; here, until it succeeds (at most 6 tries).
    let mut tries = 0;
    loop {
        tries += 1;
        match sweep(&g).await {
            Ok(_) => break,
            Err(e) if tries < 6 => eprintln!("try {tries} failed as expected under faults: {e}"),
            Err(e) => panic!("still failing after {tries} tries: {e}"),
        }
    }
    macie.control("DELETE", "/_local/faults", None);
    let st = statuses(&macie).await;
    assert!(
        st.iter()
            .filter(|(n, _)| n.starts_with("r-"))
            .all(|(_, s)| s == "RUNNING"),
        "{st:?}"
    );
    assert!(
        st.iter()
            .filter(|(n, _)| n.starts_with("c-"))
            .all(|(_, s)| s == "CANCELLED"),
        "{st:?}"
    );
    let (calls, faults) = counters(&macie, "UpdateClassificationJob");
    assert_eq!(
        calls - faults,
        30,
        "exactly one successful update per job: nothing done twice"
    );
    assert!(faults > 0, "faults were injected");
    assert!(
        calls <= 3 * 30,
        "retries are bounded by the SDK's 3 attempts per update: {calls}"
    );
}

#[tokio::test]
async fn keep_paused_rides_through_scripted_faults() {
    let macie = LocalMacie::start(Some(
        &json!({"jobs": [{"name": "k", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29,
        "tags": {"macie-guard:on-expiry": "keep-paused"}}]}),
    ));
    macie.faults(json!({"operation": "UpdateClassificationJob",
        "sequence": ["ThrottlingException", "InternalServerException", "ok", "ThrottlingException"]}));
    let t = topic("faults").await;
    let g = guard(macie.url(), &moto().url, &t, ExpiryConfig::default()).await;
    let s = sweep(&g).await.expect("sweep");
    assert_eq!(s.jobs[0].outcome, Outcome::Done);
    assert_eq!(statuses(&macie).await[0].1, "USER_PAUSED");
    assert_eq!(
        counters(&macie, "UpdateClassificationJob"),
        (5, 3),
        "resume after 2 faults, pause after 1"
    );
}

#[tokio::test]
async fn macie_down_is_a_clear_error_and_nothing_is_reported_done() {
    let t = topic("faults").await;
    let g = guard(&closed_port_url(), &moto().url, &t, ExpiryConfig::default()).await;
    let err = sweep(&g).await.expect_err("Macie is down");
    let text = err.to_string();
    assert_eq!(err.kind(), "AwsCallFailed", "{text}");
    assert!(text.contains("ListClassificationJobs"), "{text}");
    assert!(
        testkit::sns_messages(&t).is_empty(),
        "no success is announced"
    );
}

#[tokio::test]
async fn sns_down_fails_the_invocation_and_the_retry_does_not_redo_the_change() {
    let macie = LocalMacie::start(Some(
        &json!({"jobs": [{"name": "j", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29,
        "tags": {"macie-guard:on-expiry": "resume"}}]}),
    ));
    let g = guard(
        macie.url(),
        &closed_port_url(),
        "arn:aws:sns:us-east-1:123456789012:gone",
        ExpiryConfig::default(),
    )
    .await;
    let err = sweep(&g).await.expect_err("SNS is down");
    assert_eq!(err.kind(), "NotificationFailed", "{err}");
    assert!(err
        .to_string()
        .contains("arn:aws:sns:us-east-1:123456789012:gone"));
    assert_eq!(
        statuses(&macie).await[0].1,
        "RUNNING",
        "the change itself was made"
    );
    let t = topic("faults").await;
    let again = guard(macie.url(), &moto().url, &t, ExpiryConfig::default()).await;
    let s = sweep(&again).await.expect("the retry succeeds");
    assert!(
        s.jobs.is_empty(),
        "the resumed job is not paused any more: {:?}",
        s.jobs
    );
    assert_eq!(
        counters(&macie, "UpdateClassificationJob").0,
        1,
        "the change was made once"
    );
}

#[tokio::test]
/// S3 and KMS that do not answer are never a pass, nor findings about the configuration with
/// advice to change IAM: the check fails, naming the service that did not answer, and nobody
/// is told (the function's retry or the next check tries again).
async fn s3_and_kms_down_fail_the_check_never_a_pass() {
    let macie = LocalMacie::start(Some(&json!({"exportConfiguration": {"s3Destination": {
        "bucketName": "results", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}})));
    let down = closed_port_url();
    let base = stand_in_config(macie.url()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&base)
            .endpoint_url(&down)
            .force_path_style(true)
            .build(),
    );
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(&base)
            .endpoint_url(&down)
            .build(),
    );
    let topic = topic("faults-down").await;
    let g = ExportGuard {
        sources: AwsSources::new(base)
            .with_s3(REGION, s3)
            .with_kms(REGION, kms),
        outbound: SnsNotifier {
            client: sns_client(&moto().url).await,
            topic_arn: topic.clone(),
            chat: false,
        },
        account: ACCOUNT.into(),
        regions: vec![REGION.into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline: None,
    };
    let failed = g
        .handle(&ExportEvent::Check {
            trigger: "test".into(),
        })
        .await
        .expect_err("a check whose reads got no answer is no pass");
    let said = failed.to_string();
    assert!(
        said.contains("no answer from S3") || said.contains("no answer from KMS"),
        "{said}"
    );
    assert!(!said.contains("Allow"), "{said}");
    assert_eq!(failed.kind(), "AwsCallFailed");
    assert!(
        sns_messages(&topic).is_empty(),
        "nobody is told of what could not be read"
    );
}

#[tokio::test]
async fn a_sweep_cut_off_half_way_is_finished_by_the_next_without_repeats() {
    let macie = LocalMacie::start(Some(
        &json!({"jobs": [{"name": "j", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "count": 40,
        "tags": {"macie-guard:on-expiry": "resume"}}]}),
    ));
    let t = topic("faults").await;
    let g = guard(
        macie.url(),
        &moto().url,
        &t,
        ExpiryConfig {
            concurrency: 2,
            ..ExpiryConfig::default()
        },
    )
    .await;
    let url = macie.url().to_string();
    // Stop the first sweep (drop it, as a timeout or a crash would) once 20 jobs were changed.
    let cut = async move {
        let c = macie_client(&url).await;
        loop {
            let out = c
                .list_classification_jobs()
                .max_results(200)
                .send()
                .await
                .unwrap();
            if out
                .items()
                .iter()
                .filter(|j| j.job_status().map(|s| s.as_str()) == Some("RUNNING"))
                .count()
                >= 20
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    };
    tokio::select! {
        r = sweep(&g) => panic!("the sweep should have been cut off: {r:?}"),
        () = cut => {}
    }
    let first = counters(&macie, "UpdateClassificationJob").0;
    assert!(
        (20..40).contains(&first),
        "cut off half way: {first} updates"
    );
    let s = sweep(&g).await.expect("the second sweep");
    assert_eq!(
        s.count(Outcome::Done) as u64,
        40 - first,
        "the second run does only what is left"
    );
    let (calls, _) = counters(&macie, "UpdateClassificationJob");
    assert_eq!(calls, 40, "each job changed exactly once");
    assert!(statuses(&macie).await.iter().all(|(_, s)| s == "RUNNING"));
}
