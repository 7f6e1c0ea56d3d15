//! Least privilege, checked: the AWS operations each function's code can call, read from the
//! source, against the actions its role in template.yaml allows. Neither side may have more.

use std::collections::BTreeSet;
use testkit::workspace_root;

/// SDK method -> IAM action.
const OPERATIONS: [(&str, &str); 15] = [
    ("query", "dynamodb:Query"),
    ("get_item", "dynamodb:GetItem"),
    ("put_item", "dynamodb:PutItem"),
    ("update_item", "dynamodb:UpdateItem"),
    ("delete_item", "dynamodb:DeleteItem"),
    ("list_classification_jobs", "macie2:ListClassificationJobs"),
    (
        "describe_classification_job",
        "macie2:DescribeClassificationJob",
    ),
    (
        "update_classification_job",
        "macie2:UpdateClassificationJob",
    ),
    (
        "get_classification_export_configuration",
        "macie2:GetClassificationExportConfiguration",
    ),
    ("get_macie_session", "macie2:GetMacieSession"),
    ("head_bucket", "s3:ListBucket"),
    ("get_bucket_policy", "s3:GetBucketPolicy"),
    ("describe_key", "kms:DescribeKey"),
    ("get_key_policy", "kms:GetKeyPolicy"),
    ("publish", "sns:Publish"),
];

/// Actions a role needs without a direct SDK call: publishing to the KMS-encrypted topic.
const FOR_THE_ENCRYPTED_TOPIC: [&str; 2] = ["kms:GenerateDataKey", "kms:Decrypt"];
/// And, for the expiry guard, DynamoDB using the journal table's key on the role's behalf.
const FOR_THE_ENCRYPTED_JOURNAL: [&str; 2] = ["kms:Encrypt", "kms:DescribeKey"];

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The slice of `text` from the line containing `from` to the line containing `to`.
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not found"));
    let end = text[start..]
        .find(to)
        .map(|e| start + e)
        .unwrap_or(text.len());
    &text[start..end]
}

fn calls_in(code: &str) -> BTreeSet<String> {
    OPERATIONS
        .iter()
        .filter(|(method, _)| code.contains(&format!(".{method}()")))
        .map(|(_, action)| action.to_string())
        .collect()
}

/// The `Action:` values (scalar or list) in a block of the template.
fn actions_in(block: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_list = false;
    for line in block.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Action:") {
            let v = v.trim();
            in_list = v.is_empty();
            for a in v.trim_matches(|c| c == '[' || c == ']').split(',') {
                let a = a.trim().trim_matches('"');
                if !a.is_empty() {
                    out.insert(a.to_string());
                }
            }
        } else if in_list {
            match t.strip_prefix("- ") {
                Some(a) => {
                    out.insert(a.trim().trim_matches('"').to_string());
                }
                None => in_list = false,
            }
        }
    }
    out
}

fn function_block<'a>(template: &'a str, name: &str) -> &'a str {
    let start = template
        .find(&format!("\n  {name}:\n"))
        .unwrap_or_else(|| panic!("{name} not in template"));
    let rest = &template[start + 1..];
    // The next resource at the same indentation ends the block.
    let end = rest[3..]
        .lines()
        .scan(3usize, |pos, l| {
            let at = *pos;
            *pos += l.len() + 1;
            Some((at, l))
        })
        .find(|(_, l)| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|(at, _)| at)
        .unwrap_or(rest.len());
    let block = &rest[..end];
    between(block, "Policies:", "Events:")
}

#[test]
fn each_function_may_do_exactly_what_its_code_calls() {
    let template = read("template.yaml");
    let macie = read("src/macie.rs");
    let expiry_code = [
        read("src/expiry/guard.rs"),
        read("src/expiry/lambda.rs"),
        read("src/notify.rs"),
        read("src/journal.rs"),
        // The MacieJobs implementation; GetMacieSession below it is the CLI's alone.
        between(
            &macie,
            "impl MacieJobs for aws_sdk_macie2::Client",
            "pub async fn session_account",
        )
        .to_string(),
    ]
    .join("\n");
    let export_code = [
        read("src/export/sources.rs"),
        read("src/export/guard.rs"),
        read("src/export/lambda.rs"),
        read("src/notify.rs"),
    ]
    .join("\n");

    for (function, code, bin, indirect) in [
        (
            "ExpiryGuardFunction",
            expiry_code,
            "src/bin/expiry-guard.rs",
            &FOR_THE_ENCRYPTED_JOURNAL[..],
        ),
        (
            "ExportGuardFunction",
            export_code,
            "src/bin/export-guard.rs",
            &[][..],
        ),
    ] {
        let calls = calls_in(&code);
        assert!(
            calls_in(&read(bin)).is_empty(),
            "{bin} stays a thin main without calls of its own"
        );
        let allowed: BTreeSet<String> = actions_in(function_block(&template, function))
            .into_iter()
            .filter(|a| {
                !FOR_THE_ENCRYPTED_TOPIC.contains(&a.as_str()) && !indirect.contains(&a.as_str())
            })
            .collect();
        assert_eq!(
            calls, allowed,
            "{function}: code calls (left) vs role allows (right)"
        );
    }
    assert!(calls_in(&read("src/bin/macie-guard.rs")).is_empty());
}

#[test]
fn the_expiry_guard_role_cannot_touch_other_accounts_or_regions_and_the_export_guard_only_reads() {
    let template = read("template.yaml");
    let expiry = function_block(&template, "ExpiryGuardFunction");
    assert!(
        expiry.contains("classification-job/*\"")
            && expiry.contains("${AWS::Region}:${AWS::AccountId}:classification-job")
    );
    let export = actions_in(function_block(&template, "ExportGuardFunction"));
    for a in &export {
        let verb = a.split(':').nth(1).unwrap();
        assert!(
            ["Get", "List", "Describe"]
                .iter()
                .any(|v| verb.starts_with(v))
                || a == "sns:Publish"
                || FOR_THE_ENCRYPTED_TOPIC.contains(&a.as_str()),
            "the export guard only reads: {a}"
        );
    }
}

#[test]
fn no_wildcard_action_anywhere() {
    let actions = actions_in(&read("template.yaml"));
    assert!(actions.len() > 10, "{actions:?}");
    for a in actions {
        assert!(a != "*" && !a.ends_with(":*"), "wildcard action {a}");
    }
}
