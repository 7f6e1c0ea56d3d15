use super::*;

const JOB_ID: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn job_refs() {
    let scope = Scope::new("123456789012", "us-east-1");
    let mine = format!("arn:aws:macie2:us-east-1:123456789012:classification-job/{JOB_ID}");
    assert_eq!(JobRef::parse(&mine, &scope), JobRef::Mine(JOB_ID.into()));
    assert_eq!(JobRef::parse(JOB_ID, &scope), JobRef::Mine(JOB_ID.into()));
    for foreign in [
        format!("arn:aws:macie2:us-east-1:999999999999:classification-job/{JOB_ID}"),
        format!("arn:aws:macie2:eu-west-1:123456789012:classification-job/{JOB_ID}"),
        format!("arn:aws-cn:macie2:us-east-1:123456789012:classification-job/{JOB_ID}"),
        "arn:aws:macie2:us-east-1:123456789012:classification-job/../../jobs".to_string(),
    ] {
        assert!(
            matches!(JobRef::parse(&foreign, &scope), JobRef::Foreign { .. }),
            "{foreign}"
        );
    }
    for not in [
        "123456789012",
        "",
        "arn:aws:s3:::bucket",
        "ABCDEF0123456789ABCDEF0123456789",
        "x/../y",
    ] {
        assert_eq!(JobRef::parse(not, &scope), JobRef::NotAJob, "{not}");
    }
    assert_eq!(
        Scope::new("123456789012", "cn-north-1").partition(),
        "aws-cn"
    );
    assert_eq!(
        Scope::new("123456789012", "us-gov-west-1").job_arn("a"),
        "arn:aws-us-gov:macie2:us-gov-west-1:123456789012:classification-job/a"
    );
}

/// One Region of each partition in the SDK's partition data, and names of none.
use serde_json::json;

fn health(detail: Value) -> Value {
    json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "AWS Health Event", "source": "aws.health",
        "account": "123456789012", "time": "2026-08-27T13:19:03Z", "region": "us-east-1",
        "detail": detail
    })
}

fn macie_detail(code: &str) -> Value {
    json!({
        "eventArn": "arn:aws:health:us-east-1::event/MACIE/X/X_1",
        "service": "MACIE", "eventTypeCode": code,
        "eventTypeCategory": "accountNotification", "eventScopeCode": "ACCOUNT_SPECIFIC",
        "communicationId": "abc-1", "startTime": "Thu, 27 Aug 2026 13:19:03 GMT",
        "lastUpdatedTime": "Thu, 27 Aug 2026 13:19:03 GMT", "statusCode": "open",
        "eventRegion": "us-east-1",
        "eventDescription": [{"language": "en_US", "latestDescription": "A job expires soon"}],
        "affectedEntities": [{"entityValue": "0123456789abcdef0123456789abcdef", "status": "IMPAIRED"}],
        "page": "1", "totalPages": "1", "backupEvent": "false", "affectedAccount": "123456789012",
        "somethingNew": {"nested": true}
    })
}

#[test]
fn real_health_shapes_parse() {
    let ev = ExpiryEvent::parse(&health(macie_detail(
        "AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT",
    )))
    .unwrap();
    let ExpiryEvent::Health(h) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(h.kind, HealthKind::JobExpiring);
    assert_eq!(h.detail.description(), Some("A job expires soon"));
    assert_eq!(
        h.detail.start().unwrap().to_rfc3339(),
        "2026-08-27T13:19:03+00:00"
    );
    assert_eq!(h.candidate_refs(), vec!["0123456789abcdef0123456789abcdef"]);
    assert!(
        h.resources.is_empty(),
        "no resources in the envelope is fine"
    );
}

#[test]
fn routing() {
    for (value, want) in [
        (json!({"action": "sweep"}), "sweep"),
        (json!({"action": "recover"}), "recover"),
        (
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
            "sweep",
        ),
        (
            json!({"detail-type": "Scheduled Event", "source": "aws.scheduler"}),
            "sweep",
        ),
        (
            json!({"detail-type": "Macie Finding", "source": "aws.macie", "detail": {}}),
            "ignored",
        ),
        (
            health(
                json!({"eventArn": "a", "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE"}),
            ),
            "ignored",
        ),
        (
            health(
                json!({"eventArn": "a", "service": "MACIE", "eventTypeCode": "AWS_MACIE_OPERATIONAL_ISSUE"}),
            ),
            "ignored",
        ),
        (
            health(
                json!({"eventArn": "a", "service": "EC2", "eventTypeCode": "AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT"}),
            ),
            "ignored",
        ),
    ] {
        let got = match ExpiryEvent::parse(&value).unwrap() {
            ExpiryEvent::Sweep { .. } => "sweep",
            ExpiryEvent::Recover { .. } => "recover",
            ExpiryEvent::Health(_) => "health",
            ExpiryEvent::Tagged { .. } => "tagged",
            ExpiryEvent::Ignored { .. } => "ignored",
        };
        assert_eq!(got, want, "{value}");
    }
}

#[test]
fn malformed_events_name_what_is_wrong() {
    for (value, needle) in [
        (json!([1, 2]), "JSON object, not an array"),
        (json!("sweep"), "not a string"),
        (json!(null), "not null"),
        (json!({}), "neither an EventBridge event"),
        (json!({"action": "recover-all"}), "action \"recover-all\""),
        (
            json!({"action": "delete-everything"}),
            "action \"delete-everything\"",
        ),
        (json!({"action": 7}), "\"action\" must be a string"),
        (
            json!({"detail-type": 5, "source": "aws.health"}),
            "\"detail-type\" must be a string",
        ),
        (
            json!({"detail-type": "AWS Health Event", "source": "aws.health"}),
            "detail",
        ),
        (health(json!("text")), "detail"),
        (
            health(
                json!({"service": "MACIE", "eventTypeCode": "AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT"}),
            ),
            "eventArn",
        ),
        (
            health(json!({"eventArn": "a", "service": "MACIE", "eventTypeCode": 12})),
            "detail.eventTypeCode",
        ),
        (
            health(
                json!({"eventArn": "a", "service": "MACIE", "eventTypeCode": "AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT", "affectedEntities": {"a": 1}}),
            ),
            "detail.affectedEntities",
        ),
    ] {
        let err = ExpiryEvent::parse(&value).expect_err(&value.to_string());
        let text = err.to_string();
        assert!(text.contains(needle), "{value}: {text}");
        assert!(text.starts_with("malformed event"), "{text}");
    }
    let mut bad_resources = health(macie_detail("AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT"));
    bad_resources["resources"] = json!([1]);
    let err = ExpiryEvent::parse(&bad_resources).unwrap_err().to_string();
    assert!(err.contains("resources"), "{err}");
}

#[test]
fn health_times() {
    assert!(parse_health_time("Thu, 27 Aug 2026 13:19:03 GMT").is_some());
    assert!(parse_health_time("2026-08-27T13:19:03Z").is_some());
    assert!(parse_health_time("yesterday").is_none());
}

/// CloudTrail's record of Macie's TagResource: a `macie-guard:` tag on a job is the guard's;
/// other tags, other calls, failed calls and other resources are not.
#[test]
fn a_macie_guard_tag_set_on_a_job_is_the_guards_to_look_at() {
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../events/cloudtrail-macie2-tag-resource.json"
        ))
        .unwrap(),
    )
    .unwrap();
    match ExpiryEvent::parse(&sample).unwrap() {
        ExpiryEvent::Tagged { resource_arn, .. } => assert!(
            resource_arn.ends_with(":classification-job/0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f"),
            "{resource_arn}"
        ),
        other => panic!("{other:?}"),
    }
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = sample.clone();
        f(&mut v);
        ExpiryEvent::parse(&v)
    };
    for (case, change) in [
        (
            "another tag",
            &(|v: &mut serde_json::Value| {
                v["detail"]["requestParameters"]["tags"] = json!({"team": "hr"})
            }) as &dyn Fn(&mut serde_json::Value),
        ),
        ("another call", &|v: &mut serde_json::Value| {
            v["detail"]["eventName"] = json!("UntagResource")
        }),
        ("a failed call", &|v: &mut serde_json::Value| {
            v["detail"]["errorCode"] = json!("AccessDenied")
        }),
        ("an allow list", &|v: &mut serde_json::Value| {
            v["detail"]["requestParameters"]["resourceArn"] =
                json!("arn:aws:macie2:us-east-1:123456789012:allow-list/x")
        }),
    ] {
        assert!(
            matches!(with(change), Ok(ExpiryEvent::Ignored { .. })),
            "{case}"
        );
    }
    assert!(matches!(
        with(&|v: &mut serde_json::Value| v["detail"]["requestParameters"] = json!("x")),
        Err(Error::MalformedEvent(m)) if m.contains("requestParameters")
    ));
}
