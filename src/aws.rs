//! Building the SDK clients, once per process.
//!
//! The standard credential chain and Region chain apply. The SDK's per-service endpoint
//! variables (`AWS_ENDPOINT_URL_MACIE2`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_KMS`,
//! `AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL_DYNAMODB`, or `AWS_ENDPOINT_URL` for all) point the clients at local
//! stand-ins; with a custom S3 endpoint, S3 uses path-style addressing.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_types::service_config::ServiceConfigKey;

use crate::error::{Error, Result};

/// Loads the SDK configuration; `region` overrides the Region chain.
pub async fn load(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    loader.load().await
}

/// The Region of a loaded configuration, or an error that says how to set one.
pub fn region_of(conf: &SdkConfig) -> Result<String> {
    conf.region()
        .map(|r| r.to_string())
        .ok_or_else(|| Error::Config {
            name: "AWS_REGION",
            value: String::new(),
            reason: "no AWS Region is configured: set AWS_REGION, a profile Region, or --region"
                .into(),
        })
}

/// Whether S3 has an endpoint override (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or the
/// profile's `services` section), as the S3 client itself reads it.
fn custom_s3_endpoint(conf: &SdkConfig) -> bool {
    let key = ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build();
    let overridden = match (conf.service_config(), key) {
        (Some(sc), Ok(key)) => sc.load_config(key).is_some(),
        _ => false,
    };
    conf.endpoint_url().is_some() || overridden
}

pub fn macie(conf: &SdkConfig) -> aws_sdk_macie2::Client {
    aws_sdk_macie2::Client::new(conf)
}

pub fn s3(conf: &SdkConfig) -> aws_sdk_s3::Client {
    let builder = aws_sdk_s3::config::Builder::from(conf);
    aws_sdk_s3::Client::from_conf(builder.force_path_style(custom_s3_endpoint(conf)).build())
}

pub fn sns(conf: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(conf)
}

pub fn dynamodb(conf: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(conf)
}

/// The expiry guard's journal: the DynamoDB table named by `table` (JOURNAL_TABLE), or, with
/// none, the process's own (no protection across processes: said in a warning).
pub fn journal(conf: &SdkConfig, table: Option<String>) -> crate::journal::AnyJournal {
    use crate::journal::{AnyJournal, DynamoJournal, MemoryJournal};
    match table {
        Some(table) => AnyJournal::Dynamo(DynamoJournal {
            client: dynamodb(conf),
            table,
        }),
        None => {
            tracing::warn!("JOURNAL_TABLE is not set: leases and open changes live in this process only (no protection against overlapping or interrupted runs of other processes)");
            AnyJournal::Memory(MemoryJournal::new())
        }
    }
}
