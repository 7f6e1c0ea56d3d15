//! What the export guard reads about one Region's export configuration, as plain data: the
//! configuration, the bucket and the key, their policies, membership and the evidence; and the
//! validators the adapter applies to what Macie returns. The rules that judge these facts are
//! `export::checks`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::regions::classify;
use crate::scope::is_account;

/// The export configuration's S3 destination as Macie returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Destination {
    pub bucket_name: Option<String>,
    pub key_prefix: Option<String>,
    pub kms_key_arn: Option<String>,
    pub expected_bucket_owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ConfigFact {
    NotSet,
    Set(Destination),
    Unreadable { reason: String },
}

/// Who owns the bucket, as HeadBucket with `ExpectedBucketOwner` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// The expected owner (the configured `expectedBucketOwner`, else this account).
    Expected,
    Other,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum BucketFact {
    Found {
        region: String,
        owner: Owner,
    },
    Missing,
    /// HeadBucket was refused or failed; the Region header may still have come back.
    Unverified {
        region: Option<String>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyInfo {
    pub arn: String,
    pub state: String,
    pub manager: String,
    pub spec: String,
    pub usage: Option<String>,
    pub deletion_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum KeyFact {
    Found(KeyInfo),
    NotFound { reason: String },
    Unverified { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum PolicyFact {
    Document { text: String },
    None,
    Unverified { reason: String },
}

/// Whether the account is a member of a Macie administrator's organization, and whether it
/// has classification jobs of its own (GetAdministratorAccount, ListClassificationJobs):
/// read only when the Region has no export configuration, to tell noise from a gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Membership {
    /// Not a member: the account runs Macie on its own.
    Standalone,
    /// Associated with an administrator, but the relationship is not `Enabled` (Removed,
    /// Resigned, Paused, Invited, ...): not an active member, so the account's results need a
    /// repository of its own.
    Detached {
        administrator: String,
        status: String,
    },
    /// A member of `administrator`'s organization; `own_jobs`: whether it has jobs of its own
    /// (`None`: cannot tell).
    Member {
        administrator: String,
        own_jobs: Option<bool>,
    },
    Unverified {
        reason: String,
    },
}

/// Everything gathered about one Region's export configuration. What was not gathered
/// (because an earlier fact made it pointless) is `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportFacts {
    pub account: String,
    pub macie_region: String,
    pub config: ConfigFact,
    pub bucket: Option<BucketFact>,
    pub bucket_policy: Option<PolicyFact>,
    pub key: Option<KeyFact>,
    pub key_policy: Option<PolicyFact>,
    /// Read when there is no configuration (see [`Membership`]).
    pub membership: Option<Membership>,
    /// Whether results arrive, read when the bucket was found (see [`crate::export::evidence`]).
    pub evidence: Option<crate::export::evidence::EvidenceFacts>,
}

/// S3 general purpose bucket naming rules; the reason when broken.
pub fn bucket_name_problem(name: &str) -> Option<String> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let ip_like = name.split('.').count() == 4
        && name
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !(3..=63).contains(&name.len()) {
        Some("a bucket name is 3 to 63 characters long".into())
    } else if !ok_chars {
        Some("a bucket name has only lowercase letters, digits, dots and hyphens".into())
    } else if !edge(name.bytes().next()) || !edge(name.bytes().last()) {
        Some("a bucket name begins and ends with a letter or digit".into())
    } else if name.contains("..") {
        Some("a bucket name has no two adjacent dots".into())
    } else if ip_like {
        Some("a bucket name is not formatted as an IP address".into())
    } else if name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
    {
        Some("that prefix or suffix is reserved by S3 (access point aliases and the like)".into())
    } else if name.ends_with("--x-s3") || name.ends_with("--table-s3") {
        Some("that is a directory or table bucket; Macie needs a general purpose bucket".into())
    } else {
        None
    }
}

/// The parts of a KMS key ARN: (partition, Region, account, key id).
pub fn parse_key_arn(arn: &str) -> Result<(String, String, String, String), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "kms", region, account, resource] = parts.as_slice() else {
        return Err(if arn.starts_with("alias/") {
            "this is an alias name; Macie needs the full ARN of the key itself".into()
        } else {
            "expected arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID".into()
        });
    };
    if resource.starts_with("alias/") {
        return Err(
            "this is an alias ARN; Macie needs the ARN of the key itself (arn:...:key/KEY-ID)"
                .into(),
        );
    }
    let Some(id) = resource.strip_prefix("key/").filter(|id| !id.is_empty()) else {
        return Err("expected a key ARN ending in :key/KEY-ID".into());
    };
    if !is_account(account) || classify(region).is_none() {
        return Err("the ARN's account or Region is not valid".into());
    }
    Ok((
        partition.to_string(),
        region.to_string(),
        account.to_string(),
        id.to_string(),
    ))
}

/// What GetAdministratorAccount's answer makes of an account: no administrator, standalone;
/// an administrator with relationship `Enabled`, a member (whose own jobs are read next);
/// any other relationship (Removed, Resigned, Paused, Invited, ...), not a member (Macie API
/// Reference, Invitation.relationshipStatus).
pub fn membership_of(administrator: Option<(String, String)>) -> Result<String, Membership> {
    match administrator {
        None => Err(Membership::Standalone),
        Some((administrator, status)) if status == "Enabled" => Ok(administrator),
        Some((administrator, status)) => Err(Membership::Detached {
            administrator,
            status,
        }),
    }
}
