//! Nothing sensitive in the logs: the functions' own log filter, asked for TRACE, over an
//! export check of a bucket whose policy holds a marker value. Its own test binary, so the
//! captured subscriber sees every callsite.

mod common;

use serde_json::json;
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
    let guard = macie_guard::export::ExportGuard {
        sources: macie_guard::export::sources::AwsSources::new(stand_in_config(macie.url()).await),
        notifier: macie_guard::notify::PrintNotifier,
        account: ACCOUNT.into(),
        regions: vec!["us-east-1".into()],
    };
    let report = guard
        .handle(&macie_guard::export::ExportEvent::Check {
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
