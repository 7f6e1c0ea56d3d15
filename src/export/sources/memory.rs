//! Export facts in memory, for the orchestration's tests: what is given is answered, what
//! is not is "cannot verify"; the reads are counted.

use std::collections::HashMap;
use std::sync::Mutex;

use super::ExportSources;
use macie_guard_core::export::evidence::{ResultsFact, RunFact};
use macie_guard_core::export::facts::{BucketFact, ConfigFact, KeyFact, Membership, PolicyFact};

/// Export facts per Region (configuration) and per resource (bucket, key, policies); what is
/// not given is "cannot verify". Counts the reads.
#[derive(Default)]
pub struct MemorySources {
    pub configs: HashMap<String, ConfigFact>,
    /// Per Region; none given: a standalone account.
    pub memberships: HashMap<String, Membership>,
    pub buckets: HashMap<String, BucketFact>,
    pub bucket_policies: HashMap<String, PolicyFact>,
    pub keys: HashMap<String, KeyFact>,
    pub key_policies: HashMap<String, PolicyFact>,
    /// Per Region; none given: no job has run.
    pub runs: HashMap<String, RunFact>,
    /// Per results prefix; none given: cannot be listed.
    pub results: HashMap<String, ResultsFact>,
    pub reads: Mutex<Vec<String>>,
}

impl MemorySources {
    fn read(&self, what: String) {
        self.reads.lock().unwrap().push(what);
    }
}

fn unverified() -> String {
    "the stand-in has no answer".into()
}

impl ExportSources for MemorySources {
    async fn latest_run(&self, region: &str) -> RunFact {
        self.read(format!("latest run {region}"));
        self.runs.get(region).cloned().unwrap_or(RunFact::NoRun)
    }

    async fn automated_discovery(&self, region: &str) -> Option<bool> {
        self.read(format!("automated discovery {region}"));
        Some(false)
    }

    async fn results(
        &self,
        _region: &str,
        bucket: &str,
        prefix: &str,
        _owner: &str,
    ) -> ResultsFact {
        self.read(format!("results {bucket}/{prefix}"));
        self.results
            .get(prefix)
            .cloned()
            .unwrap_or(ResultsFact::Unverified {
                reason: unverified(),
            })
    }

    async fn configuration(&self, region: &str) -> ConfigFact {
        self.read(format!("configuration {region}"));
        self.configs
            .get(region)
            .cloned()
            .unwrap_or(ConfigFact::Unreadable {
                reason: unverified(),
            })
    }

    async fn membership(&self, region: &str) -> Membership {
        self.read(format!("membership {region}"));
        self.memberships
            .get(region)
            .cloned()
            .unwrap_or(Membership::Standalone)
    }

    async fn bucket(&self, region: &str, bucket: &str, _expected_owner: &str) -> BucketFact {
        self.read(format!("bucket {bucket} from {region}"));
        self.buckets
            .get(bucket)
            .cloned()
            .unwrap_or(BucketFact::Unverified {
                region: None,
                reason: unverified(),
            })
    }

    async fn bucket_policy(&self, _bucket_region: &str, bucket: &str) -> PolicyFact {
        self.read(format!("bucket policy {bucket}"));
        self.bucket_policies
            .get(bucket)
            .cloned()
            .unwrap_or(PolicyFact::Unverified {
                reason: unverified(),
            })
    }

    async fn key(&self, _key_region: &str, key_arn: &str) -> KeyFact {
        self.read(format!("key {key_arn}"));
        self.keys
            .get(key_arn)
            .cloned()
            .unwrap_or(KeyFact::Unverified {
                reason: unverified(),
            })
    }

    async fn key_policy(&self, _key_region: &str, key_arn: &str) -> PolicyFact {
        self.read(format!("key policy {key_arn}"));
        self.key_policies
            .get(key_arn)
            .cloned()
            .unwrap_or(PolicyFact::Unverified {
                reason: unverified(),
            })
    }
}
