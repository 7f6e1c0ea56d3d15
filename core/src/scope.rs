//! The account and Region a function acts in, and the partitions Regions belong to.

use serde::Serialize;

use crate::error::Error;

/// A partition and the Region names it holds, as the SDK's published partition data writes
/// them (`partitions.json` version 1.1, as embedded in aws-sdk-s3 1.157.0's endpoint
/// resolver): `regionRegex` is `^PREFIX-\\w+-\\d+$` for each, with `PREFIX` one of
/// `prefixes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub id: &'static str,
    pub prefixes: &'static [&'static str],
}

/// Every partition, the most specific patterns first (`us-gov-...` before `us-...`).
pub const PARTITIONS: [Partition; 8] = [
    Partition {
        id: "aws-eusc",
        prefixes: &["eusc-de"],
    },
    Partition {
        id: "aws-iso",
        prefixes: &["us-iso"],
    },
    Partition {
        id: "aws-iso-b",
        prefixes: &["us-isob"],
    },
    Partition {
        id: "aws-iso-e",
        prefixes: &["eu-isoe"],
    },
    Partition {
        id: "aws-iso-f",
        prefixes: &["us-isof"],
    },
    Partition {
        id: "aws-us-gov",
        prefixes: &["us-gov"],
    },
    Partition {
        id: "aws-cn",
        prefixes: &["cn"],
    },
    Partition {
        id: "aws",
        prefixes: &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
    },
];

/// The partition whose `regionRegex` matches `region` exactly, if any.
pub fn partition_for(region: &str) -> Option<&'static Partition> {
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    PARTITIONS.iter().find(|p| {
        p.prefixes.iter().any(|prefix| {
            region
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|rest| rest.rsplit_once('-'))
                .is_some_and(|(name, number)| word(name) && digits(number))
        })
    })
}

/// The partition of a Region name (for ARNs); `aws` for a name no partition knows.
pub fn partition_of(region: &str) -> &'static str {
    partition_for(region).map(|p| p.id).unwrap_or("aws")
}

/// The one account and Region whose jobs a function may touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Scope {
        Scope {
            account: account.into(),
            region: region.into(),
        }
    }

    /// The account from the invoked function's ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`):
    /// no extra call.
    fn from_function_arn(arn: &str, region: &str) -> Result<Scope, Error> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "lambda", _, account, "function", ..] if is_account(account) => {
                Ok(Scope::new(*account, region))
            }
            _ => Err(Error::Config {
                name: "invoked function ARN",
                value: arn.to_string(),
                reason: "expected arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME".into(),
            }),
        }
    }

    /// The scope of an invocation: the account from the invoked function's ARN; where the
    /// context carries no real function ARN (local runtimes such as `cargo lambda watch`), the
    /// configured `fallback_account` (MACIE_GUARD_ACCOUNT_ID).
    pub fn of_invocation(
        arn: &str,
        region: &str,
        fallback_account: Option<&str>,
    ) -> Result<Scope, Error> {
        match (Scope::from_function_arn(arn, region), fallback_account) {
            (Ok(scope), _) => Ok(scope),
            (Err(_), Some(account)) if is_account(account) => Ok(Scope::new(account, region)),
            (Err(e), _) => Err(e),
        }
    }

    /// The journal's partition key for this scope (`ACCOUNT#REGION`).
    pub fn journal_key(&self) -> String {
        format!("{}#{}", self.account, self.region)
    }

    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// The ARN of a regional resource of this account and Region (`arn:P:SERVICE:R:A:RESOURCE`).
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account
        )
    }

    pub fn job_arn(&self, job_id: &str) -> String {
        format!(
            "arn:{}:macie2:{}:{}:classification-job/{job_id}",
            self.partition(),
            self.region,
            self.account
        )
    }
}

pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_comes_from_the_function_arn() {
        let s = Scope::from_function_arn(
            "arn:aws:lambda:eu-west-1:111122223333:function:expiry-guard:live",
            "eu-west-1",
        )
        .unwrap();
        assert_eq!(s, Scope::new("111122223333", "eu-west-1"));
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1:1111:function:x",
            "arn:aws:s3:::b",
        ] {
            assert!(Scope::from_function_arn(bad, "eu-west-1").is_err(), "{bad}");
        }
    }

    #[test]
    fn every_partition_of_the_sdk_data() {
        for (region, id) in [
            ("us-east-1", "aws"),
            ("mx-central-1", "aws"),
            ("il-central-1", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-east-1", "aws-us-gov"),
            ("eusc-de-east-1", "aws-eusc"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
        ] {
            assert_eq!(partition_for(region).map(|p| p.id), Some(id), "{region}");
            assert!(Scope::new("123456789012", region)
                .job_arn("a")
                .starts_with(&format!("arn:{id}:macie2:{region}:")));
        }
        for none in [
            "",
            "mars-east-1",
            "us-east",
            "us-east-x",
            "eusc-fr-east-1",
            "us--1",
        ] {
            assert_eq!(partition_for(none), None, "{none}");
        }
    }
}
