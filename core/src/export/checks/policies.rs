//! The key policy and the bucket policy: whether they let Macie write the results.

use serde_json::Value;

use crate::export::facts::{Destination, ExportFacts, PolicyFact};
use crate::export::policy_eval::{PolicyDoc, Verdict};
use crate::severity::Severity;

use super::*;

/// The key policy: lets the Macie principal generate data keys and encrypt.
pub(super) fn check_key_policy(c: &mut Ctx<'_>, f: &ExportFacts, fields: &Fields) {
    let key_arn = c.key_arn.clone();
    let key_parts = &fields.key_parts;
    let statement = c.key_statement();
    match &f.key_policy {
        None => {}
        Some(PolicyFact::Unverified { reason }) => {
            let key_account = key_parts.as_ref().map(|p| p.2.as_str()).unwrap_or_default();
            let fix = if key_account != f.account {
                format!("The key belongs to account {key_account}: GetKeyPolicy works only there. Ask that account's administrator to check that the key policy has the statement below (or run macie-guard check-export with that account's credentials).")
            } else {
                "Allow the function kms:GetKeyPolicy, or check by hand that the key policy has the statement below.".to_string()
            } + &c.key_statement_note();
            c.push(
                "KEY_POLICY_UNVERIFIED",
                Severity::Warning,
                &key_arn,
                format!("cannot read the key policy of {key_arn}: {reason}"),
                fix,
            );
            c.with_statement(statement);
        }
        Some(PolicyFact::None) => {
            c.push(
                "KEY_POLICY_MISSING_MACIE",
                Severity::Critical,
                &key_arn,
                format!(
                    "the key {key_arn} has no key policy, so {} may not use it",
                    c.principal
                ),
                format!(
                    "Add this statement to the key policy.{}",
                    c.key_statement_note()
                ),
            );
            c.with_statement(statement);
        }
        Some(PolicyFact::Document { text }) => key_policy_findings(c, text, statement),
    }
}

/// The bucket policy: lets the Macie principal find the bucket's Region and write results.
pub(super) fn check_bucket_policy(
    c: &mut Ctx<'_>,
    f: &ExportFacts,
    dest: &Destination,
    fields: &Fields,
) {
    let bucket = &fields.bucket;
    let bucket_arn = c.bucket_arn.clone();
    let statements = c.bucket_statements();
    match &f.bucket_policy {
        None => {}
        Some(PolicyFact::Unverified { reason }) => {
            let fix = match dest.expected_bucket_owner.as_deref().filter(|o| *o != f.account) {
                    Some(owner) => format!("The bucket belongs to account {owner}: GetBucketPolicy works only there. Ask that account's administrator to check that the bucket policy has the statements below (or run macie-guard check-export with that account's credentials)."),
                    None => "Allow the function s3:GetBucketPolicy, or check by hand that the bucket policy has the statements below.".to_string(),
                };
            c.push(
                "BUCKET_POLICY_UNVERIFIED",
                Severity::Warning,
                &bucket_arn,
                format!("cannot read the bucket policy of {bucket}: {reason}"),
                fix,
            );
            c.with_statement(statements);
        }
        Some(PolicyFact::None) => {
            c.push(
                "BUCKET_POLICY_MISSING_MACIE",
                Severity::Critical,
                &bucket_arn,
                format!(
                    "the bucket {bucket} has no bucket policy, so {} may not write results to it",
                    c.principal
                ),
                "Add a bucket policy with these statements.".into(),
            );
            c.with_statement(statements);
        }
        Some(PolicyFact::Document { text }) => bucket_policy_findings(c, text, bucket, statements),
    }
}

pub(super) fn key_policy_findings(c: &mut Ctx<'_>, text: &str, statement: Value) {
    let key_arn = c.key_arn.clone();
    let doc = match PolicyDoc::parse(text) {
        Ok(d) => d,
        Err(why) => {
            c.push(
                "KEY_POLICY_UNVERIFIED",
                Severity::Warning,
                &key_arn,
                format!("cannot read the key policy of {key_arn}: {why}"),
                "Check the key policy by hand for the statement below.".into(),
            );
            c.with_statement(statement);
            return;
        }
    };
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for action in ["kms:GenerateDataKey", "kms:Encrypt"] {
        match c.verdict(&doc, action, &key_arn) {
            Verdict::Allowed => {}
            Verdict::NotAllowed => missing.push(action.to_string()),
            Verdict::Denied(sid) => missing.push(format!("{action} (denied by {sid})")),
            Verdict::Unknown(why) => unknown.push(format!("{action}: {why}")),
        }
    }
    if !missing.is_empty() {
        c.push("KEY_POLICY_MISSING_MACIE", Severity::Critical, &key_arn,
            format!("the key policy of {key_arn} does not let {} use the key for {}: Macie cannot encrypt discovery results", c.principal, missing.join(", ")),
            format!("Add this statement to the key policy (and remove any Deny that blocks it).{}", c.key_statement_note()));
        c.with_statement(statement);
    } else if !unknown.is_empty() {
        c.push(
            "KEY_POLICY_UNVERIFIED",
            Severity::Warning,
            &key_arn,
            format!(
                "cannot tell whether the key policy of {key_arn} lets {} use the key: {}",
                c.principal,
                unknown.join("; ")
            ),
            format!(
                "Check the key policy by hand; the statement below is what Macie needs.{}",
                c.key_statement_note()
            ),
        );
        c.with_statement(statement);
    }
}

pub(super) fn bucket_policy_findings(c: &mut Ctx<'_>, text: &str, bucket: &str, statements: Value) {
    let bucket_arn = c.bucket_arn.clone();
    let doc = match PolicyDoc::parse(text) {
        Ok(d) => d,
        Err(why) => {
            c.push(
                "BUCKET_POLICY_UNVERIFIED",
                Severity::Warning,
                &bucket_arn,
                format!("cannot read the bucket policy of {bucket}: {why}"),
                "Check the bucket policy by hand for the statements below.".into(),
            );
            c.with_statement(statements);
            return;
        }
    };
    let object = format!(
        "{bucket_arn}/{}AWSLogs/{}/Macie/{}/example/result.jsonl.gz",
        c.prefix, c.account, c.region
    );
    let location = c.verdict(&doc, "s3:GetBucketLocation", &bucket_arn);
    let put = c.verdict(&doc, "s3:PutObject", &object);
    let mut unknown = Vec::new();
    for (action, verdict, idx) in [
        ("s3:GetBucketLocation", &location, 0),
        ("s3:PutObject", &put, 1),
    ] {
        let stmt = statements[idx].clone();
        match verdict {
            Verdict::Allowed => {}
            Verdict::Denied(sid) => {
                let (code, what) = if action == "s3:PutObject" {
                    ("BUCKET_POLICY_DENIES_MACIE", format!("statement {sid} of the bucket policy of {bucket} denies Macie's s3:PutObject with SSE-KMS key {}", c.key_arn))
                } else {
                    ("BUCKET_POLICY_DENIES_MACIE", format!("statement {sid} of the bucket policy of {bucket} denies Macie s3:GetBucketLocation"))
                };
                c.push(code, Severity::Critical, &bucket_arn, format!("{what}: Macie cannot store discovery results"),
                    format!("Change statement {sid} so that it does not apply to {} writing with this key (for a key-pinning Deny, name this key), and keep the statement below.", c.principal));
                c.with_statement(stmt);
            }
            Verdict::NotAllowed => {
                let code = if action == "s3:PutObject" {
                    "BUCKET_POLICY_NO_PUT_OBJECT"
                } else {
                    "BUCKET_POLICY_NO_GET_BUCKET_LOCATION"
                };
                let on = if action == "s3:PutObject" {
                    format!("{bucket_arn}/{}*", c.prefix)
                } else {
                    bucket_arn.clone()
                };
                c.push(
                    code,
                    Severity::Critical,
                    &bucket_arn,
                    format!(
                        "the bucket policy of {bucket} does not allow {} {action} on {on}",
                        c.principal
                    ),
                    "Add this statement to the bucket policy.".into(),
                );
                c.with_statement(stmt);
            }
            Verdict::Unknown(why) => unknown.push((action, why.clone(), stmt)),
        }
    }
    for (action, why, stmt) in unknown {
        c.push(
            "BUCKET_POLICY_UNVERIFIED",
            Severity::Warning,
            &bucket_arn,
            format!(
                "cannot tell whether the bucket policy of {bucket} allows {} {action}: {why}",
                c.principal
            ),
            "Check the bucket policy by hand; the statement below is what Macie needs.".into(),
        );
        c.with_statement(stmt);
    }
}
