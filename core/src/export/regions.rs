//! Which Regions may hold Macie's discovery results: a pure table.
//!
//! Macie in a Region enabled by default must store results in a Region enabled by default;
//! Macie in an opt-in Region may store them in that same Region or in a Region enabled by
//! default, never in another opt-in Region. In the `aws` partition the Regions enabled by
//! default are a closed set (every Region launched after 2019-03-20 is opt-in); the
//! `aws-us-gov`, `aws-cn` and `aws-eusc` partitions have no opt-in Regions; the rule of the
//! isolated `aws-iso*` partitions is not known, so it is not applied there.

use serde::Serialize;

/// The `aws` partition's Regions enabled by default (closed set).
pub const ENABLED_BY_DEFAULT: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionClass {
    EnabledByDefault,
    OptIn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionInfo {
    pub partition: &'static str,
    pub class: RegionClass,
}

/// Classifies a Region name by the partition table ([`crate::scope::PARTITIONS`]); `None`
/// for a name that is no Region of a known partition, or of a partition whose Region rule is
/// not known (the isolated `aws-iso*` partitions).
pub fn classify(region: &str) -> Option<RegionInfo> {
    let partition = crate::scope::partition_for(region)?;
    let class = match partition.id {
        "aws" if ENABLED_BY_DEFAULT.contains(&region) => RegionClass::EnabledByDefault,
        "aws" => RegionClass::OptIn,
        // No opt-in Regions in these partitions today.
        "aws-us-gov" | "aws-cn" | "aws-eusc" => RegionClass::EnabledByDefault,
        _ => return None,
    };
    Some(RegionInfo {
        partition: partition.id,
        class,
    })
}

/// Whether Macie in `macie` may store its results in a bucket in `bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Allowed,
    Forbidden(String),
    /// A Region name that is not known: the rule cannot be applied.
    Unknown(String),
}

pub fn placement(macie: &str, bucket: &str) -> Placement {
    let (Some(m), Some(b)) = (classify(macie), classify(bucket)) else {
        let which = if classify(macie).is_none() {
            macie
        } else {
            bucket
        };
        return Placement::Unknown(format!("{which:?} is not a Region name macie-guard knows"));
    };
    if m.partition != b.partition {
        return Placement::Forbidden(format!(
            "Macie in {macie} ({}) cannot store results in {bucket} ({}): another partition",
            m.partition, b.partition
        ));
    }
    match (m.class, b.class) {
        (_, RegionClass::EnabledByDefault) => Placement::Allowed,
        (RegionClass::OptIn, RegionClass::OptIn) if macie == bucket => Placement::Allowed,
        (RegionClass::OptIn, RegionClass::OptIn) => Placement::Forbidden(format!(
            "Macie in the opt-in Region {macie} can store results only in {macie} itself or in a Region enabled by default; {bucket} is another opt-in Region"
        )),
        (RegionClass::EnabledByDefault, RegionClass::OptIn) => Placement::Forbidden(format!(
            "Macie in {macie}, a Region enabled by default, can store results only in a Region enabled by default; {bucket} is an opt-in Region"
        )),
    }
}

/// The Macie service principal in `region`: the regional one in opt-in Regions.
pub fn macie_principal(region: &str) -> String {
    match classify(region) {
        Some(RegionInfo {
            class: RegionClass::OptIn,
            ..
        }) => format!("macie.{region}.amazonaws.com"),
        _ => "macie.amazonaws.com".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        for r in ENABLED_BY_DEFAULT {
            assert_eq!(
                classify(r).unwrap().class,
                RegionClass::EnabledByDefault,
                "{r}"
            );
        }
        for r in [
            "af-south-1",
            "ap-east-1",
            "ap-southeast-7",
            "eu-south-2",
            "il-central-1",
            "mx-central-1",
            "me-central-1",
            "ap-future-9",
        ] {
            assert_eq!(classify(r).unwrap().class, RegionClass::OptIn, "{r}");
        }
        assert_eq!(
            classify("us-gov-west-1").unwrap(),
            RegionInfo {
                partition: "aws-us-gov",
                class: RegionClass::EnabledByDefault
            }
        );
        assert_eq!(classify("cn-northwest-1").unwrap().partition, "aws-cn");
        assert_eq!(
            classify("eusc-de-east-1").unwrap(),
            RegionInfo {
                partition: "aws-eusc",
                class: RegionClass::EnabledByDefault
            }
        );
        for r in [
            "",
            "EU",
            "us-east",
            "mars",
            "us-east-1a",
            "us_east_1",
            "us-isob-east-1",
            "us-iso-east-1",
            "Us-East-1",
            "xx-future-9",
        ] {
            assert!(classify(r).is_none(), "{r:?}");
        }
    }

    #[test]
    fn placement_rule_for_every_region_class() {
        use Placement::*;
        let cases = [
            ("us-east-1", "us-east-1", true),
            ("us-east-1", "eu-west-1", true),
            ("us-east-1", "af-south-1", false),
            ("af-south-1", "af-south-1", true),
            ("af-south-1", "us-east-1", true),
            ("af-south-1", "me-south-1", false),
            ("us-gov-west-1", "us-gov-east-1", true),
            ("us-gov-west-1", "us-east-1", false),
            ("cn-north-1", "cn-northwest-1", true),
            ("us-east-1", "cn-north-1", false),
            ("eusc-de-east-1", "eusc-de-east-1", true),
            ("eusc-de-east-1", "eu-central-1", false),
        ];
        for (m, b, ok) in cases {
            let p = placement(m, b);
            assert_eq!(p == Allowed, ok, "{m} -> {b}: {p:?}");
            if !ok {
                assert!(matches!(p, Forbidden(_)), "{m} -> {b}: {p:?}");
            }
        }
        assert!(matches!(placement("mars-1", "us-east-1"), Unknown(_)));
        assert!(matches!(placement("us-east-1", "EU"), Unknown(ref s) if s.contains("EU")));
    }

    #[test]
    fn principals() {
        assert_eq!(macie_principal("us-east-1"), "macie.amazonaws.com");
        assert_eq!(
            macie_principal("af-south-1"),
            "macie.af-south-1.amazonaws.com"
        );
        assert_eq!(macie_principal("us-gov-west-1"), "macie.amazonaws.com");
    }
}
