//! Chat-ready notifications over the wire: moto's SNS delivers the one message to an `https`
//! subscription (a loopback listener standing where Amazon Q Developer's endpoint would be)
//! as the custom-notification JSON, and to an SQS subscription as the readable text, from
//! the `MessageStructure=json` message macie-guard publishes with `NOTIFICATION_FORMAT=chat`.

use crate::common;

use chrono::Utc;
use common::fakes::FakeJobs;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard_core::expiry::policy::{ExpiryConfig, JobType};
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
    let jobs = FakeJobs::new(Utc::now())
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
                json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["macie-guard:on-expiry", "macie-guard:on-lost"]}})
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
