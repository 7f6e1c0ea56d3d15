//! Table tests: one healthy baseline, then one change per rule.
//!
//! Why one file this long: every rule's test changes one field of the same healthy baseline;
//! kept together, the baseline and its variations read as one table.

use super::*;
use crate::export::facts::*;
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn conditions(region: &str) -> Value {
    json!({
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": [
            format!("arn:aws:macie2:{region}:{ACCOUNT}:export-configuration:*"),
            format!("arn:aws:macie2:{region}:{ACCOUNT}:classification-job/*")
        ]}
    })
}

fn key_policy(principal: &str, region: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Macie", "Effect": "Allow", "Principal": {"Service": principal}, "Action": ["kms:GenerateDataKey", "kms:Encrypt"], "Resource": "*", "Condition": conditions(region)}
    ]}).to_string()
}

fn bucket_policy(principal: &str, region: &str, extra: Vec<Value>) -> String {
    let mut st = vec![
        json!({"Effect": "Allow", "Principal": {"Service": principal}, "Action": "s3:GetBucketLocation", "Resource": "arn:aws:s3:::results", "Condition": conditions(region)}),
        json!({"Effect": "Allow", "Principal": {"Service": principal}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/macie/*", "Condition": conditions(region)}),
    ];
    st.extend(extra);
    json!({"Version": "2012-10-17", "Statement": st}).to_string()
}

fn healthy(region: &str) -> ExportFacts {
    let principal = super::macie_principal(region);
    let key = KEY.replace("us-east-1", region);
    ExportFacts {
        account: ACCOUNT.into(),
        macie_region: region.into(),
        config: ConfigFact::Set(Destination {
            bucket_name: Some("results".into()),
            key_prefix: Some("macie/".into()),
            kms_key_arn: Some(key.clone()),
            expected_bucket_owner: None,
        }),
        bucket: Some(BucketFact::Found {
            region: region.into(),
            owner: Owner::Expected,
        }),
        bucket_policy: Some(PolicyFact::Document {
            text: bucket_policy(&principal, region, vec![]),
        }),
        key: Some(KeyFact::Found(KeyInfo {
            arn: key,
            state: "Enabled".into(),
            manager: "CUSTOMER".into(),
            spec: "SYMMETRIC_DEFAULT".into(),
            usage: Some("ENCRYPT_DECRYPT".into()),
            deletion_date: None,
        })),
        key_policy: Some(PolicyFact::Document {
            text: key_policy(&principal, region),
        }),
        membership: None,
        evidence: None,
    }
}

/// A missing configuration is noise in a member account with no jobs of its own (the
/// administrator's jobs store their results in its repository), a gap everywhere else; the
/// finding says which and why.
#[test]
fn a_missing_configuration_is_info_only_for_a_member_without_jobs_of_its_own() {
    let missing = |membership: Option<Membership>| {
        let mut f = healthy("us-east-1");
        f.config = ConfigFact::NotSet;
        f.membership = membership;
        let found = check(&f);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "EXPORT_CONFIG_MISSING");
        found.into_iter().next().unwrap()
    };
    let member = |own_jobs| {
        Some(Membership::Member {
            administrator: "111122223333".into(),
            own_jobs,
        })
    };
    let quiet = missing(member(Some(false)));
    assert_eq!(quiet.severity, Severity::Info);
    assert!(
        quiet.message.contains("111122223333")
            && quiet.message.contains("no classification jobs of its own"),
        "{}",
        quiet.message
    );
    let own = missing(member(Some(true)));
    assert_eq!(own.severity, Severity::Critical);
    assert!(own.message.contains("jobs of its own"), "{}", own.message);
    assert_eq!(missing(member(None)).severity, Severity::Critical);
    assert_eq!(
        missing(Some(Membership::Standalone)).severity,
        Severity::Critical
    );
    assert_eq!(
        missing(Some(Membership::Unverified {
            reason: "AccessDenied".into()
        }))
        .severity,
        Severity::Critical
    );
    assert_eq!(missing(None).severity, Severity::Critical);
}

/// Only an `Enabled` relationship makes a member: a removed, resigned, paused or invited
/// account runs Macie on its own, and a missing configuration there is critical.
#[test]
fn only_an_enabled_relationship_is_membership() {
    let admin = |status: &str| Some(("111122223333".to_string(), status.to_string()));
    assert_eq!(
        membership_of(admin("Enabled")),
        Ok("111122223333".to_string())
    );
    assert_eq!(membership_of(None), Err(Membership::Standalone));
    for status in [
        "Paused",
        "Invited",
        "Created",
        "Removed",
        "Resigned",
        "EmailVerificationInProgress",
        "EmailVerificationFailed",
        "RegionDisabled",
        "AccountSuspended",
    ] {
        let not_a_member = membership_of(admin(status)).unwrap_err();
        let mut f = healthy("us-east-1");
        f.config = ConfigFact::NotSet;
        f.membership = Some(not_a_member);
        let found = check(&f);
        assert_eq!(found[0].severity, Severity::Critical, "{status}");
        assert!(
            found[0]
                .message
                .contains(&format!("is {status}, not Enabled")),
            "{}",
            found[0].message
        );
    }
}

fn codes(f: &ExportFacts) -> Vec<&'static str> {
    let mut c: Vec<_> = check(f).iter().map(|f| f.code).collect();
    c.sort();
    c
}

fn key_mut(f: &mut ExportFacts) -> &mut KeyInfo {
    match f.key.as_mut() {
        Some(KeyFact::Found(k)) => k,
        _ => unreachable!("baseline has a key"),
    }
}

#[test]
fn healthy_setups_have_no_findings_in_every_region_class() {
    for region in ["us-east-1", "af-south-1", "us-gov-west-1", "cn-north-1"] {
        let mut f = healthy(region);
        if region.starts_with("us-gov") || region.starts_with("cn-") {
            // Policies in other partitions name their own ARNs.
            let p = if region.starts_with("cn-") {
                "aws-cn"
            } else {
                "aws-us-gov"
            };
            let fix = |t: &str| t.replace("arn:aws:", &format!("arn:{p}:"));
            f.bucket_policy = Some(PolicyFact::Document {
                text: fix(&bucket_policy("macie.amazonaws.com", region, vec![])),
            });
            f.key_policy = Some(PolicyFact::Document {
                text: fix(&key_policy("macie.amazonaws.com", region)),
            });
            if let ConfigFact::Set(d) = &mut f.config {
                d.kms_key_arn = d.kms_key_arn.as_ref().map(|k| fix(k));
            }
        }
        assert_eq!(check(&f), vec![], "{region}");
    }
}

#[test]
fn one_rule_each() {
    type Change = Box<dyn Fn(&mut ExportFacts)>;
    let set = |f: &mut ExportFacts, g: &dyn Fn(&mut Destination)| {
        if let ConfigFact::Set(d) = &mut f.config {
            g(d)
        }
    };
    let cases: Vec<(&str, Change, Vec<&str>)> = vec![
        (
            "no configuration",
            Box::new(|f| f.config = ConfigFact::NotSet),
            vec!["EXPORT_CONFIG_MISSING"],
        ),
        (
            "config unreadable",
            Box::new(|f| {
                f.config = ConfigFact::Unreadable {
                    reason: "AccessDenied".into(),
                }
            }),
            vec!["EXPORT_CONFIG_UNVERIFIED"],
        ),
        (
            "bucket name missing",
            Box::new(move |f| {
                set(f, &|d| d.bucket_name = None);
                f.bucket = None;
                f.bucket_policy = None;
            }),
            vec!["EXPORT_BUCKET_NAME_INVALID"],
        ),
        (
            "bucket name bad",
            Box::new(move |f| {
                set(f, &|d| d.bucket_name = Some("Results_Bucket".into()));
                f.bucket = None;
                f.bucket_policy = None;
            }),
            vec!["EXPORT_BUCKET_NAME_INVALID"],
        ),
        (
            "alias ARN",
            Box::new(move |f| {
                set(f, &|d| {
                    d.kms_key_arn = Some("arn:aws:kms:us-east-1:123456789012:alias/results".into())
                });
                f.key = None;
                f.key_policy = None;
            }),
            vec!["EXPORT_KEY_ARN_INVALID"],
        ),
        (
            "key id only",
            Box::new(move |f| {
                set(f, &|d| {
                    d.kms_key_arn = Some("1234abcd-12ab-34cd-56ef-1234567890ab".into())
                });
                f.key = None;
                f.key_policy = None;
            }),
            vec!["EXPORT_KEY_ARN_INVALID"],
        ),
        (
            "bad expected owner",
            Box::new(move |f| set(f, &|d| d.expected_bucket_owner = Some("me".into()))),
            vec!["EXPORT_EXPECTED_OWNER_INVALID"],
        ),
        (
            "bucket missing",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Missing);
                f.bucket_policy = None;
            }),
            vec!["BUCKET_MISSING"],
        ),
        (
            "bucket denied, region known",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Unverified {
                    region: Some("us-east-1".into()),
                    reason: "AccessDenied".into(),
                });
                f.bucket_policy = None;
            }),
            vec!["BUCKET_UNVERIFIED"],
        ),
        (
            "bucket denied in forbidden region",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Unverified {
                    region: Some("af-south-1".into()),
                    reason: "AccessDenied".into(),
                });
                f.bucket_policy = None;
            }),
            vec![
                "BUCKET_REGION_FORBIDDEN",
                "BUCKET_UNVERIFIED",
                "KEY_REGION_MISMATCH",
            ],
        ),
        (
            "bucket of another account",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Found {
                    region: "us-east-1".into(),
                    owner: Owner::Other,
                })
            }),
            vec!["BUCKET_OTHER_ACCOUNT_NO_EXPECTED_OWNER"],
        ),
        (
            "owner mismatch",
            Box::new(move |f| {
                set(f, &|d| {
                    d.expected_bucket_owner = Some("999999999999".into())
                });
                f.bucket = Some(BucketFact::Found {
                    region: "us-east-1".into(),
                    owner: Owner::Other,
                });
            }),
            vec!["BUCKET_OWNER_MISMATCH"],
        ),
        (
            "owner unknown",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Found {
                    region: "us-east-1".into(),
                    owner: Owner::Unknown,
                })
            }),
            vec!["BUCKET_OWNER_UNVERIFIED"],
        ),
        (
            "bucket in opt-in region",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Found {
                    region: "af-south-1".into(),
                    owner: Owner::Expected,
                })
            }),
            vec!["BUCKET_REGION_FORBIDDEN", "KEY_REGION_MISMATCH"],
        ),
        (
            "bucket region unknown",
            Box::new(|f| {
                f.bucket = Some(BucketFact::Found {
                    region: "EU".into(),
                    owner: Owner::Expected,
                })
            }),
            vec!["BUCKET_REGION_UNKNOWN", "KEY_REGION_MISMATCH"],
        ),
        (
            "key not found",
            Box::new(|f| {
                f.key = Some(KeyFact::NotFound {
                    reason: "NotFoundException".into(),
                });
                f.key_policy = None;
            }),
            vec!["KEY_NOT_FOUND"],
        ),
        (
            "key denied",
            Box::new(|f| {
                f.key = Some(KeyFact::Unverified {
                    reason: "AccessDeniedException".into(),
                });
                f.key_policy = None;
            }),
            vec!["KEY_UNVERIFIED"],
        ),
        (
            "key disabled",
            Box::new(|f| key_mut(f).state = "Disabled".into()),
            vec!["KEY_DISABLED"],
        ),
        (
            "key pending deletion",
            Box::new(|f| {
                let k = key_mut(f);
                k.state = "PendingDeletion".into();
                k.deletion_date = Some("2026-12-01T00:00:00Z".parse().unwrap());
            }),
            vec!["KEY_PENDING_DELETION"],
        ),
        (
            "key pending import",
            Box::new(|f| key_mut(f).state = "PendingImport".into()),
            vec!["KEY_PENDING_IMPORT"],
        ),
        (
            "key unavailable",
            Box::new(|f| key_mut(f).state = "Unavailable".into()),
            vec!["KEY_UNAVAILABLE"],
        ),
        (
            "key creating",
            Box::new(|f| key_mut(f).state = "Creating".into()),
            vec!["KEY_NOT_ENABLED"],
        ),
        (
            "aws managed key",
            Box::new(|f| key_mut(f).manager = "AWS".into()),
            vec!["KEY_NOT_CUSTOMER_MANAGED"],
        ),
        (
            "asymmetric key",
            Box::new(|f| {
                let k = key_mut(f);
                k.spec = "RSA_2048".into();
            }),
            vec!["KEY_NOT_SYMMETRIC"],
        ),
        (
            "signing key",
            Box::new(|f| key_mut(f).usage = Some("SIGN_VERIFY".into())),
            vec!["KEY_USAGE_WRONG"],
        ),
        (
            "usage unknown",
            Box::new(|f| key_mut(f).usage = None),
            vec!["KEY_USAGE_UNVERIFIED"],
        ),
        (
            "key in another region",
            Box::new(move |f| {
                set(f, &|d| {
                    d.kms_key_arn = Some(KEY.replace("us-east-1", "us-west-2"))
                })
            }),
            vec!["KEY_REGION_MISMATCH"],
        ),
        (
            "no key policy statement",
            Box::new(|f| {
                f.key_policy = Some(PolicyFact::Document { text: json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}).to_string() })
            }),
            vec!["KEY_POLICY_MISSING_MACIE"],
        ),
        (
            "key policy unreadable",
            Box::new(|f| {
                f.key_policy = Some(PolicyFact::Unverified {
                    reason: "AccessDeniedException".into(),
                })
            }),
            vec!["KEY_POLICY_UNVERIFIED"],
        ),
        (
            "key policy undecidable",
            Box::new(|f| {
                f.key_policy = Some(PolicyFact::Document { text: json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}}).to_string() })
            }),
            vec!["KEY_POLICY_UNVERIFIED"],
        ),
        (
            "no bucket policy",
            Box::new(|f| f.bucket_policy = Some(PolicyFact::None)),
            vec!["BUCKET_POLICY_MISSING_MACIE"],
        ),
        (
            "no put object",
            Box::new(|f| {
                f.bucket_policy = Some(PolicyFact::Document { text: json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation", "Resource": "arn:aws:s3:::results"}]}).to_string() })
            }),
            vec!["BUCKET_POLICY_NO_PUT_OBJECT"],
        ),
        (
            "put object on another prefix",
            Box::new(|f| {
                f.bucket_policy = Some(PolicyFact::Document { text: json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation", "Resource": "arn:aws:s3:::results"},
            {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/other/*"}]}).to_string() })
            }),
            vec!["BUCKET_POLICY_NO_PUT_OBJECT"],
        ),
        (
            "no get bucket location",
            Box::new(|f| {
                f.bucket_policy = Some(PolicyFact::Document { text: json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/*"}]}).to_string() })
            }),
            vec!["BUCKET_POLICY_NO_GET_BUCKET_LOCATION"],
        ),
        (
            "deny on other keys",
            Box::new(|f| {
                f.bucket_policy = Some(PolicyFact::Document {
                    text: bucket_policy(
                        "macie.amazonaws.com",
                        "us-east-1",
                        vec![
                            json!({"Sid": "OnlyTeamKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:123456789012:key/team"}}}),
                        ],
                    ),
                })
            }),
            vec!["BUCKET_POLICY_DENIES_MACIE"],
        ),
        (
            "bucket policy unreadable",
            Box::new(|f| {
                f.bucket_policy = Some(PolicyFact::Unverified {
                    reason: "AccessDenied".into(),
                })
            }),
            vec!["BUCKET_POLICY_UNVERIFIED"],
        ),
        (
            "bucket policy not json",
            Box::new(|f| f.bucket_policy = Some(PolicyFact::Document { text: "{".into() })),
            vec!["BUCKET_POLICY_UNVERIFIED"],
        ),
    ];
    for (name, change, want) in cases {
        let mut f = healthy("us-east-1");
        change(&mut f);
        assert_eq!(codes(&f), want, "{name}: {:#?}", check(&f));
    }
}

#[test]
fn an_unknown_macie_region_is_a_finding_not_a_crash() {
    let mut f = healthy("us-east-1");
    f.macie_region = "mars-1".into();
    let c = codes(&f);
    assert!(
        c.contains(&"MACIE_REGION_UNKNOWN") && c.contains(&"BUCKET_REGION_UNKNOWN"),
        "{c:?}"
    );
    assert!(
        !c.contains(&"BUCKET_REGION_FORBIDDEN"),
        "nothing is guessed: {c:?}"
    );
}

#[test]
fn opt_in_region_needs_the_regional_principal() {
    let mut f = healthy("af-south-1");
    f.key_policy = Some(PolicyFact::Document {
        text: key_policy("macie.amazonaws.com", "af-south-1"),
    });
    f.bucket_policy = Some(PolicyFact::Document {
        text: bucket_policy("macie.amazonaws.com", "af-south-1", vec![]),
    });
    assert_eq!(
        codes(&f),
        vec![
            "BUCKET_POLICY_NO_GET_BUCKET_LOCATION",
            "BUCKET_POLICY_NO_PUT_OBJECT",
            "KEY_POLICY_MISSING_MACIE"
        ]
    );
    let fix = check(&f)
        .into_iter()
        .find(|x| x.code == "KEY_POLICY_MISSING_MACIE")
        .unwrap();
    assert_eq!(
        fix.statement.unwrap()["Principal"]["Service"],
        "macie.af-south-1.amazonaws.com"
    );
}

#[test]
fn findings_carry_the_exact_statement_with_values_filled_in() {
    let mut f = healthy("eu-west-1");
    f.bucket_policy = Some(PolicyFact::None);
    f.key_policy = Some(PolicyFact::None);
    let findings = check(&f);
    let bucket = findings
        .iter()
        .find(|x| x.code == "BUCKET_POLICY_MISSING_MACIE")
        .unwrap();
    let st = bucket.statement.as_ref().unwrap();
    assert_eq!(st[0]["Resource"], "arn:aws:s3:::results");
    assert_eq!(st[1]["Resource"], "arn:aws:s3:::results/macie/*");
    assert_eq!(
        st[1]["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    assert_eq!(
        st[1]["Condition"]["ArnLike"]["aws:SourceArn"][0],
        "arn:aws:macie2:eu-west-1:123456789012:export-configuration:*"
    );
    assert_eq!(bucket.resource, "arn:aws:s3:::results");
    let key = findings
        .iter()
        .find(|x| x.code == "KEY_POLICY_MISSING_MACIE")
        .unwrap();
    assert_eq!(
        key.statement.as_ref().unwrap()["Action"],
        json!(["kms:GenerateDataKey", "kms:Encrypt"])
    );
    assert_eq!(key.resource, KEY.replace("us-east-1", "eu-west-1"));
    // Once the statements are added, the findings are gone.
    let mut fixed = f.clone();
    let mut bp = json!({"Statement": bucket.statement.clone().unwrap()});
    fixed.bucket_policy = Some(PolicyFact::Document {
        text: bp.to_string(),
    });
    let kp = json!({"Statement": [key.statement.clone().unwrap()]});
    fixed.key_policy = Some(PolicyFact::Document {
        text: kp.to_string(),
    });
    assert_eq!(check(&fixed), vec![]);
    bp["Statement"][1]["Resource"] = json!("arn:aws:s3:::results/*");
    fixed.bucket_policy = Some(PolicyFact::Document {
        text: bp.to_string(),
    });
    assert_eq!(
        check(&fixed),
        vec![],
        "a wider resource still covers the prefix"
    );
}

#[test]
fn messages_name_the_values() {
    let mut f = healthy("us-east-1");
    let k = key_mut(&mut f);
    k.state = "PendingDeletion".into();
    k.deletion_date = Some("2026-12-01T10:00:00Z".parse().unwrap());
    let m = &check(&f)[0].message;
    assert!(m.contains(KEY) && m.contains("2026-12-01 10:00 UTC"), "{m}");
    let mut g = healthy("us-east-1");
    g.bucket = Some(BucketFact::Found {
        region: "af-south-1".into(),
        owner: Owner::Expected,
    });
    let m = check(&g)
        .into_iter()
        .find(|x| x.code == "BUCKET_REGION_FORBIDDEN")
        .unwrap()
        .message;
    assert!(
        m.contains("results") && m.contains("af-south-1") && m.contains("opt-in"),
        "{m}"
    );
}

#[test]
fn bucket_names_and_key_arns() {
    for ok in ["abc", "my.bucket-1", &"a".repeat(63)] {
        assert_eq!(bucket_name_problem(ok), None, "{ok}");
    }
    for bad in [
        "ab",
        "Caps",
        "-lead",
        "trail-",
        "a..b",
        "192.168.1.1",
        "xn--abc",
        "b-s3alias",
        "dir--usw2-az1--x-s3",
        &"a".repeat(64),
    ] {
        assert!(bucket_name_problem(bad).is_some(), "{bad}");
    }
    assert!(parse_key_arn(KEY).is_ok());
    assert!(parse_key_arn(
        "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    )
    .is_ok());
    for bad in [
        "alias/x",
        "arn:aws:kms:us-east-1:123456789012:alias/x",
        "arn:aws:s3:::b",
        "arn:aws:kms:us-east-1:12:key/x",
        "arn:aws:kms:us-east-1:123456789012:key/",
    ] {
        assert!(parse_key_arn(bad).is_err(), "{bad}");
    }
}

/// The Macie User Guide's recommended policies ("Storing and retaining sensitive data
/// discovery results"), with its optional Denies, for a Region, a prefix and an ARN operator.
fn guide_policies(region: &str, prefix: &str, arn_op: &str) -> (String, String) {
    let principal = super::macie_principal(region);
    let key = KEY.replace("us-east-1", region);
    let cond = json!({
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        arn_op: {"aws:SourceArn": [
            format!("arn:aws:macie2:{region}:{ACCOUNT}:export-configuration:*"),
            format!("arn:aws:macie2:{region}:{ACCOUNT}:classification-job/*")
        ]}
    });
    let objects = format!("arn:aws:s3:::results/{prefix}*");
    let bucket = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Allow Macie to use the GetBucketLocation operation", "Effect": "Allow", "Principal": {"Service": principal}, "Action": "s3:GetBucketLocation", "Resource": "arn:aws:s3:::results", "Condition": cond},
        {"Sid": "Allow Macie to add objects to the bucket", "Effect": "Allow", "Principal": {"Service": principal}, "Action": "s3:PutObject", "Resource": objects, "Condition": cond},
        {"Sid": "Deny unencrypted object uploads. This is optional", "Effect": "Deny", "Principal": {"Service": principal}, "Action": "s3:PutObject", "Resource": objects,
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "Deny incorrect encryption headers. This is optional", "Effect": "Deny", "Principal": {"Service": principal}, "Action": "s3:PutObject", "Resource": objects,
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key}}},
        {"Sid": "Deny non-HTTPS access", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::results/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]});
    let key_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow Macie to use the key", "Effect": "Allow", "Principal": {"Service": principal}, "Action": ["kms:GenerateDataKey", "kms:Encrypt"], "Resource": "*", "Condition": cond}
    ]});
    (bucket.to_string(), key_policy.to_string())
}

fn with_policies(region: &str, prefix: &str, bucket: String, key: String) -> ExportFacts {
    let mut f = healthy(region);
    if let ConfigFact::Set(d) = &mut f.config {
        d.key_prefix = (!prefix.is_empty()).then(|| prefix.to_string());
    }
    f.bucket_policy = Some(PolicyFact::Document { text: bucket });
    f.key_policy = Some(PolicyFact::Document { text: key });
    f
}

/// Adds statements to a policy document.
fn plus(policy: &str, extra: &[Value]) -> String {
    let mut v: Value = serde_json::from_str(policy).unwrap();
    v["Statement"]
        .as_array_mut()
        .unwrap()
        .extend(extra.iter().cloned());
    v.to_string()
}

#[test]
fn the_guides_policies_are_clean_with_either_arn_operator_any_prefix_and_opt_in_regions() {
    for region in ["us-east-1", "af-south-1"] {
        for prefix in ["", "macie/", "a/b/"] {
            for op in ["ArnLike", "ArnEquals"] {
                let (bucket, key) = guide_policies(region, prefix, op);
                let f = with_policies(region, prefix, bucket, key);
                assert_eq!(check(&f), vec![], "{region} prefix {prefix:?} {op}");
            }
        }
    }
}

/// AWS's data-perimeter examples (aws-samples/data-perimeter-policy-examples,
/// resource_control_policies/identity_perimeter_rcp.json and
/// network_perimeter_sourcevpc_rcp.json), placeholders filled in: they exempt AWS services
/// and must not be reported.
fn perimeter_denies() -> Vec<Value> {
    vec![
        json!({"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
        "Action": ["s3:*", "sts:AssumeRole", "kms:*", "sqs:*", "dynamodb:*"], "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {
                "aws:PrincipalOrgID": "o-abcdef1234",
                "aws:PrincipalAccount": ["111111111111", "222222222222"],
                "aws:ResourceTag/dp:exclude:identity": "true"
            },
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}
        }}),
        json!({"Sid": "EnforceNetworkPerimeterSourceVPC", "Effect": "Deny", "Principal": "*",
        "Action": ["s3:*", "kms:*", "dynamodb:*"], "Resource": "*",
        "Condition": {
            "NotIpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"},
            "StringNotEqualsIfExists": {
                "aws:SourceVpc": "vpc-12345678",
                "aws:PrincipalTag/dp:exclude:network": "true",
                "aws:PrincipalAccount": ["111111111111"],
                "aws:ResourceTag/dp:exclude:network": "true"
            },
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
            "ArnNotLikeIfExists": {"aws:PrincipalArn": ["arn:aws:iam::*:role/aws:ec2-infrastructure"]},
            "StringEquals": {"aws:PrincipalTag/dp:include:network": "true"}
        }}),
    ]
}

#[test]
fn aws_data_perimeter_examples_are_clean_and_each_small_breakage_is_not() {
    let (bucket, key) = guide_policies("us-east-1", "macie/", "ArnLike");
    let clean = with_policies(
        "us-east-1",
        "macie/",
        plus(&bucket, &perimeter_denies()),
        plus(&key, &perimeter_denies()),
    );
    assert_eq!(check(&clean), vec![]);

    // Without the service exemption the organization Deny blocks Macie (which carries no
    // organization id): critical on both policies.
    // (and without the resource-tag opt-out, whose value depends on the resource's tags: with
    // it the verdict is "cannot verify")
    let mut no_exemption = perimeter_denies()[0].clone();
    let cond = no_exemption["Condition"].as_object_mut().unwrap();
    cond.remove("BoolIfExists");
    cond["StringNotEqualsIfExists"]
        .as_object_mut()
        .unwrap()
        .remove("aws:ResourceTag/dp:exclude:identity");
    let f = with_policies(
        "us-east-1",
        "macie/",
        plus(&bucket, std::slice::from_ref(&no_exemption)),
        plus(&key, &[no_exemption]),
    );
    assert_eq!(
        codes(&f),
        vec![
            "BUCKET_POLICY_DENIES_MACIE",
            "BUCKET_POLICY_DENIES_MACIE",
            "KEY_POLICY_MISSING_MACIE"
        ]
    );
}

#[test]
fn small_breakages_of_the_guides_policies_are_never_clean() {
    let (bucket, key) = guide_policies("us-east-1", "macie/", "ArnLike");
    let critical = |bucket: String, key: String| {
        let f = with_policies("us-east-1", "macie/", bucket, key);
        check(&f)
            .into_iter()
            .filter(|x| x.severity == Severity::Critical)
            .map(|x| x.code)
            .collect::<Vec<_>>()
    };
    // The account part dropped from the SourceArn pattern: AWS matches ARNs part by part, so
    // it never matches and Macie gets nothing.
    let short = bucket.replace(
        "arn:aws:macie2:us-east-1:123456789012:export-configuration:*",
        "arn:aws:macie2:us-east-1:export-configuration:*",
    );
    assert!(!critical(short, key.clone()).is_empty());
    // A Deny of unencrypted uploads widened to s3:* also blocks GetBucketLocation, which
    // carries no encryption header.
    let widened = plus(
        &bucket,
        &[
            json!({"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::results", "arn:aws:s3:::results/*"],
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}),
        ],
    );
    assert_eq!(
        critical(widened, key.clone()),
        vec!["BUCKET_POLICY_DENIES_MACIE"]
    );
    // A Deny on every service principal.
    let no_services = plus(
        &bucket,
        &[
            json!({"Sid": "NoServices", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
            "Condition": {"Null": {"aws:PrincipalServiceName": "false"}}}),
        ],
    );
    assert_eq!(
        critical(no_services, key.clone()),
        vec!["BUCKET_POLICY_DENIES_MACIE"]
    );
    // A Deny with ArnEquals on the job ARNs.
    let no_jobs = plus(
        &bucket,
        &[
            json!({"Sid": "NoJobs", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:macie2:us-east-1:123456789012:classification-job/*"}}}),
        ],
    );
    assert_eq!(
        critical(no_jobs, key.clone()),
        vec!["BUCKET_POLICY_DENIES_MACIE"]
    );
    // No grant at all, beside a Deny nobody can decide: still critical, never "cannot verify".
    let tls = json!({"Sid": "TLS12", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}});
    let caller = json!({"Sid": "Caller", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:CallerAccount": "123456789012"}}});
    let root_only = json!({"Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "*", "Resource": "*"}]}).to_string();
    let mut got = critical(plus(&root_only, &[tls]), plus(&root_only, &[caller]));
    got.sort();
    assert_eq!(
        got,
        vec![
            "BUCKET_POLICY_NO_GET_BUCKET_LOCATION",
            "BUCKET_POLICY_NO_PUT_OBJECT",
            "KEY_POLICY_MISSING_MACIE"
        ]
    );
}

/// The policy of a key or bucket in another account cannot be read from this one: the fix
/// says who can check it, not a permission that cannot help.
#[test]
fn policies_in_other_accounts_get_advice_that_can_work() {
    let mut f = healthy("us-east-1");
    let other_key = KEY.replace(ACCOUNT, "999999999999");
    if let ConfigFact::Set(d) = &mut f.config {
        d.kms_key_arn = Some(other_key.clone());
        d.expected_bucket_owner = Some("888888888888".into());
    }
    f.bucket = Some(BucketFact::Found {
        region: "us-east-1".into(),
        owner: Owner::Expected,
    });
    key_mut(&mut f).arn = other_key;
    let denied = PolicyFact::Unverified {
        reason: "AccessDeniedException".into(),
    };
    f.key_policy = Some(denied.clone());
    f.bucket_policy = Some(denied);
    let found = check(&f);
    for code in ["KEY_POLICY_UNVERIFIED", "BUCKET_POLICY_UNVERIFIED"] {
        let x = found.iter().find(|x| x.code == code).expect(code);
        assert!(
            !x.fix.contains("Allow the function") && x.fix.contains("account"),
            "{code}: {}",
            x.fix
        );
    }
    let key_fix = &found
        .iter()
        .find(|x| x.code == "KEY_POLICY_UNVERIFIED")
        .unwrap()
        .fix;
    assert!(key_fix.contains("999999999999"), "{key_fix}");
    let bucket_fix = &found
        .iter()
        .find(|x| x.code == "BUCKET_POLICY_UNVERIFIED")
        .unwrap()
        .fix;
    assert!(bucket_fix.contains("888888888888"), "{bucket_fix}");
}

/// Results written after the latest run answer a "cannot verify": the finding stays, as info,
/// saying so; a run without results after it is critical and names the likely causes.
#[test]
fn evidence_turns_cannot_verify_into_verified_and_names_causes_when_results_are_missing() {
    use crate::export::evidence::{EvidenceFacts, ResultsFact, RunFact};
    let now = chrono::Utc::now();
    let run = |hours: i64| RunFact::Ran {
        job_id: "j1".into(),
        name: "weekly".into(),
        at: now - chrono::Duration::hours(hours),
    };
    let listed = |newest_hours: Option<i64>| ResultsFact::Listed {
        prefix: "macie/AWSLogs/123456789012/Macie/us-east-1/j1/".into(),
        newest: newest_hours.map(|h| now - chrono::Duration::hours(h)),
        objects: usize::from(newest_hours.is_some()),
        truncated: false,
    };
    let mut f = healthy("us-east-1");
    f.key_policy = Some(PolicyFact::Unverified {
        reason: "AccessDeniedException".into(),
    });
    f.evidence = Some(EvidenceFacts {
        now,
        grace_hours: 6,
        run: run(24),
        results: Some(listed(Some(20))),
        automated_discovery: Some(true),
    });
    let findings = check(&f);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "KEY_POLICY_UNVERIFIED");
    assert_eq!(findings[0].severity, Severity::Info);
    assert!(findings[0]
        .message
        .starts_with("verified by evidence: Macie wrote discovery results at"));

    f.evidence = Some(EvidenceFacts {
        now,
        grace_hours: 6,
        run: run(24),
        results: Some(listed(Some(30))),
        automated_discovery: Some(true),
    });
    let findings = check(&f);
    let codes: Vec<&str> = findings.iter().map(|x| x.code).collect();
    assert_eq!(codes, ["KEY_POLICY_UNVERIFIED", "RESULTS_MISSING"]);
    let missing = &findings[1];
    assert_eq!(missing.severity, Severity::Critical);
    assert!(
        missing
            .fix
            .contains("Likely causes, from the other checks here: KEY_POLICY_UNVERIFIED"),
        "{}",
        missing.fix
    );
    assert_eq!(
        findings[0].severity,
        Severity::Warning,
        "not verified: still a warning"
    );
    assert!(missing
        .fix
        .contains("Automated sensitive data discovery is on here too"));
}

/// Macie in an opt-in Region acts as `macie.<region>.amazonaws.com`. With the key in that
/// Region and account, the advice names that principal (the Macie User Guide's form). With
/// the key in another Region or account, KMS may refuse a policy naming it ("Invalid Service
/// Principal"), so the advice is a form KMS takes anywhere: no named principal, only an AWS
/// service acting for Macie's export configuration or jobs there. Both forms, and the
/// advised statement itself, satisfy the check: it never requires what KMS would refuse.
#[test]
fn advice_for_an_opt_in_region_is_a_statement_kms_accepts() {
    let opt_in = "af-south-1";
    let regional = super::macie_principal(opt_in);
    assert_eq!(regional, "macie.af-south-1.amazonaws.com");
    // Results stored in a Region enabled by default: the bucket and the key in us-east-1.
    let elsewhere = || {
        let mut f = healthy(opt_in);
        if let ConfigFact::Set(d) = &mut f.config {
            d.kms_key_arn = Some(KEY.into());
        }
        f.bucket = Some(BucketFact::Found {
            region: "us-east-1".into(),
            owner: Owner::Expected,
        });
        if let Some(KeyFact::Found(k)) = &mut f.key {
            k.arn = KEY.into();
        }
        f
    };
    // A key policy without Macie: the advice, and the advice accepted.
    let mut f = elsewhere();
    f.key_policy = Some(PolicyFact::Document {
        text: json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}
        ]})
        .to_string(),
    });
    let found = check(&f);
    let missing = found
        .iter()
        .find(|x| x.code == "KEY_POLICY_MISSING_MACIE")
        .unwrap_or_else(|| panic!("{found:#?}"));
    let advised = missing.statement.clone().unwrap();
    assert_eq!(advised["Principal"], "*", "{advised:#}");
    assert_eq!(
        advised["Condition"]["Bool"]["aws:PrincipalIsAWSService"],
        "true"
    );
    assert_eq!(
        advised["Condition"]["ArnLike"]["aws:SourceArn"][0],
        format!("arn:aws:macie2:{opt_in}:{ACCOUNT}:export-configuration:*")
    );
    assert!(
        missing.fix.contains("Invalid Service Principal")
            && missing.fix.contains(&regional)
            && missing.fix.contains("us-east-1"),
        "{}",
        missing.fix
    );
    let mut with_advice: Value = serde_json::from_str(match &f.key_policy {
        Some(PolicyFact::Document { text }) => text,
        _ => unreachable!(),
    })
    .unwrap();
    with_advice["Statement"]
        .as_array_mut()
        .unwrap()
        .push(advised);
    f.key_policy = Some(PolicyFact::Document {
        text: with_advice.to_string(),
    });
    let after = check(&f);
    assert!(
        !after.iter().any(|x| x.code.starts_with("KEY_POLICY")),
        "the advised statement satisfies the check: {after:#?}"
    );
    // The regional principal, where the key's account knows it: accepted too.
    let mut f = elsewhere();
    f.key_policy = Some(PolicyFact::Document {
        text: key_policy(&regional, opt_in),
    });
    assert!(
        !check(&f).iter().any(|x| x.code.starts_with("KEY_POLICY")),
        "{:#?}",
        check(&f)
    );
    // Only the global principal: not Macie in an opt-in Region.
    f.key_policy = Some(PolicyFact::Document {
        text: key_policy("macie.amazonaws.com", opt_in),
    });
    assert!(check(&f)
        .iter()
        .any(|x| x.code == "KEY_POLICY_MISSING_MACIE"));
    // The key in the opt-in Region itself, in Macie's account: the User Guide's form.
    let mut f = healthy(opt_in);
    f.key_policy = Some(PolicyFact::None);
    let found = check(&f);
    let missing = found
        .iter()
        .find(|x| x.code == "KEY_POLICY_MISSING_MACIE")
        .unwrap();
    assert_eq!(
        missing.statement.as_ref().unwrap()["Principal"],
        json!({"Service": regional})
    );
    assert!(!missing.fix.contains("Invalid Service Principal"));
    // A Region enabled by default: the global principal, whatever the key's Region.
    let mut f = healthy("eu-west-1");
    f.key_policy = Some(PolicyFact::None);
    let found = check(&f);
    let missing = found
        .iter()
        .find(|x| x.code == "KEY_POLICY_MISSING_MACIE")
        .unwrap();
    assert_eq!(
        missing.statement.as_ref().unwrap()["Principal"],
        json!({"Service": "macie.amazonaws.com"})
    );
}
