use super::*;
use serde_json::json;

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn put_req(source_arn: &str) -> Request<'static> {
    Request {
        service: "macie.amazonaws.com",
        action: "s3:PutObject",
        resource: "arn:aws:s3:::results/macie/AWSLogs/123456789012/Macie/us-east-1/job/x.jsonl.gz",
        present: vec![
            ("aws:SourceAccount", vec!["123456789012".into()]),
            ("aws:SourceArn", vec![source_arn.into()]),
            ("s3:x-amz-server-side-encryption", vec!["aws:kms".into()]),
            (
                "s3:x-amz-server-side-encryption-aws-kms-key-id",
                vec![KEY.into()],
            ),
            ("aws:SecureTransport", vec!["true".into()]),
            ("aws:PrincipalIsAWSService", vec!["true".into()]),
            (
                "aws:PrincipalServiceName",
                vec!["macie.amazonaws.com".into()],
            ),
        ],
        absent: ABSENT_FOR_SERVICE_PRINCIPALS.to_vec(),
    }
}

fn doc(v: Value) -> PolicyDoc {
    PolicyDoc::parse(&v.to_string()).unwrap()
}

const JOB_ARN: &str = "arn:aws:macie2:us-east-1:123456789012:classification-job/abc";

#[test]
fn globs() {
    assert!(glob(
        "arn:aws:s3:::results/macie/*",
        "arn:aws:s3:::results/macie/a/b",
        false
    ));
    assert!(!glob(
        "arn:aws:s3:::results/other*",
        "arn:aws:s3:::results/macie/a",
        false
    ));
    assert!(glob("s3:Put*", "s3:PutObject", true));
    assert!(glob("S3:PUTOBJECT", "s3:PutObject", true));
    assert!(glob("a?c", "abc", false) && !glob("a?c", "ac", false));
    assert!(glob("*", "", false));
}

#[test]
fn allow_forms() {
    let allowed = [
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/macie/*"}}),
        json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ["x.amazonaws.com", "macie.amazonaws.com"]}, "Action": ["s3:GetBucketLocation", "s3:Put*"], "Resource": ["arn:aws:s3:::results", "arn:aws:s3:::results/*"],
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}, "ArnLike": {"aws:SourceArn": ["arn:aws:macie2:us-east-1:123456789012:export-configuration:*", "arn:aws:macie2:us-east-1:123456789012:classification-job/*"]}}}]}),
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}),
    ];
    for p in allowed {
        assert_eq!(
            doc(p.clone()).evaluate(&put_req(JOB_ARN)),
            Verdict::Allowed,
            "{p}"
        );
    }
    let not_allowed = [
        json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/other/*"}}),
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}}}}),
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.af-south-1.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"}}),
    ];
    for p in not_allowed {
        assert_eq!(
            doc(p.clone()).evaluate(&put_req(JOB_ARN)),
            Verdict::NotAllowed,
            "{p}"
        );
    }
}

#[test]
fn source_arn_conditions_must_cover_each_request() {
    let p = doc(
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:macie2:us-east-1:123456789012:classification-job/*"}}}}),
    );
    assert_eq!(p.evaluate(&put_req(JOB_ARN)), Verdict::Allowed);
    assert_eq!(
        p.evaluate(&put_req(
            "arn:aws:macie2:us-east-1:123456789012:export-configuration:*"
        )),
        Verdict::NotAllowed
    );
}

#[test]
fn denies_on_other_keys_and_encryption() {
    let allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"});
    let deny_other_key = json!({"Sid": "OnlyOurKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:123456789012:key/other"}}});
    assert_eq!(
        doc(json!({"Statement": [allow.clone(), deny_other_key]})).evaluate(&put_req(JOB_ARN)),
        Verdict::Denied("OnlyOurKey".into())
    );
    let deny_matching_key = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}}});
    assert_eq!(
        doc(json!({"Statement": [allow.clone(), deny_matching_key]})).evaluate(&put_req(JOB_ARN)),
        Verdict::Allowed
    );
    let deny_insecure = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    let deny_unencrypted = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}});
    assert_eq!(
        doc(json!({"Statement": [allow.clone(), deny_insecure, deny_unencrypted]}))
            .evaluate(&put_req(JOB_ARN)),
        Verdict::Allowed
    );
    // The classic trap: an org-only Deny blocks service principals, which carry no org id.
    let deny_org = json!({"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}});
    assert_eq!(
        doc(json!({"Statement": [allow.clone(), deny_org]})).evaluate(&put_req(JOB_ARN)),
        Verdict::Denied("OrgOnly".into())
    );
    let deny_org_if_exists = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}});
    assert!(matches!(
        doc(json!({"Statement": [allow, deny_org_if_exists]})).evaluate(&put_req(JOB_ARN)),
        Verdict::Denied(_)
    ));
}

#[test]
fn what_cannot_be_decided_is_unknown() {
    let allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"});
    for s in [
        json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
        json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/x": "y"}}}),
        json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceArn": "${aws:SourceAccount}"}}}),
    ] {
        assert!(
            matches!(
                doc(json!({"Statement": [s.clone()]})).evaluate(&put_req(JOB_ARN)),
                Verdict::Unknown(_)
            ),
            "{s}"
        );
    }
    // An undecidable Deny next to a clear Allow: still not a pass.
    let deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}});
    assert!(matches!(
        doc(json!({"Statement": [allow.clone(), deny]})).evaluate(&put_req(JOB_ARN)),
        Verdict::Unknown(_)
    ));
    // An undecidable Allow is overridden by a decidable one.
    let unknown_allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
    assert_eq!(
        doc(json!({"Statement": [unknown_allow, allow]})).evaluate(&put_req(JOB_ARN)),
        Verdict::Allowed
    );
}

/// AWS's semantics where the first version guessed: each case was a wrong verdict.
#[test]
fn operators_follow_aws() {
    let allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"});
    let with =
        |deny: Value| doc(json!({"Statement": [allow.clone(), deny]})).evaluate(&put_req(JOB_ARN));
    // Null on a key the request carries (a Deny on every service principal).
    assert_eq!(
        with(
            json!({"Sid": "NoServices", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Null": {"aws:PrincipalServiceName": "false"}}})
        ),
        Verdict::Denied("NoServices".into())
    );
    // Null on a key nobody modelled: cannot verify, not a pass.
    assert!(matches!(
        with(
            json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Null": {"s3:object-lock-mode": "false"}}})
        ),
        Verdict::Unknown(_)
    ));
    // ArnEquals has ArnLike's wildcards.
    assert_eq!(
        with(
            json!({"Sid": "NoJobs", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:macie2:us-east-1:123456789012:classification-job/*"}}})
        ),
        Verdict::Denied("NoJobs".into())
    );
    // A confused-deputy Deny that names Macie's own ARNs does not apply to Macie.
    assert_eq!(
        with(
            json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ArnNotEquals": {"aws:SourceArn": "arn:aws:macie2:us-east-1:123456789012:*"}}})
        ),
        Verdict::Allowed
    );
    // ArnLike matches part by part: a pattern one part short never matches.
    let short = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:macie2:*:classification-job/*"}}}});
    assert_eq!(doc(short).evaluate(&put_req(JOB_ARN)), Verdict::NotAllowed);
    assert!(arn_match(
        "arn:aws:macie2:*:*:classification-job/*",
        JOB_ARN
    ));
    assert!(!arn_match("arn:aws:macie2:*:classification-job/*", JOB_ARN));
    assert!(!arn_match(
        "arn:aws:macie2:us-east-1:12345678901?:*",
        "arn:aws:macie2:us-east-1"
    ));
    // Set operators: ForAnyValue on a missing key is false, ForAllValues true.
    assert_eq!(
        with(
            json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": "o-1/*"}}})
        ),
        Verdict::Allowed
    );
    assert_eq!(
        with(
            json!({"Sid": "All", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": "o-1/*"}}})
        ),
        Verdict::Denied("All".into())
    );
    assert_eq!(
        with(
            json!({"Sid": "Any", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"aws:SourceAccount": ["9*", "1234*"]}}})
        ),
        Verdict::Denied("Any".into())
    );
    // NotPrincipal: everyone but the principals named.
    assert_eq!(
        with(
            json!({"Sid": "NotAdmins", "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/admin"}, "Action": "s3:*", "Resource": "*"})
        ),
        Verdict::Denied("NotAdmins".into())
    );
    assert_eq!(
        with(
            json!({"Effect": "Deny", "NotPrincipal": {"Service": "macie.amazonaws.com"}, "Action": "s3:*", "Resource": "*"})
        ),
        Verdict::Allowed
    );
    // No Allow at all: the implicit deny, whatever an undecidable Deny says.
    let only_unknown_deny = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
    ]});
    assert_eq!(
        doc(only_unknown_deny).evaluate(&put_req(JOB_ARN)),
        Verdict::NotAllowed
    );
}

/// Property: a Deny the evaluator cannot decide never turns into a pass, whatever else
/// the policy says.
#[test]
fn an_undecidable_deny_never_yields_a_pass() {
    let undecidable = [
        json!({"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        json!({"StringNotEquals": {"kms:CallerAccount": "123456789012"}}),
        json!({"Null": {"s3:object-lock-mode": "false"}}),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
        json!({"StringEquals": {"aws:ResourceTag/x": "y"}}),
    ];
    let allows = [
        json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"}),
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:Put*", "Resource": "arn:aws:s3:::results/*"}),
    ];
    for cond in &undecidable {
        for allow in &allows {
            for action in ["s3:*", "s3:PutObject", "*"] {
                let deny = json!({"Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*", "Condition": cond});
                for order in [
                    vec![allow.clone(), deny.clone()],
                    vec![deny.clone(), allow.clone()],
                ] {
                    let v = doc(json!({"Statement": order})).evaluate(&put_req(JOB_ARN));
                    assert!(
                        matches!(v, Verdict::Unknown(_)),
                        "{cond} {allow} {action}: {v:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn malformed_policies_are_errors() {
    for bad in [
        "",
        "{}",
        "{\"Statement\": [{\"Effect\": \"Maybe\"}]}",
        "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": 5}]}",
    ] {
        assert!(PolicyDoc::parse(bad).is_err(), "{bad}");
    }
}
