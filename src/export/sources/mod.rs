//! The facts port: the narrow view of Macie, S3 and KMS the export guard needs, and its
//! implementation over the SDK clients (the reading plan over it is `gather`). Calls go to the Region that owns each resource
//! (the bucket's Region for its policy, the key's Region for the key), with clients built once
//! per Region and reused.

use aws_config::{Region, SdkConfig};
use aws_sdk_macie2::error::ProvideErrorMetadata;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use crate::error::describe_sdk_error;
use chrono::{DateTime, Utc};
use macie_guard_core::export::evidence::{ResultsFact, RunFact};
use macie_guard_core::export::facts::{
    membership_of, BucketFact, ConfigFact, Destination, KeyFact, KeyInfo, Membership, Owner,
    PolicyFact,
};

/// The reads the export guard makes. Every answer is a fact: a refusal or a failure is
/// "cannot verify", never an error that stops the check.
pub trait ExportSources: Send + Sync {
    fn configuration(&self, region: &str) -> impl Future<Output = ConfigFact> + Send;
    /// GetAdministratorAccount, and for a member ListClassificationJobs (one item is enough):
    /// whether a missing configuration matters.
    fn membership(&self, region: &str) -> impl Future<Output = Membership> + Send;
    /// HeadBucket (from `region`), then HeadBucket with `ExpectedBucketOwner`.
    fn bucket(
        &self,
        region: &str,
        bucket: &str,
        expected_owner: &str,
    ) -> impl Future<Output = BucketFact> + Send;
    fn bucket_policy(
        &self,
        bucket_region: &str,
        bucket: &str,
    ) -> impl Future<Output = PolicyFact> + Send;
    fn key(&self, key_region: &str, key_arn: &str) -> impl Future<Output = KeyFact> + Send;
    /// The latest run among the account's most recently created jobs in `region`.
    fn latest_run(&self, region: &str) -> impl Future<Output = RunFact> + Send;
    /// Whether automated sensitive data discovery is on in `region` (`None`: unknown).
    fn automated_discovery(&self, region: &str) -> impl Future<Output = Option<bool>> + Send;
    /// One bounded listing of `prefix` in `bucket` (in `bucket_region`), as `expected_owner`'s.
    fn results(
        &self,
        bucket_region: &str,
        bucket: &str,
        prefix: &str,
        expected_owner: &str,
    ) -> impl Future<Output = ResultsFact> + Send;
    fn key_policy(
        &self,
        key_region: &str,
        key_arn: &str,
    ) -> impl Future<Output = PolicyFact> + Send;

    /// Why some read since the last call got no answer at all (a connection that failed, a
    /// timeout, an answer that is not AWS's), when one did, and forgets it: a check ends by
    /// taking it, and fails on it rather than report, as findings about the configuration,
    /// what it could not read (a warm function's next check starts clean). None by default.
    fn take_no_answer(&self) -> Option<String> {
        None
    }
}

/// A reference or a shared handle reads what the sources it points to read.
macro_rules! forward {
    ($by:ty) => {
        impl<T: ExportSources> ExportSources for $by {
            fn configuration(&self, region: &str) -> impl Future<Output = ConfigFact> + Send {
                (**self).configuration(region)
            }
            fn membership(&self, region: &str) -> impl Future<Output = Membership> + Send {
                (**self).membership(region)
            }
            fn bucket(
                &self,
                region: &str,
                bucket: &str,
                expected_owner: &str,
            ) -> impl Future<Output = BucketFact> + Send {
                (**self).bucket(region, bucket, expected_owner)
            }
            fn bucket_policy(
                &self,
                bucket_region: &str,
                bucket: &str,
            ) -> impl Future<Output = PolicyFact> + Send {
                (**self).bucket_policy(bucket_region, bucket)
            }
            fn latest_run(&self, region: &str) -> impl Future<Output = RunFact> + Send {
                (**self).latest_run(region)
            }
            fn automated_discovery(
                &self,
                region: &str,
            ) -> impl Future<Output = Option<bool>> + Send {
                (**self).automated_discovery(region)
            }
            fn results(
                &self,
                bucket_region: &str,
                bucket: &str,
                prefix: &str,
                expected_owner: &str,
            ) -> impl Future<Output = ResultsFact> + Send {
                (**self).results(bucket_region, bucket, prefix, expected_owner)
            }
            fn key(&self, key_region: &str, key_arn: &str) -> impl Future<Output = KeyFact> + Send {
                (**self).key(key_region, key_arn)
            }
            fn key_policy(
                &self,
                key_region: &str,
                key_arn: &str,
            ) -> impl Future<Output = PolicyFact> + Send {
                (**self).key_policy(key_region, key_arn)
            }
            fn take_no_answer(&self) -> Option<String> {
                (**self).take_no_answer()
            }
        }
    };
}
forward!(&T);
forward!(std::sync::Arc<T>);

/// Sources that count each Region read (its configuration, the first read of a Region's
/// check) in a tally: the CLI's progress bar over a check's Regions.
pub struct Counted<S> {
    pub inner: S,
    pub tally: std::sync::Arc<crate::progress::Tally>,
}

impl<S: ExportSources> ExportSources for Counted<S> {
    async fn configuration(&self, region: &str) -> ConfigFact {
        let fact = self.inner.configuration(region).await;
        self.tally.one_done();
        fact
    }
    fn membership(&self, region: &str) -> impl Future<Output = Membership> + Send {
        self.inner.membership(region)
    }
    fn bucket(
        &self,
        region: &str,
        bucket: &str,
        expected_owner: &str,
    ) -> impl Future<Output = BucketFact> + Send {
        self.inner.bucket(region, bucket, expected_owner)
    }
    fn bucket_policy(
        &self,
        bucket_region: &str,
        bucket: &str,
    ) -> impl Future<Output = PolicyFact> + Send {
        self.inner.bucket_policy(bucket_region, bucket)
    }
    fn latest_run(&self, region: &str) -> impl Future<Output = RunFact> + Send {
        self.inner.latest_run(region)
    }
    fn automated_discovery(&self, region: &str) -> impl Future<Output = Option<bool>> + Send {
        self.inner.automated_discovery(region)
    }
    fn results(
        &self,
        bucket_region: &str,
        bucket: &str,
        prefix: &str,
        expected_owner: &str,
    ) -> impl Future<Output = ResultsFact> + Send {
        self.inner
            .results(bucket_region, bucket, prefix, expected_owner)
    }
    fn key(&self, key_region: &str, key_arn: &str) -> impl Future<Output = KeyFact> + Send {
        self.inner.key(key_region, key_arn)
    }
    fn key_policy(
        &self,
        key_region: &str,
        key_arn: &str,
    ) -> impl Future<Output = PolicyFact> + Send {
        self.inner.key_policy(key_region, key_arn)
    }
    fn take_no_answer(&self) -> Option<String> {
        self.inner.take_no_answer()
    }
}

pub mod aws;
pub mod memory;

pub use aws::AwsSources;
