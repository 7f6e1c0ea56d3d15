//! Evidence that results arrive: the local Macie holds the job's latest run, moto the results
//! bucket and its objects.

use super::*;
use chrono::{DateTime, Duration, Utc};

const JOB: &str = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";

/// The healthy setup, with one job whose latest run started at `run_at`.
async fn with_run(s: &mut Setup, run_at: DateTime<Utc>) {
    s.macie = LocalMacie::start(Some(&json!({
        "region": s.region,
        "exportConfiguration": {"s3Destination": {"bucketName": s.bucket, "keyPrefix": s.prefix, "kmsKeyArn": s.key}},
        "jobs": [{"jobId": JOB, "name": "weekly-scan", "jobStatus": "COMPLETE", "lastRunAt": run_at}],
        "automatedDiscovery": true
    })));
    s.sdk = stand_in_config(s.macie.url()).await;
}

async fn put_result(s: &Setup) {
    s.s3(&s.region)
        .put_object()
        .bucket(&s.bucket)
        .key(format!(
            "{}AWSLogs/{ACCOUNT}/Macie/{}/{JOB}/bucket/object.jsonl.gz",
            s.prefix, s.region
        ))
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"{}"))
        .send()
        .await
        .unwrap();
}

async fn check(s: &Setup, grace_hours: i64) -> Told<ExportReport> {
    ExportGuard {
        sources: AwsSources::new(s.sdk.clone()),
        outbound: macie_guard::outbound::print::PrintNotifier,
        account: ACCOUNT.into(),
        regions: vec![s.region.clone()],
        results_grace: Duration::hours(grace_hours),
        deadline: None,
    }
    .handle(&ExportEvent::Check {
        trigger: "test".into(),
    })
    .await
    .unwrap()
}

fn evidence(r: &ExportReport) -> Value {
    serde_json::to_value(&r.regions[0].evidence).unwrap()
}

#[tokio::test]
async fn results_written_after_the_run_are_verified_by_evidence() {
    let mut s = Setup::healthy("eu-north-1").await;
    with_run(&mut s, Utc::now() - Duration::days(1)).await;
    put_result(&s).await;
    let r = check(&s, 6).await;
    assert_eq!(evidence(&r)["state"], "verified", "{}", evidence(&r));
    assert_eq!(evidence(&r)["job_id"], JOB);
    assert_eq!(evidence(&r)["automated_discovery"], true);
    assert!(codes(&r).is_empty(), "{:?}", codes(&r));
    assert!(macie_guard_core::tell::export::report_text(&r, &r.delivery)
        .contains("Evidence: verified by evidence"));
}

#[tokio::test]
async fn a_run_after_the_newest_results_is_macie_ran_but_wrote_no_results() {
    let mut s = Setup::healthy("eu-north-1").await;
    put_result(&s).await;
    // The job ran after that object was written; with no grace, its results are due.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    with_run(&mut s, Utc::now()).await;
    let r = check(&s, 0).await;
    assert_eq!(codes(&r), vec!["RESULTS_MISSING"]);
    let f = &r.regions[0].findings[0];
    assert_eq!(f.severity, macie_guard_core::severity::Severity::Critical);
    assert!(
        f.message.contains("Macie ran but wrote no results"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("weekly-scan") && f.message.contains(" from "),
        "{}",
        f.message
    );
    assert_eq!(evidence(&r)["state"], "missing");
    // Within the default grace period the same run is too recent to judge.
    let r = check(&s, 6).await;
    assert!(codes(&r).is_empty());
    assert_eq!(evidence(&r)["state"], "pending");
}

#[tokio::test]
async fn a_job_that_ran_and_never_wrote_a_result_is_critical() {
    let mut s = Setup::healthy("eu-north-1").await;
    with_run(&mut s, Utc::now() - Duration::days(1)).await;
    let r = check(&s, 6).await;
    assert_eq!(codes(&r), vec!["RESULTS_MISSING"]);
    assert!(r.regions[0].findings[0].message.contains("none at all"));
    assert!(
        r.delivery.notified
            || r.regions[0].findings[0].severity == macie_guard_core::severity::Severity::Critical
    );
}

#[tokio::test]
async fn no_job_run_means_nothing_to_compare() {
    let s = Setup::healthy("eu-north-1").await;
    let r = check(&s, 6).await;
    assert!(codes(&r).is_empty());
    assert_eq!(evidence(&r)["state"], "no-run");
}
