//! The export guard against real stand-ins: each broken setup is built for real in moto (S3,
//! KMS) with the export configuration in the local Macie, and checked through the real SDK
//! clients. The AWS-managed key, which moto cannot produce, is covered with aws-smithy-mocks.
//!
//! Why one file this long: each broken setup shares the one healthy setup built here; the
//! answers moto cannot give and the evidence of results are in their own modules.

use crate::common;
use macie_guard_core::delivery::Told;

use aws_config::{Region, SdkConfig};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use lambda_runtime::{Context, LambdaEvent};
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::lambda::ExportFunction;
use macie_guard::export::sources::AwsSources;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::export::outcome::ExportReport;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use testkit::{event, moto, sns_client, sns_messages, stand_in_config, topic, LocalMacie, ACCOUNT};

fn unique(name: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One account's Macie (in `region`) with its export configuration, and the S3 and KMS
/// resources it points at.
struct Setup {
    macie: LocalMacie,
    sdk: SdkConfig,
    region: String,
    bucket: String,
    prefix: String,
    key: String,
    topic: String,
}

fn principal(region: &str) -> String {
    if ["af-south-1", "me-south-1"].contains(&region) {
        format!("macie.{region}.amazonaws.com")
    } else {
        "macie.amazonaws.com".into()
    }
}

fn source_conditions(region: &str) -> Value {
    json!({
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": [
            format!("arn:aws:macie2:{region}:{ACCOUNT}:export-configuration:*"),
            format!("arn:aws:macie2:{region}:{ACCOUNT}:classification-job/*")
        ]}
    })
}

impl Setup {
    fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .build(),
        )
    }

    async fn make_bucket(&self, region: &str, name: &str) {
        let mut req = self.s3(region).create_bucket().bucket(name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send().await.expect("create bucket");
    }

    async fn make_key(&self, region: &str, spec: KeySpec) -> String {
        let out = self
            .kms(region)
            .create_key()
            .key_spec(spec)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .send()
            .await
            .expect("create key");
        out.key_metadata().unwrap().arn().unwrap().to_string()
    }

    fn good_bucket_policy(&self, extra: Vec<Value>) -> Value {
        let p = principal(&self.region);
        let mut st = vec![
            json!({"Sid": "MacieLocation", "Effect": "Allow", "Principal": {"Service": p}, "Action": "s3:GetBucketLocation",
                   "Resource": format!("arn:aws:s3:::{}", self.bucket), "Condition": source_conditions(&self.region)}),
            json!({"Sid": "MaciePut", "Effect": "Allow", "Principal": {"Service": p}, "Action": "s3:PutObject",
                   "Resource": format!("arn:aws:s3:::{}/{}*", self.bucket, self.prefix), "Condition": source_conditions(&self.region)}),
        ];
        st.extend(extra);
        json!({"Version": "2012-10-17", "Statement": st})
    }

    fn good_key_policy(&self, principal: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Macie", "Effect": "Allow", "Principal": {"Service": principal}, "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
             "Resource": "*", "Condition": source_conditions(&self.region)}
        ]})
    }

    async fn put_bucket_policy(&self, policy: Value) {
        self.s3(&self.region)
            .put_bucket_policy()
            .bucket(&self.bucket)
            .policy(policy.to_string())
            .send()
            .await
            .expect("bucket policy");
    }

    async fn put_key_policy(&self, key: &str, policy: Value) {
        let region = key.split(':').nth(3).unwrap();
        self.kms(region)
            .put_key_policy()
            .key_id(key)
            .policy_name("default")
            .policy(policy.to_string())
            .send()
            .await
            .expect("key policy");
    }

    /// A healthy setup in `region`: bucket, key, both policies, and the export configuration.
    async fn healthy(region: &str) -> Setup {
        Self::build(region, region, region, true).await
    }

    async fn build(
        macie_region: &str,
        bucket_region: &str,
        key_region: &str,
        create_bucket: bool,
    ) -> Setup {
        let bucket = unique("results");
        let prefix = "macie/".to_string();
        // The local Macie is needed for the SDK config, the key for the configuration: make a
        // throwaway Macie first, then the real one with the configuration.
        let probe = LocalMacie::start(None);
        let sdk = stand_in_config(probe.url()).await;
        let mut s = Setup {
            macie: probe,
            sdk,
            region: macie_region.into(),
            bucket: bucket.clone(),
            prefix: prefix.clone(),
            key: String::new(),
            topic: topic("export").await,
        };
        if create_bucket {
            s.make_bucket(bucket_region, &bucket).await;
            s.put_bucket_policy(s.good_bucket_policy(vec![])).await;
        }
        s.key = s.make_key(key_region, KeySpec::SymmetricDefault).await;
        s.put_key_policy(&s.key.clone(), s.good_key_policy(&principal(macie_region)))
            .await;
        s.set_config(json!({"s3Destination": {"bucketName": bucket, "keyPrefix": prefix, "kmsKeyArn": s.key}})).await;
        s
    }

    async fn set_config(&mut self, config: Value) {
        self.macie = LocalMacie::start(Some(
            &json!({"region": self.region, "exportConfiguration": config}),
        ));
        self.sdk = stand_in_config(self.macie.url()).await;
    }

    async fn guard(&self) -> ExportGuard<AwsSources, SnsNotifier> {
        ExportGuard {
            sources: AwsSources::new(self.sdk.clone()),
            outbound: SnsNotifier {
                client: sns_client(&moto().url).await,
                topic_arn: self.topic.clone(),
                chat: false,
            },
            account: ACCOUNT.into(),
            regions: vec![self.region.clone()],
            results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
            deadline: None,
        }
    }

    async fn check(&self) -> Told<ExportReport> {
        self.guard()
            .await
            .handle(&ExportEvent::Check {
                trigger: "test".into(),
            })
            .await
            .expect("check")
    }

    async fn codes(&self) -> Vec<&'static str> {
        codes(&self.check().await.outcome)
    }
}

/// moto's DisableKey and ScheduleKeyDeletion take a key id only, not an ARN.
fn key_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

fn codes(r: &ExportReport) -> Vec<&'static str> {
    let mut c: Vec<_> = r
        .regions
        .iter()
        .flat_map(|r| r.findings.iter().map(|f| f.code))
        .collect();
    c.sort();
    c
}

#[tokio::test]
async fn a_healthy_setup_has_no_findings_and_sends_nothing() {
    let s = Setup::healthy("us-east-1").await;
    let report = s.check().await;
    assert_eq!(codes(&report), Vec::<&str>::new(), "{:#?}", report.regions);
    assert!(!report.delivery.notified);
    assert!(sns_messages(&s.topic).is_empty());
    assert_eq!(s.macie.calls("GetClassificationExportConfiguration"), 1);
}

#[tokio::test]
async fn no_configuration() {
    let mut s = Setup::healthy("us-east-1").await;
    s.macie = LocalMacie::start(None);
    s.sdk = stand_in_config(s.macie.url()).await;
    assert_eq!(s.codes().await, vec!["EXPORT_CONFIG_MISSING"]);
}

#[tokio::test]
async fn missing_bucket() {
    let s = Setup::build("us-east-1", "us-east-1", "us-east-1", false).await;
    assert_eq!(s.codes().await, vec!["BUCKET_MISSING"]);
}

#[tokio::test]
async fn bucket_in_a_forbidden_region() {
    // Macie in us-east-1 (enabled by default) with the bucket and key in af-south-1 (opt-in).
    let s = Setup::build("us-east-1", "af-south-1", "af-south-1", true).await;
    let report = s.check().await;
    assert_eq!(
        codes(&report),
        vec!["BUCKET_REGION_FORBIDDEN"],
        "{:#?}",
        report.regions
    );
    let f = &report.regions[0].findings[0];
    assert!(
        f.message.contains("af-south-1") && f.message.contains("opt-in"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn disabled_key() {
    let s = Setup::healthy("us-east-1").await;
    s.kms("us-east-1")
        .disable_key()
        .key_id(key_id(&s.key))
        .send()
        .await
        .unwrap();
    assert_eq!(s.codes().await, vec!["KEY_DISABLED"]);
}

#[tokio::test]
async fn key_pending_deletion_says_when() {
    let s = Setup::healthy("us-east-1").await;
    s.kms("us-east-1")
        .schedule_key_deletion()
        .key_id(key_id(&s.key))
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let report = s.check().await;
    assert_eq!(codes(&report), vec!["KEY_PENDING_DELETION"]);
    let msg = &report.regions[0].findings[0].message;
    let when = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    assert!(msg.contains(&when), "{msg}");
}

#[tokio::test]
async fn asymmetric_key() {
    let mut s = Setup::healthy("us-east-1").await;
    let rsa = s.make_key("us-east-1", KeySpec::Rsa2048).await;
    s.put_key_policy(&rsa, s.good_key_policy("macie.amazonaws.com"))
        .await;
    s.set_config(
        json!({"s3Destination": {"bucketName": s.bucket, "keyPrefix": s.prefix, "kmsKeyArn": rsa}}),
    )
    .await;
    assert_eq!(s.codes().await, vec!["KEY_NOT_SYMMETRIC"]);
}

#[tokio::test]
async fn key_in_another_region() {
    let s = Setup::build("us-east-1", "us-east-1", "us-west-2", true).await;
    let report = s.check().await;
    assert_eq!(
        codes(&report),
        vec!["KEY_REGION_MISMATCH"],
        "{:#?}",
        report.regions
    );
}

#[tokio::test]
async fn key_policy_without_macie() {
    let s = Setup::healthy("us-east-1").await;
    s.put_key_policy(&s.key, json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}]})).await;
    let report = s.check().await;
    assert_eq!(codes(&report), vec!["KEY_POLICY_MISSING_MACIE"]);
    let st = report.regions[0].findings[0]
        .statement
        .clone()
        .expect("the statement to add");
    assert_eq!(st["Principal"]["Service"], "macie.amazonaws.com");
}

#[tokio::test]
async fn bucket_policy_without_put_object() {
    let s = Setup::healthy("us-east-1").await;
    let mut p = s.good_bucket_policy(vec![]);
    p["Statement"].as_array_mut().unwrap().remove(1);
    s.put_bucket_policy(p).await;
    let report = s.check().await;
    assert_eq!(codes(&report), vec!["BUCKET_POLICY_NO_PUT_OBJECT"]);
    let st = report.regions[0].findings[0].statement.clone().unwrap();
    assert_eq!(st["Resource"], format!("arn:aws:s3:::{}/macie/*", s.bucket));
}

#[tokio::test]
async fn a_deny_on_other_keys_blocks_macie() {
    let s = Setup::healthy("us-east-1").await;
    let other = s.make_key("us-east-1", KeySpec::SymmetricDefault).await;
    s.put_bucket_policy(s.good_bucket_policy(vec![json!({"Sid": "OnlyTeamKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{}/*", s.bucket),
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": other}}})])).await;
    let report = s.check().await;
    assert_eq!(codes(&report), vec!["BUCKET_POLICY_DENIES_MACIE"]);
    assert!(report.regions[0].findings[0]
        .message
        .contains("OnlyTeamKey"));
}

#[tokio::test]
async fn opt_in_region_with_the_global_principal() {
    let s = Setup::healthy("af-south-1").await;
    assert_eq!(
        s.codes().await,
        Vec::<&str>::new(),
        "healthy with the regional principal"
    );
    let global = json!({"Service": "macie.amazonaws.com"});
    let mut bp = s.good_bucket_policy(vec![]);
    for st in bp["Statement"].as_array_mut().unwrap() {
        st["Principal"] = global.clone();
    }
    s.put_bucket_policy(bp).await;
    s.put_key_policy(&s.key, s.good_key_policy("macie.amazonaws.com"))
        .await;
    let report = s.check().await;
    assert_eq!(
        codes(&report),
        vec![
            "BUCKET_POLICY_NO_GET_BUCKET_LOCATION",
            "BUCKET_POLICY_NO_PUT_OBJECT",
            "KEY_POLICY_MISSING_MACIE"
        ]
    );
    for f in &report.regions[0].findings {
        let st = f.statement.clone().unwrap();
        let principal = if st.is_array() {
            st[0]["Principal"]["Service"].clone()
        } else {
            st["Principal"]["Service"].clone()
        };
        assert_eq!(principal, "macie.af-south-1.amazonaws.com", "{}", f.code);
    }
}

#[tokio::test]
async fn a_broken_setup_notifies_readably_with_the_fix() {
    let s = Setup::healthy("us-east-1").await;
    s.kms("us-east-1")
        .disable_key()
        .key_id(key_id(&s.key))
        .send()
        .await
        .unwrap();
    let report = s.check().await;
    assert!(report.delivery.notified);
    let msgs = sns_messages(&s.topic);
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert!(
        m.subject.as_deref().unwrap().contains("1 critical"),
        "{:?}",
        m.subject
    );
    let first_line = m.message.lines().next().unwrap();
    assert!(
        first_line.contains("macie-guard checked where Amazon Macie stores"),
        "readable first: {first_line}"
    );
    assert!(m.message.contains("KEY_DISABLED") && m.message.contains("Fix: Enable the key"));
    let json_part = m
        .message
        .split("---- details (JSON) ----")
        .nth(1)
        .expect("JSON after the text");
    let facts: Value = serde_json::from_str(json_part.trim()).unwrap();
    assert_eq!(facts["findings"][0]["finding"]["code"], "KEY_DISABLED");
    assert_eq!(m.attributes["severity"]["Value"], "critical");
}

fn with_key(mut ev: Value, key: &str) -> Value {
    ev["detail"]["requestParameters"]["keyId"] = json!(key);
    ev["detail"]["resources"] =
        json!([{"ARN": key, "type": "AWS::KMS::Key", "accountId": ACCOUNT}]);
    ev
}

#[tokio::test]
async fn a_change_to_the_key_checks_and_notifies_only_about_the_key() {
    let s = Setup::healthy("us-east-1").await;
    // Two things broken: the key (the change) and the bucket policy (not the change).
    s.kms("us-east-1")
        .disable_key()
        .key_id(key_id(&s.key))
        .send()
        .await
        .unwrap();
    let mut bp = s.good_bucket_policy(vec![]);
    bp["Statement"].as_array_mut().unwrap().remove(1);
    s.put_bucket_policy(bp).await;
    let ev =
        ExportEvent::parse(&with_key(event("cloudtrail-kms-disable-key.json"), &s.key)).unwrap();
    let report = s.guard().await.handle(&ev).await.unwrap();
    assert_eq!(report.changed_resource.as_deref(), Some(s.key.as_str()));
    assert_eq!(
        codes(&report),
        vec!["BUCKET_POLICY_NO_PUT_OBJECT", "KEY_DISABLED"],
        "the report has everything"
    );
    let msgs = sns_messages(&s.topic);
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].message.contains("KEY_DISABLED"));
    assert!(
        !msgs[0].message.contains("BUCKET_POLICY_NO_PUT_OBJECT"),
        "only the changed resource's findings are notified"
    );
}

#[tokio::test]
async fn a_change_to_an_unused_key_or_bucket_costs_one_read_and_nothing_else() {
    let s = Setup::healthy("us-east-1").await;
    let other_key =
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000");
    let mut bucket_ev = event("cloudtrail-s3-delete-bucket-policy.json");
    bucket_ev["detail"]["requestParameters"]["bucketName"] = json!("some-other-bucket");
    for ev in [
        with_key(
            event("cloudtrail-kms-schedule-key-deletion.json"),
            &other_key,
        ),
        bucket_ev,
    ] {
        let report = s
            .guard()
            .await
            .handle(&ExportEvent::parse(&ev).unwrap())
            .await
            .unwrap();
        assert!(report.regions.is_empty(), "{:#?}", report.regions);
        assert!(
            report
                .ignored
                .as_deref()
                .unwrap()
                .contains("no export configuration"),
            "{:?}",
            report.ignored
        );
    }
    assert_eq!(
        s.macie.calls("GetClassificationExportConfiguration"),
        2,
        "one read per event, nothing more"
    );
    assert!(sns_messages(&s.topic).is_empty());
}

#[tokio::test]
async fn a_change_to_the_bucket_and_to_the_configuration() {
    let s = Setup::healthy("us-east-1").await;
    s.s3("us-east-1")
        .delete_bucket_policy()
        .bucket(&s.bucket)
        .send()
        .await
        .unwrap();
    let mut ev = event("cloudtrail-s3-delete-bucket-policy.json");
    ev["detail"]["requestParameters"]["bucketName"] = json!(s.bucket);
    let report = s
        .guard()
        .await
        .handle(&ExportEvent::parse(&ev).unwrap())
        .await
        .unwrap();
    assert_eq!(codes(&report), vec!["BUCKET_POLICY_MISSING_MACIE"]);
    assert_eq!(
        report.changed_resource,
        Some(format!("arn:aws:s3:::{}", s.bucket))
    );

    let report = s
        .guard()
        .await
        .handle(
            &ExportEvent::parse(&event("cloudtrail-macie2-put-export-configuration.json")).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        codes(&report),
        vec!["BUCKET_POLICY_MISSING_MACIE"],
        "a configuration change checks it all"
    );
    assert_eq!(sns_messages(&s.topic).len(), 2);
}

#[tokio::test]
async fn an_aws_managed_key_through_smithy_mocks() {
    // moto reports every key as CUSTOMER managed; the SDK client is mocked for KMS only.
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
    use aws_sdk_kms::types::{KeyManagerType, KeyMetadata, KeyState};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    let s = Setup::healthy("us-east-1").await;
    let arn = s.key.clone();
    let describe = mock!(aws_sdk_kms::Client::describe_key).then_output(move || {
        DescribeKeyOutput::builder()
            .key_metadata(
                KeyMetadata::builder()
                    .key_id("k")
                    .arn(arn.clone())
                    .key_state(KeyState::Enabled)
                    .key_manager(KeyManagerType::Aws)
                    .key_spec(KeySpec::SymmetricDefault)
                    .key_usage(KeyUsageType::EncryptDecrypt)
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let policy = s.good_key_policy("macie.amazonaws.com").to_string();
    let get_policy = mock!(aws_sdk_kms::Client::get_key_policy)
        .then_output(move || GetKeyPolicyOutput::builder().policy(policy.clone()).build());
    let kms = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&describe, &get_policy]);
    let guard = ExportGuard {
        sources: AwsSources::new(s.sdk.clone()).with_kms("us-east-1", kms),
        outbound: SnsNotifier {
            client: sns_client(&moto().url).await,
            topic_arn: s.topic.clone(),
            chat: false,
        },
        account: ACCOUNT.into(),
        regions: vec!["us-east-1".into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline: None,
    };
    let report = guard
        .handle(&ExportEvent::Check {
            trigger: "test".into(),
        })
        .await
        .unwrap();
    assert_eq!(codes(&report), vec!["KEY_NOT_CUSTOMER_MANAGED"]);
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn the_lambda_handler_and_extra_regions() {
    let s = Setup::healthy("us-east-1").await;
    let f = ExportFunction {
        sources: AwsSources::new(s.sdk.clone()),
        outbound: SnsNotifier {
            client: sns_client(&moto().url).await,
            topic_arn: s.topic.clone(),
            chat: false,
        },
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        fallback_account: None,
        runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
    };
    let ctx = || {
        let mut c = Context::default();
        c.invoked_function_arn =
            format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:export-guard");
        c
    };
    let out = f
        .handle(LambdaEvent::new(event("check-export.json"), ctx()))
        .await
        .unwrap();
    let regions = out["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 2, "one result per Region");
    assert_eq!(regions[0]["findings"], json!([]));
    // The local Macie answers for one Region only; eu-west-1 here reads the same state.
    assert_eq!(s.macie.calls("GetClassificationExportConfiguration"), 2);
    for bad in [
        json!("x"),
        json!({"action": "sweep"}),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.kms", "detail": {}}),
    ] {
        let err = f
            .handle(LambdaEvent::new(bad.clone(), ctx()))
            .await
            .expect_err(&bad.to_string());
        assert_eq!(err.kind(), "MalformedEvent");
    }
    assert_eq!(
        s.macie.calls("GetClassificationExportConfiguration"),
        2,
        "malformed events make no call"
    );
}

#[tokio::test]
async fn the_cli_exit_code_says_how_bad_it_is() {
    let s = Setup::healthy("us-east-1").await;
    let run = |args: &[&str]| common::cli(&s.macie, args);
    let ok = run(&["check-export"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout)
        .contains("OK: Macie can store its discovery results here."));
    // S3 cannot be reached (nobody listens where its endpoint variable says): the check fails
    // (3), saying which service at which endpoint, instead of reporting the bucket as
    // unverified with advice to change IAM.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = std::process::Command::new(testkit::cli_bin())
        .args(["check-export", "--json"])
        .envs(testkit::endpoint_env(s.macie.url(), &testkit::moto().url))
        .env("AWS_ENDPOINT_URL_S3", &nowhere)
        .env_remove("MACIE_GUARD_NOTIFICATION_TOPIC_ARN")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "no answer from S3 at {nowhere} (AWS_ENDPOINT_URL_S3)"
        )),
        "{err}"
    );
    assert!(
        !err.contains("Allow the function") && out.stdout.is_empty(),
        "{err}"
    );
    // KMS refuses to show this key's policy: a warning (it cannot be verified), exit 1.
    testkit::strict_fault(json!({"service": "kms", "action": "GetKeyPolicy",
        "match": key_id(&s.key), "code": "AccessDeniedException", "status": 400,
        "message": "User is not authorized to perform: kms:GetKeyPolicy"}));
    let warned = run(&["check-export", "--json"]);
    assert_eq!(
        warned.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&warned.stdout)
    );
    let report: Value = serde_json::from_slice(&warned.stdout).unwrap();
    let codes: Vec<&str> = report["regions"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KEY_POLICY_UNVERIFIED"], "{report}");
    s.kms("us-east-1")
        .disable_key()
        .key_id(key_id(&s.key))
        .send()
        .await
        .unwrap();
    let bad = run(&["check-export", "--json"]);
    assert_eq!(bad.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report["regions"][0]["findings"][0]["code"], "KEY_DISABLED");
    let handled = run(&[
        "handle",
        "events/cloudtrail-macie2-put-export-configuration.json",
    ]);
    assert_eq!(handled.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&handled.stdout).contains("Fix: Enable the key"));
}

/// Without an export configuration, the guard asks Macie whether this account is a member and
/// has jobs of its own (GetAdministratorAccount, ListClassificationJobs), over the wire: a
/// member with no jobs of its own gets an info finding and no notification; a member with a
/// job of its own, or a standalone account, a critical one that people are told about.
#[tokio::test]
async fn a_missing_configuration_matters_unless_the_administrator_runs_every_job() {
    let run = |scenario: Value| async move {
        let macie = LocalMacie::start(Some(&scenario));
        let sdk = stand_in_config(macie.url()).await;
        let topic_arn = topic("membership").await;
        let guard = ExportGuard {
            sources: AwsSources::new(sdk),
            outbound: SnsNotifier {
                client: sns_client(&moto().url).await,
                topic_arn: topic_arn.clone(),
                chat: false,
            },
            account: ACCOUNT.into(),
            regions: vec!["us-east-1".into()],
            results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
            deadline: None,
        };
        let report = guard
            .handle(&ExportEvent::Check {
                trigger: "test".into(),
            })
            .await
            .expect("check");
        let calls = (
            macie.calls("GetAdministratorAccount"),
            macie.calls("ListClassificationJobs"),
        );
        (report, sns_messages(&topic_arn).len(), calls)
    };
    let admin = "111122223333";
    let (r, told, calls) = run(json!({"administrator": admin})).await;
    let f = &r.regions[0].findings[0];
    assert_eq!(f.code, "EXPORT_CONFIG_MISSING");
    assert_eq!(
        f.severity,
        macie_guard_core::severity::Severity::Info,
        "{}",
        f.message
    );
    assert!(f.message.contains(admin));
    assert_eq!((told, calls), (0, (1, 1)));

    let (r, told, _) =
        run(json!({"administrator": admin, "jobs": [{"name": "own", "jobStatus": "RUNNING"}]}))
            .await;
    let f = &r.regions[0].findings[0];
    assert_eq!(
        f.severity,
        macie_guard_core::severity::Severity::Critical,
        "{}",
        f.message
    );
    assert!(f.message.contains("jobs of its own"), "{}", f.message);
    assert_eq!(told, 1);

    let (r, told, calls) = run(json!({})).await;
    assert_eq!(
        r.regions[0].findings[0].severity,
        macie_guard_core::severity::Severity::Critical
    );
    assert_eq!(told, 1);
    assert_eq!(calls, (1, 0), "a standalone account's jobs are not listed");
}

/// Security Hub (moto's, behind the strictness layer), over the wire: a broken configuration
/// becomes findings with the ASFF fields; a second run with nothing changed writes the same
/// Ids (no new finding, creation time kept); the fix archives them (ARCHIVED, and RESOLVED
/// through BatchUpdateFindings, since an import cannot set Workflow).
#[tokio::test]
async fn security_hub_findings_follow_the_configuration() {
    use macie_guard::outbound::securityhub::SecurityHub;
    use macie_guard::outbound::Channels;

    let region = "ca-central-1";
    let s = Setup::healthy(region).await;
    let conf = s
        .sdk
        .clone()
        .into_builder()
        .region(Region::new(region))
        .build();
    let key = testkit::access_key_of(&conf).await;
    testkit::enable_security_hub(&key, region);
    let guard = || ExportGuard {
        sources: AwsSources::new(s.sdk.clone()),
        outbound: Channels {
            notifier: macie_guard::outbound::print::PrintNotifier,
            bus: None,
            hub: Some(SecurityHub::new(&conf)),
        },
        account: ACCOUNT.into(),
        regions: vec![region.to_string()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline: None,
    };
    let check = || async {
        guard()
            .handle(&ExportEvent::Check {
                trigger: "test".into(),
            })
            .await
            .expect("check")
    };
    let ours = || -> Vec<Value> {
        testkit::securityhub_findings(&key, region)
            .into_iter()
            .filter(|f| {
                f["Id"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("macie-guard/export/{ACCOUNT}/{region}/"))
            })
            .collect()
    };

    // Healthy: nothing to import, nothing to resolve.
    let report = check().await;
    assert_eq!(
        serde_json::to_value(&report.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 0, "resolved": 0})
    );
    assert!(ours().is_empty());

    s.kms(region)
        .disable_key()
        .key_id(key_id(&s.key))
        .send()
        .await
        .unwrap();
    let report = check().await;
    assert_eq!(codes(&report), vec!["KEY_DISABLED"]);
    let found = ours();
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        f["Id"],
        format!("macie-guard/export/{ACCOUNT}/{region}/KEY_DISABLED")
    );
    assert_eq!(f["SchemaVersion"], "2018-10-08");
    assert_eq!(
        f["ProductArn"],
        format!("arn:aws:securityhub:{region}:{ACCOUNT}:product/{ACCOUNT}/default")
    );
    assert_eq!(f["GeneratorId"], "macie-guard/KEY_DISABLED");
    assert_eq!(f["AwsAccountId"], ACCOUNT);
    assert_eq!(f["Severity"]["Label"], "CRITICAL");
    assert_eq!(f["Resources"][0]["Type"], "AwsKmsKey");
    assert_eq!(f["Resources"][0]["Id"], s.key.as_str());
    assert!(f["Types"][0]
        .as_str()
        .unwrap()
        .starts_with("Software and Configuration Checks/"));
    let fix = f["Remediation"]["Recommendation"]["Text"].as_str().unwrap();
    assert!(fix.contains("Enable the key"), "{fix}");
    assert_eq!(f["RecordState"], "ACTIVE");
    assert_eq!(f["Workflow"]["Status"], "NEW");
    let created = f["CreatedAt"].clone();

    // Again, nothing changed: the same finding, updated in place.
    check().await;
    let again = ours();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["Id"], f["Id"]);
    assert_eq!(again[0]["CreatedAt"], created, "first seen is kept");

    // Fixed: resolved and archived.
    s.kms(region)
        .enable_key()
        .key_id(key_id(&s.key))
        .send()
        .await
        .unwrap();
    let report = check().await;
    assert!(codes(&report).is_empty());
    assert_eq!(
        serde_json::to_value(&report.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 0, "resolved": 1})
    );
    let resolved = ours();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["RecordState"], "ARCHIVED");
    assert_eq!(resolved[0]["Workflow"]["Status"], "RESOLVED");
    // And a run after that resolves nothing more.
    assert_eq!(
        serde_json::to_value(&check().await.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 0, "resolved": 0})
    );
}

mod evidence;
mod s3_answers_moto_cannot_give;

/// A read with no answer is noted for the check that made it and taken by it: a warm
/// function's next check, with S3 answering again, starts clean. Over the wire: HeadBucket to
/// an endpoint nobody listens on, then to moto.
#[tokio::test]
async fn a_read_with_no_answer_fails_its_own_check_only() {
    use macie_guard::export::sources::ExportSources;
    let s = Setup::healthy("us-east-1").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    // The stand-ins' per-service endpoints dropped, so that every client goes nowhere.
    #[derive(Debug)]
    struct NoEndpoints;
    impl aws_types::service_config::LoadServiceConfig for NoEndpoints {
        fn load_config(
            &self,
            _: aws_types::service_config::ServiceConfigKey<'_>,
        ) -> Option<String> {
            None
        }
    }
    let mut builder = s.sdk.clone().into_builder().endpoint_url(&nowhere);
    builder.set_service_config(Some(NoEndpoints));
    let unreachable = builder.build();
    let sources = AwsSources::new(unreachable);
    let fact = sources.bucket("us-east-1", &s.bucket, ACCOUNT).await;
    assert!(
        format!("{fact:?}").contains("no answer from S3"),
        "{fact:?}"
    );
    assert!(sources
        .take_no_answer()
        .unwrap()
        .contains("no answer from S3"));
    assert_eq!(sources.take_no_answer(), None, "taken once");
    let reachable = AwsSources::new(s.sdk.clone());
    let found = reachable.bucket("us-east-1", &s.bucket, ACCOUNT).await;
    assert!(format!("{found:?}").starts_with("Found"), "{found:?}");
    assert_eq!(reachable.take_no_answer(), None);
}
