//! S3 answers moto cannot give (it ignores ExpectedBucketOwner and never redirects), through
//! aws-smithy-mocks on the S3 client only; Macie and KMS stay real.

use super::*;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::head_bucket::HeadBucketOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::body::SdkBody;

fn status(code: u16, region: Option<&'static str>) -> HttpResponse {
    let mut r = HttpResponse::new(code.try_into().unwrap(), SdkBody::empty());
    if let Some(region) = region {
        r.headers_mut().insert("x-amz-bucket-region", region);
    }
    r
}

async fn check_with(s: &Setup, clients: Vec<(&str, aws_sdk_s3::Client)>) -> Vec<&'static str> {
    let mut sources = AwsSources::new(s.sdk.clone());
    for (region, client) in clients {
        sources = sources.with_s3(region, client);
    }
    let guard = ExportGuard {
        sources,
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
    codes(
        &guard
            .handle(&ExportEvent::Check {
                trigger: "test".into(),
            })
            .await
            .unwrap(),
    )
}

/// Results that cannot be listed are "cannot verify", never a pass.
#[tokio::test]
async fn results_that_cannot_be_listed_are_never_a_pass() {
    let mut s = Setup::healthy("us-east-1").await;
    s.macie = LocalMacie::start(Some(&json!({
        "region": "us-east-1",
        "exportConfiguration": {"s3Destination": {"bucketName": s.bucket, "keyPrefix": s.prefix, "kmsKeyArn": s.key}},
        "jobs": [{"name": "ran", "jobStatus": "COMPLETE", "lastRunAt": chrono::Utc::now() - chrono::Duration::days(1)}]
    })));
    s.sdk = stand_in_config(s.macie.url()).await;
    let head = mock!(aws_sdk_s3::Client::head_bucket).then_output(|| {
        HeadBucketOutput::builder()
            .bucket_region("us-east-1")
            .build()
    });
    let policy = policy_rule(&s);
    let denied = mock!(aws_sdk_s3::Client::list_objects_v2)
        .match_requests(|r| {
            r.prefix().is_some_and(|p| p.contains("/Macie/us-east-1/"))
                && r.expected_bucket_owner() == Some(ACCOUNT)
        })
        .then_http_response(|| {
            HttpResponse::new(
                403.try_into().unwrap(),
                SdkBody::from(
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                ),
            )
        });
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head, &policy, &denied]);
    let codes = check_with(&s, vec![("us-east-1", client)]).await;
    assert_eq!(codes, vec!["RESULTS_UNVERIFIED"]);
}

fn policy_rule(s: &Setup) -> aws_smithy_mocks::Rule {
    let policy = s.good_bucket_policy(vec![]).to_string();
    mock!(aws_sdk_s3::Client::get_bucket_policy).then_output(move || {
        GetBucketPolicyOutput::builder()
            .policy(policy.clone())
            .build()
    })
}

#[tokio::test]
async fn a_bucket_of_another_account_without_expected_owner() {
    let s = Setup::healthy("us-east-1").await;
    // HeadBucket answers; HeadBucket with ExpectedBucketOwner = this account is refused.
    let head = mock!(aws_sdk_s3::Client::head_bucket)
        .sequence()
        .output(|| {
            HeadBucketOutput::builder()
                .bucket_region("us-east-1")
                .build()
        })
        .http_response(|| status(403, None))
        .build();
    let policy = policy_rule(&s);
    let c = check_with(
        &s,
        vec![(
            "us-east-1",
            mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head, &policy]),
        )],
    )
    .await;
    assert_eq!(c, vec!["BUCKET_OTHER_ACCOUNT_NO_EXPECTED_OWNER"]);
    assert_eq!(head.num_calls(), 2);
}

#[tokio::test]
async fn head_bucket_denied_still_gives_the_region() {
    let s = Setup::healthy("us-east-1").await;
    let head = mock!(aws_sdk_s3::Client::head_bucket)
        .then_http_response(|| status(403, Some("af-south-1")));
    let c = check_with(
        &s,
        vec![(
            "us-east-1",
            mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head]),
        )],
    )
    .await;
    assert_eq!(
        c,
        vec![
            "BUCKET_REGION_FORBIDDEN",
            "BUCKET_UNVERIFIED",
            "KEY_REGION_MISMATCH"
        ],
        "the Region rule still applies"
    );
}

#[tokio::test]
async fn a_redirect_is_followed_to_the_buckets_region_once() {
    let s = Setup::healthy("us-east-1").await;
    let here = mock!(aws_sdk_s3::Client::head_bucket)
        .then_http_response(|| status(301, Some("eu-west-1")));
    let there = mock!(aws_sdk_s3::Client::head_bucket).then_output(|| {
        HeadBucketOutput::builder()
            .bucket_region("eu-west-1")
            .build()
    });
    let policy = policy_rule(&s);
    let c = check_with(
        &s,
        vec![
            (
                "us-east-1",
                mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&here]),
            ),
            (
                "eu-west-1",
                mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&there, &policy]),
            ),
        ],
    )
    .await;
    assert_eq!(
        c,
        vec!["KEY_REGION_MISMATCH"],
        "bucket found in eu-west-1; the key is in us-east-1"
    );
    assert_eq!((here.num_calls(), there.num_calls()), (1, 2));
}
