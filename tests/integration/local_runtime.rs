//! End to end, the way a deployed function runs: each real Lambda binary (as `cargo test`
//! built it) under cargo-lambda's local Runtime API (`cargo lambda watch --only-lambda-apis`),
//! invoked with `cargo lambda invoke --data-file` for
//! every file in `events/`, against the local Macie and moto. Asserts on each response and on
//! the state it leaves.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use testkit::local_runtime::{invoke, start_functions};
use testkit::{
    endpoint_env, moto, s3_client, sns_messages, topic, workspace_root, LocalMacie, ACCOUNT,
};

const BUCKET: &str = "macie-discovery-results-123456789012";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn status(macie: &LocalMacie, id: &str) -> String {
    let (code, _, body) = macie.raw("GET", &format!("/jobs/{id}"), "");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["jobStatus"]
        .as_str()
        .unwrap()
        .to_string()
}

fn codes(report: &Value) -> Vec<String> {
    report["regions"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
                .map(|f| f["code"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_through_the_local_runtime() {
    let macie = LocalMacie::start(Some(&json!({
        "jobs": [
            {"jobId": "3ce05dbb7ec5505def334104bf4fc3b4", "name": "quarterly-pci-scan", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.5, "tags": {"macie-guard:on-expiry": "resume"}},
            {"jobId": "7d41a0d1c5e6f7a8b9c0d1e2f3a4b5c6", "name": "weekly-logs", "jobType": "SCHEDULED", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.5, "tags": {"macie-guard:on-expiry": "keep-paused"}},
            {"jobId": "0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f", "name": "old-customer-scan", "jobStatus": "CANCELLED",
             "tags": {"macie-guard:on-lost": "recreate"},
             "s3JobDefinition": {"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["customer-archive-2025"]}]}},
            {"jobId": "5e8a1f0c3b2d4e6f7a8b9c0d1e2f3a4b", "name": "monthly-hr", "jobType": "SCHEDULED", "jobStatus": "IDLE"},
            {"jobId": "9a8b7c6d5e4f30211203948576abcdef", "name": "found-by-health-arn", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.5, "tags": {"macie-guard:on-expiry": "cancel"}},
            {"jobId": "11112222333344445555666677778888", "name": "swept", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.0, "tags": {"macie-guard:on-expiry": "resume"}}
        ],
        "exportConfiguration": {"s3Destination": {"bucketName": BUCKET, "keyPrefix": "macie/", "kmsKeyArn": KEY}}
    })));
    // The bucket exists (without a bucket policy); the key does not.
    s3_client(&moto().url)
        .await
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let topic_arn = topic("local-runtime").await;
    let mut env = endpoint_env(macie.url(), &moto().url);
    env.push(("MACIE_GUARD_ACCOUNT_ID".into(), ACCOUNT.into()));
    env.push(("NOTIFICATION_TOPIC_ARN".into(), topic_arn.clone()));
    // As deployed: the expiry guard with its journal table.
    env.push((
        "JOURNAL_TABLE".into(),
        testkit::journal_table("local-runtime").await,
    ));
    env.push(("RUST_LOG".into(), "warn".into()));
    // As deployed: the watch judges the scheduled runs by the stack's schedules.
    env.push(("SWEEP_SCHEDULE".into(), "rate(6 hours)".into()));
    env.push(("EXPORT_CHECK_SCHEDULE".into(), "rate(1 day)".into()));
    // As deployed: the functions put their events on the default bus (moto's).
    env.push(("PUT_EVENTS".into(), "true".into()));
    let watch = start_functions(
        env,
        &[
            (
                "expiry-guard",
                Path::new(env!("CARGO_BIN_EXE_expiry-guard")),
            ),
            (
                "export-guard",
                Path::new(env!("CARGO_BIN_EXE_export-guard")),
            ),
        ],
    );
    let dir = workspace_root().join("events");
    let file = |name: &str| dir.join(name);
    let mut covered = BTreeSet::new();
    let mut run = |function: &str, name: &str| {
        covered.insert(name.to_string());
        invoke(&watch, function, &file(name)).unwrap_or_else(|e| panic!("{function} {name}: {e}"))
    };

    // Expiry guard.
    let r = run("expiry-guard", "health-paused-job-expiration.json");
    assert_eq!(r["jobs"][0]["job_id"], "3ce05dbb7ec5505def334104bf4fc3b4");
    assert_eq!(r["jobs"][0]["outcome"], "done");
    assert_eq!(
        status(&macie, "3ce05dbb7ec5505def334104bf4fc3b4"),
        "RUNNING"
    );

    let r = run("expiry-guard", "health-paused-job-run-expiration.json");
    assert_eq!(r["jobs"][0]["action"], "keep-paused");
    assert_eq!(r["jobs"][0]["outcome"], "done");
    assert_eq!(
        status(&macie, "7d41a0d1c5e6f7a8b9c0d1e2f3a4b5c6"),
        "USER_PAUSED"
    );

    let r = run(
        "expiry-guard",
        "health-paused-job-expiration-no-entity.json",
    );
    assert_eq!(r["jobs"][0]["job_id"], "9a8b7c6d5e4f30211203948576abcdef");
    assert_eq!(
        status(&macie, "9a8b7c6d5e4f30211203948576abcdef"),
        "CANCELLED"
    );

    let r = run("expiry-guard", "health-paused-job-cancelled.json");
    assert_eq!(r["jobs"][0]["outcome"], "lost");
    assert_eq!(
        r["jobs"][0]["definition"]["s3JobDefinition"]["bucketDefinitions"][0]["buckets"][0],
        "customer-archive-2025"
    );

    // Its tag set afterwards (CloudTrail's TagResource record): looked at at once; this
    // function is not allowed to recreate (RECREATE_LOST_JOBS unset), and says so.
    let r = run("expiry-guard", "cloudtrail-macie2-tag-resource.json");
    assert_eq!(r["trigger"], "tagged", "{r}");
    assert_eq!(
        r["jobs"][0]["job_id"], "0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f",
        "{r}"
    );
    assert_eq!(r["jobs"][0]["outcome"], "lost", "{r}");
    assert!(
        r["jobs"][0]["message"]
            .as_str()
            .unwrap()
            .contains("RecreateLostJobs is false"),
        "{r}"
    );

    let r = run("expiry-guard", "health-paused-job-run-cancelled.json");
    assert_eq!(r["jobs"][0]["outcome"], "lost");
    assert_eq!(r["jobs"][0]["job_id"], "5e8a1f0c3b2d4e6f7a8b9c0d1e2f3a4b");

    let r = run("expiry-guard", "schedule-sweep.json");
    assert_eq!(r["trigger"], "schedule");
    assert!(
        r["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["name"] == "swept" && j["outcome"] == "done"),
        "{r}"
    );
    assert_eq!(
        status(&macie, "11112222333344445555666677778888"),
        "RUNNING"
    );

    // The journal watch: nothing was left open, so nothing is done and nothing is read but
    // the journal.
    let before = testkit::LocalMacie::calls(&macie, "ListClassificationJobs");
    let r = run("expiry-guard", "journal-watch.json");
    assert_eq!(
        (r["trigger"].as_str(), r["jobs"].as_array().map(Vec::len)),
        (Some("recover"), Some(0)),
        "{r}"
    );
    assert_eq!(macie.calls("ListClassificationJobs"), before, "no listing");
    // And it judged the scheduled runs: the sweep just succeeded (the run log says so), and
    // a stack this young owes no export check yet: Overdue 0 for both, as EMF lines.
    let log =
        std::fs::read_to_string(testkit::local_runtime::function_log("expiry-guard")).unwrap();
    for run in ["sweep", "export-check"] {
        let line = log
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|d| d["Run"] == run && d.get("Overdue").is_some())
            .unwrap_or_else(|| panic!("no Overdue line for {run} in\n{log}"));
        assert_eq!(line["Overdue"], 0, "{line}");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "MacieGuard"
        );
    }

    let r = run("expiry-guard", "sweep.json");
    assert_eq!(r["trigger"], "action");
    assert!(
        r["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["outcome"] != "done"),
        "nothing left to change: {r}"
    );
    let updates = macie.calls("UpdateClassificationJob");
    assert_eq!(
        updates,
        1 + 2 + 1 + 1,
        "resume, keep-paused, cancel, resume"
    );

    // Export guard: the configured key does not exist, the bucket has no policy.
    let r = run("export-guard", "check-export.json");
    let c = codes(&r);
    assert!(
        c.contains(&"KEY_NOT_FOUND".to_string())
            && c.contains(&"BUCKET_POLICY_MISSING_MACIE".to_string()),
        "{c:?}"
    );
    for name in [
        "cloudtrail-kms-disable-key.json",
        "cloudtrail-kms-schedule-key-deletion.json",
        "cloudtrail-kms-put-key-policy.json",
        "cloudtrail-kms-cancel-key-deletion.json",
        "cloudtrail-kms-enable-key.json",
    ] {
        let r = run("export-guard", name);
        assert_eq!(r["changed_resource"], KEY, "{name}: {r}");
        assert!(codes(&r).contains(&"KEY_NOT_FOUND".to_string()), "{name}");
    }
    for name in [
        "cloudtrail-s3-delete-bucket.json",
        "cloudtrail-s3-put-bucket-policy.json",
        "cloudtrail-s3-delete-bucket-policy.json",
    ] {
        let r = run("export-guard", name);
        assert_eq!(
            r["changed_resource"],
            format!("arn:aws:s3:::{BUCKET}"),
            "{name}: {r}"
        );
        assert!(
            codes(&r).contains(&"BUCKET_POLICY_MISSING_MACIE".to_string()),
            "{name}"
        );
    }
    let r = run(
        "export-guard",
        "cloudtrail-macie2-put-export-configuration.json",
    );
    assert_eq!(r["trigger"], "change:PutClassificationExportConfiguration");
    assert!(r["notified"].as_bool().unwrap());

    // Every sample event was exercised.
    let all: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json"))
        .collect();
    // Every metric line either function wrote is one the stack's alarms and dashboard may
    // name (tell::metrics::EMITTED), with exactly its dimensions.
    let mut lines = 0;
    for function in ["expiry-guard", "export-guard"] {
        let log = std::fs::read_to_string(testkit::local_runtime::function_log(function)).unwrap();
        for doc in log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            let Some(set) = doc["_aws"]["CloudWatchMetrics"].get(0) else {
                continue;
            };
            let name = set["Metrics"][0]["Name"].as_str().unwrap();
            let dims: Vec<&str> = set["Dimensions"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            let (_, want) = macie_guard_core::tell::metrics::EMITTED
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{function} emits {name}, which EMITTED does not list"));
            assert_eq!(&dims[..], *want, "{function} {name}");
            lines += 1;
        }
    }
    assert!(lines >= 10, "{lines} metric lines");
    assert_eq!(
        covered, all,
        "every file in events/ goes through the local runtime"
    );

    // A malformed event fails the invocation, so Lambda would retry it and then dead-letter it.
    let bad =
        std::env::temp_dir().join(format!("macie-guard-bad-event-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"detail-type": "AWS Health Event", "source": "aws.health", "detail": {"service": "MACIE"}}"#).unwrap();
    let err = invoke(&watch, "expiry-guard", &bad).expect_err("malformed");
    let _ = std::fs::remove_file(&bad);
    assert!(
        err.contains("MalformedEvent") || err.contains("malformed event"),
        "{err}"
    );
    assert_eq!(
        macie.calls("UpdateClassificationJob"),
        updates,
        "a malformed event changes nothing"
    );

    let notes = sns_messages(&topic_arn);
    assert!(notes
        .iter()
        .any(|m| m.attributes["kind"]["Value"] == "expiry"));
    assert!(notes
        .iter()
        .any(|m| m.attributes["kind"]["Value"] == "export"));
}
