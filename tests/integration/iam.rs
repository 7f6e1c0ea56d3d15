//! Least privilege, checked: the AWS operations each function's code can call, read from the
//! source, against the actions its role in template.yaml allows. Neither side may have more.
//!
//! Why one file this long: the reading of the source and the reading of the template meet
//! here; both sides are needed to compare them.

use serde_json::Value;
use std::collections::BTreeSet;
use testkit::workspace_root;

/// SDK method -> IAM action.
const OPERATIONS: [(&str, &str); 35] = [
    ("query", "dynamodb:Query"),
    ("scan", "dynamodb:Scan"),
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
    (
        "create_classification_job",
        "macie2:CreateClassificationJob",
    ),
    (
        "batch_get_custom_data_identifiers",
        "macie2:BatchGetCustomDataIdentifiers",
    ),
    ("get_allow_list", "macie2:GetAllowList"),
    (
        "get_administrator_account",
        "macie2:GetAdministratorAccount",
    ),
    ("head_bucket", "s3:ListBucket"),
    ("list_objects_v2", "s3:ListBucket"),
    (
        "get_automated_discovery_configuration",
        "macie2:GetAutomatedDiscoveryConfiguration",
    ),
    ("get_bucket_policy", "s3:GetBucketPolicy"),
    ("describe_key", "kms:DescribeKey"),
    ("get_key_policy", "kms:GetKeyPolicy"),
    ("publish", "sns:Publish"),
    ("put_events", "events:PutEvents"),
    ("assume_role", "sts:AssumeRole"),
    ("describe_rule", "events:DescribeRule"),
    ("list_targets_by_rule", "events:ListTargetsByRule"),
    (
        "list_subscriptions_by_topic",
        "sns:ListSubscriptionsByTopic",
    ),
    ("get_queue_attributes", "sqs:GetQueueAttributes"),
    // The operator's own calls (dead letters, the account), under the operator's credentials
    // (docs/deploy.md says what each needs).
    ("receive_message", "sqs:ReceiveMessage"),
    ("delete_message", "sqs:DeleteMessage"),
    ("change_message_visibility", "sqs:ChangeMessageVisibility"),
    ("get_caller_identity", "sts:GetCallerIdentity"),
    ("list_accounts", "organizations:ListAccounts"),
    ("describe_account", "organizations:DescribeAccount"),
    (
        "describe_organization",
        "organizations:DescribeOrganization",
    ),
];

/// CreateClassificationJob with tags authorizes macie2:TagResource too (Service Authorization
/// Reference, Amazon Macie, "API operations").
const FOR_TAGGING_ON_CREATE: [&str; 1] = ["macie2:TagResource"];

/// Actions a role needs without a direct SDK call: publishing to the KMS-encrypted topic.
const FOR_THE_ENCRYPTED_TOPIC: [&str; 2] = ["kms:GenerateDataKey", "kms:Decrypt"];
/// And DynamoDB using the journal table's key on the role's behalf (the expiry guard's
/// journal; the export guard's item of the run log).
const FOR_THE_ENCRYPTED_JOURNAL: [&str; 2] = ["kms:Encrypt", "kms:DescribeKey"];

/// What Lambda's event source mapping calls as a hub function's role to read its work queue
/// (Lambda Developer Guide, "Using Lambda with Amazon SQS"): not the code's calls.
const FOR_THE_WORK_QUEUE: [&str; 3] = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every source file of the crate (`src/**/*.rs`), as workspace paths.
fn sources() -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(workspace_root()).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace_root().join("src"), &mut out);
    out.sort();
    out
}

/// The one source file that holds `needle` (a definition, a call): found, not named by hand,
/// so that a file moved or renamed changes nothing here.
pub(crate) fn defining(needle: &str) -> String {
    let found: Vec<String> = sources()
        .into_iter()
        .filter(|f| {
            read(f)
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .contains(needle)
        })
        .collect();
    assert_eq!(found.len(), 1, "{needle:?} is in {found:?}");
    found.into_iter().next().unwrap()
}

/// The binary a function of the template runs: its `BuildProperties.Binary`, which cargo
/// builds from `src/bin/<name>.rs`.
fn binary_of(template: &str, function: &str) -> String {
    let block = &template[template
        .find(&format!("\n  {function}:\n"))
        .unwrap_or_else(|| panic!("{function} not in template"))..];
    let name = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("Binary:"))
        .unwrap_or_else(|| panic!("{function} names no Binary"))
        .trim();
    format!("src/bin/{name}.rs")
}

/// A path in the crate (`["expiry", "lambda"]`) -> its source file, if it is a module file.
fn module_file(path: &[String]) -> Option<String> {
    if path.is_empty() {
        return Some("src/lib.rs".into());
    }
    let joined = path.join("/");
    [format!("src/{joined}.rs"), format!("src/{joined}/mod.rs")]
        .into_iter()
        .find(|f| workspace_root().join(f).is_file())
}

/// Every path a reference starting at `text` names: `a::b::{c, d::e}` gives `a::b::c` and
/// `a::b::d::e` (a group ends the path).
fn expand(text: &str) -> Vec<Vec<String>> {
    fn ident(t: &str) -> (&str, &str) {
        let end = t
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        (&t[..end], &t[end..])
    }
    fn path(t: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
        let t0 = t.len();
        let mut t = t.trim_start();
        let mut segs = prefix;
        loop {
            if let Some(rest) = t.strip_prefix('{') {
                // A group: paths separated by commas, up to the matching brace.
                let mut rest = rest;
                loop {
                    rest = rest.trim_start();
                    if let Some(r) = rest.strip_prefix('}') {
                        return t0 - r.len();
                    }
                    let used = path(rest, segs.clone(), out);
                    rest = rest[used..].trim_start();
                    rest = rest.strip_prefix(',').unwrap_or(rest);
                    if rest.is_empty() {
                        return t0;
                    }
                }
            }
            let (name, rest) = ident(t);
            if name.is_empty() {
                out.push(segs);
                return t0 - t.len();
            }
            segs.push(name.to_string());
            match rest.strip_prefix("::") {
                Some(r) => t = r,
                None => {
                    out.push(segs);
                    return t0 - rest.len();
                }
            }
        }
    }
    let mut out = Vec::new();
    path(text, Vec::new(), &mut out);
    out
}

/// The crate modules a file refers to (`crate::`, `macie_guard::`, `super::`, and in a
/// `mod.rs` or `lib.rs` its own child modules), each resolved to its longest prefix that is a
/// module file.
fn referenced_modules(module: &[String], text: &str) -> BTreeSet<Vec<String>> {
    let is_parent = module.is_empty()
        || module_file(module).is_some_and(|f| f.ends_with("mod.rs") || f.ends_with("lib.rs"));
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let children: Vec<String> = if is_parent {
        text.lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("pub mod ")
                    .or(l.trim().strip_prefix("mod "))
            })
            .map(|l| l.trim_end_matches(';').to_string())
            .collect()
    } else {
        Vec::new()
    };
    let mut paths = Vec::new();
    // A port's AWS adapter is an `impl` of the port's trait that nobody names: a port folder
    // (`jobs/`, `sources/`) reaches its `aws` module whenever the port is reached.
    if !module.is_empty() && is_parent && children.iter().any(|c| c == "aws") {
        paths.push([module.to_vec(), vec!["aws".to_string()]].concat());
    }
    for (i, _) in text.char_indices() {
        let rest = &text[i..];
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        for (root, base) in [
            ("crate::", Vec::new()),
            ("macie_guard::", Vec::new()),
            ("super::", parent.clone()),
            ("self::", module.to_vec()),
        ] {
            if let Some(r) = rest.strip_prefix(root) {
                paths.extend(expand(r).into_iter().map(|p| [base.clone(), p].concat()));
            }
        }
        // `use guard::X;` in a mod.rs: a child module.
        for child in &children {
            if rest.starts_with(&format!("{child}::")) {
                paths.extend(
                    expand(rest)
                        .into_iter()
                        .map(|p| [module.to_vec(), p].concat()),
                );
            }
        }
    }
    paths
        .into_iter()
        .filter_map(|p| {
            (0..=p.len())
                .rev()
                .map(|n| p[..n].to_vec())
                .find(|m| module_file(m).is_some())
        })
        .filter(|m| !m.is_empty())
        .collect()
}

/// A binary's own source: its file, or every file of its folder (`src/bin/NAME/main.rs` and
/// the modules beside it).
fn binary_source(bin: &str) -> String {
    let path = workspace_root().join(bin);
    if !bin.ends_with("/main.rs") {
        return read(bin);
    }
    fn walk(dir: &std::path::Path, out: &mut String) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(path.parent().unwrap(), &mut out);
    out
}

/// The code a binary can run: its own source and every module reachable from it by reference.
fn reachable_code(bin: &str) -> (String, BTreeSet<String>) {
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    let own = binary_source(bin);
    let mut todo: Vec<Vec<String>> = referenced_modules(&[], &own).into_iter().collect();
    let mut code = own;
    while let Some(m) = todo.pop() {
        if !seen.insert(m.clone()) {
            continue;
        }
        let text = read(&module_file(&m).unwrap());
        todo.extend(referenced_modules(&m, &text));
        // Tests inside a module are not the function's code.
        code.push_str(text.split("#[cfg(test)]").next().unwrap_or_default());
    }
    let files = seen.iter().filter_map(|m| module_file(m)).collect();
    (code, files)
}

/// The slice of `text` from `from` to the next `to` (a block of the template).
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

/// Operations called without a generated client (`src/signed.rs` signs the requests): the
/// operation's name as the argument of a `call`, `send` or `cfn` that follows the Region.
const RAW_OPERATIONS: [(&str, &str); 12] = [
    ("SendMessageBatch", "sqs:SendMessage"),
    ("BatchImportFindings", "securityhub:BatchImportFindings"),
    ("GetFindings", "securityhub:GetFindings"),
    ("BatchUpdateFindings", "securityhub:BatchUpdateFindings"),
    ("DescribeHub", "securityhub:DescribeHub"),
    ("DescribeStacks", "cloudformation:DescribeStacks"),
    (
        "DescribeStackResources",
        "cloudformation:DescribeStackResources",
    ),
    ("GetFunction", "lambda:GetFunction"),
    ("GetFunctionConcurrency", "lambda:GetFunctionConcurrency"),
    ("GetSchedule", "scheduler:GetSchedule"),
    ("DescribeAlarms", "cloudwatch:DescribeAlarms"),
    ("ListRules", "events:ListRules"),
];

fn calls_in(code: &str) -> BTreeSet<String> {
    let raw = |name: &str| {
        code.match_indices(&format!("\"{name}\",")).any(|(at, _)| {
            let before = code[..at].trim_end();
            let before = before
                .strip_suffix("&self.region,")
                .or_else(|| before.strip_suffix("region,"))
                .unwrap_or(before)
                .trim_end();
            [".call(", ".send(", ".cfn("]
                .iter()
                .any(|c| before.ends_with(c))
        })
    };
    OPERATIONS
        .iter()
        .filter(|(method, _)| code.contains(&format!(".{method}()")))
        .chain(RAW_OPERATIONS.iter().filter(|(name, _)| raw(name)))
        .map(|(_, action)| action.to_string())
        .collect()
}

/// The `Action:` values (scalar or list) in a block of the template.
fn actions_in(block: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_list = false;
    for line in block.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            // A YAML comment, also between the items of a list.
            continue;
        }
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

/// Calls the code makes only in a member account, through the member's read-only role (whose
/// permissions `the_member_read_role_may_do_exactly_what_the_export_check_calls_there` holds
/// to them): the function's own role has no need of them.
const ONLY_IN_MEMBER_ACCOUNTS: [&str; 1] = ["events:ListRules"];

#[test]
fn each_function_may_do_exactly_what_its_code_calls() {
    let template = read("template.yaml");
    let expiry_indirect: Vec<&str> = FOR_THE_ENCRYPTED_JOURNAL
        .iter()
        .chain(&FOR_TAGGING_ON_CREATE)
        .copied()
        .collect();
    for (function, indirect) in [
        ("ExpiryGuardFunction", &expiry_indirect[..]),
        // kms:DescribeKey it also calls itself (the results key).
        ("ExportGuardFunction", &FOR_THE_ENCRYPTED_JOURNAL[..1]),
    ] {
        let bin = &binary_of(&template, function);
        let (code, files) = reachable_code(bin);
        assert!(
            calls_in(&read(bin)).is_empty(),
            "{bin} stays a thin main without calls of its own"
        );
        let calls: BTreeSet<String> = calls_in(&code)
            .into_iter()
            .filter(|c| !ONLY_IN_MEMBER_ACCOUNTS.contains(&c.as_str()))
            .collect();
        let allowed: BTreeSet<String> = actions_in(function_block(&template, function))
            .into_iter()
            .filter(|a| {
                !FOR_THE_ENCRYPTED_TOPIC.contains(&a.as_str())
                    && !FOR_THE_WORK_QUEUE.contains(&a.as_str())
                    && !indirect.contains(&a.as_str())
            })
            .collect();
        assert_eq!(
            calls, allowed,
            "{function}: code calls (left) vs role allows (right); modules reached: {files:?}"
        );
    }
    assert!(calls_in(&binary_source("cli/src/main.rs")).is_empty());
}

/// The member role (stacksets/member.yaml) may do exactly what the hub does in a member
/// account: the calls of the Macie jobs port and of Security Hub's sync, which the hub's guard
/// reaches there through the role (with RecreateLostJobs, tagging on create too); its trust
/// is the only sts:AssumeRole.
#[test]
fn the_member_role_may_do_exactly_what_the_hub_calls_there() {
    let member = read("stacksets/member.yaml");
    let role = between(&member, "\n  MemberRole:\n", "\n  MemberReadRole:");
    let (policies_at, _) = role.match_indices("Policies:").next().expect("policies");
    let allowed: BTreeSet<String> = actions_in(&role[policies_at..])
        .into_iter()
        .filter(|a| !FOR_TAGGING_ON_CREATE.contains(&a.as_str()))
        .collect();
    let calls: BTreeSet<String> = calls_in(&read("src/expiry/jobs/aws.rs"))
        .into_iter()
        .chain(calls_in(&read("src/outbound/securityhub.rs")))
        .collect();
    assert!(
        calls
            .iter()
            .all(|c| c.starts_with("macie2:") || c.starts_with("securityhub:")),
        "{calls:?}"
    );
    assert_eq!(
        calls, allowed,
        "the jobs port calls (left) vs the member role allows (right)"
    );
    assert_eq!(
        actions_in(&role[..policies_at]),
        BTreeSet::from(["sts:AssumeRole".to_string()]),
        "the trust: AssumeRole by the hub's roles alone"
    );
    // The hub may assume only roles of that name in its organization's accounts.
    let template = read("template.yaml");
    let hub = between(
        &template,
        "Sid: AssumeTheMemberRolesOfTheOrganization",
        "- !Ref AWS::NoValue",
    );
    assert!(
        hub.contains("role/${MemberRoleName}") && hub.contains("aws:ResourceOrgID"),
        "{hub}"
    );
}

/// The member's read-only role may do exactly what the hub's export check calls in a member
/// account (the export facts port and Security Hub's sync), nothing that changes Macie; its
/// trust is the hub's read roles (and the operator's, when given); the export function may
/// assume only roles of that name in its organization's accounts.
#[test]
fn the_member_read_role_may_do_exactly_what_the_export_check_calls_there() {
    let member = read("stacksets/member.yaml");
    let role = between(&member, "\n  MemberReadRole:\n", "\n  ForwardRole:");
    let (policies_at, _) = role.match_indices("Policies:").next().expect("policies");
    let allowed = actions_in(&role[policies_at..]);
    // The export facts port, Security Hub's sync, and the forwarding rules' listing.
    let calls: BTreeSet<String> = calls_in(&read("src/export/sources/aws.rs"))
        .into_iter()
        .chain(calls_in(&read("src/outbound/securityhub.rs")))
        .chain(calls_in(&read("src/hub/export.rs")))
        .collect();
    assert!(calls.contains("events:ListRules"), "{calls:?}");
    assert_eq!(
        calls, allowed,
        "the export facts port calls (left) vs the read role allows (right)"
    );
    for changes in [
        "macie2:UpdateClassificationJob",
        "macie2:CreateClassificationJob",
    ] {
        assert!(!allowed.contains(changes), "{changes}");
    }
    assert_eq!(
        actions_in(&role[..policies_at]),
        BTreeSet::from(["sts:AssumeRole".to_string()]),
        "the trust: AssumeRole alone"
    );
    assert!(role.contains("!Ref HubReadRoleArns") && role.contains("!Ref OperatorPrincipalArn"));
    assert_eq!(role.matches("aws:PrincipalOrgID").count(), 2, "{role}");
    let template = read("template.yaml");
    let hub = between(
        &template,
        "Sid: AssumeTheMemberReadRolesOfTheOrganization",
        "- !Ref AWS::NoValue",
    );
    assert!(
        hub.contains("role/${MemberRoleName}-read") && hub.contains("aws:ResourceOrgID"),
        "{hub}"
    );
    assert_eq!(
        macie_guard_core::hub::READ_ROLE_SUFFIX,
        "-read",
        "the code's name of the role is the template's"
    );
}

/// Every operation of the AWS SDK crates the project uses, by its method name (each is a folder
/// of the crate's `src/operation/`): the versions Cargo.lock pins, read where cargo unpacked them
/// (`$CARGO_HOME/registry/src/*/`).
fn sdk_operations() -> BTreeSet<String> {
    let lock = read("Cargo.lock");
    let mut crates = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = \"") {
            name = Some(n.trim_end_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = \""), &name) {
            if n.starts_with("aws-sdk-") {
                crates.push(format!("{n}-{}", v.trim_end_matches('"')));
            }
            name = None;
        }
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(&std::env::var("HOME").unwrap()).join(".cargo"));
    let mut ops = BTreeSet::new();
    for index in std::fs::read_dir(home.join("registry/src"))
        .unwrap()
        .flatten()
    {
        for krate in &crates {
            let dir = index.path().join(krate).join("src/operation");
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    ops.insert(e.file_name().to_string_lossy().to_string());
                }
            }
        }
    }
    assert!(
        ops.contains("list_classification_jobs") && ops.contains("put_events"),
        "the SDK crates {crates:?} are not unpacked under {}",
        home.display()
    );
    ops
}

/// Least privilege holds only if every SDK call is one this file knows: any operation of the
/// SDK that the functions' or the organization view's code calls (`.operation()`) must be in
/// OPERATIONS with its IAM action, so that a new call outside the list fails here instead of
/// passing unseen (and unallowed).
#[test]
fn every_sdk_call_in_the_code_is_one_this_test_knows() {
    let template = read("template.yaml");
    let known: BTreeSet<&str> = OPERATIONS.iter().map(|(m, _)| *m).collect();
    let sdk = sdk_operations();
    let view = defining("pub struct OrgView");
    let mut codes = vec![
        reachable_code(&binary_of(&template, "ExpiryGuardFunction")).0,
        reachable_code(&binary_of(&template, "ExportGuardFunction")).0,
        reachable_code("cli/src/main.rs").0,
    ];
    codes.push(read(&view));
    for code in &codes {
        for op in &sdk {
            if code.contains(&format!(".{op}()")) {
                assert!(
                    known.contains(op.as_str()),
                    "the code calls the SDK operation {op}, which no IAM check here knows: add it to OPERATIONS with its IAM action (and to the role that runs it)"
                );
            }
        }
    }
}

/// Recreating lost jobs is off unless the stack allows it: the expiry guard's role may create
/// jobs, tag them and read what a definition refers to only under the condition of the
/// RecreateLostJobs parameter, whose default is false, and the function is told the same.
#[test]
fn the_role_may_create_and_tag_jobs_only_where_the_stack_allows_recreating_them() {
    let template = read("template.yaml");
    let param = between(&template, "\n  RecreateLostJobs:\n", "Description:");
    assert!(param.contains("Default: \"false\""), "{param}");
    assert!(template.contains("  RecreateLost: !Equals [!Ref RecreateLostJobs, \"true\"]"));
    assert!(template.contains("RECREATE_LOST_JOBS: !Ref RecreateLostJobs"));
    // The statements without their comments.
    let block: String = function_block(&template, "ExpiryGuardFunction")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    for action in [
        "macie2:CreateClassificationJob",
        "macie2:TagResource",
        "macie2:BatchGetCustomDataIdentifiers",
        "macie2:GetAllowList",
        // Watches exist only where lost jobs are recreated.
        "dynamodb:DeleteItem",
    ] {
        let at = block
            .find(action)
            .unwrap_or_else(|| panic!("{action} not allowed"));
        let opened = block[..at].rfind("- !If").expect("under a condition");
        let statement = &block[opened..at];
        assert!(
            statement.contains("- RecreateLost\n") && statement.matches("Sid:").count() == 1,
            "{action} is allowed only under the RecreateLost condition: {statement}"
        );
        assert_eq!(block.matches(action).count(), 1, "{action} once");
    }
    // The code that creates jobs is the expiry guard's (and the CLI's): the export guard cannot.
    let export = actions_in(function_block(&template, "ExportGuardFunction"));
    assert!(!export
        .iter()
        .any(|a| a.starts_with("macie2:Create") || a.ends_with("TagResource")));
}

/// The walk itself: each function reaches its own guard's modules and not the other's, and
/// the CLI-only read (GetMacieSession) is reached by the CLI alone. Modules are found by what
/// they define, not by their file names.
#[test]
fn the_module_walk_follows_references_not_the_whole_crate() {
    let template = read("template.yaml");
    let (_, expiry) = reachable_code(&binary_of(&template, "ExpiryGuardFunction"));
    let (_, export) = reachable_code(&binary_of(&template, "ExportGuardFunction"));
    let (_, cli) = reachable_code("cli/src/main.rs");
    let outbound = defining("pub trait Outbound");
    for f in [
        defining("pub struct ExpiryGuard<"),
        defining("pub trait MacieJobs"),
        defining("pub trait Journal"),
        outbound.clone(),
    ] {
        assert!(expiry.contains(&f), "{f} in {expiry:?}");
        assert!(!export.contains(&f) || f == outbound, "{f} in {export:?}");
    }
    for f in [
        defining("pub struct ExportGuard<"),
        defining("pub trait ExportSources"),
    ] {
        assert!(export.contains(&f) && !expiry.contains(&f), "{f}");
    }
    let session = defining(".get_macie_session()");
    assert!(cli.contains(&session) && !expiry.contains(&session) && !export.contains(&session));
    assert_eq!(
        expand("a::{b, c::{d, e}, f}"),
        [
            vec!["a", "b"],
            vec!["a", "c", "d"],
            vec!["a", "c", "e"],
            vec!["a", "f"]
        ]
    );
}

#[test]
fn the_expiry_guard_role_cannot_touch_other_accounts_or_regions_and_the_export_guard_only_reads() {
    let template = read("template.yaml");
    let expiry = function_block(&template, "ExpiryGuardFunction");
    assert!(
        expiry.contains("classification-job/*\"")
            && expiry.contains("${AWS::Region}:${AWS::AccountId}:classification-job")
    );
    let export_block = function_block(&template, "ExportGuardFunction");
    let export = actions_in(export_block);
    // Its one write: its own item of the run log, in the partition RUNS#ACCOUNT#REGION only.
    let run_log = between(export_block, "Sid: RunLogOfThisAccountAndRegion", "- Sid:");
    assert!(
        run_log.contains("Action: dynamodb:UpdateItem")
            && run_log.contains("ForAllValues:StringEquals")
            && run_log
                .contains("dynamodb:LeadingKeys: [!Sub \"RUNS#${AWS::AccountId}#${AWS::Region}\"]"),
        "{run_log}"
    );
    for a in &export {
        let verb = a.split(':').nth(1).unwrap();
        assert!(
            ["Get", "List", "Describe"]
                .iter()
                .any(|v| verb.starts_with(v))
                || a == "sns:Publish"
                || a == "events:PutEvents"
                || a == "securityhub:BatchImportFindings"
                || a == "securityhub:BatchUpdateFindings"
                || a == "dynamodb:UpdateItem"
                // A hub's: the members' read-only role (held to the code above), and its work
                // queue (a run's rest, for its own invocations).
                || a == "sts:AssumeRole"
                || a == "sqs:SendMessage"
                || FOR_THE_WORK_QUEUE.contains(&a.as_str())
                || FOR_THE_ENCRYPTED_TOPIC.contains(&a.as_str())
                || FOR_THE_ENCRYPTED_JOURNAL.contains(&a.as_str()),
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

/// The organization view's role may read exactly what the two ports read (jobs: list and
/// describe; the export facts) and nothing else: no update, no publish. The view itself calls
/// only STS and Organizations with the operator's own credentials (docs/organization.md, "The
/// organization view").
#[test]
fn the_organization_views_role_may_read_exactly_what_the_view_reads() {
    let template = read("template.yaml");
    let start = template.find("\n  ReadRole:\n").expect("ReadRole");
    let block = between(&template[start..], "Policies:", "\n\n");
    let reads: BTreeSet<String> = calls_in(&read(&defining(
        "impl MacieJobs for aws_sdk_macie2::Client",
    )))
    .union(&calls_in(&read(&defining(
        "impl ExportSources for AwsSources",
    ))))
    // The view changes nothing: no update, and no recreation (and what only that reads).
    .filter(|a| {
        ![
            "macie2:UpdateClassificationJob",
            "macie2:CreateClassificationJob",
            "macie2:BatchGetCustomDataIdentifiers",
            "macie2:GetAllowList",
        ]
        .contains(&a.as_str())
    })
    .cloned()
    // `org status`: the status reads, the journal's and the run log's Query, and DynamoDB
    // decrypting the journal on the role's behalf.
    .chain(calls_in(&read("src/operator/status/mod.rs")))
    .chain(["dynamodb:Query".to_string(), "kms:Decrypt".to_string()])
    .collect();
    assert!(
        reads.contains("macie2:DescribeClassificationJob")
            && reads.contains("kms:GetKeyPolicy")
            && reads.contains("cloudformation:DescribeStackResources")
            && reads.contains("securityhub:DescribeHub")
            && reads.contains("sqs:GetQueueAttributes")
    );
    assert_eq!(actions_in(block), reads);
    // The view's own calls, and the organization's listing it shares with the hub.
    assert_eq!(
        calls_in(&read(&defining("pub struct OrgView")))
            .into_iter()
            .chain(calls_in(
                read(&defining("pub async fn list_accounts"))
                    .split("pub async fn list_accounts")
                    .nth(1)
                    .unwrap(),
            ))
            .collect::<BTreeSet<String>>(),
        BTreeSet::from([
            "sts:AssumeRole".to_string(),
            "organizations:ListAccounts".to_string(),
            "organizations:DescribeOrganization".to_string()
        ])
    );
    let (_, expiry) = reachable_code(&binary_of(&template, "ExpiryGuardFunction"));
    let (_, export) = reachable_code(&binary_of(&template, "ExportGuardFunction"));
    let view = defining("pub struct OrgView");
    assert!(!expiry.contains(&view) && !export.contains(&view));
}

/// The guard rail on who may tell the guard what to do (`policies/`): under IAM's evaluation
/// rules (the project's evaluator, attached-policy mode), a principal outside the list is
/// denied each call that sets or removes a `macie-guard:` tag, a principal inside is allowed,
/// and other tags stay free to everyone; the SCP and the identity-based policy say the same.
#[test]
fn only_the_named_principals_may_set_or_remove_the_guards_tags() {
    use macie_guard_core::export::policy_eval::{PolicyDoc, Request, Verdict};
    let job =
        "arn:aws:macie2:us-east-1:111122223333:classification-job/0123456789abcdef0123456789abcdef";
    let outsider = "arn:aws:iam::111122223333:role/developer";
    let insider = "arn:aws:iam::111122223333:role/macie-job-owners";
    // What a principal's own permissions allow: everything in Macie.
    let own = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "macie2:*", "Resource": "*"}]});
    // The organization's default SCP beside the guard rail.
    let full_access = serde_json::json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
    let with = |doc: &str, extra: &Value| -> PolicyDoc {
        let mut v: Value = serde_json::from_str(&read(doc)).unwrap();
        v["Statement"].as_array_mut().unwrap().push(extra.clone());
        PolicyDoc::parse(&v.to_string()).unwrap()
    };
    let scp = with("policies/tag-guard-scp.json", &full_access);
    let iam = with("policies/tag-guard-iam.json", &own["Statement"][0]);
    let own = PolicyDoc::parse(&own.to_string()).unwrap();

    // (action, tag keys of the request, whether it sets the expiry policy)
    let guarded = [
        (
            "macie2:TagResource",
            Some(vec!["macie-guard:on-expiry"]),
            true,
        ),
        (
            "macie2:TagResource",
            Some(vec!["team", "macie-guard:on-expiry"]),
            true,
        ),
        (
            "macie2:UntagResource",
            Some(vec!["macie-guard:on-expiry"]),
            false,
        ),
        (
            "macie2:CreateClassificationJob",
            Some(vec!["macie-guard:on-expiry"]),
            true,
        ),
        (
            "macie2:TagResource",
            Some(vec!["macie-guard:on-lost"]),
            false,
        ),
    ];
    let free = [
        ("macie2:TagResource", Some(vec!["team"]), false),
        ("macie2:UntagResource", Some(vec!["team"]), false),
        ("macie2:CreateClassificationJob", None, false),
        ("macie2:DescribeClassificationJob", None, false),
    ];
    let request = |principal: &'static str,
                   action: &'static str,
                   keys: &Option<Vec<&'static str>>,
                   sets: bool| {
        let mut present: Vec<(&str, Vec<String>)> =
            vec![("aws:PrincipalArn", vec![principal.to_string()])];
        let mut absent = Vec::new();
        match keys {
            Some(k) => present.push(("aws:TagKeys", k.iter().map(|s| s.to_string()).collect())),
            None => absent.push("aws:TagKeys"),
        }
        if sets {
            present.push((
                "aws:RequestTag/macie-guard:on-expiry",
                vec!["cancel-job".to_string()],
            ));
        } else {
            absent.push("aws:RequestTag/*");
        }
        Request {
            service: "",
            action,
            resource: job,
            present,
            absent,
        }
    };
    // Allowed when the SCP and the principal's own policy both allow (IAM: an explicit Deny in
    // either wins; both must allow).
    let effective =
        |principal: &'static str,
         (action, keys, sets): &(&'static str, Option<Vec<&'static str>>, bool)| {
            let r = request(principal, action, keys, *sets);
            (
                scp.evaluate_attached(&r),
                own.evaluate_attached(&r),
                iam.evaluate_attached(&r),
            )
        };
    for case in &guarded {
        let (by_scp, by_own, by_iam) = effective(outsider, case);
        assert!(
            matches!(by_scp, Verdict::Denied(_)),
            "SCP lets the outsider {case:?}: {by_scp:?}"
        );
        assert!(
            matches!(by_iam, Verdict::Denied(_)),
            "the IAM policy lets the outsider {case:?}: {by_iam:?}"
        );
        assert_eq!(
            by_own,
            Verdict::Allowed,
            "the outsider's own permissions would allow it"
        );
        let (by_scp, by_own, by_iam) = effective(insider, case);
        assert_eq!(
            (&by_scp, &by_own, &by_iam),
            (&Verdict::Allowed, &Verdict::Allowed, &Verdict::Allowed),
            "insider {case:?}"
        );
    }
    for case in &free {
        for who in [outsider, insider] {
            let (by_scp, _, by_iam) = effective(who, case);
            assert_eq!(
                (&by_scp, &by_iam),
                (&Verdict::Allowed, &Verdict::Allowed),
                "{who} {case:?}"
            );
        }
    }
    // Both documents say the same.
    assert_eq!(
        serde_json::from_str::<Value>(&read("policies/tag-guard-scp.json")).unwrap(),
        serde_json::from_str::<Value>(&read("policies/tag-guard-iam.json")).unwrap()
    );
}

/// The same for the calls made without a generated client (`src/signed.rs` signs them): every
/// operation named to `send`, `call` or `cfn` anywhere in the library must be one of
/// RAW_OPERATIONS, with its IAM action, so a new signed call cannot pass unseen either.
#[test]
fn every_signed_call_in_the_code_is_one_this_test_knows() {
    let known: BTreeSet<&str> = RAW_OPERATIONS.iter().map(|(op, _)| *op).collect();
    let call =
        regex_lite::Regex::new(r#"\.(?:send|call|cfn)\(\s*(?:&?[\w.]+,\s*)?"([A-Z][A-Za-z]+)""#)
            .unwrap();
    let mut found = BTreeSet::new();
    let mut todo = vec![workspace_root().join("src")];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for c in call.captures_iter(code) {
                    let op = c[1].to_string();
                    assert!(
                        known.contains(op.as_str()),
                        "{}: the signed call {op} is not in RAW_OPERATIONS: add it with its IAM action (and to the role that makes it)",
                        p.display()
                    );
                    found.insert(op);
                }
            }
        }
    }
    for op in [
        "SendMessageBatch",
        "ListRules",
        "GetFindings",
        "DescribeHub",
        "GetFunction",
    ] {
        assert!(
            found.contains(op),
            "{op} not found: the pattern no longer sees the calls ({found:?})"
        );
    }
}
