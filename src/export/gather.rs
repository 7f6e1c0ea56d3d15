//! The reading plan: which facts to read for one Region's export configuration, given what
//! was read so far, through the facts port ([`ExportSources`]). Reads at once what does not
//! depend on another answer; skips what an earlier fact makes pointless.

use chrono::{DateTime, Utc};

use super::sources::ExportSources;
use macie_guard_core::export::evidence::{results_prefix, EvidenceFacts, RunFact};
use macie_guard_core::export::facts::{
    bucket_name_problem, parse_key_arn, BucketFact, ConfigFact, Destination, ExportFacts, KeyFact,
};

/// Reads the rest of the facts for a configuration already read: bucket and key at once,
/// then their policies at once. Skips what an earlier fact makes pointless.
pub async fn gather<S: ExportSources>(
    src: &S,
    account: &str,
    region: &str,
    config: ConfigFact,
    clock: (DateTime<Utc>, chrono::Duration),
) -> ExportFacts {
    let mut facts = ExportFacts {
        account: account.to_string(),
        macie_region: region.to_string(),
        config,
        bucket: None,
        bucket_policy: None,
        key: None,
        key_policy: None,
        membership: None,
        evidence: None,
    };
    if facts.config == ConfigFact::NotSet {
        facts.membership = Some(src.membership(region).await);
        return facts;
    }
    let ConfigFact::Set(dest) = &facts.config else {
        return facts;
    };
    let Destination {
        bucket_name,
        kms_key_arn,
        expected_bucket_owner,
        key_prefix,
    } = dest.clone();
    let bucket = bucket_name.filter(|b| bucket_name_problem(b).is_none());
    let key = kms_key_arn.and_then(|k| parse_key_arn(&k).ok().map(|(_, r, _, _)| (r, k)));
    let owner = expected_bucket_owner.unwrap_or_else(|| account.to_string());

    let (bucket_fact, key_fact) = tokio::join!(
        async {
            match &bucket {
                Some(b) => Some(src.bucket(region, b, &owner).await),
                None => None,
            }
        },
        async {
            match &key {
                Some((r, k)) => Some(src.key(r, k).await),
                None => None,
            }
        }
    );
    let (bucket_policy, key_policy) = tokio::join!(
        async {
            match (&bucket, &bucket_fact) {
                (Some(b), Some(BucketFact::Found { region, .. })) => {
                    Some(src.bucket_policy(region, b).await)
                }
                _ => None,
            }
        },
        async {
            match (&key, &key_fact) {
                (Some((r, k)), Some(KeyFact::Found(_))) => Some(src.key_policy(r, k).await),
                _ => None,
            }
        }
    );
    // Evidence: only where the bucket was found; one bounded list of jobs (and a describe of
    // each), one bounded listing of the latest run's results.
    if let (
        Some(b),
        Some(BucketFact::Found {
            region: bucket_region,
            ..
        }),
    ) = (&bucket, &bucket_fact)
    {
        let (now, grace) = clock;
        let (run, automated_discovery) =
            tokio::join!(src.latest_run(region), src.automated_discovery(region));
        let results = match &run {
            RunFact::Ran { job_id, .. } => {
                let prefix = results_prefix(key_prefix.as_deref(), account, region, job_id);
                Some(src.results(bucket_region, b, &prefix, &owner).await)
            }
            _ => None,
        };
        facts.evidence = Some(EvidenceFacts {
            now,
            grace_hours: grace.num_hours(),
            run,
            results,
            automated_discovery,
        });
    }
    facts.bucket = bucket_fact;
    facts.key = key_fact;
    facts.bucket_policy = bucket_policy;
    facts.key_policy = key_policy;
    facts
}
