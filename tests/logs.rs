//! Nothing sensitive in the logs: the functions' own log filter, asked for TRACE, over an
//! export check of a bucket whose policy holds a marker value. Its own test binary, so the
//! captured subscriber sees every callsite.

#[path = "integration/common/mod.rs"]
mod common;

use serde_json::{json, Value};
use testkit::{kms_client, moto, s3_client, stand_in_config, LocalMacie, ACCOUNT};

use common::LogBuffer as Buf;

#[tokio::test]
async fn logs_carry_findings_but_no_policy_contents_or_credentials() {
    let buf = Buf::default();
    let writer = buf.clone();
    // The binaries' own filter, asked for everything (as AWS_LAMBDA_LOG_LEVEL=TRACE would).
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_env_filter(macie_guard::logging::filter("trace", true))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let marker = "policy-value-that-must-not-be-logged";
    let bucket = format!("logs-{}", std::process::id());
    let s3 = s3_client(&moto().url).await;
    let kms = kms_client(&moto().url).await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let key = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let allow = |action: &str, resource: String| json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": action, "Resource": resource});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(json!({"Statement": [
            allow("s3:GetBucketLocation", format!("arn:aws:s3:::{bucket}")),
            allow("s3:PutObject", format!("arn:aws:s3:::{bucket}/*")),
            {"Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"),
             "Condition": {"StringNotEquals": {"aws:SourceAccount": marker}}}
        ]}).to_string())
        .send()
        .await
        .unwrap();
    let macie = LocalMacie::start(Some(
        &json!({"exportConfiguration": {"s3Destination": {"bucketName": bucket, "kmsKeyArn": key}}}),
    ));
    let guard = macie_guard::export::guard::ExportGuard {
        sources: macie_guard::export::sources::AwsSources::new(stand_in_config(macie.url()).await),
        outbound: macie_guard::outbound::print::PrintNotifier,
        account: ACCOUNT.into(),
        regions: vec!["us-east-1".into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline: None,
    };
    let report = guard
        .handle(&macie_guard_core::export::event::ExportEvent::Check {
            trigger: "test".into(),
        })
        .await
        .unwrap();
    let codes: Vec<&str> = report.regions[0].findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"BUCKET_POLICY_DENIES_MACIE"), "{codes:?}");

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("BUCKET_POLICY_DENIES_MACIE"),
        "findings are logged: {logs}"
    );
    for secret in [marker, "local-secret", "AKIDLOCAL"] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret} must not be logged: {leaks:#?}");
    }
}

/// A notifier that counts what it was asked to send.
#[derive(Default)]
struct Counted(std::sync::Mutex<usize>);

impl macie_guard::outbound::Outbound for Counted {
    async fn publish(
        &self,
        _: &macie_guard_core::tell::notification::Notification,
    ) -> macie_guard::Result<()> {
        *self.0.lock().unwrap() += 1;
        Ok(())
    }
}

/// A Health event about another account or Region (a backup-Region copy, the organizational
/// view) is left alone without a word: one DEBUG line, nothing at INFO or above, no message, no
/// call, not even the journal's recovery. The same event about this account and Region is
/// acted on (the control).
#[tokio::test]
async fn health_events_about_elsewhere_are_ignored_quietly() {
    use lambda_runtime::{Context, LambdaEvent};
    use macie_guard::expiry::jobs::memory::MemoryJobs;
    use macie_guard::expiry::lambda::ExpiryFunction;
    use macie_guard::journal::memory::MemoryJournal;
    use macie_guard::journal::{Entry, Journal};
    use macie_guard_core::expiry::job::JobType;
    use macie_guard_core::expiry::settings::ExpiryConfig;
    use testkit::{event, REGION};

    const JOB: &str = "3ce0a28b1a5a9e3d1c0f7ef3a3c0ab12";
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_env_filter(macie_guard::logging::filter("debug", true))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let jobs =
        MemoryJobs::new(chrono::Utc::now()).paused(JOB, JobType::OneTime, 29.0, Some("resume"));
    // A change an earlier invocation left open, its lease long over: any run that reads the
    // journal finishes it, with a call to Macie.
    let journal = MemoryJournal::new();
    let scope = format!("{ACCOUNT}#{REGION}");
    let left = Entry {
        job_id: JOB.into(),
        owner: "crashed".into(),
        lease_until: 0,
        action: macie_guard_core::expiry::plan::Action::Resume,
        policy: macie_guard_core::expiry::policy::Policy::Resume,
        paused_at: String::new(),
        name: "left open".into(),
        decided_at: "2026-01-01T00:00:00Z".into(),
    };
    journal.claim(&scope, &left, 0).await.unwrap();
    let function = ExpiryFunction {
        macie: &jobs,
        outbound: Counted::default(),
        journal: &journal,
        config: ExpiryConfig::default(),
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
    let base = event("health-paused-job-expiration.json");
    let mut backup_copy = base.clone();
    backup_copy["region"] = json!("us-west-2");
    backup_copy["detail"]["eventRegion"] = json!("eu-west-1");
    let mut other_account = base.clone();
    other_account["detail"]["affectedAccount"] = json!("999999999999");
    for ev in [backup_copy, other_account] {
        buf.0.lock().unwrap().clear();
        let out = function
            .handle(LambdaEvent::new(ev.clone(), ctx()))
            .await
            .unwrap();
        assert_eq!(out["trigger"], "elsewhere", "{out}");
        assert!(out["elsewhere"]
            .as_str()
            .unwrap()
            .contains("is not this function's"));
        assert_eq!(out["jobs"], json!([]));
        let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = logs
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "one line: {logs}");
        assert_eq!(lines[0]["level"], "DEBUG", "{logs}");
        assert!(
            lines[0]["fields"]["reason"]
                .as_str()
                .unwrap()
                .contains("is not this function's"),
            "{logs}"
        );
    }
    assert_eq!(jobs.calls(), 0, "no Macie call, no recovery");
    assert_eq!(*function.outbound.0.lock().unwrap(), 0, "nobody told");

    // The control: the same event about this account and Region recovers the open change
    // and acts, with INFO lines and a message.
    buf.0.lock().unwrap().clear();
    function
        .handle(LambdaEvent::new(base, ctx()))
        .await
        .unwrap();
    assert!(jobs.calls() > 0);
    assert_eq!(*function.outbound.0.lock().unwrap(), 1);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("\"level\":\"INFO\""), "{logs}");
}
