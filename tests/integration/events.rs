//! macie-guard's own events, over the wire: the functions' notifier puts them on the account's
//! default bus (moto's EventBridge), the stack's forwarding rule (its pattern read from
//! template.yaml) takes them to a central bus in another account, and the security account's
//! rule (its pattern read from stacksets/central-bus.yaml, the default severities) takes the
//! critical and warning ones on. Queues in the central account stand for the topic.

use crate::common;

use chrono::Utc;
use macie_guard::expiry::jobs::memory::MemoryJobs;
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::memory::MemorySources;
use macie_guard::outbound::bus::DefaultBus;
use macie_guard::outbound::print::PrintNotifier;
use macie_guard::outbound::Channels;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::job::JobType;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::export::facts::{ConfigFact, Membership};
use serde_json::{json, Value};
use testkit::{
    access_key_of, as_account, eventbridge_client, sdk_config, sqs, sqs_drain, template_json,
    ACCOUNT, REGION,
};

const CENTRAL: &str = "111122223333";
const RESUME: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const NOTIFY: &str = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

/// A resource's EventPattern with parameter references resolved to their defaults.
fn pattern(template: &Value, rule: &str) -> Value {
    fn resolve(v: &Value, params: &Value) -> Value {
        match v {
            Value::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
                let p = &params[o["Ref"].as_str().unwrap()];
                match p["Type"].as_str() {
                    Some("CommaDelimitedList") => json!(p["Default"]
                        .as_str()
                        .unwrap()
                        .split(',')
                        .collect::<Vec<_>>()),
                    _ => p["Default"].clone(),
                }
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, params)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| resolve(v, params)).collect()),
            other => other.clone(),
        }
    }
    resolve(
        &template["Resources"][rule]["Properties"]["EventPattern"],
        &template["Parameters"],
    )
}

fn queue(key: &str, name: &str) -> (String, String) {
    let url = sqs(key, "CreateQueue", json!({"QueueName": name}))["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let arn = sqs(
        key,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["QueueArn"]}),
    )["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    (url, arn)
}

#[tokio::test]
async fn decisions_and_findings_reach_the_central_bus_of_the_security_account() {
    let id = std::process::id();
    let member = sdk_config().await;
    let central = as_account(&member, CENTRAL).await;
    let central_key = access_key_of(&central).await;
    let member_events = eventbridge_client(&member).await;
    let central_events = eventbridge_client(&central).await;

    // The security account: the bus, and two rules: the companion template's (to the topic,
    // here a queue) and one taking everything (what "route anywhere" rules see).
    let bus = format!("macie-guard-{id}");
    let bus_arn = central_events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    assert!(bus_arn.contains(CENTRAL), "{bus_arn}");
    let companion = template_json("stacksets/central-bus.yaml", false);
    let to_topic = pattern(&companion, "ToTheTopicRule");
    assert_eq!(
        to_topic["detail"]["severity"],
        json!(["critical", "warning"])
    );
    let (topic_queue, topic_queue_arn) = queue(&central_key, &format!("central-topic-{id}"));
    let (all_queue, all_queue_arn) = queue(&central_key, &format!("central-all-{id}"));
    for (rule, pattern, target) in [
        ("to-the-topic", to_topic.clone(), &topic_queue_arn),
        (
            "everything",
            json!({"source": [macie_guard_core::tell::events::SOURCE]}),
            &all_queue_arn,
        ),
    ] {
        central_events
            .put_rule()
            .name(rule)
            .event_bus_name(&bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        central_events
            .put_targets()
            .rule(rule)
            .event_bus_name(&bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("q")
                    .arn(target)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    // The member account: the stack's forwarding rule, as template.yaml writes it.
    let stack = template_json("template.yaml", false);
    let forward = format!("forward-{id}");
    member_events
        .put_rule()
        .name(&forward)
        .event_pattern(pattern(&stack, "ForwardToCentralBusRule").to_string())
        .send()
        .await
        .unwrap();
    member_events
        .put_targets()
        .rule(&forward)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("central-bus")
                .arn(&bus_arn)
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/forward"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let notifier = || Channels {
        notifier: PrintNotifier,
        bus: Some(DefaultBus {
            client: member_events.clone(),
        }),
        hub: None,
    };

    // The expiry guard: one job resumed (info), one expiring with no action (critical); the
    // second's name carries a newline and an escape sequence.
    let hostile = "payroll\n\u{1b}[31m<!channel>";
    let jobs = MemoryJobs::new(Utc::now())
        .paused(RESUME, JobType::OneTime, 29.0, Some("resume"))
        .paused(NOTIFY, JobType::OneTime, 29.0, Some("notify"))
        .named(NOTIFY, hostile);
    let summary = common::guard(&jobs, notifier(), ExpiryConfig::default())
        .handle(
            &ExpiryEvent::Sweep {
                trigger: "test".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(summary.jobs.len(), 2);

    // The export guard: a standalone account without a configuration (critical), a member
    // whose jobs are its administrator's (info).
    let sources = MemorySources {
        configs: [
            ("us-east-1".to_string(), ConfigFact::NotSet),
            ("eu-west-1".to_string(), ConfigFact::NotSet),
        ]
        .into(),
        memberships: [(
            "eu-west-1".to_string(),
            Membership::Member {
                administrator: CENTRAL.into(),
                own_jobs: Some(false),
            },
        )]
        .into(),
        ..MemorySources::default()
    };
    ExportGuard {
        sources: &sources,
        outbound: notifier(),
        account: ACCOUNT.into(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline: None,
    }
    .handle(&ExportEvent::Check {
        trigger: "test".into(),
    })
    .await
    .unwrap();

    // Everything arrived in the security account, with the member's account and Region in
    // the detail, values exact.
    let all = sqs_drain(&central_key, &all_queue);
    let of = |events: &[Value], what: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| {
                e["detail"]["jobId"] == what
                    || e["detail"]["region"] == what && e["detail"]["code"].is_string()
            })
            .cloned()
            .collect()
    };
    assert_eq!(all.len(), 4, "{all:#?}");
    let resumed = &of(&all, RESUME)[0];
    assert_eq!(resumed["source"], "macie-guard");
    assert_eq!(resumed["detail-type"], "Macie Guard Job Decision");
    // (moto's bus-to-bus forwarding drops `resources`; the detail carries the ARN too.)
    let d = &resumed["detail"];
    assert_eq!(
        d["jobArn"],
        format!("arn:aws:macie2:{REGION}:{ACCOUNT}:classification-job/{RESUME}")
    );
    assert_eq!(
        (d["account"].as_str(), d["region"].as_str()),
        (Some(ACCOUNT), Some(REGION))
    );
    assert_eq!(
        (&d["action"], &d["outcome"], &d["severity"], &d["policy"]),
        (
            &json!("resume"),
            &json!("done"),
            &json!("info"),
            &json!("resume")
        )
    );
    assert_eq!(d["schemaVersion"], "1");
    assert!(
        d["expiresAt"].is_string() && d["daysLeft"].is_number(),
        "{d}"
    );
    let notified = &of(&all, NOTIFY)[0]["detail"];
    assert_eq!(
        notified["jobName"], hostile,
        "the name arrives exact, JSON-escaped"
    );
    let message = notified["message"].as_str().unwrap();
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "the sentence people read is escaped as in the notification: {message:?}"
    );
    assert_eq!(notified["severity"], "critical");
    let missing = &of(&all, "us-east-1")[0];
    assert_eq!(missing["detail-type"], "Macie Guard Export Finding");
    assert_eq!(
        (&missing["detail"]["code"], &missing["detail"]["severity"]),
        (&json!("EXPORT_CONFIG_MISSING"), &json!("critical"))
    );
    assert!(missing["detail"]["fix"].as_str().unwrap().len() > 10);
    assert_eq!(of(&all, "eu-west-1")[0]["detail"]["severity"], "info");
    // The samples in events/sent/ (the schemas of docs/integrating.md) have the fields that arrive.
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v["detail"].as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for (sample, got) in [
        ("sent/macie-guard-job-decision.json", &of(&all, NOTIFY)[0]),
        ("sent/macie-guard-export-finding.json", missing),
    ] {
        let sample = testkit::event(sample);
        assert_eq!(keys(&sample), keys(got), "{sample}");
        assert_eq!(sample["detail-type"], got["detail-type"]);
        assert_eq!(sample["source"], got["source"]);
    }

    // The companion rule takes the critical and warning ones only.
    let mut to_people: Vec<String> = sqs_drain(&central_key, &topic_queue)
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["detail"]["severity"].as_str().unwrap(),
                e["detail"]["jobId"]
                    .as_str()
                    .or(e["detail"]["code"].as_str())
                    .unwrap()
            )
        })
        .collect();
    to_people.sort();
    assert_eq!(
        to_people,
        [
            format!("critical {NOTIFY}"),
            "critical EXPORT_CONFIG_MISSING".to_string()
        ]
    );

    member_events
        .remove_targets()
        .rule(&forward)
        .ids("central-bus")
        .send()
        .await
        .unwrap();
    member_events
        .delete_rule()
        .name(&forward)
        .send()
        .await
        .unwrap();
}

/// A bus that refuses entries: the refused ones are sent once more, then the run fails with
/// EventBridge's reason, so that the change is reported again by the next invocation.
#[tokio::test]
async fn refused_events_are_retried_once_then_fail_the_run() {
    use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    let refused = || {
        PutEventsOutput::builder()
            .failed_entry_count(1)
            .entries(PutEventsResultEntry::builder().event_id("ok").build())
            .entries(
                PutEventsResultEntry::builder()
                    .error_code("InternalFailure")
                    .error_message("try again")
                    .build(),
            )
            .build()
    };
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::<usize>::new()));
    let seen = calls.clone();
    let first = mock!(aws_sdk_eventbridge::Client::put_events)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.entries().len());
            let e = &r.entries()[0];
            e.source() == Some("macie-guard")
                && e.detail_type() == Some("Macie Guard Job Decision")
                && e.resources() == ["arn:aws:macie2:us-east-1:123456789012:classification-job/x"]
                && e.detail() == Some(r#"{"n":1}"#)
                && e.event_bus_name().is_none()
        })
        .then_output(refused);
    let seen = calls.clone();
    let second = mock!(aws_sdk_eventbridge::Client::put_events)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.entries().len());
            true
        })
        .then_output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(1)
                .entries(
                    PutEventsResultEntry::builder()
                        .error_code("InternalFailure")
                        .error_message("still failing")
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_eventbridge, RuleMode::Sequential, [&first, &second]);
    let bus = DefaultBus { client };
    let events = vec![
        macie_guard_core::tell::events::GuardEvent {
            detail_type: macie_guard_core::tell::events::JOB_DECISION,
            resources: vec!["arn:aws:macie2:us-east-1:123456789012:classification-job/x".into()],
            detail: json!({"n": 1}),
        },
        macie_guard_core::tell::events::GuardEvent {
            detail_type: macie_guard_core::tell::events::JOB_DECISION,
            resources: vec![],
            detail: json!({"n": 2}),
        },
    ];
    let err = bus.put(&events).await.unwrap_err();
    assert_eq!(err.kind(), "EventsFailed");
    assert!(err.to_string().contains("still failing"), "{err}");
    assert_eq!(
        *calls.lock().unwrap(),
        [2, 1],
        "the refused entry alone is resent"
    );
}
