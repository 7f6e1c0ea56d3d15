//! `macie-guard status` and `org status` over the wire: the stack as CloudFormation makes it
//! (template.yaml through the SAM translator, created by moto's CloudFormation with the types
//! it lacks), read by the CLI through CloudFormation, Lambda, EventBridge, Scheduler,
//! CloudWatch, SQS, DynamoDB and Security Hub in moto. A healthy stack needs nothing; a
//! broken one has each broken part named, and the exit status says so.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::{Command, Output};

use macie_guard::journal::{Entry, Journal};
use macie_guard::runlog::reader::RunLogReader;
use macie_guard::runlog::RunLog;
use macie_guard_core::expiry::plan::Action;
use macie_guard_core::expiry::policy::Policy;
use macie_guard_core::schedule::liveness::{RunKind, RunRecord};
use macie_guard_core::severity::Severity;
use testkit::{
    access_key_of, as_account, endpoint_env, moto, stand_in_config, template_json, workspace_root,
    ACCOUNT, REGION,
};

/// The stack in `account`: its outputs, and the configuration signed as that account.
async fn deploy(account: &str, parameters: &[(&str, &str)]) -> (aws_config::SdkConfig, Value) {
    let conf = as_account(&stand_in_config(&moto().url).await, account).await;
    let mut template = template_json("template.yaml", true);
    // The functions' code: any zip, in a bucket of this account.
    let bucket = format!("artifacts-{account}");
    let s3 = macie_guard::aws::s3(&conf);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("code.zip")
        .body(zip_of_bootstrap().into())
        .send()
        .await
        .unwrap();
    for r in template["Resources"].as_object_mut().unwrap().values_mut() {
        if r["Type"] == "AWS::Lambda::Function" {
            r["Properties"]["Code"] = json!({"S3Bucket": bucket, "S3Key": "code.zip"});
        }
    }
    s3.put_object()
        .bucket(&bucket)
        .key("macie-guard.template.json")
        .body(template.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();
    let template_url =
        format!("https://{bucket}.s3.{REGION}.amazonaws.com/macie-guard.template.json");
    let mut form: Vec<(String, String)> = vec![
        ("Action".into(), "CreateStack".into()),
        ("Version".into(), "2010-05-15".into()),
        ("StackName".into(), "macie-guard".into()),
        // Larger than CloudFormation takes inline (51,200 bytes): by TemplateURL, from the
        // account's bucket, as a deployment of it does.
        ("TemplateURL".into(), template_url),
        (
            "Capabilities.member.1".into(),
            "CAPABILITY_NAMED_IAM".into(),
        ),
    ];
    for (i, (k, v)) in parameters.iter().enumerate() {
        form.push((
            format!("Parameters.member.{}.ParameterKey", i + 1),
            k.to_string(),
        ));
        form.push((
            format!("Parameters.member.{}.ParameterValue", i + 1),
            v.to_string(),
        ));
    }
    let key = access_key_of(&conf).await;
    let answer = testkit::moto_query(&key, "cloudformation", &form);
    assert!(answer.contains("StackId"), "{answer}");
    // CloudFormation creates a stack after CreateStack answers (CREATE_IN_PROGRESS; moto says
    // CREATE_PENDING first): wait for it, as `aws cloudformation wait stack-create-complete`.
    // moto builds the stack in a thread of its own, which a busy server (every other test
    // talks to it meanwhile) may take a while to finish: up to three minutes.
    let mut described = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while std::time::Instant::now() < deadline {
        described = testkit::moto_query(
            &key,
            "cloudformation",
            &[
                ("Action".into(), "DescribeStacks".into()),
                ("Version".into(), "2010-05-15".into()),
                ("StackName".into(), "macie-guard".into()),
            ],
        );
        if !described.contains("_PENDING<") && !described.contains("_IN_PROGRESS<") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(described.contains("CREATE_COMPLETE"), "{described}");
    let doc = macie_guard::operator::status::xml::parse(&described).unwrap();
    let stack = doc.members(&["DescribeStacksResult", "Stacks"])[0];
    let outputs: serde_json::Map<String, Value> = stack
        .members(&["Outputs"])
        .iter()
        .map(|m| {
            (
                m.text_of("OutputKey").unwrap(),
                Value::String(m.text_of("OutputValue").unwrap()),
            )
        })
        .collect();
    (conf, Value::Object(outputs))
}

/// Someone who reads the topic: a queue of the stack's account, subscribed (SNS confirms a
/// queue of the topic's own account at once; an e-mail waits for its link).
async fn subscribe(conf: &aws_config::SdkConfig, outputs: &Value) {
    let sqs = macie_guard::aws::sqs(conf);
    let url = sqs
        .create_queue()
        .queue_name("ops-inbox")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    macie_guard::aws::sns(conf)
        .subscribe()
        .topic_arn(outputs["TopicArn"].as_str().unwrap())
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap();
}

fn zip_of_bootstrap() -> Vec<u8> {
    // An empty zip archive (the end-of-central-directory record alone): Lambda's code is not
    // run here.
    let mut z = vec![0x50, 0x4b, 0x05, 0x06];
    z.extend([0u8; 18]);
    z
}

/// The CLI as `account`'s credentials.
async fn status_cli(conf: &aws_config::SdkConfig, args: &[&str]) -> Output {
    let c = testkit::credentials_of(conf).await;
    let mut cmd = Command::new(testkit::cli_bin());
    cmd.args(args).current_dir(workspace_root());
    for var in ["AWS_PROFILE", "AWS_ENDPOINT_URL", "MACIE_GUARD_STACK"] {
        cmd.env_remove(var);
    }
    cmd.envs(endpoint_env(&moto().url, &moto().url));
    cmd.env("AWS_ACCESS_KEY_ID", c.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key())
        .env("AWS_SESSION_TOKEN", c.session_token().unwrap_or_default());
    cmd.output().expect("run macie-guard")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn attention(status: &Value) -> BTreeSet<String> {
    status["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["attention"] == true)
        .map(|c| {
            format!(
                "{} {}",
                c["area"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn record(kind: RunKind, ago: Duration, worst: Option<Severity>) -> RunRecord {
    let started = Utc::now() - ago;
    RunRecord {
        kind,
        started_at: started,
        finished_at: started + Duration::seconds(3),
        result: format!("{kind} result"),
        version: env!("CARGO_PKG_VERSION").into(),
        worst,
    }
}

#[tokio::test]
async fn a_healthy_stack_needs_nothing_and_says_what_it_saw() {
    let account = "210000000001";
    let (conf, outputs) = deploy(account, &[]).await;
    subscribe(&conf, &outputs).await;
    assert_eq!(outputs["Version"], env!("CARGO_PKG_VERSION"));
    let table = outputs["JournalTableName"].as_str().unwrap().to_string();
    let scope = format!("{account}#{REGION}");
    let runs = macie_guard::runlog::open(&conf, Some(table.clone()));
    runs.succeeded(&scope, &record(RunKind::Sweep, Duration::minutes(30), None))
        .await
        .unwrap();
    runs.succeeded(
        &scope,
        &record(RunKind::ExportCheck, Duration::hours(2), None),
    )
    .await
    .unwrap();

    let out = status_cli(&conf, &["status", "--json"]).await;
    let v = json_of(&out);
    assert_eq!(v["account"], account);
    let status = &v["status"];
    assert_eq!(attention(status), BTreeSet::new(), "{status:#}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(status["stackStatus"], "CREATE_COMPLETE");
    let areas: BTreeSet<&str> = status["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["area"].as_str().unwrap())
        .collect();
    for area in [
        "stack",
        "function",
        "rule",
        "schedule",
        "run",
        "alarm",
        "topic",
        "dead-letters",
        "journal",
        "export",
        "security-hub",
    ] {
        assert!(areas.contains(area), "{area}: {areas:?}");
    }
    let count = |area: &str| {
        status["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["area"] == area)
            .count()
    };
    // Both functions, the three rules (Health, tags, export changes), the three schedules,
    // each read from AWS.
    assert_eq!(
        (count("function"), count("rule"), count("schedule")),
        (2, 3, 3)
    );
    // Reading changed nothing: the watch's first look is still unset.
    assert_eq!(runs.recorded(&scope).await.unwrap().1, None);

    let text = status_cli(&conf, &["status"]).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("healthy: nothing needs attention"), "{text}");
    assert!(text.contains("sweep result, version"), "{text}");
}

#[tokio::test]
async fn a_broken_stack_has_each_broken_part_named() {
    let account = "210000000002";
    let (conf, outputs) = deploy(account, &[("SecurityHubFindings", "true")]).await;
    let key = access_key_of(&conf).await;
    let table = outputs["JournalTableName"].as_str().unwrap().to_string();
    let scope = format!("{account}#{REGION}");
    // The Health rule disabled.
    let rules = macie_guard::aws::eventbridge(&conf)
        .list_rules()
        .send()
        .await
        .unwrap();
    let health = rules
        .rules()
        .iter()
        .filter_map(|r| r.name())
        .find(|n| n.contains("MacieHealth"))
        .unwrap()
        .to_string();
    macie_guard::aws::eventbridge(&conf)
        .disable_rule()
        .name(&health)
        .send()
        .await
        .unwrap();
    // The export guard throttled to zero.
    let export_fn = outputs["ExportGuardFunctionName"].as_str().unwrap();
    testkit::moto_rest(
        &key,
        "lambda",
        "PUT",
        &format!("/2017-10-31/functions/{export_fn}/concurrency"),
        &json!({"ReservedConcurrentExecutions": 0}),
    );
    // The tags rule without its target; the export changes rule's target without the
    // dead-letter queue.
    let events = macie_guard::aws::eventbridge(&conf);
    let named = |part: &str| {
        rules
            .rules()
            .iter()
            .filter_map(|r| r.name())
            .find(|n| n.contains(part))
            .unwrap()
            .to_string()
    };
    let tagged = named("MacieTagged");
    let ids: Vec<String> = events
        .list_targets_by_rule()
        .rule(&tagged)
        .send()
        .await
        .unwrap()
        .targets()
        .iter()
        .map(|t| t.id().to_string())
        .collect();
    events
        .remove_targets()
        .rule(&tagged)
        .set_ids(Some(ids))
        .send()
        .await
        .unwrap();
    let changes = named("ConfigurationChanges");
    let target = events
        .list_targets_by_rule()
        .rule(&changes)
        .send()
        .await
        .unwrap()
        .targets()[0]
        .clone();
    events
        .put_targets()
        .rule(&changes)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id(target.id())
                .arn(target.arn())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Every alarm's actions disabled (they still change state; nobody is told).
    let alarm_names: Vec<String> = testkit::moto_json(
        &key,
        "monitoring",
        "GraniteServiceVersion20100801.DescribeAlarms",
        json!({}),
    )["MetricAlarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AlarmName"].as_str().unwrap().to_string())
        .collect();
    testkit::moto_json(
        &key,
        "monitoring",
        "GraniteServiceVersion20100801.DisableAlarmActions",
        json!({"AlarmNames": alarm_names}),
    );
    // An alarm in ALARM.
    let alarm = testkit::moto_json(
        &key,
        "monitoring",
        "GraniteServiceVersion20100801.DescribeAlarms",
        json!({}),
    )["MetricAlarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AlarmName"].as_str().unwrap().to_string())
        .find(|n| n.contains("DeadLetterQueueAlarm"))
        .unwrap();
    testkit::moto_json(
        &key,
        "monitoring",
        "GraniteServiceVersion20100801.SetAlarmState",
        json!({"AlarmName": alarm, "StateValue": "ALARM", "StateReason": "Threshold Crossed: 1 datapoint"}),
    );
    // A dead letter waiting.
    macie_guard::aws::sqs(&conf)
        .send_message()
        .queue_url(outputs["DeadLetterQueueUrl"].as_str().unwrap())
        .message_body("{}")
        .send()
        .await
        .unwrap();
    // A change whose run died an hour ago.
    let journal = macie_guard::journal::open(&conf, Some(table.clone()));
    let long_ago = (Utc::now() - Duration::hours(1)).timestamp();
    let entry = Entry {
        job_id: "0123456789abcdef0123456789abcdef".into(),
        owner: "dead#1".into(),
        lease_until: long_ago,
        action: Action::Resume,
        policy: Policy::Resume,
        paused_at: String::new(),
        name: "stuck".into(),
        decided_at: String::new(),
    };
    journal.claim(&scope, &entry, long_ago - 60).await.unwrap();
    // Watched for three days; the last sweep two days ago; the export check critical.
    let runs = macie_guard::runlog::open(&conf, Some(table.clone()));
    runs.runs(&scope, Utc::now() - Duration::days(3))
        .await
        .unwrap();
    runs.succeeded(&scope, &record(RunKind::Sweep, Duration::days(2), None))
        .await
        .unwrap();
    runs.succeeded(
        &scope,
        &record(
            RunKind::ExportCheck,
            Duration::hours(1),
            Some(Severity::Critical),
        ),
    )
    .await
    .unwrap();
    // As a hub: its last sweep could not reach one member account-Region (the item a hub's
    // run leaves in its run log).
    runs.seen(
        &scope,
        &macie_guard_core::hub::MembersSeen {
            run: "sweep".into(),
            at: Utc::now() - Duration::hours(1),
            units: 12,
            unreached: vec![macie_guard_core::hub::UnreachedRow {
                account: "222222222222".into(),
                region: "eu-west-1".into(),
                code: "AccessDenied".into(),
                reason: "cannot assume arn:aws:iam::222222222222:role/macie-guard-member".into(),
            }],
            more: 0,
            not_done: vec![],
            more_not_done: 0,
        },
    )
    .await
    .unwrap();

    let out = status_cli(&conf, &["status", "--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = &json_of(&out)["status"];
    let got = attention(status);
    let topic = outputs["TopicArn"].as_str().unwrap();
    let mut want: BTreeSet<String> = [
        format!("rule {health}"),
        format!("rule {tagged}"),
        format!("rule {changes}"),
        format!("topic {topic}"),
        format!("function {export_fn}"),
        format!("alarm {alarm}"),
        "dead-letters dead-letter queue".to_string(),
        "journal journal".to_string(),
        "run sweep".to_string(),
        "export export verdict".to_string(),
        "security-hub Security Hub".to_string(),
        "members 222222222222 eu-west-1".to_string(),
    ]
    .into();
    want.extend(alarm_names.iter().map(|a| format!("alarm {a}")));
    assert_eq!(got, want, "{status:#}");
    assert_eq!(status["attention"], want.len());

    let text = status_cli(&conf, &["status"]).await;
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("aws events enable-rule --name {health}")),
        "{text}"
    );
    assert!(text.contains("reserved concurrency 0"), "{text}");
    assert!(text.contains("1 waiting"), "{text}");
    assert!(
        text.contains(&format!("{} check(s) need attention", want.len())),
        "{text}"
    );
    for says in [
        "it does not target its function",
        "(it has no target)",
        "dead-letter queue is none instead of the stack's",
        "its actions are disabled: when it fires nobody is told",
        "no subscription: nobody is told",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
}

#[tokio::test]
async fn no_stack_is_a_clear_error() {
    let account = "210000000003";
    let conf = as_account(&stand_in_config(&moto().url).await, account).await;
    let out = status_cli(&conf, &["status", "--stack", "not-here"]).await;
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no macie-guard stack named not-here in us-east-1") && err.contains("--stack"),
        "{err}"
    );
    // Without --stack: neither the default name nor a stack holding the read role.
    let out = status_cli(&conf, &["status"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("named macie-guard nor holding the read role"),
        "{err}"
    );
}

/// `org status` from the operator's account: each stack found through the read role it
/// created (a StackSets instance's name is not known), read through that role.
#[tokio::test]
async fn org_status_reads_each_account_through_its_read_role() {
    let account = "210000000004";
    let (conf, outputs) = deploy(account, &[("OperatorAccountId", ACCOUNT)]).await;
    subscribe(&conf, &outputs).await;
    // The operator: the default test credentials' account.
    let operator = stand_in_config(&moto().url).await;
    let out = status_cli(
        &operator,
        &[
            "org",
            "status",
            "--accounts",
            account,
            "--region",
            REGION,
            "--json",
        ],
    )
    .await;
    let rows = json_of(&out);
    let row = &rows[0];
    assert_eq!(row["account"], account, "{rows:#}");
    let result = &row["result"];
    assert_eq!(result["stack"], "macie-guard", "{rows:#}");
    // Never ran: the new stack owes nothing yet; every part read.
    assert_eq!(attention(result), BTreeSet::new(), "{rows:#}");
    assert_eq!(out.status.code(), Some(0));
    let text = status_cli(
        &operator,
        &["org", "status", "--accounts", account, "--region", REGION],
    )
    .await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("{account}  us-east-1       0.2.0")),
        "{text}"
    );
    assert!(text.contains("healthy"), "{text}");
}

/// `org status --hub`: the hub's own account reads a row per member account-Region from what
/// the hub's last runs saw (no member role assumed): guarded with the runs' times, a member
/// the sweep could not reach with STS's answer, an account-Region left to its per-account
/// stack; exit 1 for the unreachable one.
#[tokio::test]
async fn org_status_at_the_hub_is_a_row_per_member_account_region() {
    let account = "210000000005";
    let (conf, outputs) = deploy(
        account,
        &[
            ("MemberRegions", "eu-west-1"),
            ("OrganizationId", "o-exampleorg1"),
            ("PerAccountStacks", "333333333333:eu-west-1"),
        ],
    )
    .await;
    let table = outputs["JournalTableName"].as_str().unwrap().to_string();
    let scope = format!("{account}#{REGION}");
    let runs = macie_guard::runlog::open(&conf, Some(table));
    let at = Utc::now() - Duration::hours(1);
    for (run, unreached) in [("sweep", true), ("export-check", false)] {
        runs.seen(
            &scope,
            &macie_guard_core::hub::MembersSeen {
                run: run.into(),
                at,
                units: 6,
                unreached: if unreached {
                    vec![macie_guard_core::hub::UnreachedRow {
                        account: "222222222222".into(),
                        region: "eu-west-1".into(),
                        code: "AccessDenied".into(),
                        reason: "cannot assume arn:aws:iam::222222222222:role/macie-guard-member"
                            .into(),
                    }]
                } else {
                    vec![]
                },
                more: 0,
                not_done: vec![],
                more_not_done: 0,
            },
        )
        .await
        .unwrap();
    }
    let accounts = "111111111111,222222222222,333333333333";
    let out = status_cli(
        &conf,
        &[
            "org",
            "status",
            "--hub",
            "macie-guard",
            "--accounts",
            accounts,
            "--json",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let rows = json_of(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 6, "{rows:#?}");
    let row = |a: &str, r: &str| {
        rows.iter()
            .find(|x| x["account"] == a && x["region"] == r)
            .unwrap_or_else(|| panic!("no row {a} {r}"))
    };
    assert_eq!(row("222222222222", "eu-west-1")["status"], "unreachable");
    assert!(row("222222222222", "eu-west-1")["reason"]
        .as_str()
        .unwrap()
        .contains("(AccessDenied): cannot assume"));
    assert_eq!(row("333333333333", "eu-west-1")["status"], "skipped");
    for (a, r) in [
        ("111111111111", "us-east-1"),
        ("111111111111", "eu-west-1"),
        ("222222222222", "us-east-1"),
        ("333333333333", "us-east-1"),
    ] {
        let got = row(a, r);
        assert_eq!(got["status"], "read", "{got}");
        assert!(got["result"]["sweep"].is_string(), "{got}");
        assert!(got["result"]["export_check"].is_string(), "{got}");
    }
    // Asked for one Region: only its rows.
    let out = status_cli(
        &conf,
        &[
            "org",
            "status",
            "--hub",
            "macie-guard",
            "--accounts",
            accounts,
            "--region",
            REGION,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3 account-Region(s): 3 guarded, 0 not yet, 0 unreachable, 0 not guarded"),
        "{text}"
    );
    assert!(text.contains("guarded: sweep 20"), "{text}");
    // A stack that is not there is said, and so is --hub with --stack.
    let out = status_cli(
        &conf,
        &[
            "org",
            "status",
            "--hub",
            "no-such-hub",
            "--accounts",
            accounts,
        ],
    )
    .await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-hub"));
    assert_ne!(out.status.code(), Some(0));
}
