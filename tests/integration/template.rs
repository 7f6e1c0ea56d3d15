//! What deploys, runs: template.yaml read as CloudFormation reads it (scripts/template_json.py
//! in .venv-sam, with the SAM translator for the expanded form), held against the code.
//!
//! - Every value a parameter accepts, the function's configuration accepts, and no other:
//!   the sets are compared over the parameters' own values and a list of near misses.
//! - Every producer of dead letters (each function's asynchronous invocation, each
//!   EventBridge rule, each schedule) can write to its queue, including the queue's KMS key.
//! - The StackSets package (scripts/package.py) is the same template without a Transform,
//!   its code read from each Region's artifact bucket, which only the organization may read.
//!
//! Why one file this long: one reading of the template (it takes seconds) serves every check;
//! each check is one test.

use macie_guard_core::config::{expiry_config, export_config, Env};
use macie_guard_core::export::policy_eval::glob;
use macie_guard_core::hub::HubConfig;
use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;
use testkit::workspace_root;

fn template(expand: bool) -> Value {
    testkit::template_json("template.yaml", expand)
}

/// Whether CloudFormation accepts `v` for parameter `p`.
fn template_accepts(p: &Value, v: &str) -> bool {
    if let Some(values) = p.get("AllowedValues").and_then(Value::as_array) {
        if !values.iter().any(|a| {
            a.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| a.to_string())
                == v
        }) {
            return false;
        }
    }
    if let Some(pattern) = p.get("AllowedPattern").and_then(Value::as_str) {
        // CloudFormation matches the whole value.
        let re = regex_lite::Regex::new(&format!("^(?:{pattern})$")).expect("pattern");
        if !re.is_match(v) {
            return false;
        }
    }
    true
}

fn env_of(pairs: Vec<(String, String)>) -> Env<impl Fn(&str) -> Option<String>> {
    let map: HashMap<String, String> = pairs.into_iter().collect();
    Env(move |k: &str| map.get(k).cloned())
}

/// Whether the code accepts `value` for the environment variable `var`.
fn code_accepts(var: &str, value: &str) -> bool {
    let env = env_of(vec![(var.to_string(), value.to_string())]);
    match var {
        "DEFAULT_POLICY"
        | "WARNING_WINDOW_DAYS"
        | "ACTION_WINDOW_DAYS"
        | "DRY_RUN"
        | "RECREATE_LOST_JOBS"
        | "SWEEP_CONCURRENCY"
        | "EXCLUDE_JOBS"
        | "HONOURED_TAG_POLICIES" => expiry_config(&env).is_ok(),
        "EXPORT_REGIONS" | "RESULTS_GRACE_HOURS" => export_config(&env).is_ok(),
        "NOTIFICATION_TOPIC_ARN" => env.topic("NOTIFICATION_TOPIC_ARN").is_ok(),
        "SECURITY_HUB" | "NOTIFICATION_FORMAT" => macie_guard_core::config::outputs(&env).is_ok(),
        // The hub's settings are read only with MEMBER_REGIONS set (a hub).
        "MEMBER_REGIONS" => HubConfig::from_env(&env).is_ok(),
        "MEMBER_ROLE_NAME" | "PER_ACCOUNT_STACKS" | "HUB_CONCURRENCY" => {
            let env = env_of(vec![
                ("MEMBER_REGIONS".into(), "us-east-1".into()),
                (var.to_string(), value.to_string()),
            ]);
            HubConfig::from_env(&env).is_ok()
        }
        other => panic!("no parser known for {other}: add it here"),
    }
}

/// Values near the edges of what a parameter means.
fn near_misses() -> Vec<String> {
    let mut v: Vec<String> = (-2..=70).map(|n| n.to_string()).collect();
    for s in [
        "",
        " ",
        "0.0",
        "0.5",
        "1.5",
        "7.0",
        "30.5",
        "07",
        " 7",
        "7 ",
        "+7",
        "1e1",
        "abc",
        "true",
        "false",
        "TRUE",
        "True",
        "1",
        "yes",
        "no",
        "resume",
        "RESUME",
        " resume",
        "Resume",
        "keep-paused",
        "keep_paused",
        "cancel",
        "cancel-job",
        "notify",
        "ignore",
        "delete",
        "eu-west-1",
        "eu-west-1,us-east-1",
        "eu-west-1, us-east-1",
        "eu-west-1,",
        "Mars",
        "us-gov-west-1",
        "eusc-de-east-1",
        "abc",
        "a-b",
        "eu-west-100",
        "legal-*,ffff",
        "resume,notify",
        "resume,resume",
        "resume, notify",
        "resume,,notify",
        "resume,",
        ",resume",
        "resume,cancel-job,ignore",
        "RESUME,notify",
        "arn:aws:sns:us-east-1:123456789012:alerts",
        "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts",
        "arn:aws:sns:us-east-1:123456789012:alerts.fifo",
        "arn:aws:sns:us-east-1:1234:alerts",
        "arn:aws:sqs:us-east-1:123456789012:alerts",
        "alerts",
    ] {
        v.push(s.to_string());
    }
    v
}

#[test]
fn every_parameter_value_the_template_accepts_the_code_accepts_and_no_other() {
    let t = template(false);
    let params = t["Parameters"].as_object().unwrap();
    let mut checked = 0;
    for function in ["ExpiryGuardFunction", "ExportGuardFunction"] {
        let vars = t["Resources"][function]["Properties"]["Environment"]["Variables"]
            .as_object()
            .unwrap();
        for (var, value) in vars {
            // The parameter behind the variable: a Ref, or the ExistingTopicArn branch of the
            // topic's If (the other branch is the stack's own topic).
            let param = match value {
                Value::Object(o) if o.contains_key("Ref") => o["Ref"].as_str().unwrap(),
                // A hub's queue, or nothing: no parameter behind it.
                Value::Object(o) if o.contains_key("Fn::If") && o["Fn::If"][2] == "" => continue,
                Value::Object(o) if o.contains_key("Fn::If") => o["Fn::If"][2]["Ref"]
                    .as_str()
                    .expect("the If's else branch is a parameter"),
                _ => continue,
            };
            let Some(p) = params.get(param) else {
                continue; // a resource, not a parameter
            };
            // Schedule expressions: no pattern can hold Scheduler's grammar, and Scheduler
            // refuses a malformed one when the stack deploys; tests/integration/alive.rs holds
            // the template and the watch to AWS's own examples.
            if var.ends_with("_SCHEDULE") {
                continue;
            }
            let mut candidates = near_misses();
            for a in p["AllowedValues"].as_array().into_iter().flatten() {
                candidates.push(a.as_str().map(str::to_string).unwrap_or(a.to_string()));
            }
            if let Some(d) = p.get("Default") {
                candidates.push(d.as_str().map(str::to_string).unwrap_or(d.to_string()));
            }
            for c in candidates {
                // An empty variable is an unset one (the CLI, local runs): the code's default
                // applies, which is the parameter's default.
                if c.is_empty() {
                    assert!(code_accepts(var, &c), "{var} unset");
                    continue;
                }
                let (t_ok, c_ok) = (template_accepts(p, &c), code_accepts(var, &c));
                assert_eq!(
                    t_ok, c_ok,
                    "{function} {var} (parameter {param}) = {c:?}: template accepts {t_ok}, code accepts {c_ok}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
    // Every pair of windows the template accepts, the code accepts (an action window longer
    // than the warning window means no separate warning).
    for w in 1..=30 {
        for a in 1..=30 {
            let env = env_of(vec![
                ("WARNING_WINDOW_DAYS".into(), w.to_string()),
                ("ACTION_WINDOW_DAYS".into(), a.to_string()),
            ]);
            expiry_config(&env).unwrap_or_else(|e| panic!("warning {w}, action {a}: {e}"));
        }
    }
}

/// `value` names resource `name` (Ref, or GetAtt of its Arn).
/// Whether `value` names the resource `name` (a Ref, a GetAtt, or either branch of an If: the
/// stack's key or the one given as ExistingKeyArn).
fn names(value: &Value, name: &str) -> bool {
    match value {
        Value::Object(o) => {
            o.get("Ref").and_then(Value::as_str) == Some(name)
                || o.get("Fn::GetAtt").and_then(|g| g[0].as_str()) == Some(name)
                || o.get("Fn::If")
                    .is_some_and(|i| names(&i[1], name) || names(&i[2], name))
        }
        Value::Array(a) => a.iter().any(|v| names(v, name)),
        _ => false,
    }
}

fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}

fn allows(statements: &[Value], principal: Option<&str>, action: &str, resource: &str) -> bool {
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && list(&s["Action"])
                .iter()
                .any(|a| glob(a.as_str().unwrap_or_default(), action, true))
            && (names(&s["Resource"], resource) || list(&s["Resource"]).iter().any(|r| r == "*"))
            && match principal {
                None => true,
                Some(p) => list(&s["Principal"]["Service"]).iter().any(|x| x == p),
            }
    })
}

fn role_statements(t: &Value, role: &str) -> Vec<Value> {
    t["Resources"][role]["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| list(&p["PolicyDocument"]["Statement"]))
        .collect()
}

#[test]
fn every_dead_letter_path_can_deliver_including_the_queue_key() {
    let t = template(true);
    let resources = t["Resources"].as_object().unwrap();
    let queue_of = |arn: &Value| -> String {
        resources
            .keys()
            .find(|k| names(arn, k))
            .cloned()
            .unwrap_or_else(|| panic!("dead-letter target {arn} is not a resource"))
    };
    let key_of = |queue: &str| -> String {
        let k = &resources[queue]["Properties"]["KmsMasterKeyId"];
        resources
            .keys()
            .find(|r| names(k, r))
            .cloned()
            .unwrap_or_else(|| panic!("{queue}'s key {k}"))
    };
    let queue_policy = |queue: &str| -> Vec<Value> {
        resources
            .values()
            .filter(|r| {
                r["Type"] == "AWS::SQS::QueuePolicy" && names(&r["Properties"]["Queues"], queue)
            })
            .flat_map(|r| list(&r["Properties"]["PolicyDocument"]["Statement"]))
            .collect()
    };
    let key_policy = |key: &str| list(&resources[key]["Properties"]["KeyPolicy"]["Statement"]);
    let key_enables_iam = |key: &str| {
        key_policy(key).iter().any(|s| {
            s["Effect"] == "Allow"
                && s["Principal"]["AWS"].to_string().contains(":root")
                && ["kms:GenerateDataKey", "kms:Decrypt"].iter().all(|a| {
                    list(&s["Action"])
                        .iter()
                        .any(|x| glob(x.as_str().unwrap_or_default(), a, true))
                })
        })
    };
    // A role may send when its own policies allow it, and the key policy lets IAM decide.
    let role_can_send = |role: &str, queue: &str, key: &str| {
        let st = role_statements(&t, role);
        allows(&st, None, "sqs:SendMessage", queue)
            && allows(&st, None, "kms:GenerateDataKey", key)
            && allows(&st, None, "kms:Decrypt", key)
            && key_enables_iam(key)
    };
    let mut paths = 0;
    for (name, r) in resources {
        match r["Type"].as_str().unwrap() {
            "AWS::Lambda::Function" => {
                let Some(target) = r["Properties"].get("DeadLetterConfig") else {
                    continue;
                };
                let queue = queue_of(&target["TargetArn"]);
                let role = resources
                    .keys()
                    .find(|k| names(&r["Properties"]["Role"], k))
                    .unwrap();
                assert!(
                    role_can_send(role, &queue, &key_of(&queue)),
                    "{name}: its role {role} cannot send dead letters to {queue}"
                );
                paths += 1;
            }
            "AWS::Events::Rule" => {
                for target in list(&r["Properties"]["Targets"]) {
                    let Some(dl) = target.get("DeadLetterConfig") else {
                        panic!("{name}: a target without a dead-letter queue")
                    };
                    let queue = queue_of(&dl["Arn"]);
                    let key = key_of(&queue);
                    let p = Some("events.amazonaws.com");
                    assert!(
                        allows(&queue_policy(&queue), p, "sqs:SendMessage", &queue),
                        "{name}: {queue}'s policy does not let EventBridge send"
                    );
                    for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
                        assert!(
                            allows(&key_policy(&key), p, action, &key),
                            "{name}: {key}'s policy does not let EventBridge {action}"
                        );
                    }
                    paths += 1;
                }
            }
            "AWS::Scheduler::Schedule" => {
                let target = &r["Properties"]["Target"];
                let Some(dl) = target.get("DeadLetterConfig") else {
                    panic!("{name}: a schedule without a dead-letter queue")
                };
                let queue = queue_of(&dl["Arn"]);
                // Scheduler sends dead letters with the schedule's execution role.
                let role = resources
                    .keys()
                    .find(|k| names(&target["RoleArn"], k))
                    .unwrap_or_else(|| panic!("{name}: no execution role"));
                assert!(
                    role_can_send(role, &queue, &key_of(&queue)),
                    "{name}: its execution role {role} cannot send dead letters to {queue} (with its key)"
                );
                assert!(
                    allows(
                        &role_statements(&t, role),
                        None,
                        "lambda:InvokeFunction",
                        target["Arn"]["Fn::GetAtt"][0].as_str().unwrap()
                    ),
                    "{name}: {role} cannot invoke its target"
                );
                paths += 1;
            }
            _ => {}
        }
    }
    assert_eq!(
        paths, 12,
        "2 functions, 7 rules (Health, the tags' and the export configuration's CloudTrail records, forwarding to the central bus, and a hub's members' Health events, tag records and export changes), 3 schedules (sweep, journal watch, export check)"
    );
}

/// Both functions may put events on their own account's default bus, with source macie-guard
/// only; the forwarding rule takes exactly those events to the central bus, through a role
/// that may put on that bus alone, and exists only when a bus is given.
#[test]
fn events_go_to_the_default_bus_and_to_the_central_bus_only_when_asked() {
    let t = template(false);
    let r = &t["Resources"];
    for function in ["ExpiryGuardFunction", "ExportGuardFunction"] {
        let f = &r[function]["Properties"];
        assert_eq!(f["Environment"]["Variables"]["PUT_EVENTS"], "true");
        let statements: Vec<Value> = list(&f["Policies"])
            .iter()
            .flat_map(|p| list(&p["Statement"]))
            .filter(|s| list(&s["Action"]).contains(&Value::from("events:PutEvents")))
            .collect();
        assert_eq!(statements.len(), 1, "{function}");
        assert_eq!(
            statements[0]["Resource"]["Fn::Sub"],
            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
        );
        assert_eq!(
            statements[0]["Condition"]["StringEquals"]["events:source"],
            macie_guard_core::tell::events::SOURCE
        );
    }
    let rule = &r["ForwardToCentralBusRule"];
    assert_eq!(rule["Condition"], "ForwardToCentralBus");
    assert_eq!(
        r["ForwardToCentralBusRole"]["Condition"],
        "ForwardToCentralBus"
    );
    assert_eq!(
        t["Conditions"]["ForwardToCentralBus"],
        serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "CentralEventBusArn"}, ""]}]})
    );
    assert_eq!(
        rule["Properties"]["EventPattern"],
        serde_json::json!({"source": [macie_guard_core::tell::events::SOURCE], "detail-type": [
            macie_guard_core::tell::events::JOB_DECISION, macie_guard_core::tell::events::EXPORT_FINDING]})
    );
    let target = &list(&rule["Properties"]["Targets"])[0];
    assert_eq!(
        target["Arn"],
        serde_json::json!({"Ref": "CentralEventBusArn"})
    );
    let role = role_statements(&t, "ForwardToCentralBusRole");
    assert_eq!(role.len(), 1);
    assert_eq!(role[0]["Action"], "events:PutEvents");
    assert_eq!(
        role[0]["Resource"],
        serde_json::json!({"Ref": "CentralEventBusArn"})
    );
}

/// The journal table the stack creates has the keys and the TTL attribute the code writes.
#[test]
fn the_journal_table_is_shaped_as_the_code_uses_it() {
    let t = template(false);
    let table = &t["Resources"]["JournalTable"]["Properties"];
    let keys: Vec<(String, String)> = table["KeySchema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap().to_string(),
                k["KeyType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("scope".to_string(), "HASH".to_string()),
            ("jobId".to_string(), "RANGE".to_string())
        ]
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"],
        "expiresAt"
    );
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
    // The journal's DynamoDB adapter, wherever it lives.
    let file = crate::iam::defining("impl Journal for DynamoJournal");
    let code = std::fs::read_to_string(workspace_root().join(file)).unwrap();
    assert!(
        code.contains("expiresAt = :ttl")
            && code.contains("\"scope\"")
            && code.contains("\"jobId\"")
    );
}

/// template.yaml packaged for StackSets with service-managed permissions (scripts/package.py).
fn packaged() -> Value {
    let root = workspace_root();
    let out_file =
        std::env::temp_dir().join(format!("macie-guard-packaged-{}.json", std::process::id()));
    let out = Command::new(root.join(".venv-sam/bin/python"))
        .current_dir(&root)
        .arg("scripts/package.py")
        .arg("template.yaml")
        .arg(&out_file)
        .output()
        .expect("package.py runs");
    assert!(
        out.status.success(),
        "package.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).expect("the packaged template");
    let _ = std::fs::remove_file(&out_file);
    serde_json::from_str(&text).expect("JSON")
}

/// A resource without what packaging is meant to change: a function's code location, and the
/// build instructions (SAM copies a function's Metadata to the resources made from it).
fn without_code(mut r: Value) -> Value {
    if r["Type"] == "AWS::Lambda::Function" {
        if let Some(p) = r.get_mut("Properties").and_then(Value::as_object_mut) {
            p.remove("Code");
        }
    }
    if let Some(m) = r.get_mut("Metadata").and_then(Value::as_object_mut) {
        m.remove("BuildMethod");
        m.remove("BuildProperties");
    }
    r
}

/// The StackSets template has no Transform, takes each function's code from the artifact
/// bucket of the Region it is deployed in (parameters, nothing hard-coded), and keeps every
/// resource, permission, alarm, dead-letter path, condition and output of the SAM template:
/// the two expansions are compared whole, except the code location.
#[test]
fn the_stacksets_template_is_the_sam_template_without_a_transform() {
    let sam = template(true);
    let org = packaged();
    assert!(org.get("Transform").is_none(), "no Transform");
    assert!(
        !org.to_string().contains("AWS::Serverless"),
        "nothing left to transform"
    );

    let sam_params = sam["Parameters"].as_object().unwrap();
    let org_params = org["Parameters"].as_object().unwrap();
    let added: Vec<&String> = org_params
        .keys()
        .filter(|k| !sam_params.contains_key(*k))
        .collect();
    assert_eq!(added, ["ArtifactBucketPrefix", "ArtifactKeyPrefix"]);
    for (k, v) in sam_params {
        assert_eq!(&org_params[k], v, "parameter {k}");
    }
    for section in ["Conditions", "Outputs", "Globals"] {
        assert_eq!(org.get(section), sam.get(section), "{section}");
    }

    let sam_res = sam["Resources"].as_object().unwrap();
    let org_res = org["Resources"].as_object().unwrap();
    let names = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(org_res), names(sam_res), "the same resources");
    let mut functions = 0;
    for (name, r) in org_res {
        assert_eq!(
            without_code(r.clone()),
            without_code(sam_res[name].clone()),
            "{name} differs beyond its code location"
        );
        if r["Type"] == "AWS::Lambda::Function" {
            functions += 1;
            let code = &r["Properties"]["Code"];
            assert_eq!(
                code["S3Bucket"],
                serde_json::json!({"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"}),
                "{name}"
            );
            let key = code["S3Key"]["Fn::Sub"].as_str().unwrap_or_default();
            assert!(
                key.starts_with("${ArtifactKeyPrefix}") && key.ends_with(".zip"),
                "{name}: {key}"
            );
        }
    }
    assert_eq!(functions, 2);
}

/// The artifact bucket lets the organization's accounts read the zips, and nobody else, and
/// only over TLS.
#[test]
fn the_artifact_bucket_is_readable_by_the_organization_only() {
    let t = testkit::template_json("stacksets/artifact-bucket.yaml", false);
    assert!(t.get("Transform").is_none());
    let statements =
        list(&t["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]);
    let allows: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(allows.len(), 1);
    assert_eq!(
        allows[0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        serde_json::json!({"Ref": "OrganizationId"})
    );
    for a in list(&allows[0]["Action"]) {
        assert!(a.as_str().unwrap().starts_with("s3:GetObject"), "{a}");
    }
    assert!(
        statements
            .iter()
            .any(|s| s["Effect"] == "Deny"
                && s["Condition"]["Bool"]["aws:SecureTransport"] == "false")
    );
    assert_eq!(
        t["Resources"]["ArtifactBucket"]["Properties"]["BucketName"],
        serde_json::json!({"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"})
    );
}

/// One version: the template's Serverless Application Repository metadata and its output
/// `Version` say the crates' version, and CHANGELOG.md's newest release is it.
#[test]
fn the_template_the_crates_and_the_changelog_share_one_version() {
    let t = template(false);
    let app = &t["Metadata"]["AWS::ServerlessRepo::Application"];
    assert_eq!(app["SemanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(app["SpdxLicenseId"], "Apache-2.0");
    assert_eq!(env!("CARGO_PKG_LICENSE"), "Apache-2.0");
    for file in ["LicenseUrl", "ReadmeUrl"] {
        let path = workspace_root().join(app[file].as_str().unwrap());
        assert!(path.is_file(), "{file}: {}", path.display());
    }
    let license = std::fs::read_to_string(workspace_root().join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004"));
    let changelog = std::fs::read_to_string(workspace_root().join("CHANGELOG.md")).unwrap();
    // The newest release (an "Unreleased" section may come first: what the next one holds).
    let newest = changelog
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|l| l.split_whitespace().next())
        .find(|v| *v != "Unreleased")
        .unwrap();
    assert_eq!(newest, env!("CARGO_PKG_VERSION"));
    // The stack says which release it runs (`macie-guard status`).
    assert_eq!(t["Outputs"]["Version"]["Value"], env!("CARGO_PKG_VERSION"));
}

/// Which of the stack's resource types the Serverless Application Repository takes, as its
/// "List of Supported AWS Resources" says (Serverless Application Repository Developer Guide;
/// awsdocs/aws-serverlessrepo-developer-guide, doc_source/list-supported-resources.md), and
/// which it does not list: docs/upgrade.md ("Releases") says what that means. A resource
/// type added to the template fails here until someone looks it up.
#[test]
fn every_resource_type_is_known_to_be_listed_by_the_serverless_application_repository_or_not() {
    const LISTED: [&str; 18] = [
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::DynamoDB::Table",
        "AWS::Events::EventBusPolicy",
        "AWS::Events::Rule",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Role",
        "AWS::KMS::Key",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::Serverless::Function",
    ];
    const NOT_LISTED: [&str; 5] = [
        "AWS::Chatbot::CustomAction",
        "AWS::Events::EventBus",
        "AWS::Scheduler::Schedule",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::Lambda::EventInvokeConfig",
    ];
    for expand in [false, true] {
        let t = template(expand);
        for (name, r) in t["Resources"].as_object().unwrap() {
            let ty = r["Type"].as_str().unwrap();
            assert!(
                LISTED.contains(&ty) || NOT_LISTED.contains(&ty),
                "{name}: {ty} is in neither list: look it up in the Serverless Application Repository's list of supported resources"
            );
        }
    }
    let ops = std::fs::read_to_string(workspace_root().join("docs/upgrade.md")).unwrap();
    for ty in NOT_LISTED {
        assert!(ops.contains(ty), "docs/upgrade.md does not name {ty}");
    }
}
