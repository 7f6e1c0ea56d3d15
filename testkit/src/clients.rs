//! Real SDK clients and configurations pointed at the stand-ins, as an account of the test
//! organization, and the environment a process needs to reach them.

use std::path::PathBuf;
use std::time::Duration;

use crate::*;

/// The SDK configuration every client of the tests shares: explicit Region (no instance
/// metadata probe), dummy credentials, the SDK's standard retries (3 attempts) with a short
/// first backoff so retry tests stay fast.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .credentials_provider(aws_sdk_macie2::config::Credentials::new(
            "AKIDLOCAL",
            "local-secret",
            None,
            None,
            "testkit",
        ))
        .load()
        .await
}

/// Per-service endpoints, answered the way aws-config answers `AWS_ENDPOINT_URL_<SERVICE>`,
/// but for one SDK configuration only (tests run in parallel in one process).
#[derive(Debug)]
struct Endpoints(Vec<(String, String)>);

impl aws_types::service_config::LoadServiceConfig for Endpoints {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        if key.env() != "AWS_ENDPOINT_URL" {
            return None;
        }
        let id = key.service_id().to_ascii_uppercase();
        self.0
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, url)| url.clone())
    }
}

/// An SDK configuration whose Macie client talks to `macie` and whose S3, KMS and SNS clients
/// talk to moto: what a process with the `AWS_ENDPOINT_URL_<SERVICE>` variables gets.
pub async fn stand_in_config(macie: &str) -> aws_config::SdkConfig {
    let moto = moto().url.clone();
    let endpoints = Endpoints(vec![
        ("MACIE2".into(), macie.to_string()),
        ("S3".into(), moto.clone()),
        ("KMS".into(), moto.clone()),
        ("SNS".into(), moto.clone()),
        ("EVENTBRIDGE".into(), moto.clone()),
        ("STS".into(), moto.clone()),
        ("ORGANIZATIONS".into(), moto.clone()),
        ("SECURITYHUB".into(), moto.clone()),
        ("SQS".into(), moto.clone()),
        ("CLOUDFORMATION".into(), moto.clone()),
        ("LAMBDA".into(), moto.clone()),
        ("SCHEDULER".into(), moto.clone()),
        ("CLOUDWATCH".into(), moto.clone()),
        ("DYNAMODB".into(), moto),
    ]);
    sdk_config()
        .await
        .into_builder()
        .service_config(endpoints)
        .build()
}

pub async fn macie_client(endpoint: &str) -> aws_sdk_macie2::Client {
    let conf = aws_sdk_macie2::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_macie2::Client::from_conf(conf)
}

pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub async fn kms_client(endpoint: &str) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

pub async fn sns_client(endpoint: &str) -> aws_sdk_sns::Client {
    let conf = aws_sdk_sns::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sns::Client::from_conf(conf)
}

pub async fn eventbridge_client(conf: &aws_config::SdkConfig) -> aws_sdk_eventbridge::Client {
    let conf = aws_sdk_eventbridge::config::Builder::from(conf)
        .endpoint_url(&moto().url)
        .build();
    aws_sdk_eventbridge::Client::from_conf(conf)
}

/// The test configuration signed as another account of moto: credentials from moto's STS
/// AssumeRole of a role in `account` (moto tells accounts apart by the access key a request
/// is signed with). Its clients still need their endpoints (see [`stand_in_config`]).
pub async fn as_account(conf: &aws_config::SdkConfig, account: &str) -> aws_config::SdkConfig {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(conf)
            .endpoint_url(&moto().url)
            .build(),
    );
    let c = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/testkit"))
        .role_session_name("testkit")
        .send()
        .await
        .expect("moto's STS assumes any role")
        .credentials
        .expect("credentials");
    conf.clone()
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_sdk_macie2::config::Credentials::new(
                    c.access_key_id,
                    c.secret_access_key,
                    Some(c.session_token),
                    None,
                    "testkit-assumed",
                ),
            ),
        )
        .build()
}

/// The credentials a configuration signs with.
pub async fn credentials_of(conf: &aws_config::SdkConfig) -> aws_credential_types::Credentials {
    use aws_credential_types::provider::ProvideCredentials;
    conf.credentials_provider()
        .expect("a credentials provider")
        .provide_credentials()
        .await
        .expect("credentials")
}

/// The access key a configuration signs with.
pub async fn access_key_of(conf: &aws_config::SdkConfig) -> String {
    credentials_of(conf).await.access_key_id().to_string()
}

/// The SDK's per-service endpoint variables for a process (a Lambda binary, the CLI) that
/// should talk to these stand-ins.
pub fn endpoint_env(macie: &str, moto: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL_MACIE2", macie),
        ("AWS_ENDPOINT_URL_S3", moto),
        ("AWS_ENDPOINT_URL_KMS", moto),
        ("AWS_ENDPOINT_URL_SNS", moto),
        ("AWS_ENDPOINT_URL_DYNAMODB", moto),
        ("AWS_ENDPOINT_URL_EVENTBRIDGE", moto),
        ("AWS_ENDPOINT_URL_STS", moto),
        ("AWS_ENDPOINT_URL_ORGANIZATIONS", moto),
        ("AWS_ENDPOINT_URL_SECURITYHUB", moto),
        ("AWS_ENDPOINT_URL_SQS", moto),
        ("AWS_ENDPOINT_URL_CLOUDFORMATION", moto),
        ("AWS_ENDPOINT_URL_LAMBDA", moto),
        ("AWS_ENDPOINT_URL_SCHEDULER", moto),
        ("AWS_ENDPOINT_URL_CLOUDWATCH", moto),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([
        ("AWS_REGION".to_string(), REGION.to_string()),
        ("AWS_ACCESS_KEY_ID".to_string(), "AKIDLOCAL".to_string()),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            "local-secret".to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        (
            "MACIE_GUARD_STATE_DIR".to_string(),
            fresh_state_dir().display().to_string(),
        ),
    ])
    .collect()
}

/// A state directory no other process uses (the CLI's journal file lives there): each
/// process started with [`endpoint_env`] has its own, as separate machines would.
pub fn fresh_state_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "macie-guard-test-state/{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

pub async fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}
