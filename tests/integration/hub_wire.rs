//! The hub over the wire: moto's Organizations lists and describes the accounts, moto's STS
//! issues each member role's credentials (and refuses where the role is missing, as AWS does),
//! and one local Macie serves every account and Region by the access key each request is
//! signed with. The organization is `org.rs`'s (this account, the management account, is the
//! hub; three workload accounts, one without the member role; one closed).
//!
//! The member roles' trusts are stacksets/member.yaml's, with the organization's id, and the
//! hub's function role replaced by the hub's account: the hub here runs as its account's user,
//! not as a function role (the strict layer admits a named role's sessions alone, and callers
//! of the named organization alone: scripts/strict_moto/test_rules.py).

use serde_json::{json, Value};
use testkit::{
    access_key_of, as_account, enable_security_hub, iam_create_role, securityhub_findings,
    stand_in_config, template_json, LocalMacie, ACCOUNT,
};

use lambda_runtime::{Context, LambdaEvent};
use macie_guard::expiry::lambda::ExpiryFunction;
use macie_guard::export::lambda::ExportFunction;
use macie_guard::export::sources::AwsSources;
use macie_guard::hub::expiry::ExpiryHub;
use macie_guard::hub::export::ExportHub;
use macie_guard::hub::members::aws::AwsMembers;
use macie_guard::hub::members::Members;
use macie_guard::hub::queue::WorkQueue;
use macie_guard::journal::memory::MemoryJournal;
use macie_guard::outbound::memory::RecordingOutbound;
use macie_guard_core::config::Env;
use macie_guard_core::hub::HubConfig;
use std::collections::HashMap;

const HOME: &str = "us-east-1";
const OTHER: &str = "eu-west-1";
const ROLE: &str = "macie-guard-member";

/// A job in its warning window (five days left), not yet its action window.
fn warned(name: &str) -> Value {
    json!({"name": name, "jobStatus": "USER_PAUSED", "pausedDaysAgo": 25.0,
           "tags": {"macie-guard:on-expiry": "resume"}})
}

fn expiring(name: &str) -> Value {
    json!({"name": name, "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.5,
           "tags": {"macie-guard:on-expiry": "resume"}})
}

/// The member roles of `one` and `two`, made once for the tests that share the organization.
async fn member_roles(one: &str, two: &str) {
    static MADE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    MADE.get_or_init(|| async {
        member_role(one).await;
        member_role(two).await;
    })
    .await;
}

/// The member role in `account`, with member.yaml's trust and permissions.
async fn member_role(account: &str) {
    let member = template_json("stacksets/member.yaml", false);
    let mut trust =
        member["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"].clone();
    trust["Statement"][0]["Principal"]["AWS"] = json!(format!("arn:aws:iam::{ACCOUNT}:root"));
    trust["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] =
        json!(crate::org::org_id().await);
    let base = testkit::sdk_config().await;
    let key = access_key_of(&as_account(&base, account).await).await;
    iam_create_role(&key, ROLE, &trust);
}

/// The statuses of the jobs Macie holds in `account` and `region`, by name.
async fn statuses(macie: &LocalMacie, account: &str, region: &str) -> HashMap<String, String> {
    jobs(macie, account, region)
        .await
        .into_iter()
        .map(|(name, (_, status))| (name, status))
        .collect()
}

/// The jobs Macie holds in `account` and `region`: name to (id, status).
async fn jobs(
    macie: &LocalMacie,
    account: &str,
    region: &str,
) -> HashMap<String, (String, String)> {
    let conf = as_account(&stand_in_config(macie.url()).await, account).await;
    let conf = conf
        .into_builder()
        .region(aws_config::Region::new(region.to_string()))
        .build();
    let client = macie_guard::aws::macie(&conf);
    let out = client.list_classification_jobs().send().await.unwrap();
    out.items()
        .iter()
        .map(|j| {
            (
                j.name().unwrap_or_default().to_string(),
                (
                    j.job_id().unwrap_or_default().to_string(),
                    j.job_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                ),
            )
        })
        .collect()
}

fn ctx() -> Context {
    let mut c = Context::default();
    c.invoked_function_arn = format!("arn:aws:lambda:{HOME}:{ACCOUNT}:function:expiry-guard");
    c
}

#[tokio::test]
async fn the_hub_acts_in_each_member_through_its_role_once_per_account() {
    let (accounts, closed) = crate::org::organization().await;
    let others: Vec<&String> = accounts.iter().filter(|a| *a != ACCOUNT).collect();
    let (one, two, no_role) = (others[0], others[1], others[2]);
    member_roles(one, two).await;
    // Security Hub in one member Region: its findings must land there, in its own account.
    let one_key = access_key_of(&as_account(&testkit::sdk_config().await, one).await).await;
    enable_security_hub(&one_key, OTHER);

    let tenant = |account: &str, region: &str, jobs: Vec<Value>| json!({"account": account, "region": region, "jobs": jobs});
    // The server's own account is none of the organization's: every account-Region is a
    // tenant of its own, reached by the key its request is signed with.
    let macie = LocalMacie::start(Some(&json!({
        "account": "999999999999",
        "accounts": [
            tenant(ACCOUNT, HOME, vec![expiring("hub-home")]),
            tenant(ACCOUNT, OTHER, vec![expiring("hub-other")]),
            tenant(one, HOME, vec![expiring("one-home")]),
            tenant(one, OTHER, vec![expiring("one-other"), warned("one-other-warned")]),
            tenant(two, HOME, vec![expiring("two-home")]),
            // Macie is not enabled for `two` in OTHER: nothing to guard there.
            tenant(no_role, HOME, vec![expiring("no-role-home")]),
        ]
    })));
    // The hub's function runs as the hub's account.
    let conf = as_account(&stand_in_config(macie.url()).await, ACCOUNT).await;
    let vars = HashMap::from([
        ("MEMBER_REGIONS", format!("{HOME},{OTHER}")),
        ("MEMBER_ROLE_NAME", ROLE.to_string()),
    ]);
    let config = HubConfig::from_env(&Env(|k: &str| vars.get(k).cloned()))
        .unwrap()
        .unwrap();
    let hub = ExpiryHub {
        own: ExpiryFunction {
            macie: macie_guard::aws::macie(&conf),
            outbound: RecordingOutbound::default(),
            journal: MemoryJournal::new(),
            config: Default::default(),
            region: HOME.into(),
            fallback_account: None,
            schedules: None,
            runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
        },
        members: AwsMembers::new(conf.clone(), config.clone()).with_security_hub(true),
        config,
        queue: None,
    };

    let out = hub
        .handle(LambdaEvent::new(json!({"action": "sweep"}), ctx()))
        .await
        .expect("a member without its role and a Region without Macie are rows, not failures");

    // Each job resumed in its own account and Region.
    for (account, region, job) in [
        (ACCOUNT, HOME, "hub-home"),
        (ACCOUNT, OTHER, "hub-other"),
        (one.as_str(), HOME, "one-home"),
        (one.as_str(), OTHER, "one-other"),
        (two.as_str(), HOME, "two-home"),
    ] {
        let now = statuses(&macie, account, region).await;
        assert_eq!(
            now.get(job).map(String::as_str),
            Some("RUNNING"),
            "{account} {region} {job}: {now:?} {out}"
        );
    }
    assert_eq!(
        statuses(&macie, no_role, HOME).await["no-role-home"],
        "USER_PAUSED"
    );

    let result = |account: &str, region: &str| -> Value {
        out["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["account"] == account && u["region"] == region)
            .unwrap_or_else(|| panic!("{account} {region}: {out}"))
            .clone()
    };
    assert_eq!(result(two, OTHER)["result"], "macie-off", "{out}");
    let unreached = result(no_role, HOME);
    assert_eq!(unreached["result"], "unreached");
    assert_eq!(unreached["code"], "AccessDenied");
    assert!(
        unreached["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("arn:aws:iam::{no_role}:role/{ROLE}")),
        "{unreached}"
    );
    assert!(
        out["left"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["account"] == closed.as_str() && l["why"] == "not-active"),
        "{out}"
    );
    // One AssumeRole per member account, its credentials reused across Regions; a refusal is
    // not asked again in the same run; the hub's own account uses its own credentials.
    assert_eq!(
        hub.members.assumed(),
        3,
        "one, two and the refusing account, once each"
    );

    // The warned job is a finding in its own account's Security Hub, imported as that account.
    let findings = securityhub_findings(&one_key, OTHER);
    let warned: Vec<&Value> = findings
        .iter()
        .filter(|f| f.to_string().contains("one-other-warned"))
        .collect();
    assert_eq!(warned.len(), 1, "{findings:#?}");
    assert_eq!(warned[0]["AwsAccountId"], one.as_str());
    assert_eq!(warned[0]["RecordState"], "ACTIVE");

    // A tag set in a member's Region (CloudTrail's record, forwarded) is acted on there: a
    // resume just set is acted on at once in the warning window.
    assert_eq!(
        statuses(&macie, one, OTHER).await["one-other-warned"],
        "USER_PAUSED"
    );
    let (id, _) = jobs(&macie, one, OTHER).await["one-other-warned"].clone();
    let mut record: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/events/cloudtrail-macie2-tag-resource.json"
        ))
        .unwrap()
        .replace("123456789012", one)
        .replace("us-east-1", OTHER)
        .replace("0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f", &id),
    )
    .unwrap();
    record["detail"]["requestParameters"]["tags"] = json!({"macie-guard:on-expiry": "resume"});
    let answer = hub.handle(LambdaEvent::new(record, ctx())).await.unwrap();
    assert_eq!(answer["account"], one.as_str(), "{answer}");
    assert_eq!(
        statuses(&macie, one, OTHER).await["one-other-warned"],
        "RUNNING"
    );
    assert_eq!(
        hub.members.assumed(),
        3,
        "the credentials of the sweep, reused"
    );
    // Resumed: its finding is archived there.
    let after = securityhub_findings(&one_key, OTHER);
    let archived = after
        .iter()
        .find(|f| f.to_string().contains("one-other-warned"))
        .unwrap();
    assert_eq!(archived["RecordState"], "ARCHIVED", "{archived:#}");

    // An account outside the organization is never acted in: Organizations says so.
    assert_eq!(hub.members.account("999999999999").await.unwrap(), None);
}

#[tokio::test]
async fn the_hubs_export_check_reads_each_member_through_its_read_role_and_imports_there() {
    let (accounts, _) = crate::org::organization().await;
    let others: Vec<&String> = accounts.iter().filter(|a| *a != ACCOUNT).collect();
    // `no_role` holds no role at all; `two` may hold the read role (the organization view's
    // test makes it): its row is not asserted.
    let (one, two, no_role) = (others[0], others[1], others[2]);
    crate::org::read_roles(&[one]).await;
    let one_key = access_key_of(&as_account(&testkit::sdk_config().await, one).await).await;
    enable_security_hub(&one_key, HOME);
    let gone = format!("results-gone-{one}");
    let macie = LocalMacie::start(Some(&json!({
        "account": "999999999999",
        "accounts": [
            {"account": ACCOUNT, "region": HOME},
            {"account": ACCOUNT, "region": OTHER},
            // Its results bucket was deleted: a critical finding, in its own account.
            {"account": one, "region": HOME, "exportConfiguration": {"s3Destination": {
                "bucketName": gone,
                "kmsKeyArn": format!("arn:aws:kms:{HOME}:{one}:key/1234abcd-12ab-34cd-56ef-1234567890ab")}}},
            {"account": one, "region": OTHER, "macieEnabled": false},
            {"account": two, "region": HOME},
            {"account": no_role, "region": HOME},
        ]
    })));
    let conf = as_account(&stand_in_config(macie.url()).await, ACCOUNT).await;
    // `one`'s forwarding rules in HOME, as its member stack makes them, one disabled since.
    let events = macie_guard::aws::eventbridge(
        &as_account(&stand_in_config(macie.url()).await, one)
            .await
            .into_builder()
            .region(aws_config::Region::new(HOME))
            .build(),
    );
    for (name, _) in macie_guard_core::hub::FORWARDING_RULES {
        let disabled = name == "macie-guard-forward-export-changes";
        events
            .put_rule()
            .name(name)
            .event_pattern(r#"{"source": ["aws.health"]}"#)
            .state(if disabled {
                aws_sdk_eventbridge::types::RuleState::Disabled
            } else {
                aws_sdk_eventbridge::types::RuleState::Enabled
            })
            .send()
            .await
            .unwrap();
    }
    let vars = HashMap::from([
        ("MEMBER_REGIONS", format!("{HOME},{OTHER}")),
        ("MEMBER_ROLE_NAME", ROLE.to_string()),
    ]);
    let config = HubConfig::from_env(&Env(|k: &str| vars.get(k).cloned()))
        .unwrap()
        .unwrap();
    let hub = ExportHub {
        own: ExportFunction {
            sources: AwsSources::new(conf.clone()),
            outbound: RecordingOutbound::default(),
            runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
            regions: vec![HOME.into(), OTHER.into()],
            fallback_account: None,
            results_grace: chrono::Duration::hours(6),
        },
        members: AwsMembers::new(conf.clone(), config.reading()).with_security_hub(true),
        config,
        queue: None,
    };
    let out = hub
        .handle(LambdaEvent::new(json!({"action": "check-export"}), ctx()))
        .await
        .expect("unreached members are rows");
    let row = |account: &str, region: &str| -> Value {
        out["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["account"] == account && u["region"] == region)
            .unwrap_or_else(|| panic!("{account} {region}: {out}"))
            .clone()
    };
    assert_eq!(row(one, HOME)["result"], "checked", "{out}");
    assert_eq!(row(one, HOME)["worst"], "critical", "{out}");
    // Its rules listed through the read role, in its account and Region: the disabled one
    // said, the two enabled ones not.
    let forwarding = row(one, HOME)["forwarding"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        forwarding.contains("macie-guard-forward-export-changes is DISABLED")
            && !forwarding.contains("forward-health")
            && !forwarding.contains("forward-tags"),
        "{out}"
    );
    // Macie's own refusal where it is not enabled, over the wire: nothing wrong.
    assert_eq!(row(one, OTHER)["result"], "macie-off", "{out}");
    let r = row(no_role, HOME);
    assert_eq!(r["result"], "unreached", "{out}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("arn:aws:iam::{no_role}:role/{ROLE}-read")),
        "the read-only role, not the member role: {r}"
    );
    assert_eq!(
        hub.members.assumed(),
        3,
        "one AssumeRole per member account"
    );
    // Told at the hub, naming the account and Region.
    let subjects = hub.own.outbound.subjects.lock().unwrap().clone();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains(&format!("in {one} {HOME}:"))),
        "{subjects:?}"
    );
    // The finding is in the member's own Security Hub, imported as that account.
    let findings = securityhub_findings(&one_key, HOME);
    let about: Vec<&Value> = findings
        .iter()
        .filter(|f| f.to_string().contains(&gone))
        .collect();
    assert!(!about.is_empty(), "{findings:#?}");
    assert!(about.iter().all(|f| f["AwsAccountId"] == one.as_str()));
}

/// The messages waiting in moto's queue at `url`: (message id, receipt handle, body).
fn receive(key: &str, url: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    loop {
        let got = testkit::sqs(
            key,
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 300}),
        );
        let messages = got["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            out.push((
                m["MessageId"].as_str().unwrap().to_string(),
                m["ReceiptHandle"].as_str().unwrap().to_string(),
                m["Body"].as_str().unwrap().to_string(),
            ));
        }
    }
}

/// Lambda's SQS event of one message.
fn sqs_event(message_id: &str, body: &str) -> Value {
    json!({"Records": [{"messageId": message_id, "receiptHandle": "rh", "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "eventSource": "aws:sqs", "eventSourceARN": format!("arn:aws:sqs:{HOME}:{ACCOUNT}:hub-sweep"),
        "awsRegion": HOME}]})
}

/// A sweep whose time runs out sends the rest to the work queue (SQS, one message per account);
/// each message, given back as Lambda's event source mapping gives it, is done in its account
/// through the member role; one whose change fails is named in the partial batch response,
/// received again once its visibility ends, and done then.
#[tokio::test]
async fn a_sweep_out_of_time_queues_the_rest_on_sqs_and_each_share_is_done_once() {
    let (accounts, _) = crate::org::organization().await;
    let others: Vec<&String> = accounts.iter().filter(|a| *a != ACCOUNT).collect();
    let (one, two) = (others[0], others[1]);
    member_roles(one, two).await;
    let tenant = |account: &str, region: &str, jobs: Vec<Value>| json!({"account": account, "region": region, "jobs": jobs});
    let macie = LocalMacie::start(Some(&json!({
        "account": "999999999999",
        "accounts": [
            tenant(ACCOUNT, HOME, vec![]),
            tenant(one, HOME, vec![expiring("queued-one")]),
            tenant(two, HOME, vec![expiring("queued-two")]),
        ]
    })));
    let conf = as_account(&stand_in_config(macie.url()).await, ACCOUNT).await;
    let key = access_key_of(&conf).await;
    let url = testkit::sqs(
        &key,
        "CreateQueue",
        json!({"QueueName": "macie-guard-hub-sweep-test"}),
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let vars = HashMap::from([
        ("MEMBER_ROLE_NAME", ROLE.to_string()),
        ("MEMBER_REGIONS", HOME.to_string()),
    ]);
    let config = HubConfig::from_env(&Env(|k: &str| vars.get(k).cloned()))
        .unwrap()
        .unwrap();
    let hub = ExpiryHub {
        own: ExpiryFunction {
            macie: macie_guard::aws::macie(&conf),
            outbound: RecordingOutbound::default(),
            journal: MemoryJournal::new(),
            config: Default::default(),
            region: HOME.into(),
            fallback_account: None,
            schedules: None,
            runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
        },
        members: AwsMembers::new(conf.clone(), config.clone()),
        config,
        queue: Some(WorkQueue::sqs(&conf, url.clone(), HOME.into())),
    };
    let mut short = ctx();
    short.deadline =
        (chrono::Utc::now() + chrono::Duration::seconds(100)).timestamp_millis() as u64;
    let out = hub
        .handle(LambdaEvent::new(json!({"action": "sweep"}), short))
        .await
        .unwrap();
    assert!(
        out["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["result"] == "queued"),
        "{out}"
    );
    assert_eq!(
        statuses(&macie, one, HOME).await["queued-one"],
        "USER_PAUSED"
    );
    let messages = receive(&key, &url);
    let active = out["units"].as_array().unwrap().len();
    assert_eq!(
        messages.len(),
        active,
        "one message per account: {messages:?}"
    );
    let of = |account: &str| {
        messages
            .iter()
            .find(|(_, _, body)| body.contains(&format!("\"account\":\"{account}\"")))
            .cloned()
            .unwrap_or_else(|| panic!("no share of {account}: {messages:?}"))
    };
    // `one`'s change fails (every try of the SDK's): its share is named, and comes back.
    macie.faults(json!({"operation": "UpdateClassificationJob", "account": one, "region": HOME,
        "sequence": ["InternalServerException", "InternalServerException", "InternalServerException", "InternalServerException"]}));
    let (id, receipt, body) = of(one);
    let answer = hub
        .handle(LambdaEvent::new(sqs_event(&id, &body), ctx()))
        .await
        .unwrap();
    assert_eq!(
        answer["batchItemFailures"],
        json!([{"itemIdentifier": id}]),
        "{answer}"
    );
    assert_eq!(
        statuses(&macie, one, HOME).await["queued-one"],
        "USER_PAUSED"
    );
    // Its visibility ends (here at once): SQS gives it again, and it is done.
    testkit::sqs(
        &key,
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": receipt, "VisibilityTimeout": 0}),
    );
    let again = receive(&key, &url);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].0, id, "the same message");
    let answer = hub
        .handle(LambdaEvent::new(sqs_event(&again[0].0, &again[0].2), ctx()))
        .await
        .unwrap();
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    assert_eq!(statuses(&macie, one, HOME).await["queued-one"], "RUNNING");
    // Every other share, done once.
    for (id, _, body) in messages.iter().filter(|(i, _, _)| *i != id) {
        let answer = hub
            .handle(LambdaEvent::new(sqs_event(id, body), ctx()))
            .await
            .unwrap();
        assert_eq!(answer["batchItemFailures"], json!([]), "{body}: {answer}");
    }
    assert_eq!(statuses(&macie, two, HOME).await["queued-two"], "RUNNING");
}
