//! Chat-ready notifications over the wire: moto's SNS delivers the one message to an `https`
//! subscription (a loopback listener standing where Amazon Q Developer's endpoint would be)
//! as the custom-notification JSON, and to an SQS subscription as the readable text, from
//! the `MessageStructure=json` message macie-guard publishes with `NOTIFICATION_FORMAT=chat`.

use crate::common;

use chrono::Utc;
use macie_guard::expiry::jobs::memory::MemoryJobs;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard_core::expiry::job::JobType;
use macie_guard_core::expiry::settings::ExpiryConfig;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use testkit::{access_key_of, moto, sdk_config, sns_client, sqs, sqs_drain, topic};

const JOB: &str = "6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c";

/// Collects the bodies POSTed to it.
fn listener() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let record = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    break;
                }
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut buf = vec![0; length];
            let _ = reader.read_exact(&mut buf);
            record
                .lock()
                .unwrap()
                .push(serde_json::from_slice(&buf).unwrap_or(Value::Null));
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

#[tokio::test]
async fn a_chat_channel_gets_the_custom_notification_and_email_the_text() {
    let topic_arn = topic("chat").await;
    let sns = sns_client(&moto().url).await;
    let (url, posted) = listener();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("https")
        .endpoint(&url)
        .send()
        .await
        .unwrap();
    let key = access_key_of(&sdk_config().await).await;
    let queue = format!("chat-mail-{}", std::process::id());
    let queue_url = sqs(&key, "CreateQueue", json!({"QueueName": queue}))["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let queue_arn = sqs(
        &key,
        "GetQueueAttributes",
        json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}),
    )["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();

    let hostile = "payroll <!channel> *now* [x](https://evil.example)\n\u{1b}[2J";
    let jobs = MemoryJobs::new(Utc::now())
        .paused(JOB, JobType::OneTime, 29.0, Some("notify"))
        .named(JOB, hostile);
    let guard = common::guard(
        &jobs,
        SnsNotifier {
            client: sns.clone(),
            topic_arn: topic_arn.clone(),
            chat: true,
        },
        ExpiryConfig::default(),
    );
    let s = common::sweep(&guard).await.unwrap();
    assert!(s.delivery.notified);
    // A second message, about the same job: its own event id, the same thread.
    common::sweep(&guard).await.unwrap();

    // The chat channel's subscription: the custom notification.
    let posted = posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2, "{posted:#?}");
    let second: Value = serde_json::from_str(posted[1]["Message"].as_str().unwrap()).unwrap();
    let chat: Value = serde_json::from_str(posted[0]["Message"].as_str().unwrap())
        .expect("the https message is the custom notification JSON");
    assert_eq!(chat["version"], "1.0");
    assert_eq!(chat["source"], "custom");
    assert_eq!(chat["content"]["textType"], "client-markdown");
    let title = chat["content"]["title"].as_str().unwrap();
    assert!(title.starts_with("Macie paused jobs in"), "{title}");
    let description = chat["content"]["description"].as_str().unwrap();
    assert!(description.contains(JOB), "{description}");
    for raw in ["<!channel>", "*now*", "[x](", "\u{1b}", "\n\u{1b}"] {
        assert!(
            !description.contains(raw),
            "{raw:?} reached the channel: {description}"
        );
    }
    assert!(
        description.contains("&lt;!channel&gt; \\*now\\* \\[x\\]"),
        "{description}"
    );
    assert!(chat["content"]["nextSteps"][0]
        .as_str()
        .unwrap()
        .contains("macie-guard:on-expiry"));
    let thread = format!(
        "macie-guard/expiry/{}/{}",
        testkit::ACCOUNT,
        testkit::REGION
    );
    assert_eq!(chat["metadata"]["threadId"], thread.as_str());
    assert_eq!(second["metadata"]["threadId"], thread.as_str());
    assert_ne!(chat["id"], second["id"], "each message its own id");
    assert!(chat["id"].as_str().unwrap().starts_with(&thread));
    // The channel shows the name as the e-mail does (`\n\u{1b}`): escaped once, each
    // backslash behind markdown's own.
    assert!(
        description.contains("\\\\n\\\\u{1b}"),
        "the line break and escape shown as in the e-mail, behind markdown's backslash: {description}"
    );
    assert!(
        !description.contains("\\\\\\\\n"),
        "not escaped twice: {description}"
    );
    assert_eq!(
        chat["metadata"]["relatedResources"][0],
        format!(
            "arn:aws:macie2:{}:{}:classification-job/{JOB}",
            testkit::REGION,
            testkit::ACCOUNT
        )
    );

    // Every other subscription (e-mail, a queue): the readable message, as before.
    let mail = sqs_drain(&key, &queue_url);
    assert_eq!(mail.len(), 2);
    let text = mail[0]["Message"].as_str().unwrap();
    assert!(
        text.starts_with("macie-guard looked at paused Amazon Macie jobs"),
        "{text}"
    );
    assert!(text.contains("---- details (JSON) ----"));
    assert!(!text.contains('\u{1b}'));
    assert!(
        text.contains("\\n\\u{1b}"),
        "the e-mail shows the escapes: {text}"
    );
    assert_eq!(
        mail[0]["Subject"]
            .as_str()
            .map(|s| s.starts_with("Macie paused jobs")),
        Some(true)
    );
}

/// The chat buttons in template.yaml are exactly `tell::chat::ACTIONS`: each one's command,
/// button, variables (read where the notification carries them) and criteria (its offer, the
/// stack's own account and Region, the job), under the chat conditions (recreate only where
/// the stack recreates lost jobs); the policy for the channel's role allows exactly what the
/// commands call, on this account's and Region's jobs, and only the guard's two tags.
#[test]
fn the_templates_chat_buttons_are_the_actions_the_notifications_offer() {
    use macie_guard_core::tell::chat::{ACTIONS, VARIABLE_PATH};
    let t = testkit::template_json("template.yaml", false);
    let resources = t["Resources"].as_object().unwrap();
    let actions: Vec<&String> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Chatbot::CustomAction")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(actions.len(), ACTIONS.len(), "{actions:?}");
    let mut needs = std::collections::BTreeSet::new();
    for a in ACTIONS {
        let r = &resources[a.resource];
        let p = &r["Properties"];
        assert_eq!(r["Type"], "AWS::Chatbot::CustomAction", "{}", a.resource);
        let condition = if a.offer == "lost" {
            "ChatRecreateButton"
        } else {
            "ChatButtons"
        };
        assert_eq!(r["Condition"], condition, "{}", a.resource);
        assert_eq!(
            p["ActionName"],
            json!({"Fn::Sub": format!("{}-${{AWS::Region}}", a.name)}),
            "{}",
            a.resource
        );
        assert_eq!(p["Definition"]["CommandText"], a.command, "{}", a.resource);
        let attachments = p["Attachments"].as_array().unwrap();
        assert_eq!(attachments.len(), 1);
        let at = &attachments[0];
        assert_eq!(at["NotificationType"], "Custom");
        assert_eq!(at["ButtonText"], a.button);
        let variables: serde_json::Map<String, Value> = a
            .variables
            .iter()
            .map(|v| (v.to_string(), json!(format!("{VARIABLE_PATH}{v}"))))
            .collect();
        assert_eq!(at["Variables"], Value::Object(variables), "{}", a.resource);
        let job = a
            .reads()
            .into_iter()
            .find(|v| v.starts_with("job"))
            .unwrap();
        assert_eq!(
            at["Criteria"],
            json!([
                {"Operator": "EQUALS", "VariableName": "offer", "Value": a.offer},
                {"Operator": "EQUALS", "VariableName": "account", "Value": {"Ref": "AWS::AccountId"}},
                {"Operator": "EQUALS", "VariableName": "region", "Value": {"Ref": "AWS::Region"}},
                {"Operator": "HAS_VALUE", "VariableName": job},
            ]),
            "{}",
            a.resource
        );
        needs.extend(a.needs.iter().map(|n| n.to_string()));
    }
    assert_eq!(
        t["Conditions"]["ChatButtons"],
        json!({"Fn::And": [{"Fn::Equals": [{"Ref": "NotificationFormat"}, "chat"]}, {"Fn::Equals": [{"Ref": "ChatActions"}, "true"]}]})
    );
    assert_eq!(
        t["Conditions"]["ChatRecreateButton"],
        json!({"Fn::And": [{"Condition": "ChatButtons"}, {"Condition": "RecreateLost"}]})
    );
    let policy = &resources["ChatActionsPolicy"];
    assert_eq!(policy["Condition"], "ChatButtons");
    let statements = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let allowed: std::collections::BTreeSet<String> = statements
        .iter()
        .map(|s| s["Action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        allowed, needs,
        "the channel's role: what the buttons call, no more"
    );
    for s in statements {
        assert_eq!(
            s["Resource"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:macie2:${AWS::Region}:${AWS::AccountId}:classification-job/*"})
        );
        if s["Action"] == "macie2:TagResource" {
            assert_eq!(
                s["Condition"],
                json!({
                    "Null": {"aws:TagKeys": "false"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["macie-guard:on-expiry", "macie-guard:on-lost"]},
                    "StringEqualsIfExists": {
                        "aws:RequestTag/macie-guard:on-expiry": ["resume", "keep-paused"],
                        "aws:RequestTag/macie-guard:on-lost": ["recreate"]}})
            );
        }
    }
    // The tags the buttons set reach the expiry guard: its rule takes Macie's TagResource
    // records, and the function reads the guard's tags from them.
    let rule = &resources["ExpiryGuardFunction"]["Properties"]["Events"]["MacieTagged"]
        ["Properties"]["Pattern"];
    assert_eq!(
        rule,
        &json!({"source": ["aws.macie2"], "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": ["macie2.amazonaws.com"], "eventName": ["TagResource"]}})
    );
    for a in ACTIONS
        .iter()
        .filter(|a| a.command.contains("tag-resource"))
    {
        assert!(
            a.command.contains(&format!(
                "--tags {}",
                macie_guard_core::expiry::event::TAG_PREFIX
            )),
            "{}: sets a tag the guard reads",
            a.name
        );
    }
}

/// The channel's role runs whatever anyone in the channel types, so its policy is their whole
/// authority. Under IAM's evaluation logic (the project's evaluator): with the stack's
/// ChatActionsPolicy and the shipped tag guard rail (`policies/`, as an SCP and as an
/// identity-based policy) each button's call is allowed, and nothing else is: no other value
/// of the two tags (`cancel`, `cancel-job`, `ignore`, `notify`, `no`, another spelling), no
/// other tag, no untagging, no job created, and no status changed (IAM has no condition key
/// for UpdateClassificationJob's new status, so the role must not hold it at all).
#[test]
fn the_chat_channel_can_do_what_its_buttons_say_and_nothing_else() {
    use macie_guard_core::export::policy_eval::{PolicyDoc, Request, Verdict};
    use macie_guard_core::tell::chat::ACTIONS;
    let job =
        "arn:aws:macie2:us-east-1:111122223333:classification-job/0123456789abcdef0123456789abcdef";
    let channel = "arn:aws:iam::111122223333:role/macie-guard-chat-channel";
    let t = testkit::template_json("template.yaml", false);
    let mut policy = t["Resources"]["ChatActionsPolicy"]["Properties"]["PolicyDocument"].clone();
    for s in policy["Statement"].as_array_mut().unwrap() {
        s["Resource"] = json!("arn:aws:macie2:us-east-1:111122223333:classification-job/*");
    }
    let policy = PolicyDoc::parse(&policy.to_string()).unwrap();
    let read = |p: &str| std::fs::read_to_string(testkit::workspace_root().join(p)).unwrap();
    let with_allow = |doc: &str| {
        let mut v: Value = serde_json::from_str(&read(doc)).unwrap();
        v["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        PolicyDoc::parse(&v.to_string()).unwrap()
    };
    let rails = [
        with_allow("policies/tag-guard-scp.json"),
        with_allow("policies/tag-guard-iam.json"),
    ];
    let request = |action: &'static str, tags: &[(&str, &str)]| {
        let mut present: Vec<(&str, Vec<String>)> =
            vec![("aws:PrincipalArn", vec![channel.to_string()])];
        let mut absent = vec!["aws:RequestTag/*"];
        if tags.is_empty() {
            absent.push("aws:TagKeys");
        } else {
            present.push((
                "aws:TagKeys",
                tags.iter().map(|(k, _)| k.to_string()).collect(),
            ));
        }
        let keys: Vec<String> = tags
            .iter()
            .map(|(k, _)| format!("aws:RequestTag/{k}"))
            .collect();
        let leaked: &'static [String] = Box::leak(keys.into_boxed_slice());
        for ((_, v), key) in tags.iter().zip(leaked) {
            present.push((key.as_str(), vec![v.to_string()]));
        }
        Request {
            service: "",
            action,
            resource: job,
            present,
            absent,
        }
    };
    let allowed = |action: &'static str, tags: &[(&str, &str)]| {
        let r = request(action, tags);
        let by_policy = policy.evaluate_attached(&r);
        let by_rails: Vec<Verdict> = rails.iter().map(|d| d.evaluate_attached(&r)).collect();
        (by_policy, by_rails)
    };
    // Each button: allowed by the channel's policy and by both guard rails.
    let mut buttons = Vec::new();
    for a in ACTIONS {
        let (key, value) = a.sets().expect("every button sets a tag");
        buttons.push((key, value));
        let (p, r) = allowed("macie2:TagResource", &[(key, value)]);
        assert_eq!(p, Verdict::Allowed, "{}: {p:?}", a.name);
        assert!(
            r.iter().all(|v| *v == Verdict::Allowed),
            "{}: {r:?}",
            a.name
        );
    }
    assert_eq!(
        buttons,
        [
            ("macie-guard:on-expiry", "resume"),
            ("macie-guard:on-expiry", "keep-paused"),
            ("macie-guard:on-lost", "recreate")
        ]
    );
    // Nothing else: denied by the channel's policy, and by each guard rail on its own.
    let refused: Vec<(&'static str, Vec<(&str, &str)>)> = vec![
        (
            "macie2:TagResource",
            vec![("macie-guard:on-expiry", "cancel-job")],
        ),
        (
            "macie2:TagResource",
            vec![("macie-guard:on-expiry", "cancel")],
        ),
        (
            "macie2:TagResource",
            vec![("macie-guard:on-expiry", "ignore")],
        ),
        (
            "macie2:TagResource",
            vec![("macie-guard:on-expiry", "notify")],
        ),
        (
            "macie2:TagResource",
            vec![("macie-guard:on-expiry", "Cancel-Job")],
        ),
        ("macie2:TagResource", vec![("macie-guard:on-lost", "no")]),
        (
            "macie2:TagResource",
            vec![("macie-guard:on-expiry", "resume"), ("team", "x")],
        ),
        (
            "macie2:TagResource",
            vec![("macie-guard:recreated-from", "x")],
        ),
        ("macie2:TagResource", vec![("team", "x")]),
        ("macie2:UntagResource", vec![("macie-guard:on-expiry", "")]),
        ("macie2:CreateClassificationJob", vec![]),
        ("macie2:UpdateClassificationJob", vec![]),
    ];
    for (action, tags) in &refused {
        let (p, r) = allowed(action, tags);
        assert!(
            !matches!(p, Verdict::Allowed),
            "policy: {action} {tags:?}: {p:?}"
        );
        for v in &r {
            assert!(
                matches!(v, Verdict::Denied(_)),
                "guard rail: {action} {tags:?}: {v:?}"
            );
        }
    }
}

/// The buttons' tags reach the guard as CloudTrail's TagResource records. Five days before
/// expiry (in the warning window, before the action window), "Resume the job" resumes it now
/// and "Keep it paused" pauses it again now; a `cancel` set the same way waits for the action
/// window, as every tag does. Through the local Macie and the journal in moto.
#[tokio::test]
async fn a_buttons_tag_is_acted_on_at_once() {
    use crate::journal::Rig;
    use macie_guard_core::expiry::event::ExpiryEvent;
    use macie_guard_core::expiry::outcome::Outcome;
    use macie_guard_core::scope::Scope;
    use testkit::{ACCOUNT, REGION};
    const RESUME: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
    const KEEP: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
    const CANCEL: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
    let paused = |id: &str, value: &str| {
        json!({"jobId": id, "name": format!("scan-{value}"), "jobType": "ONE_TIME",
            "jobStatus": "USER_PAUSED", "pausedDaysAgo": 25.0,
            "tags": {"macie-guard:on-expiry": value}})
    };
    let rig = Rig::new(json!([
        paused(RESUME, "resume"),
        paused(KEEP, "keep-paused"),
        paused(CANCEL, "cancel")
    ]))
    .await;
    for (id, value) in [
        (RESUME, "resume"),
        (KEEP, "keep-paused"),
        (CANCEL, "cancel"),
    ] {
        let mut ev = testkit::event("cloudtrail-macie2-tag-resource.json");
        ev["detail"]["requestParameters"] = json!({
            "resourceArn": format!("arn:aws:macie2:{REGION}:{ACCOUNT}:classification-job/{id}"),
            "tags": {"macie-guard:on-expiry": value}});
        let s = macie_guard::expiry::guard::ExpiryGuard::new(
            rig.client.clone(),
            rig.notifier().await,
            crate::journal::config(),
            Scope::new(ACCOUNT, REGION),
        )
        .with_journal(rig.journal().await)
        .handle(&ExpiryEvent::parse(&ev).unwrap(), chrono::Utc::now())
        .await
        .unwrap()
        .outcome;
        let j = &s.jobs[0];
        let want = if id == CANCEL {
            Outcome::Warned
        } else {
            Outcome::Done
        };
        assert_eq!(j.outcome, want, "{value}: {}", j.message());
    }
    assert_eq!(rig.status(RESUME).await.0, "RUNNING");
    let (status, left) = rig.status(KEEP).await;
    assert_eq!(status, "USER_PAUSED");
    assert!(left.unwrap() >= 29, "its 30-day clock restarted");
    let (status, left) = rig.status(CANCEL).await;
    assert_eq!(status, "USER_PAUSED");
    assert!(
        matches!(left, Some(4..=5)),
        "the cancel waits: its pause untouched, {left:?} days left"
    );
}
