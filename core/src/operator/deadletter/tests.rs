use super::*;
use serde_json::json;

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn event(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap()
}

const EXPIRY_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:guard-ExpiryGuardFunction-AbC123";
const EXPORT_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:guard-ExportGuardFunction-XyZ789";

/// Lambda's dead letter: the event as the body, RequestID, ErrorCode, ErrorMessage; the
/// function is told by the event.
#[test]
fn a_lambda_dead_letter_is_routed_by_its_event() {
    let d = DeadLetter::read(
        "m-1",
        &event("health-paused-job-expiration.json"),
        &attrs(&[
            ("RequestID", "c0ffee00-0000-4000-8000-000000000001"),
            ("ErrorCode", "200"),
            ("ErrorMessage", "job 3ce0… failed: ThrottlingException"),
        ]),
        Some(1_764_700_000_000),
        Some(1),
    );
    assert_eq!(
        d.producer,
        Producer::Lambda {
            request_id: "c0ffee00-0000-4000-8000-000000000001".into()
        }
    );
    assert_eq!(d.error_code.as_deref(), Some("200"));
    assert!(matches!(d.routed(), Ok(Routed::Expiry(_))));
    assert!(
        d.what()
            .starts_with("expiry guard: AWS Health AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT"),
        "{}",
        d.what()
    );
    assert_eq!(d.sent_at.unwrap().timestamp_millis(), 1_764_700_000_000);
    assert!(d.producer.describe().contains("c0ffee00"));
}

/// EventBridge's dead letter of a rule target: RULE_ARN, TARGET_ARN, ERROR_CODE, ...
#[test]
fn a_rule_dead_letter_names_its_rule_and_goes_to_its_function() {
    let d = DeadLetter::read(
        "m-2",
        &event("cloudtrail-kms-disable-key.json"),
        &attrs(&[
            ("RULE_ARN", "arn:aws:events:us-east-1:123456789012:rule/guard-ExportGuardFunctionConfigurationChanges-1A2B"),
            ("TARGET_ARN", EXPORT_ARN),
            ("ERROR_CODE", "SDK_CLIENT_ERROR"),
            ("ERROR_MESSAGE", "Unable to invoke Lambda function"),
            ("EXHAUSTED_RETRY_CONDITION", "MaximumRetryAttempts"),
            ("RETRY_ATTEMPTS", "185"),
        ]),
        None,
        Some(2),
    );
    let Producer::Rule {
        retry_attempts,
        exhausted,
        ..
    } = &d.producer
    else {
        panic!("{:?}", d.producer)
    };
    assert_eq!(*retry_attempts, Some(185));
    assert_eq!(exhausted.as_deref(), Some("MaximumRetryAttempts"));
    assert!(matches!(d.routed(), Ok(Routed::Export(_))));
    assert_eq!(
        d.what(),
        "export guard: CloudTrail kms.amazonaws.com DisableKey"
    );
    assert_eq!(
        d.producer.describe(),
        "rule guard-ExportGuardFunctionConfigurationChanges-1A2B"
    );
}

/// Scheduler's dead letter: the schedule's input as the body; a Scheduled Event envelope goes
/// to the function its target names.
#[test]
fn a_schedule_dead_letter_replays_its_input() {
    let sched = |body: &str, target: &str| {
        DeadLetter::read(
            "m-3",
            body,
            &attrs(&[
                ("X-Amz-Scheduler-Schedule-Arn", "arn:aws:scheduler:us-east-1:123456789012:schedule/guard-group/guard-ExpiryGuardFunctionSweep"),
                ("X-Amz-Scheduler-Target-Arn", target),
                ("X-Amz-Scheduler-Group", "guard-group"),
                ("X-Amz-Scheduler-Attempt", "4"),
                ("X-Amz-Scheduler-Error-Code", "Lambda.TooManyRequestsException"),
                ("X-Amz-Scheduler-Error-Message", "Rate Exceeded."),
            ]),
            None,
            None,
        )
    };
    let d = sched(r#"{"action": "sweep"}"#, EXPIRY_ARN);
    assert!(matches!(
        d.routed(),
        Ok(Routed::Expiry(
            crate::expiry::event::ExpiryEvent::Sweep { .. }
        ))
    ));
    assert_eq!(d.what(), "expiry guard: action sweep");
    assert_eq!(
        d.error_code.as_deref(),
        Some("Lambda.TooManyRequestsException")
    );
    let Producer::Schedule { attempt, group, .. } = &d.producer else {
        panic!()
    };
    assert_eq!((*attempt, group.as_deref()), (Some(4), Some("guard-group")));
    let envelope = json!({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.scheduler", "account": "123456789012", "time": "2026-12-02T10:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}).to_string();
    assert!(matches!(
        sched(&envelope, EXPORT_ARN).routed(),
        Ok(Routed::Export(_))
    ));
    assert!(matches!(
        sched(&envelope, EXPIRY_ARN).routed(),
        Ok(Routed::Expiry(_))
    ));
    // Whose target is neither function: the envelope cannot be placed.
    assert!(sched(
        &envelope,
        "arn:aws:lambda:us-east-1:123456789012:function:other"
    )
    .routed()
    .is_err());
}

/// A message nobody of the stack sent, or a body that is not JSON, is listed with the reason
/// and is never replayed.
#[test]
fn what_cannot_be_replayed_says_why() {
    let d = DeadLetter::read("m-4", "not json \u{1b}[31m", &attrs(&[]), None, None);
    assert_eq!(d.producer, Producer::Unknown);
    let why = d.routed().unwrap_err();
    assert!(why.contains("not JSON"), "{why}");
    assert_eq!(d.what(), "not an event");
    let d = DeadLetter::read("m-5", r#"{"hello": 1}"#, &attrs(&[]), None, None);
    assert!(d.routed().is_err());
    assert_eq!(d.what(), "no function: an event without detail-type");
}

/// Every event in events/ reads and routes from a Lambda dead letter as it does directly.
#[test]
fn every_sample_event_routes_from_a_dead_letter() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let body = std::fs::read_to_string(&p).unwrap();
        let d = DeadLetter::read("m", &body, &attrs(&[("RequestID", "r")]), None, None);
        let value: Value = serde_json::from_str(&body).unwrap();
        let direct = dispatch::route(&value, None);
        assert_eq!(d.routed().is_ok(), direct.is_ok(), "{}", p.display());
        n += 1;
    }
    assert!(n >= 15, "{n}");
}

/// A hostile body or error shows as escapes on one line per field, never as a terminal escape
/// or a line of its own.
#[test]
fn the_list_escapes_what_anyone_wrote() {
    let d = DeadLetter::read(
        "m-6",
        r#"{"action": "sweep\u001b[2J\nrm -rf"}"#,
        &attrs(&[
            ("RequestID", "r"),
            ("ErrorMessage", "boom\n\u{1b}[31mred\u{202e}"),
        ]),
        None,
        None,
    );
    let text = crate::tell::deadletters::list_text(&[d], &Default::default());
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.contains("boom\\n\\u{1b}[31mred\\u{202e}"), "{text}");
    assert!(text.ends_with("1 dead letter(s) waiting\n"));
}

/// A share of a hub's run that its work queue dead-lettered: said for what it is, and not
/// replayed (the hub's next run does its account again).
#[test]
fn a_hubs_dead_lettered_share_is_named_and_not_replayed() {
    let body = r#"{"kind":"macie-guard-share","trigger":"schedule","account":"222222222222","regions":["us-east-1","eu-west-1"]}"#;
    let d = DeadLetter::read("m-1", body, &BTreeMap::new(), None, Some(3));
    assert_eq!(
        d.what(),
        "hub's work queue: account 222222222222 in us-east-1, eu-west-1 (schedule)"
    );
    let why = d.routed().unwrap_err();
    assert!(why.contains("next run does that account again"), "{why}");
}
